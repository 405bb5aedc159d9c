"""Who may read what: the warehouse's roles, their grants and row-level security.

    chw_loader        ingest: writes raw.* and the ingest ledger; reads nothing published
    chw_transformer   dbt: reads raw, ingest and pii's key; builds in dbt's schemas; may
                      not write raw or the ledger
    chw_analyst       reads ehr and quality only (no pii, no raw, no ingest)
    chw_facility_<code>  one per facility in the county config: reads ehr, where row-level
                      security shows only its own patients' records (people with a
                      registration at the facility, ehr.patient_registration), from every
                      facility: a village doctor sees their patient's hospital discharge

Roles are created with LOGIN; a password comes from the environment (`<ROLE>_PASSWORD`, e.g.
CHW_ANALYST_PASSWORD, CHW_FACILITY_T001_PASSWORD), never from a file. Grants and policies
are (re)applied inside the publishing transaction, because every night's schemas are new
objects: analysts and facilities can read a schema only once it is published, and lose it
the moment it is retired.
"""

from __future__ import annotations

import os
import re

import psycopg
from psycopg import sql

LOADER, TRANSFORMER, ANALYST = "chw_loader", "chw_transformer", "chw_analyst"
FACILITY_PREFIX = "chw_facility_"
RAW_SCHEMAS = ("raw", "ingest")
# what dbt builds besides the published schemas (which open_published grants)
DBT_SCHEMAS = ("chw_staging", "chw_intermediate", "chw_reference", "pii", "ehr__candidate",
               "quality__candidate")
# the SQL twin of facility_role's suffix
ROLE_SUFFIX = "regexp_replace(lower({}), '[^a-z0-9]', '_', 'g')"

MY_FACILITIES = f"""
create or replace function public.chw_my_facilities() returns text[]
language sql stable as $$
    select coalesce(array_agg(substr(r.rolname, {len(FACILITY_PREFIX) + 1})), '{{}}')
    from pg_roles as r
    where r.rolname like '{FACILITY_PREFIX}%'
      and pg_has_role(current_user, r.oid, 'member')
$$;
comment on function public.chw_my_facilities() is
    'Facility codes (lower case) whose chw_facility_ role the current user holds: the rows '
    'row-level security lets a facility read.';
"""


def facility_role(code: str) -> str:
    """chw_facility_<code>, lower case, anything but letters and digits as '_'."""
    return FACILITY_PREFIX + re.sub(r"[^a-z0-9]", "_", code.lower())


def _password(role: str) -> str | None:
    return os.environ.get(f"{role.upper()}_PASSWORD")


def ensure_roles(conn: psycopg.Connection, facility_codes: list[str]) -> list[str]:
    """Create the roles that are missing (and set passwords the environment gives);
    returns every chw role. Safe to run every night; needs CREATEROLE."""
    roles = [LOADER, TRANSFORMER, ANALYST, *(facility_role(c) for c in facility_codes)]
    for role in roles:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
        password = _password(role)
        if password:
            conn.execute(sql.SQL("alter role {} password {}").format(
                sql.Identifier(role), sql.Literal(password)))
    conn.execute(MY_FACILITIES)
    conn.execute("revoke all on function public.chw_my_facilities() from public")
    conn.execute(sql.SQL("grant execute on function public.chw_my_facilities() to {}").format(
        sql.SQL(", ").join(sql.Identifier(r) for r in roles)))
    _grant_pipeline(conn)
    return roles


