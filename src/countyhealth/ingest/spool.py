"""Rows on their way into the warehouse, spooled per target table and sent with COPY.

One file can feed several tables (an HL7 message gives a patient, an encounter and its
diagnoses) and a connection runs one COPY at a time, so rows are spooled to a temporary
file per table (in memory up to 8 MiB, then on disk: memory stays flat whatever the file
size) and each spool is streamed with one COPY ... FORMAT csv when the file is read.
Values never reach SQL text: COPY carries them as data.
"""

from __future__ import annotations

import csv
import tempfile
from typing import IO, Any

import psycopg

_MEMORY = 8 << 20


class Spool:
    def __init__(self) -> None:
        self._files: dict[tuple[str, tuple[str, ...]], IO[str]] = {}
        self._writers: dict[tuple[str, tuple[str, ...]], Any] = {}

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        key = (table, columns)
        writer = self._writers.get(key)
        if writer is None:
            fh = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed in flush()/close()
                max_size=_MEMORY, mode="w+", newline="", encoding="utf-8")
            self._files[key] = fh
            writer = self._writers[key] = csv.writer(fh)
        # None -> unquoted empty field, which COPY csv reads as NULL; text is never empty
        writer.writerow(row)

    def flush(self, conn: psycopg.Connection) -> None:
        with conn.cursor() as cur:
            for (table, columns), fh in self._files.items():
                fh.seek(0)
                with cur.copy(f"copy {table} ({', '.join(columns)}) from stdin "
                              "with (format csv)") as copy:
                    while data := fh.read(1 << 20):
                        copy.write(data)
        self.close()

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()
        self._writers.clear()
