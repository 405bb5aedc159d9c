"""The optional extensions, with real dbt on the real PostgreSQL: the first ingest creates
pg_prewarm where it can, and a night's incremental models keyed by an md5 (which warm
their key's hash index with it) build the same without it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from countyhealth.dbt_group import run_dbt
from countyhealth.ingest.loader import ensure_optional_extensions, ensure_schema

from ..raw_rows import load_rows as _load
from ..raw_rows import outpatient_visit as _encounter

NIGHT = dt.date(2026, 3, 1)


def _extensions(conn: psycopg.Connection) -> set[str]:
    return {name for (name,) in conn.execute("select extname from pg_extension")}


def test_an_extension_the_server_lacks_is_left_out_and_the_rest_created(fresh_db):
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        assert "pg_prewarm" in _extensions(conn)
        conn.execute("drop extension pg_prewarm")
        with conn.transaction():  # as ensure_schema calls it: inside its transaction
            missing = ensure_optional_extensions(conn, ("no_such_extension", "pg_prewarm"))
            assert conn.execute("select 1").fetchone() == (1,)  # still usable
        assert missing == ["no_such_extension"]
        assert "pg_prewarm" in _extensions(conn)


def test_incremental_runs_warm_their_keys_and_build_the_same_without_the_extension(
        fresh_db, tmp_path: Path):
    selection = ["--select", "+encounter", "+indicator_visits__cells"]

    def build(n: int) -> dict[str, list[tuple]]:
        done = run_dbt(["build", *selection], fresh_db, tmp_path / f"n{n}")
        assert done.returncode == 0, done.stdout[-4000:]
        with psycopg.connect(fresh_db) as conn:
            return {table: conn.execute(f"select * from {table} order by 1").fetchall()
                    for table in ("chw_intermediate.int_encounters__latest",
                                  "ehr__candidate.encounter",
                                  "quality__candidate.indicator_visits")}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "encounters", [_encounter("e1", "1", "2026-03-01 09:00")], NIGHT, batch=1)
        conn.commit()
    build(1)
    for night, with_extension in ((2, True), (3, False)):
        with psycopg.connect(fresh_db) as conn:
            if not with_extension:
                conn.execute("drop extension pg_prewarm")
            _load(conn, "encounters", [_encounter(f"e{night}", "1", f"2026-03-0{night} 09:00"),
                                       _encounter("e1", "2", f"2026-03-0{night} 10:00")],
                  NIGHT + dt.timedelta(days=night - 1), batch=night)
            conn.commit()
        rows = build(night)
        assert [len(rows[t]) for t in rows] == [night, night, night], rows
