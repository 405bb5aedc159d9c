"""The one loader: every format's rows go into `raw.*` with COPY, bad rows to quarantine.

Guarantees (DESIGN.md, ingest):
- idempotent: a file whose sha256 is in the ledger is never loaded again;
- nothing lost: for every file, rows read = rows loaded + rows quarantined, stored in
  `ingest.files` (a CHECK constraint enforces it);
- all or nothing per delivery: one transaction per facility-night, so a delivery whose counts
  disagree with its manifest is rolled back whole and recorded as held.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from countyhealth.config import CountyConfig, Facility
from countyhealth.ingest.csv_copy import bulk_load
from countyhealth.ingest.manifest import (
    MANIFEST,
    DeliveryHeld,
    Manifest,
    ManifestFile,
    read_manifest,
    sha256_of,
    verify_checksums,
)
from countyhealth.ingest.readers import FileRejected, reader_for
from countyhealth.ingest.rows import check_row
from countyhealth.ingest.spool import Spool
from countyhealth.ingest.tables import LINEAGE_COLUMNS, TABLES, warehouse_ddl

log = logging.getLogger(__name__)

REJECT_COLUMNS = ("batch_id", "file_id", "facility_code", "export_date", "file_name",
                  "position", "target_table", "reason_code", "message", "original")


@dataclass
class FileResult:
    name: str
    kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    skipped: bool = False


@dataclass
class DeliveryResult:
    facility: str
    status: str  # loaded | held | missing | nothing_new | empty
    reason: str | None = None
    files: list[FileResult] = field(default_factory=list)


@dataclass
class NightResult:
    export_date: dt.date
    batch_id: int
    deliveries: list[DeliveryResult] = field(default_factory=list)
    # deliveries of earlier nights that were missing or held then and came in since
    late: list[tuple[dt.date, DeliveryResult]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for d in self.deliveries if d.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for d in self.deliveries for f in d.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for d in self.deliveries for f in d.files)


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create the ingest, raw and pii tables, the person-key secret once, and the
    extensions the nightly models use where the server has them."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('chw_ingest_ddl'))")
        conn.execute(warehouse_ddl())
        if conn.execute("select count(*) from pii.pseudonym_secret").fetchone()[0] == 0:
            conn.execute("insert into pii.pseudonym_secret (secret) values (%s)",
                         (secrets.token_hex(32),))
        ensure_optional_extensions(conn)


# PostgreSQL's contrib extensions the models use when present, none of them required:
# pg_prewarm reads a hash key's index in order before a night probes it at random
# (dbt_project/macros/hashed_keys.sql, warm_hashed_key)
OPTIONAL_EXTENSIONS = ("pg_prewarm",)


def ensure_optional_extensions(conn: psycopg.Connection,
                               names: tuple[str, ...] = OPTIONAL_EXTENSIONS) -> list[str]:
    """Create each optional extension the server ships and the role may create; the ones
    it cannot are logged and left out (the models then do without). Returns the missing."""
    missing = []
    for name in names:
        try:
            with conn.transaction():
                conn.execute(psycopg.sql.SQL("create extension if not exists {}").format(
                    psycopg.sql.Identifier(name)))
        except psycopg.Error as e:
            log.info("extension %s not created (%s): the models do without it", name,
                     str(e).strip().splitlines()[0])
            missing.append(name)
    return missing


def sync_facilities(conn: psycopg.Connection, config: CountyConfig) -> None:
    """The facility register follows the config (reference data, replaced each run)."""
    with conn.transaction():
        conn.execute("delete from ingest.facilities")
        with conn.cursor().copy(
            "copy ingest.facilities (facility_code, facility_name, facility_level, "
            "township_code, source_format, is_primary_care, county_code) from stdin"
        ) as copy:
            for f in config.facilities:
                copy.write_row((f.code, f.name, f.level, f.township, f.format,
                                f.is_primary_care, config.county.code))


def delivery_folder(landing: Path, facility: str, export_date: dt.date) -> Path:
    return landing / facility / export_date.isoformat()


def _load_file(
    conn: psycopg.Connection, folder: Path, mf: ManifestFile, sha: str, facility: Facility,
    export_date: dt.date, batch_id: int,
) -> FileResult:
    result = FileResult(mf.name, mf.kind)
    reader = reader_for(mf.format)
    if mf.format == "csv" and mf.kind not in TABLES:
        raise FileRejected("unknown_kind", f"{mf.name}: kind '{mf.kind}' is not a canonical table")
    file_id = conn.execute(
        "insert into ingest.files (sha256, facility_code, export_date, file_name, kind, format, "
        "rows_manifest, records_read, rows_read, rows_loaded, rows_rejected, batch_id) "
        "values (%s,%s,%s,%s,%s,%s,%s,0,0,0,0,%s) returning file_id",
        (sha, facility.code, export_date, mf.name, mf.kind, mf.format, mf.rows, batch_id),
    ).fetchone()[0]
    lineage = (batch_id, file_id, facility.code, export_date)
    path = folder / mf.name
    # well-formed CSV loads set-based; what it leaves (and every other file) goes row by row
    bulk = (bulk_load(conn, path, kind=mf.kind, facility=facility, export_date=export_date,
                      lineage=lineage, file_id=file_id) if mf.format == "csv" else None)
    if bulk is not None:
        result.rows_read = result.rows_loaded = records = bulk.rows_loaded
        items, encoding = bulk.remainder, bulk.encoding
    else:
        records = 0
        items = reader.read(path, kind=mf.kind, facility=facility)
    spool = Spool()
    last_position = None
    try:
        for item in items:
            result.rows_read += 1
            if item.position != last_position:
                records, last_position = records + 1, item.position
            table = TABLES.get(item.table)
            row, why = (check_row(table, item.values, export_date)
                        if table is not None and item.values is not None else (None, None))
            if row is not None:
                spool.add(f"raw.{table.name}", (*table.columns, *LINEAGE_COLUMNS),
                          (*row, *lineage, item.position))
                result.rows_loaded += 1
                continue
            code = why.code if why else (item.reject_code or "unreadable")
            message = why.message if why else (item.message or "record could not be read")
            spool.add("ingest.rejected", REJECT_COLUMNS,
                      (batch_id, file_id, facility.code, export_date, mf.name, item.position,
                       table.name if table else None, code, _printable(message),
                       _printable(item.original)))
            result.rows_rejected += 1
        if (bulk.sha256 if bulk is not None else sha256_of(path)) != sha:
            raise DeliveryHeld(f"{mf.name} changed while it was being read: the delivery is "
                               "held until it is stable (its manifest's sha256 must match)")
        spool.flush(conn)
    finally:
        spool.close()
    conn.execute(
        "update ingest.files set records_read=%s, rows_read=%s, rows_loaded=%s, "
        "rows_rejected=%s, encoding=%s where file_id=%s",
        (records, result.rows_read, result.rows_loaded, result.rows_rejected,
         encoding if bulk is not None else reader.detected_encoding, file_id),
    )
    if records != mf.rows:
        raise DeliveryHeld(
            f"{mf.name}: the manifest says {mf.rows} records, the file holds {records}")
    return result


def _printable(text: str | None) -> str | None:
    """Original text for the quarantine: NUL bytes cannot be stored in text, and one huge
    line should not become one huge row."""
    if text is None:
        return None
    return text.replace("\x00", "\\0")[:100_000]


def _record_delivery(conn: psycopg.Connection, d: DeliveryResult, export_date: dt.date,
                     batch_id: int) -> None:
    with conn.transaction():
        conn.execute(
            "insert into ingest.deliveries (facility_code, export_date, status, reason, batch_id) "
            "values (%s,%s,%s,%s,%s) on conflict (facility_code, export_date) do update set "
            "status = case when excluded.status = 'nothing_new' and ingest.deliveries.status = "
            "'loaded' then 'loaded' else excluded.status end, reason = excluded.reason, "
            "batch_id = excluded.batch_id, checked_at = now()",
            (d.facility, export_date, d.status, _printable(d.reason), batch_id),
        )


def ingest_delivery(conn: psycopg.Connection, landing: Path, facility: Facility,
                    export_date: dt.date, batch_id: int) -> DeliveryResult:
    folder = delivery_folder(landing, facility.code, export_date)
    if not (folder / MANIFEST).is_file():
        return DeliveryResult(facility.code, "missing",
                              f"no {MANIFEST} in {folder} yet: the delivery is not complete")
    result = DeliveryResult(facility.code, "nothing_new")
    try:
        manifest: Manifest = read_manifest(folder, facility.code, export_date)
        sums = verify_checksums(folder, manifest)
        if not manifest.files:
            return DeliveryResult(facility.code, "empty", "the manifest lists no files")
        with conn.transaction():
            for mf in manifest.files:
                sha = sums[mf.name]
                seen = conn.execute("select file_id from ingest.files where sha256 = %s",
                                    (sha,)).fetchone()
                if seen:
                    result.files.append(FileResult(mf.name, mf.kind, skipped=True))
                    continue
                try:
                    result.files.append(
                        _load_file(conn, folder, mf, sha, facility, export_date, batch_id))
                except FileRejected as exc:
                    raise DeliveryHeld(f"{mf.name}: {exc.message} [{exc.code}]") from exc
            if any(not f.skipped for f in result.files):
                result.status = "loaded"
    except DeliveryHeld as exc:
        log.warning("holding delivery %s/%s: %s", facility.code, export_date, exc)
        return DeliveryResult(facility.code, "held", str(exc))
    return result


LATE_WINDOW_DAYS = 31  # how far back a run looks for deliveries that came in late


def catch_up(conn: psycopg.Connection, config: CountyConfig, landing: Path,
             export_date: dt.date, batch_id: int) -> list[tuple[dt.date, DeliveryResult]]:
    """Deliveries of the last LATE_WINDOW_DAYS nights that were missing or held when their
    night ran: each is tried again, and loaded (under its own night, in this run's batch)
    once its manifest is there and its files match it. Downstream, the night's batch brings
    them into ehr and every indicator they touch; the report keeps the gap visible."""
    overdue = conn.execute(
        "select facility_code, export_date from ingest.deliveries where status in "
        "('missing', 'held') and export_date < %s and export_date >= %s "
        "order by export_date, facility_code",
        (export_date, export_date - dt.timedelta(days=LATE_WINDOW_DAYS))).fetchall()
    codes = set(config.facility_codes())
    late = []
    for code, night in overdue:
        if code not in codes:
            continue
        d = ingest_delivery(conn, landing, config.facility(code), night, batch_id)
        if d.status in ("missing", "held"):
            continue  # still not there: its record stays as it was
        d.reason = f"late: arrived after the run of {night}; loaded by the run of {export_date}"
        _record_delivery(conn, d, night, batch_id)
        late.append((night, d))
        log.info("late delivery %s/%s: %s", code, night, d.status)
    return late


def ingest_night(conn: psycopg.Connection, config: CountyConfig, landing: Path,
                 export_date: dt.date) -> NightResult:
    """Load every complete delivery of one export night. Safe to run again: loads nothing twice."""
    ensure_schema(conn)
    sync_facilities(conn, config)
    with conn.transaction():
        batch_id = conn.execute("insert into ingest.runs (export_date) values (%s) "
                                "returning batch_id", (export_date,)).fetchone()[0]
    night = NightResult(export_date, batch_id)
    for facility in config.facilities:
        d = ingest_delivery(conn, landing, facility, export_date, batch_id)
        _record_delivery(conn, d, export_date, batch_id)
        night.deliveries.append(d)
    night.late = catch_up(conn, config, landing, export_date, batch_id)
    with conn.transaction():
        conn.execute("update ingest.runs set finished_at = now(), status = 'done' "
                     "where batch_id = %s", (batch_id,))
    return night
