"""Publishing: swap the validated candidate schemas into `ehr` and `quality`, atomically.

dbt builds `ehr__candidate` and `quality__candidate`; GX validates them; then, in ONE
transaction, each published schema is renamed away, its candidate renamed into place, and
the old one dropped. PostgreSQL DDL is transactional, so analysts see either yesterday's
data or today's, never a mix, and a failure anywhere leaves yesterday's untouched.

`ehr` and `quality` are not dropped but kept as the next night's candidates (RECYCLED):
their incremental tables then apply only what changed after their newest batch
(dbt_project/macros/ehr_incremental.sql, person_months.sql) instead of rebuilding years of
history. The first publication has
nothing to keep, so the next candidate starts as a copy of it (copy_schema); so does the
first after an upgrade that changed a table's columns (the retired one would not fit). The kept
schema loses the readers' grants first: a candidate is never readable before it is
validated. Roles, grants and row-level security: countyhealth.access.
"""

from __future__ import annotations

import datetime as dt
import logging

import psycopg
from psycopg import sql

from countyhealth.access import close_retired, ensure_roles, open_published

log = logging.getLogger(__name__)

PUBLISHED = ("ehr", "quality")
RECYCLED = ("ehr", "quality")  # the retired schema becomes the next candidate (incremental)
CANDIDATE_SUFFIX = "__candidate"


class PublishError(RuntimeError):
    pass


def _schema_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (name,)).fetchone() \
        is not None


