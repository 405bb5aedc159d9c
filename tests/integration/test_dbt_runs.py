"""dbt outside Airflow (countyhealth.dbt_group.run_dbt): each run gets a fresh target
folder, yet only the first run on a database parses the whole project."""

from __future__ import annotations

import json
from pathlib import Path

from countyhealth.dbt_group import parse_cache_path, run_dbt

FULL_PARSE = "Starting full parse"


def _parse(url: str, work: Path, *args: str) -> str:
    done = run_dbt(["parse", *args], url, work)
    assert done.returncode == 0, done.stdout[-3000:]
    return (work / "logs" / "dbt.log").read_text(encoding="utf-8")


def test_a_later_run_on_the_same_database_reuses_the_parse(fresh_db: str, tmp_path: Path):
    assert FULL_PARSE in _parse(fresh_db, tmp_path / "first")
    assert parse_cache_path(fresh_db, ["parse"]).exists()
    assert FULL_PARSE not in _parse(fresh_db, tmp_path / "second")


def test_other_vars_or_another_database_keep_a_parse_of_their_own(fresh_db: str,
                                                                  tmp_path: Path):
    _parse(fresh_db, tmp_path / "plain")
    docs_vars = ("--vars", json.dumps({"candidate_suffix": ""}))  # as the report's docs
    elsewhere = fresh_db.rsplit("/", 1)[0] + "/another_database"
    assert parse_cache_path(elsewhere, []) != parse_cache_path(fresh_db, [])
    assert FULL_PARSE in _parse(fresh_db, tmp_path / "docs", *docs_vars)
    assert FULL_PARSE not in _parse(fresh_db, tmp_path / "docs again", *docs_vars)
    assert FULL_PARSE not in _parse(fresh_db, tmp_path / "plain again")
