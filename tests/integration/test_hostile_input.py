"""Hostile input: each ends as a clear quarantine or a clear error for that one delivery,
never a crashed run, never text reaching SQL unescaped."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import psycopg
import pytest

from countyhealth.config import parse_config
from countyhealth.ingest import csv_copy, ingest_night, loader

NIGHT = dt.date(2026, 3, 1)
HEADER = "record_id,patient_id,encounter_class,start_time,updated_at,change_flag\n"
GOOD = "E1,P1,outpatient,2026-03-01 08:00,2026-03-01 09:00,1\n"


def _config(fmt: str = "csv"):
    return parse_config({"county": {"code": "370322", "name": "t"},
                         "facilities": [{"code": "F1", "name": "f", "level": "village_clinic",
                                         "format": fmt}]})


def _deliver(landing: Path, name: str, data: bytes, fmt: str, kind: str, rows: int) -> Path:
    folder = landing / "F1" / NIGHT.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    (folder / "manifest.json").write_text(json.dumps({
        "facility": "F1", "export_date": NIGHT.isoformat(),
        "files": [{"name": name, "format": fmt, "kind": kind, "rows": rows,
                   "sha256": hashlib.sha256(data).hexdigest()}]}), encoding="utf-8")
    return folder / name


def _run(url: str, landing: Path, fmt: str = "csv"):
    with psycopg.connect(url) as conn:
        night = ingest_night(conn, _config(fmt), landing, NIGHT)
        conn.commit()
        reasons = dict(conn.execute("select reason_code, count(*) from ingest.rejected "
                                    "group by 1").fetchall())
    return night.deliveries[0], reasons


def test_a_line_of_hundreds_of_megabytes(tmp_path: Path, fresh_db):
    huge = "E2,P1,outpatient," + "x" * (200 << 20) + ",2026-03-01 09:00,1\n"
    _deliver(tmp_path, "e.csv", (HEADER + GOOD + huge + GOOD.replace("E1", "E3")).encode(),
             "csv", "encounters", 3)
    delivery, reasons = _run(fresh_db, tmp_path)
    assert delivery.status == "loaded"
    assert sum(reasons.values()) == 1 and ("bad_csv" in reasons or "bad_date" in reasons)
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from raw.encounters").fetchone()[0] == 2
        longest = conn.execute("select max(length(original)) from ingest.rejected"
                               ).fetchone()[0]
    assert longest is None or longest <= 100_000


def test_binary_garbage_is_refused_with_a_reason(tmp_path: Path, fresh_db):
    garbage = bytes(range(256)) * 4000
    _deliver(tmp_path, "e.csv", garbage, "csv", "encounters", 10)
    delivery, _ = _run(fresh_db, tmp_path)
    assert delivery.status == "held" and delivery.reason


def test_sql_looking_text_is_data(tmp_path: Path, fresh_db):
    evil = "'); drop table raw.encounters; --"
    row = f'"{evil}",P1,outpatient,2026-03-01 08:00,2026-03-01 09:00,1\n'
    _deliver(tmp_path, "e.csv", (HEADER + row).encode(), "csv", "encounters", 1)
    delivery, _ = _run(fresh_db, tmp_path)
    assert delivery.status == "loaded"
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select record_id from raw.encounters").fetchone()[0] == evil


def test_hl7_with_odd_delimiters(tmp_path: Path, fresh_db):
    # MSH declares '#' as field separator and '$' as component separator
    msg = ("MSH#$~\\&#HIS#F1#CHW#370322#20260301090000##ADT$A04$ADT_A01#C1#P#2.5\r"
           "EVN#A04#20260301090000\r"
           "PID#1##P9$$$F1$PI~110105194912310029$$$CHN$NNCHN##张三##19491231#F\r"
           "PV1#1#O#全科" + "#" * 16 + "V9" + "#" * 25 + "20260301083000\r")
    _deliver(tmp_path, "adt.hl7", msg.encode(), "hl7v2", "messages", 1)
    delivery, reasons = _run(fresh_db, tmp_path, "hl7v2")
    assert delivery.status == "loaded", delivery.reason
    with psycopg.connect(fresh_db) as conn:
        patient = conn.execute("select record_id, id_number, name from raw.patients").fetchone()
        visit = conn.execute("select record_id, start_time from raw.encounters").fetchone()
    assert patient == ("P9", "110105194912310029", "张三")
    assert visit == ("V9", "2026-03-01 08:30:00")
    assert reasons == {}


def test_deeply_nested_json(tmp_path: Path, fresh_db):
    nested = '{"resourceType": "Patient", "id": "x", "extension": ' + "[" * 100_000 + \
        "]" * 100_000 + "}\n"
    ok = json.dumps({"resourceType": "Patient", "id": "p1", "gender": "female",
                     "meta": {"lastUpdated": "2026-03-01T08:00:00+08:00"}}) + "\n"
    _deliver(tmp_path, "r.ndjson", (nested + ok).encode(), "fhir-r4", "resources", 2)
    delivery, reasons = _run(fresh_db, tmp_path, "fhir-r4")
    assert delivery.status == "loaded"
    assert reasons == {"fhir_unreadable": 1}


def test_a_file_that_changes_while_being_read_row_path(tmp_path: Path, fresh_db, monkeypatch):
    path = _deliver(tmp_path, "e.csv", (HEADER + GOOD).encode(), "csv", "encounters", 1)
    real = loader.reader_for

    class Appending:
        """The real CSV reader; the sender appends to the file after the first record."""

        def __init__(self, fmt: str) -> None:
            self.inner = real(fmt)
            self.detected_encoding = None

        def read(self, p, **kw):
            for n, item in enumerate(self.inner.read(p, **kw)):
                if n == 0:
                    with path.open("ab") as fh:
                        fh.write(GOOD.replace("E1", "E7").encode())
                yield item

    monkeypatch.setattr(loader, "bulk_load", lambda *a, **kw: None)
    monkeypatch.setattr(loader, "reader_for", Appending)
    delivery, _ = _run(fresh_db, tmp_path)
    assert delivery.status == "held" and "changed while" in delivery.reason
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from raw.encounters").fetchone()[0] == 0


def test_a_file_that_changes_while_being_read_bulk_path(tmp_path: Path, fresh_db, monkeypatch):
    """The set-based path hashes the bytes it sends: one appended mid-stream holds it."""
    path = _deliver(tmp_path, "e.csv", (HEADER + GOOD).encode(), "csv", "encounters", 1)
    real = csv_copy.needs_trim

    def appending(chunk: bytes) -> bool:
        if not appending.done:
            appending.done = True
            with path.open("ab") as fh:
                fh.write(GOOD.replace("E1", "E7").encode())
        return real(chunk)

    appending.done = False
    monkeypatch.setattr(csv_copy, "_CHUNK", 16)
    monkeypatch.setattr(csv_copy, "MIN_BYTES", 0)
    monkeypatch.setattr(csv_copy, "needs_trim", appending)
    delivery, _ = _run(fresh_db, tmp_path)
    assert appending.done
    assert delivery.status == "held" and "changed while" in delivery.reason
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from raw.encounters").fetchone()[0] == 0


@pytest.mark.parametrize("name", ["../x.csv", "/etc/passwd", ".hidden", "a/b.csv", "a\\b.csv"])
def test_file_names_that_leave_the_folder_are_refused(tmp_path: Path, fresh_db, name):
    folder = tmp_path / "F1" / NIGHT.isoformat()
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({
        "facility": "F1", "export_date": NIGHT.isoformat(),
        "files": [{"name": name, "format": "csv", "kind": "encounters", "rows": 1,
                   "sha256": "0" * 64}]}), encoding="utf-8")
    delivery, _ = _run(fresh_db, tmp_path)
    assert delivery.status == "held" and "not allowed" in delivery.reason
