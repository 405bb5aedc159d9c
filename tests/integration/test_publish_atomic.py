"""Publishing is one transaction: a publisher killed half-way through (its schemas renamed,
its record not yet written) leaves the published ehr and quality exactly as they were, the
validated candidates in place, and the next publish completes. Real PostgreSQL, a real
process killed with SIGKILL."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from countyhealth.publish import publish
from countyhealth.synth import generate

from ..databases import create_database, published_digest
from ..nights import dbt_build, ingest

NIGHTS = [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
PUBLISHER = """
import datetime as dt, sys
import psycopg
from countyhealth.publish import publish
with psycopg.connect(sys.argv[1]) as conn:
    publish(conn, dt.date.fromisoformat(sys.argv[2]))
"""


@pytest.fixture(scope="module")
def ready(tmp_path_factory, server_url) -> str:
    """Night 1 published; night 2 built into the candidates, waiting to be published."""
    work = tmp_path_factory.mktemp("atomic")
    county = generate(work / "county", population=800, days=2, start=NIGHTS[0], seed=4,
                      townships=1, villages_per_township=2)
    url = create_database(server_url)
    for night in NIGHTS:
        ingest(url, county, night)
        dbt_build(url, work, data_tests=False)
        if night == NIGHTS[0]:
            with psycopg.connect(url) as conn:
                publish(conn, night)
    return url


def _waiting_on_lock(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and wait_event_type = 'Lock' and query like 'insert into ingest.publications%%'"
        ).fetchone()[0] > 0


def test_a_publisher_killed_half_way_publishes_nothing(ready):
    before = published_digest(ready)
    blocker = psycopg.connect(ready)
    # the publisher renames every schema, then blocks on its record of the publication
    blocker.execute("lock table ingest.publications in access exclusive mode")
    proc = subprocess.Popen([sys.executable, "-c", PUBLISHER, ready, NIGHTS[1].isoformat()],
                            env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not _waiting_on_lock(ready):
            assert proc.poll() is None and time.monotonic() < deadline, "publisher never blocked"
            time.sleep(0.2)
        with psycopg.connect(ready) as peek:  # half-way: its renames are not visible outside
            assert peek.execute("select count(*) from pg_namespace where nspname in "
                                "('ehr__candidate', 'quality__candidate')").fetchone()[0] == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    deadline = time.monotonic() + 30  # the orphaned backend sees its client gone and aborts
    while _waiting_on_lock(ready) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert published_digest(ready) == before
    with psycopg.connect(ready) as conn:
        schemas = {n for (n,) in conn.execute("select nspname from pg_namespace "
                                              "where nspname like '%%__%%'")}
        published = conn.execute("select max(export_date) from ingest.publications").fetchone()
    assert {"ehr__candidate", "quality__candidate"} <= schemas
    assert not {"ehr__retired", "quality__retired"} & schemas
    assert published == (NIGHTS[0],)
    # and the next publisher completes: night 2 is then what analysts see
    with psycopg.connect(ready) as conn:
        publish(conn, NIGHTS[1])
    assert published_digest(ready) != before


def test_an_upgrade_that_changes_a_table_starts_the_next_candidate_from_a_copy(fresh_db):
    """Recycling keeps the retired schema as the next candidate; after an upgrade changed a
    table's columns the retired one would not fit the incremental models, so the next
    candidate is a copy of what was just published."""
    from countyhealth.ingest.loader import ensure_schema

    def candidates(columns: str) -> None:
        for schema in ("ehr__candidate", "quality__candidate"):
            conn.execute(f"create schema {schema}")
            conn.execute(f"create table {schema}.t ({columns})")
            conn.execute(f"insert into {schema}.t (a) values (1)")

    def candidate_columns() -> list[str]:
        return [c for (c,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = "
            "'quality__candidate' and table_name = 't' order by ordinal_position")]

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        ensure_schema(conn)
        candidates("a int")
        publish(conn, NIGHTS[0])  # first publication: the candidates are copies
        assert candidate_columns() == ["a"]
        conn.execute("drop schema ehr__candidate cascade; drop schema quality__candidate cascade")
        candidates("a int, b int")  # the upgrade's build
        publish(conn, NIGHTS[1])
        assert candidate_columns() == ["a", "b"]  # not the retired ["a"]
        conn.execute("insert into quality.t (a) values (2)")  # published and candidate apart
        assert conn.execute("select count(*) from quality__candidate.t").fetchone() == (1,)
        conn.execute("drop schema ehr__candidate cascade; drop schema quality__candidate cascade")
        candidates("a int, b int")
        publish(conn, NIGHTS[1])  # same tables: the retired schema is recycled
        assert conn.execute("select count(*) from quality__candidate.t").fetchone() == (2,)


def test_an_upgrade_that_adds_or_removes_a_model_still_recycles_the_retired_schema(fresh_db):
    """A model an upgrade added is built in the next candidate by the next run: the retired
    schema is still recycled (its rows kept, no copy). What a removed model left there, a
    table or a view, is dropped, so that it is never published again."""
    from countyhealth.ingest.loader import ensure_schema

    def candidates(*tables: str) -> None:
        for schema in ("ehr__candidate", "quality__candidate"):
            conn.execute(f"create schema {schema}")
            for table in tables:
                conn.execute(f"create table {schema}.{table} (a int)")
                conn.execute(f"insert into {schema}.{table} (a) values (1)")
            conn.execute(f"create view {schema}.v_{tables[-1]} as select a from "
                         f"{schema}.{tables[-1]}")

    def relations(schema: str) -> set[str]:
        return {n for (n,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s",
            (schema,))}

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        ensure_schema(conn)
        candidates("t", "gone")
        publish(conn, NIGHTS[0])  # first publication: the candidates are copies (no views)
        conn.execute("drop schema ehr__candidate cascade; drop schema quality__candidate cascade")
        candidates("t", "gone")
        publish(conn, NIGHTS[0])  # the retired schemas are recycled, their views with them
        assert relations("quality__candidate") == {"t", "gone", "v_gone"}
        conn.execute("insert into quality.t (a) values (2)")  # published, then retired
        conn.execute("drop schema ehr__candidate cascade; drop schema quality__candidate cascade")
        candidates("t", "added")  # the upgrade's build: "gone" and its view removed, "added" new
        publish(conn, NIGHTS[1])
        assert relations("quality__candidate") == {"t"}  # recycled; the model left to build
        assert conn.execute("select count(*) from quality__candidate.t").fetchone() == (2,)
        assert relations("quality") == {"t", "added", "v_added"}


def test_a_vacuum_holding_a_candidate_table_delays_the_publication_not_fails_it(fresh_db):
    """Autovacuum analysing a candidate table when the publication starts: our grants and
    its statistics update the same pg_class row, and our ALTER TABLE needs its lock. The
    publication takes its table locks before changing any catalog row, so it waits (the
    server cancels a blocking autovacuum) instead of deadlocking. A session running ANALYZE
    in a transaction stands in for autovacuum: it holds the same lock and updates the same
    row, once before the publication starts and once while it waits."""
    import threading

    from countyhealth.ingest.loader import ensure_schema

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        ensure_schema(conn)
        for schema in ("ehr__candidate", "quality__candidate"):
            conn.execute(f"create schema {schema}")
            conn.execute(f"create table {schema}.t (person_key text, a int)")
            conn.execute(f"insert into {schema}.t select 'p' || i, i "
                         "from generate_series(1, 1000) i")
    vacuum = psycopg.connect(fresh_db)
    vacuum.execute("analyze ehr__candidate.t")
    failed: list[BaseException] = []

    def publisher() -> None:
        try:
            with psycopg.connect(fresh_db) as conn:
                publish(conn, NIGHTS[0])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failed.append(exc)

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        with psycopg.connect(fresh_db, autocommit=True) as peek:
            while not peek.execute(
                    "select count(*) from pg_stat_activity where datname = current_database() "
                    "and wait_event_type = 'Lock' and pid <> %s", (vacuum.info.backend_pid,)
            ).fetchone()[0]:
                assert thread.is_alive() and time.monotonic() < deadline, \
                    f"the publication never waited: {failed}"
                time.sleep(0.1)
        vacuum.execute("analyze ehr__candidate.t")  # the statistics update, while it waits
        vacuum.commit()
    finally:
        vacuum.close()
        thread.join(timeout=60)
    assert not failed, failed
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from ingest.publications").fetchone() == (1,)
        assert conn.execute("select count(*) from ehr.t").fetchone() == (1000,)
