"""The SQL twin of the GB 11643 check (dbt macro gb11643_is_valid) agrees with the Python one
on the real PostgreSQL, and never raises on impossible dates (one bad ID must not fail a
model)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import jinja2
import psycopg

from countyhealth.identity import (
    check_character,
    check_id_number,
    make_id_number,
    upgrade_legacy_id,
)

MACROS = Path(__file__).parents[2] / "dbt_project" / "macros" / "identity.sql"


def _sql_check() -> str:
    env = jinja2.Environment()
    template = env.from_string(MACROS.read_text(encoding="utf-8") +
                               "{{ gb11643_is_valid('v.id') }}")
    return template.render()


def _cases() -> list[str]:
    rng = random.Random(7)
    today = dt.date.today()
    ids = ["11010519491231002X", "110105491231002", "110105194902301234",
           "110105194913011234", "110105491331002", "11010519491231002Y", "", "12345",
           "110105000001010010", "110105187901010011"]
    for _ in range(300):
        born = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(60000))
        good = make_id_number("370322", born, rng.randrange(1000))
        ids += [good, good[:17] + rng.choice("0123456789X"), good[:6] + good[8:17]]
        raw = f"{rng.randrange(10**6):06d}{rng.randrange(1870, today.year + 2)}" \
              f"{rng.randrange(0, 14):02d}{rng.randrange(0, 33):02d}{rng.randrange(1000):03d}"
        ids += [raw + check_character(raw), f"{rng.randrange(10**6):06d}"
                f"{rng.randrange(100):02d}{rng.randrange(14):02d}{rng.randrange(33):02d}"
                f"{rng.randrange(1000):03d}"]
    ids.append(make_id_number("370322", today + dt.timedelta(days=3), 1))
    return ids


def test_sql_and_python_agree(fresh_db):
    sql = f"select v.id, {_sql_check().replace('%', '%%')} from unnest(%s::text[]) as v(id)"
    cases = _cases()
    with psycopg.connect(fresh_db) as conn:
        got = dict(conn.execute(sql, (cases,)).fetchall())
    today = dt.date.today()
    disagree = [i for i in cases if got[i] != check_id_number(i, today=today).valid]
    assert disagree == []
    assert sum(got.values()) > 300 and sum(not v for v in got.values()) > 300


def test_sql_upgrade_of_legacy_ids_agrees_with_python(fresh_db):
    env = jinja2.Environment()
    upgrade = env.from_string(MACROS.read_text(encoding="utf-8") +
                              "{{ gb11643_to_18('v.id') }}").render()
    today = dt.date.today()
    valid = [i for i in _cases() if check_id_number(i, today=today).valid]
    with psycopg.connect(fresh_db) as conn:
        got = dict(conn.execute(f"select v.id, {upgrade.replace('%', '%%')} "
                                "from unnest(%s::text[]) as v(id)", (valid,)).fetchall())
    legacy = [i for i in valid if len(i) == 15]
    assert len(legacy) > 100
    assert all(got[i] == upgrade_legacy_id(i) for i in legacy)
    assert all(got[i] == i for i in valid if len(i) == 18)
