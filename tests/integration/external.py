"""Helpers for tests that land the real outside data (../shared/testdata/external) as a
facility's delivery: where it is, how its FHIR files hold resources, how a delivery looks."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

EXTERNAL = Path(__file__).parents[3] / "shared" / "testdata" / "external"
FHIR_EXAMPLES = EXTERNAL / "fhir-r4-examples"


def fhir_resources(path: Path) -> list[dict]:
    """The resources of one example file: a Bundle's entries, or the resource itself."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("resourceType") == "Bundle":
        return [e.get("resource") for e in doc.get("entry") or []]
    return [doc]


def deliver(folder: Path, files: list[tuple[Path, str, str, int]]) -> None:
    """Copy files into landing/<facility>/<night>/ with the manifest a facility would write."""
    folder.mkdir(parents=True)
    entries = []
    for src, fmt, kind, rows in files:
        shutil.copy(src, folder / src.name)
        entries.append({"name": src.name, "format": fmt, "kind": kind, "rows": rows,
                        "sha256": hashlib.sha256(src.read_bytes()).hexdigest()})
    facility, night = folder.parent.name, folder.name
    (folder / "manifest.json").write_text(json.dumps(
        {"facility": facility, "export_date": night, "files": entries}), encoding="utf-8")
