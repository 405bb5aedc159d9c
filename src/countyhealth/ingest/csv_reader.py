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


def detect_encoding(path: Path) -> str:
    """BOM, then strict UTF-8 over the whole file (streamed), else GB18030."""
    with path.open("rb") as fh:
        head = fh.read(3)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


class CsvReader:
    format = "csv"

    def __init__(self) -> None:
        self._encoding: str | None = None

    @property
    def detected_encoding(self) -> str | None:
        return self._encoding

    def _header_map(self, header: list[str], kind: str, facility: Facility
                    ) -> tuple[list[str | None], dict[str, list[int]]]:
        """Map each file header to its canonical column (None = a column we do not keep),
        plus composite columns: a configured value "A+B" joins headers A and B with '|'
        (for exports whose rows have no single id, e.g. ENCOUNTER+CODE)."""
        table = TABLES[kind]
        configured = facility.columns.get(kind, {})
        names = [h.strip().lstrip("\ufeff") for h in header]
        by_header = {h.strip(): c for c, h in configured.items()}
        composite: dict[str, list[int]] = {}
        for column, spec in configured.items():
            parts = [p.strip() for p in spec.split("+")]
            if spec.strip() not in names and len(parts) > 1 and all(p in names for p in parts):
                composite[column] = [names.index(p) for p in parts]
        mapped: list[str | None] = []
        for name in names:
            if name in by_header:
                mapped.append(by_header[name])
            elif name in table.columns and name not in configured:
                mapped.append(name)
            else:
                mapped.append(None)
        present = set(mapped) | set(composite) | set(facility.defaults.get(kind, {}))
        missing = [c for c in table.required if c not in present]
        if missing:
            raise FileRejected(
                "missing_columns",
                f"{kind}: no column for {', '.join(missing)} (headers: {', '.join(header)}); "
                f"map them under facilities[{facility.code}].columns.{kind} in the county config",
            )
        return mapped, composite

    def read(self, path: Path, *, kind: str, facility: Facility) -> Iterator[Item]:
        if kind not in TABLES:
            raise FileRejected("unknown_kind", f"'{kind}' is not a canonical table")
        enc = facility.encoding if facility.encoding != "auto" else detect_encoding(path)
        self._encoding = enc
        codec = "utf-8-sig" if enc == "utf-8" else enc  # a stray BOM is not part of a header

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
        columns, composite = self._header_map(header, kind, facility)
        defaults = facility.defaults.get(kind, {})
        keep = [(i, c) for i, c in enumerate(columns) if c]
        width = len(header)
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
                line_no, raw, exc = state["bad"]
                state["bad"] = None
                yield Item(line_no, kind, None, raw.decode(self._encoding, "replace"),
                           "bad_encoding", f"line is not valid {self._encoding}: {exc.reason}")
            original = ",".join(fields)
            if not fields or all(not f.strip() for f in fields):
                start = line() + 1
                continue  # blank lines are not records
            if len(fields) != width:
                yield Item(start, kind, None, original, "bad_field_count",
                           f"{len(fields)} fields where the header has {width}")
            else:
                values = {c: fields[i] for i, c in keep}
                if defaults:
                    values = {**defaults, **values}
                for column, idx in composite.items():
                    values[column] = "|".join(fields[i] for i in idx)
                yield Item(start, kind, values, original)
            start = line() + 1
        if state["bad"] is not None:
            line_no, raw, exc = state["bad"]
            yield Item(line_no, kind, None, raw.decode(self._encoding, "replace"),
                       "bad_encoding", f"line is not valid {self._encoding}: {exc.reason}")
