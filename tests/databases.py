"""Databases of their own on the session's embedded server, for tests that need more than
one (an incremental and a full build side by side) or one that outlives a single test."""

from __future__ import annotations

import uuid

import psycopg


def create_database(server_url: str, name: str | None = None) -> str:
    """A new empty database (`name`, dropped first if it is there; else a random one)."""
    name = name or f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin(server_url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def _admin(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def published_digest(url: str, schemas: tuple[str, ...] = ("ehr", "quality")) -> dict[str, str]:
    """Every table of the published schemas: a sha256 of its sorted rows (as text), to prove
    something left them exactly as they were."""
    import hashlib

    out = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = any(%s) order by 1", (list(schemas),)).fetchall()
        for (table,) in tables:
            rows = conn.execute(f"select t::text from {table} t order by 1").fetchall()
            out[table] = hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()
    return out
