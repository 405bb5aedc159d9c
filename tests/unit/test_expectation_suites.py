"""The raw suites state the raw schema on purpose (a drifted table fails the night); this
keeps them and the canonical tables (ingest/tables.py) from drifting apart unnoticed."""

import json
from pathlib import Path

import pytest

from countyhealth.ingest.tables import LINEAGE_COLUMNS, TABLES

SUITES = Path(__file__).parents[2] / "expectations" / "raw"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_raw_suite_expects_the_canonical_columns(table):
    suite = json.loads((SUITES / f"{table}.json").read_text(encoding="utf-8"))
    column_sets = [e["kwargs"]["column_set"] for e in suite["expectations"]
                   if e["type"] == "expect_table_columns_to_match_set"]
    assert column_sets == [[*TABLES[table].columns, *LINEAGE_COLUMNS, "_loaded_at"]]
