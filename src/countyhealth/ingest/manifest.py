"""The delivery manifest: written last by the facility, its presence means "complete".

A delivery whose manifest is missing is not ready (we wait). One whose manifest is unreadable,
names files that are not there, or whose checksums disagree is held back with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"


class DeliveryHeld(Exception):
    """The delivery cannot be loaded as delivered; nothing of it is loaded."""


@dataclass(frozen=True)
class ManifestFile:
    name: str
    format: str
    kind: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    facility: str
    export_date: dt.date
    files: tuple[ManifestFile, ...]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _safe_name(name: object) -> str:
    """A file name inside the delivery folder: no paths, no traversal, no hidden tricks."""
    if not isinstance(name, str) or not name or name in (".", ".."):
        raise DeliveryHeld(f"manifest names a file {name!r} that is not a plain file name")
    if "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
        raise DeliveryHeld(f"manifest file name {name!r} is not allowed (paths are refused)")
    return name


def read_manifest(folder: Path, facility: str, export_date: dt.date) -> Manifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeliveryHeld(f"manifest.json is unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise DeliveryHeld("manifest.json must be a JSON object")
    if str(data.get("facility")) != facility:
        raise DeliveryHeld(
            f"manifest is for facility {data.get('facility')!r}, folder is {facility!r}")
    if str(data.get("export_date")) != export_date.isoformat():
        raise DeliveryHeld(
            f"manifest is for {data.get('export_date')!r}, folder is {export_date.isoformat()}")
    files = []
    for i, f in enumerate(data.get("files") or []):
        if not isinstance(f, dict):
            raise DeliveryHeld(f"manifest files[{i}] is not an object")
        try:
            rows = int(f["rows"])
            files.append(ManifestFile(
                name=_safe_name(f.get("name")),
                format=str(f["format"]),
                kind=str(f.get("kind") or ""),
                rows=rows,
                sha256=str(f["sha256"]).lower(),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            raise DeliveryHeld(f"manifest files[{i}] lacks a usable {exc}") from exc
    # an empty list is a valid delivery: the facility had nothing to send that night
    return Manifest(facility, export_date, tuple(files))


def verify_checksums(folder: Path, manifest: Manifest) -> dict[str, str]:
    """sha256 of every listed file; DeliveryHeld when one is missing or differs."""
    sums: dict[str, str] = {}
    for f in manifest.files:
        path = folder / f.name
        if not path.is_file():
            raise DeliveryHeld(f"{f.name} is listed in the manifest but not delivered")
        actual = sha256_of(path)
        if actual != f.sha256:
            raise DeliveryHeld(
                f"{f.name}: sha256 {actual[:12]}… differs from the manifest's {f.sha256[:12]}…")
        sums[f.name] = actual
    return sums
