"""A night as the integration tests run it without Airflow: the real loader, then real dbt
(the DAG's own steps, tested end to end in tests/e2e)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from countyhealth.config import load_config
from countyhealth.dbt_group import run_dbt
from countyhealth.ingest.loader import NightResult, ingest_night


def ingest(url: str, county, night: dt.date) -> NightResult:
    """Load `night` of a generated county (countyhealth.synth.GenerateResult)."""
    with psycopg.connect(url) as conn:
        result = ingest_night(conn, load_config(county.config_path), county.landing, night)
        conn.commit()
    return result


def dbt_build(url: str, work: Path, *args: str, data_tests: bool = True) -> None:
    """`dbt build` (with `args`, e.g. a selection) that must succeed. Without `data_tests`
    for a module whose subject is not the models' rows (grants, publication): dbt's data
    tests are half of a small county's build, and test_incremental, test_late_data and the
    DAG's runs in tests/e2e run them."""
    done = run_dbt(["build", *args, *([] if data_tests else ["--exclude-resource-type",
                                                             "test"])], url, work)
    assert done.returncode == 0, done.stdout[-5000:]
