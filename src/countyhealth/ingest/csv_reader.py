"""CSV exports: canonical tables with per-facility headers, in UTF-8 or GBK/GB18030.

Flat files saved from Chinese Excel are GBK without a BOM, so the encoding is detected:
a BOM first, then strict UTF-8 over the whole file, then GB18030 (a superset of GBK).
Lines are decoded one at a time, so one undecodable line is quarantined, not the file,
and memory stays flat whatever the file size.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from countyhealth.config import Facility
from countyhealth.ingest.readers import FileRejected, Item
from countyhealth.ingest.tables import TABLES

_CHUNK = 1 << 20


def _decodes(path: Path, codec: str) -> bool:
    """True when the whole file decodes strictly in `codec` (streamed, memory flat)."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def has_utf8_bom(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(3).startswith(codecs.BOM_UTF8)


def detect_encoding(path: Path) -> str:
    """BOM, then strict UTF-8 over the whole file (streamed), else GB18030."""
    if has_utf8_bom(path):
        return "utf-8-sig"
    return "utf-8" if _decodes(path, "utf-8") else "gb18030"


@dataclass(frozen=True)
class HeaderPlan:
    """How one file's columns become canonical values: the header mapping of the county
    config, composite columns ("A+B" joins headers A and B with '|', for exports whose rows
    have no single id, e.g. ENCOUNTER+CODE) and configured defaults. Shared by the row path
    and the set-based path (csv_copy), so both read a file the same way."""

    kind: str
    width: int  # number of header fields: every data line must have as many
    keep: tuple[tuple[int, str], ...]  # (field index, canonical column) kept from the file
    composite: tuple[tuple[str, tuple[int, ...]], ...]
    defaults: tuple[tuple[str, object], ...]

    def item(self, position: int, fields: list[str]) -> Item | None:
        """The record on one line; None for a blank line (not a record)."""
        if not fields or all(not f.strip() for f in fields):
            return None
        original = ",".join(fields)
        if len(fields) != self.width:
            return Item(position, self.kind, None, original, "bad_field_count",
                        f"{len(fields)} fields where the header has {self.width}")
        values: dict = dict(self.defaults)
        for i, c in self.keep:
            values[c] = fields[i]
        for column, idx in self.composite:
            values[column] = "|".join(fields[i] for i in idx)
        return Item(position, self.kind, values, original)

    def source(self, column: str) -> tuple[str, object] | None:
        """Where a canonical column's value comes from, with item()'s precedence: a
        composite ("composite", field indexes), else a file field ("field", index), else the
        configured default ("default", value); None when nothing gives it."""
        for name, idx in self.composite:
            if name == column:
                return "composite", idx
        for i, name in reversed(self.keep):
            if name == column:
                return "field", i
        for name, value in self.defaults:
            if name == column:
                return "default", value
        return None


def header_plan(header: list[str], kind: str, facility: Facility) -> HeaderPlan:
    """Map each file header to its canonical column; FileRejected when a required canonical
    column has no source (with the config key that fixes it)."""
    table = TABLES[kind]
    configured = facility.columns.get(kind, {})
    names = [h.strip().lstrip("\ufeff") for h in header]
    by_header = {h.strip(): c for c, h in configured.items()}
    composite: dict[str, tuple[int, ...]] = {}
    for column, spec in configured.items():
        parts = [p.strip() for p in spec.split("+")]
        if spec.strip() not in names and len(parts) > 1 and all(p in names for p in parts):
            composite[column] = tuple(names.index(p) for p in parts)
    keep: dict[str, int] = {}  # a column named twice keeps the last one, as a dict would
    for i, name in enumerate(names):
        if name in by_header:
            keep[by_header[name]] = i
        elif name in table.columns and name not in configured:
            keep[name] = i
    defaults = facility.defaults.get(kind, {})
    present = set(keep) | set(composite) | set(defaults)
    missing = [c for c in table.required if c not in present]
    if missing:
        raise FileRejected(
            "missing_columns",
            f"{kind}: no column for {', '.join(missing)} (headers: {', '.join(header)}); "
            f"map them under facilities[{facility.code}].columns.{kind} in the county config",
        )
    return HeaderPlan(kind, len(header), tuple((i, c) for c, i in keep.items()),
                      tuple(composite.items()), tuple(defaults.items()))


def text_codec(encoding: str) -> str:
    """The codec that reads a file of this encoding: a stray BOM is not part of a header."""
    return "utf-8-sig" if encoding == "utf-8" else encoding


def file_encoding(path: Path, facility: Facility) -> str:
    return facility.encoding if facility.encoding != "auto" else detect_encoding(path)


class CsvReader:
    format = "csv"

    def __init__(self) -> None:
        self._encoding: str | None = None

    @property
    def detected_encoding(self) -> str | None:
        return self._encoding

    def read(self, path: Path, *, kind: str, facility: Facility) -> Iterator[Item]:
        if kind not in TABLES:
            raise FileRejected("unknown_kind", f"'{kind}' is not a canonical table")
        enc = self._encoding = file_encoding(path, facility)
        codec = text_codec(enc)

        if (enc == "utf-8" and facility.encoding == "auto") or _decodes(path, codec):
            # the whole file decodes: let the C codec and csv module stream it
            with path.open(encoding=codec, newline="") as text:
                reader = csv.reader(text, strict=False)
                yield from self._records(reader, lambda: reader.line_num, None, kind,
                                         facility)
            return
        state: dict = {"line": 0, "bad": None}

        def lines() -> Iterator[str]:
            with path.open("rb") as fh:
                for raw in fh:
                    state["line"] += 1
                    try:
                        text = raw.decode(codec)
                    except UnicodeDecodeError as exc:
                        state["bad"] = (state["line"], raw, exc)
                        continue
                    yield text

        yield from self._records(csv.reader(lines(), strict=False), lambda: state["line"],
                                 state, kind, facility)

    def _records(self, rows, line: Callable[[], int], state: dict | None, kind: str,
                 facility: Facility) -> Iterator[Item]:
        """Items from a csv reader; `line()` is the last physical line read; `state["bad"]`
        (line-by-line decoding only) holds a line that did not decode."""
        state = state if state is not None else {"bad": None}
        try:
            header = next(rows)
        except StopIteration as exc:
            raise FileRejected("empty_file", "the file has no header line") from exc
        except csv.Error as exc:
            raise FileRejected("bad_header", f"the header line is not CSV: {exc}") from exc
        plan = header_plan(header, kind, facility)
        start = line() + 1
        while True:
            try:
                fields = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:
                yield Item(start, kind, None, "", "bad_csv", f"not readable as CSV: {exc}")
                start = line() + 1
                continue
            if state["bad"] is not None:
                yield self._undecodable(kind, *state["bad"])
                state["bad"] = None
            item = plan.item(start, fields)
            if item is not None:
                yield item
            start = line() + 1
        if state["bad"] is not None:
            yield self._undecodable(kind, *state["bad"])

    def _undecodable(self, kind: str, line_no: int, raw: bytes, exc: UnicodeDecodeError
                     ) -> Item:
        return Item(line_no, kind, None, raw.decode(self._encoding, "replace"),
                    "bad_encoding", f"line is not valid {self._encoding}: {exc.reason}")
