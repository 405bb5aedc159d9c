"""Ingest against the real embedded PostgreSQL: idempotency, quarantine, held deliveries."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import psycopg
import pytest

from countyhealth.config import load_config
from countyhealth.ingest import ingest_night
from countyhealth.ingest.tables import TABLES
from countyhealth.report import ingest_table
from countyhealth.synth import DefectRates, generate

NIGHT1, NIGHT2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)


@pytest.fixture()
def county(tmp_path: Path):
    return generate(tmp_path / "county", population=1500, days=2, seed=7, townships=2,
                    villages_per_township=2, hospital_format="csv",
                    defects=DefectRates(late_deliveries=0, truncated_files=0))


def _rewrite(folder: Path, name: str, data: bytes, fix_manifest: bool = True,
             rows: int | None = None) -> None:
    (folder / name).write_bytes(data)
    if fix_manifest:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for f in m["files"]:
            if f["name"] == name:
                f["sha256"] = hashlib.sha256(data).hexdigest()
                if rows is not None:
                    f["rows"] = rows
        (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def _raw_rows(conn) -> int:
    return sum(_count(conn, f"select count(*) from raw.{t}") for t in TABLES)


def _count(conn, sql: str, *args):
    return conn.execute(sql, args).fetchone()[0]


def test_rerun_loads_nothing_twice_and_every_row_is_accounted_for(county, fresh_db):
    cfg = load_config(county.config_path)
    with psycopg.connect(fresh_db) as conn:
        first = ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
        raw_after_first = _raw_rows(conn)
        again = ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
        assert again.rows_loaded == 0
        assert again.count("nothing_new") + again.count("empty") == len(cfg.facilities)
        assert raw_after_first == first.rows_loaded
        assert _raw_rows(conn) == raw_after_first
        # read = loaded + quarantined, per file, and equal to the manifest's count
        bad = conn.execute("select file_name from ingest.files where rows_read <> rows_manifest "
                           "or rows_read <> rows_loaded + rows_rejected").fetchall()
        assert bad == []
        manifest_rows = 0
        for code in cfg.facility_codes():
            m = json.loads((county.landing / code / NIGHT1.isoformat() / "manifest.json")
                           .read_text(encoding="utf-8"))
            manifest_rows += sum(f["rows"] for f in m["files"])
        assert first.rows_loaded + first.rows_rejected == manifest_rows


def test_bad_rows_are_quarantined_with_reason_and_original(county, fresh_db):
    folder = county.landing / "V0101" / NIGHT1.isoformat()
    text = (folder / "encounters.csv").read_text(encoding="utf-8").splitlines()
    header = text[0]
    extra = ["Q1,V0101P999999,outpatient,全科,20260301080000,,,1.00,20260301083000,7",
             "Q2,V0101P999999,outpatient,全科,2026-13-45,,,1.00,20260301083000,1",
             "Q3,V0101P999999,outpatient,全科,'; drop table raw.encounters; --,,,1.00,"
             "20260301083000,1",
             "Q4,too,few"]
    lines = [header, *text[1:], *extra]
    _rewrite(folder, "encounters.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8"),
             rows=len(lines) - 1)
    cfg = load_config(county.config_path)
    with psycopg.connect(fresh_db) as conn:
        ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
        rows = conn.execute(
            "select position, reason_code, original from ingest.rejected "
            "where facility_code = 'V0101' and original like 'Q%' order by position").fetchall()
        assert [r[1] for r in rows] == ["bad_change_flag", "bad_date", "bad_date",
                                        "bad_field_count"]
        assert rows[0][0] == len(text) + 1  # line number in the file (header is line 1)
        assert rows[2][2].startswith("Q3,") and "drop table" in rows[2][2]
        assert _count(conn, "select count(*) from raw.encounters") > 0  # the table survived
        files = conn.execute("select rows_read, rows_loaded, rows_rejected from ingest.files "
                             "where facility_code='V0101' and kind='encounters'").fetchone()
        assert files[0] == files[1] + files[2] and files[2] >= 4


def test_counts_that_disagree_hold_the_whole_delivery(county, fresh_db):
    folder = county.landing / "H001" / NIGHT2.isoformat()
    data = (folder / "encounters.csv").read_bytes()
    truncated = data[: data.rfind(b"\r\n", 0, len(data) - 2) + 2]  # last record cut off
    _rewrite(folder, "encounters.csv", truncated)  # manifest keeps the old row count
    cfg = load_config(county.config_path)
    with psycopg.connect(fresh_db) as conn:
        night = ingest_night(conn, cfg, county.landing, NIGHT2)
        conn.commit()
        held = {d.facility: d for d in night.deliveries}["H001"]
        assert held.status == "held" and "manifest says" in held.reason
        assert _count(conn, "select count(*) from raw.patients where _facility='H001'") == 0
        assert _count(conn, "select count(*) from ingest.files where facility_code='H001'") == 0
        assert _count(conn, "select status from ingest.deliveries where facility_code='H001'") \
            == "held"
        # the other facilities of the night are not blocked
        assert night.count("loaded") + night.count("empty") == len(cfg.facilities) - 1


def test_checksum_mismatch_and_missing_manifest(county, fresh_db):
    folder = county.landing / "T001" / NIGHT1.isoformat()
    (folder / "patients.csv").write_bytes((folder / "patients.csv").read_bytes() + b"\r\n")
    (county.landing / "V0102" / NIGHT1.isoformat() / "manifest.json").unlink()
    cfg = load_config(county.config_path)
    with psycopg.connect(fresh_db) as conn:
        night = ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
    by = {d.facility: d for d in night.deliveries}
    assert by["T001"].status == "held" and "sha256" in by["T001"].reason
    assert by["V0102"].status == "missing"


def test_changed_file_with_same_name_loads_as_new_version(county, fresh_db):
    cfg = load_config(county.config_path)
    folder = county.landing / "V0101" / NIGHT1.isoformat()
    with psycopg.connect(fresh_db) as conn:
        ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
        before = _count(conn, "select count(*) from raw.encounters where _facility='V0101'")
        data = (folder / "encounters.csv").read_bytes()
        new_row = "R1,V0101P000001,outpatient,全科,20260301100000,,,5.00,20260301103000,1\r\n"
        data += new_row.encode()
        original_rows = json.loads((folder / "manifest.json").read_text())["files"]
        rows = next(f["rows"] for f in original_rows if f["name"] == "encounters.csv") + 1
        _rewrite(folder, "encounters.csv", data, rows=rows)
        ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
        after = _count(conn, "select count(*) from raw.encounters where _facility='V0101'")
        assert after == before + rows  # the new version is loaded whole, next to the old
        versions = _count(conn, "select count(*) from ingest.files where facility_code='V0101' "
                          "and kind='encounters'")
        assert versions == 2


def test_path_traversal_in_manifest_is_refused(county, fresh_db):
    folder = county.landing / "V0101" / NIGHT1.isoformat()
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    m["files"][0]["name"] = "../../../../etc/passwd"
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    cfg = load_config(county.config_path)
    with psycopg.connect(fresh_db) as conn:
        night = ingest_night(conn, cfg, county.landing, NIGHT1)
        conn.commit()
    held = {d.facility: d for d in night.deliveries}["V0101"]
    assert held.status == "held" and "not allowed" in held.reason


def test_the_text_reports_deliveries_add_up_to_each_nights_ingest(county, fresh_db):
    """The text report's delivery table (one row per night, from the ledgers) says what
    each night's ingest did: deliveries taken, rows loaded, rows quarantined."""
    folder = county.landing / "V0101" / NIGHT2.isoformat()  # two bad rows on the second
    text = (folder / "encounters.csv").read_text(encoding="utf-8").splitlines()
    lines = [*text, "Q1,V0101P999999,outpatient,全科,2026-13-45,,,1.00,20260302083000,1",
             "Q2,too,few"]
    _rewrite(folder, "encounters.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8"),
             rows=len(lines) - 1)
    cfg = load_config(county.config_path)
    results = {}
    with psycopg.connect(fresh_db) as conn:
        for night in (NIGHT1, NIGHT2):
            results[night] = ingest_night(conn, cfg, county.landing, night)
            conn.commit()
    table = ingest_table(fresh_db)
    rows = list(zip(*(column.cells for column in table.columns), strict=True))
    assert [r[0] for r in rows] == [NIGHT1.isoformat(), NIGHT2.isoformat()]
    for night, delivered, _missing, loaded, quarantined in rows:
        result = results[dt.date.fromisoformat(night)]
        taken = sum(result.count(s) for s in ("loaded", "nothing_new", "empty"))
        assert (delivered, loaded, quarantined) == (
            str(taken), f"{result.rows_loaded:,}", f"{result.rows_rejected:,}"), night
    assert results[NIGHT2].rows_rejected >= 2 and results[NIGHT1].rows_loaded > 0
