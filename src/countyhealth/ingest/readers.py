"""The one small interface every format reader implements.

A reader turns one delivered file into a stream of items: either a canonical row (a dict of
canonical column -> text) for a table, or a rejection of one record with its reason and
original text. Readers never touch the database; the loader does that, once, for all formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

from countyhealth.config import Facility


class FileRejected(Exception):
    """The whole file cannot be read (unknown kind, missing columns, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Item(NamedTuple):
    """One record of a file: `values` for a usable row, else `reject_code` + `message`.
    (A NamedTuple: readers make one per row, so it must be cheap.)"""

    position: int  # line, message or resource index in the file (1-based)
    table: str
    values: dict[str, str | None] | None
    original: str
    reject_code: str | None = None
    message: str | None = None


class Reader(Protocol):
    format: str

    def read(self, path: Path, *, kind: str, facility: Facility) -> Iterator[Item]:
        """Yield every record of the file, in order. Raise FileRejected for a whole-file fault."""
        ...

    @property
    def detected_encoding(self) -> str | None:
        """The text encoding used for the last file read, where the format has one."""
        ...


def reader_for(fmt: str) -> Reader:
    from countyhealth.ingest.csv_reader import CsvReader
    from countyhealth.ingest.fhir_reader import FhirReader
    from countyhealth.ingest.hl7_reader import Hl7Reader

    readers: dict[str, type] = {"csv": CsvReader, "hl7v2": Hl7Reader, "fhir-r4": FhirReader}
    if fmt not in readers:
        raise FileRejected("unsupported_format", f"no reader for format '{fmt}' yet")
    return readers[fmt]()
