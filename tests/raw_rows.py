"""Hand-made rows straight into raw.*, as the loader would leave them (with lineage), for
tests that pin a rule on a few records with real dbt."""

from __future__ import annotations

import datetime as dt

import psycopg

from countyhealth.ingest.tables import LINEAGE_COLUMNS, TABLES


def load_rows(conn: psycopg.Connection, table: str, rows: list[dict], night: dt.date,
              batch: int = 1, facility: str = "T1") -> None:
    """COPY `rows` (canonical column -> text) into raw.`table` as batch `batch` of `night`
    from `facility`; missing columns are NULL."""
    columns = (*TABLES[table].columns, *LINEAGE_COLUMNS)
    conn.execute("insert into ingest.runs (batch_id, export_date) values (%s, %s) "
                 "on conflict do nothing", (batch, night))
    # the ledger's file of the batch (its id the batch's, as in the lineage below): models
    # stamp rows with the newest batch that loaded a file (macro newest_loaded_batch)
    conn.execute("insert into ingest.files (file_id, sha256, facility_code, export_date, "
                 "file_name, kind, format, rows_manifest, rows_read, rows_loaded, "
                 "rows_rejected, batch_id) values (%s, %s, %s, %s, 'hand-made', %s, 'csv', "
                 "0, 0, 0, 0, %s) on conflict do nothing",
                 (batch, f"hand-made-{batch}", facility, night, table, batch))
    with conn.cursor().copy(f"copy raw.{table} ({', '.join(columns)}) from stdin") as copy:
        for position, row in enumerate(rows, start=2):
            full = {**dict.fromkeys(TABLES[table].columns), **row}
            copy.write_row((*(full[c] for c in TABLES[table].columns), batch, batch,
                            facility, night, position))


def outpatient_visit(record_id: str, flag: str, updated: str) -> dict:
    """raw.encounters' row of an outpatient visit of patient p1 on 2026-03-01 (`flag`: the
    change flag, 1 new, 2 corrected, 3 cancelled)."""
    return {"record_id": record_id, "patient_id": "p1", "encounter_class": "outpatient",
            "start_time": "2026-03-01 08:00:00", "updated_at": updated, "change_flag": flag}