def _grant_pipeline(conn: psycopg.Connection) -> None:
    """The loader writes raw and the ledger; the transformer reads them and pii's key."""
    for schema in RAW_SCHEMAS:
        s = sql.Identifier(schema)
        conn.execute(sql.SQL("grant usage on schema {} to {}, {}").format(
            s, sql.Identifier(LOADER), sql.Identifier(TRANSFORMER)))
        conn.execute(sql.SQL("grant select, insert on all tables in schema {} to {}").format(
            s, sql.Identifier(LOADER)))
        conn.execute(sql.SQL("grant usage on all sequences in schema {} to {}").format(
            s, sql.Identifier(LOADER)))
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
            s, sql.Identifier(TRANSFORMER)))
    conn.execute(sql.SQL("grant usage on schema pii to {}, {}").format(
        sql.Identifier(LOADER), sql.Identifier(TRANSFORMER)))
    conn.execute(sql.SQL("grant select, insert on pii.pseudonym_secret to {}").format(
        sql.Identifier(LOADER)))
    conn.execute(sql.SQL("grant select on pii.pseudonym_secret to {}").format(
        sql.Identifier(TRANSFORMER)))
    conn.execute(sql.SQL("grant create on database {} to {}").format(
        sql.Identifier(conn.info.dbname), sql.Identifier(TRANSFORMER)))
    present = [n for (n,) in conn.execute("select nspname from pg_namespace where nspname = "
                                          "any(%s)", (list(DBT_SCHEMAS),))]
    for schema in present:
        s, t = sql.Identifier(schema), sql.Identifier(TRANSFORMER)
        conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(s, t))
        conn.execute(sql.SQL("grant all on all tables in schema {} to {}").format(s, t))


def _readers(conn: psycopg.Connection, schema: str) -> list[str]:
    """Who reads a published schema: analysts both; facility roles only ehr."""
    if schema != "ehr":
        return [ANALYST]
    facilities = [r for (r,) in conn.execute(
        "select rolname from pg_roles where rolname like %s order by 1",
        (FACILITY_PREFIX + "%",))]
    return [ANALYST, *facilities]


def open_published(conn: psycopg.Connection, schema: str) -> None:
    """Grant the readers of `schema` (just published) and, in ehr, apply row-level
    security to every table holding a person_key."""
    readers = sql.SQL(", ").join(sql.Identifier(r) for r in _readers(conn, schema))
    s = sql.Identifier(schema)
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(s, readers))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(s, readers))
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(s, sql.Identifier(TRANSFORMER)))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
        s, sql.Identifier(TRANSFORMER)))
    if schema == "ehr":
        _row_level_security(conn, schema)


def close_retired(conn: psycopg.Connection, schema: str) -> None:
    """A retired schema kept as the next candidate: no reader may see it."""
    for role in _readers(conn, "ehr"):
        r, s = sql.Identifier(role), sql.Identifier(schema)
        conn.execute(sql.SQL("revoke select on all tables in schema {} from {}").format(s, r))
        conn.execute(sql.SQL("revoke usage on schema {} from {}").format(s, r))


def _row_level_security(conn: psycopg.Connection, schema: str) -> None:
    tables = [t for (t,) in conn.execute(
        "select c.table_name from information_schema.columns c join "
        "information_schema.tables t using (table_schema, table_name) "
        "where c.table_schema = %s and c.column_name = 'person_key' "
        "and t.table_type = 'BASE TABLE' order by 1", (schema,))]
    registration = sql.Identifier(schema, "patient_registration")
    has_registrations = "patient_registration" in tables
    for table in tables:
        t = sql.Identifier(schema, table)
        conn.execute(sql.SQL("alter table {} enable row level security").format(t))
        for policy in ("chw_read_all", "chw_own_patients"):
            conn.execute(sql.SQL("drop policy if exists {} on {}").format(
                sql.Identifier(policy), t))
        conn.execute(sql.SQL("create policy chw_read_all on {} for select to {}, {} "
                             "using (true)").format(t, sql.Identifier(ANALYST),
                                                    sql.Identifier(TRANSFORMER)))
        if not has_registrations:  # a partial build: no facility may read anything
            mine = sql.SQL("false")
        elif table == "patient_registration":
            mine = sql.SQL(f"{ROLE_SUFFIX.format('facility_code')} = "
                           "any(public.chw_my_facilities())")
        else:
            mine = sql.SQL("person_key in (select r.person_key from {} as r where "
                           f"{ROLE_SUFFIX.format('r.facility_code')} = "
                           "any(public.chw_my_facilities()))").format(registration)
        conn.execute(sql.SQL("create policy chw_own_patients on {} for select to public "
                             "using ({})").format(t, mine))