def publish(conn: psycopg.Connection, export_date: dt.date,
            schemas: tuple[str, ...] = PUBLISHED) -> int:
    """Swap every candidate in, or nothing. Returns the publication id."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('chw_publish'))")
        missing = [s + CANDIDATE_SUFFIX for s in schemas
                   if not _schema_exists(conn, s + CANDIDATE_SUFFIX)]
        if missing:
            raise PublishError(f"nothing to publish: candidate schema(s) {', '.join(missing)} "
                               "not built (did dbt build run?)")
        _lock_tables(conn, schemas)
        ensure_roles(conn, [c for (c,) in conn.execute(
            "select facility_code from ingest.facilities order by 1")])
        for s in schemas:
            candidate, retired = s + CANDIDATE_SUFFIX, f"{s}__retired"
            rename = sql.SQL("alter schema {} rename to {}")
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(retired)))
            had_published = _schema_exists(conn, s)
            if had_published:
                conn.execute(rename.format(sql.Identifier(s), sql.Identifier(retired)))
            conn.execute(rename.format(sql.Identifier(candidate), sql.Identifier(s)))
            if had_published and s in RECYCLED and _recyclable(conn, retired, s):
                close_retired(conn, retired)
                _drop_retired_models(conn, retired, s)
                conn.execute(rename.format(sql.Identifier(retired), sql.Identifier(candidate)))
            elif had_published:
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(retired)))
            if s in RECYCLED and not _schema_exists(conn, candidate):
                copy_schema(conn, s, candidate)
            open_published(conn, s)
        pub_id = conn.execute(
            "insert into ingest.publications (export_date, schemas) values (%s, %s) "
            "returning publication_id", (export_date, list(schemas))).fetchone()[0]
    log.info("published %s for %s (publication %s)", ", ".join(schemas), export_date, pub_id)
    return int(pub_id)


def _lock_tables(conn: psycopg.Connection, schemas: tuple[str, ...]) -> None:
    """Take every table the publication alters (grants, row-level security) before changing
    any catalog row. Otherwise autovacuum, finishing an ANALYZE of a candidate table, waits
    to update that table's pg_class row, which our grants already updated, while our ALTER
    TABLE waits for autovacuum's lock: a deadlock PostgreSQL settles by failing the
    publication (seen on the 30-night backfill of `make bench`). Waiting here first, the
    server cancels the autovacuum that blocks us instead."""
    names = [n for s in schemas for n in (s, s + CANDIDATE_SUFFIX)]
    tables = [sql.Identifier(schema, table) for schema, table in conn.execute(
        "select schemaname, tablename from pg_tables where schemaname = any(%s) "
        "order by 1, 2", (names,))]
    if tables:
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(
            sql.SQL(", ").join(tables)))


def _columns(conn: psycopg.Connection, schema: str) -> dict[str, set[tuple[str, str]]]:
    """Each base table of `schema` with its (column, type) pairs."""
    tables: dict[str, set[tuple[str, str]]] = {}
    for table, column, data_type in conn.execute(
            "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
            "join information_schema.tables t using (table_schema, table_name) "
            "where c.table_schema = %s and t.table_type = 'BASE TABLE'", (schema,)):
        tables.setdefault(table, set()).add((column, data_type))
    return tables


def _recyclable(conn: psycopg.Connection, retired: str, published: str) -> bool:
    """Whether the retired schema can be the next candidate: every table it shares with the
    one just published has the same columns. Not after an upgrade that changed a model's
    columns: an incremental model would refuse the old table (on_schema_change fail) every
    night; the next candidate is then a copy of what was just published instead. A model
    the upgrade added (a table only published) is simply built in the candidate by the
    next night's run: copying the whole schema for it cost a year's night 83 s."""
    old, new = _columns(conn, retired), _columns(conn, published)
    return all(old[table] == columns for table, columns in new.items() if table in old)


def _drop_retired_models(conn: psycopg.Connection, retired: str, published: str) -> None:
    """Drop what a removed model left in the retired schema (tables and views the published
    one no longer has), so that the candidate never publishes it again."""
    for name, kind in conn.execute(
            "select c.relname, c.relkind from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') "
            "and not exists (select 1 from pg_class p join pg_namespace pn "
            "                on pn.oid = p.relnamespace "
            "                where pn.nspname = %s and p.relname = c.relname) "
            "order by 1", (retired, published)).fetchall():
        what = {"v": "view", "m": "materialized view"}.get(kind, "table")
        conn.execute(sql.SQL("drop {} if exists {} cascade").format(
            sql.SQL(what), sql.Identifier(retired, name)))


def copy_schema(conn: psycopg.Connection, source: str, target: str) -> None:
    """The first publication has no retired schema to recycle: the next candidate starts as
    a copy of what was just published (tables with their indexes), so the night after a
    first night or a backfill applies only its own changes instead of rebuilding the
    whole history."""
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(target)))
    tables = [t for (t,) in conn.execute(
        "select tablename from pg_tables where schemaname = %s order by 1", (source,))]
    for table in tables:
        src, dst = sql.Identifier(source, table), sql.Identifier(target, table)
        conn.execute(sql.SQL("create table {} (like {} including all)").format(dst, src))
        conn.execute(sql.SQL("insert into {} select * from {}").format(dst, src))


# the incremental tables dbt builds in pii (whose pseudonym key and reviewers' decisions
# are the warehouse's own data and stay)
INCREMENTAL_PII = ("person",)


def drop_incremental_state(conn: psycopg.Connection) -> list[str]:
    """Drop what incremental runs build on (the candidate schemas, chw_intermediate and the
    incremental pii tables), so the next night rebuilds everything from raw; the published
    schemas stay as they are. For an upgrade that changes the columns of an incremental
    model. Returns what went."""
    dropped = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('chw_publish'))")
        for name in (*(s + CANDIDATE_SUFFIX for s in PUBLISHED), "chw_intermediate"):
            if _schema_exists(conn, name):
                conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
                dropped.append(name)
        for table in INCREMENTAL_PII:
            if conn.execute("select to_regclass(%s)", (f"pii.{table}",)).fetchone()[0]:
                conn.execute(sql.SQL("drop table {}").format(sql.Identifier("pii", table)))
                dropped.append(f"pii.{table}")
    return dropped


def last_published(conn: psycopg.Connection) -> dt.date | None:
    row = conn.execute("select max(export_date) from ingest.publications").fetchone() \
        if _schema_exists(conn, "ingest") else None
    return row[0] if row else None
