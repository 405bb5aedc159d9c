"""Great Expectations as the gate between layers (write-audit-publish's "audit").

Suites are GX's own JSON in expectations/<layer>/ (see expectations/README.md). They run in
the database through GX SQL data sources: the raw layer on the night's rows, the marts layer
on the *candidate* schemas dbt just built, before anything is published. Every result is
stored in `ingest.validation_results`; a failure raises ValidationFailed naming each failed
expectation, which fails the Airflow task and so blocks publishing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger(__name__)

_PARAM = re.compile(r"^\$\{([a-z_][a-z0-9_]*)\}$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")

RESULTS_DDL = """
create table if not exists ingest.validation_results (
    result_id bigserial primary key,
    export_date date not null,
    layer text not null,
    suite text not null,
    table_name text not null,
    expectation text not null,
    kwargs jsonb not null,
    success boolean not null,
    observed jsonb,
    validated_at timestamptz not null default now()
);
"""


class ValidationFailed(RuntimeError):
    """One or more expectations failed; the message lists them."""


@dataclass(frozen=True)
class Outcome:
    suite: str
    table: str
    expectation: str
    kwargs: dict[str, Any]
    success: bool
    observed: dict[str, Any]

    def describe(self) -> str:
        shown = {k: v for k, v in self.kwargs.items() if k not in ("batch_id",)}
        obs = {k: self.observed[k] for k in ("observed_value", "unexpected_count",
                                              "unexpected_percent", "partial_unexpected_list")
               if k in self.observed}
        return f"{self.table}: {self.expectation}({json.dumps(shown, ensure_ascii=False)}) " \
               f"-> {json.dumps(obs, ensure_ascii=False, default=str)}"


def load_suites(layer: str, expectations_dir: Path) -> list[dict[str, Any]]:
    folder = expectations_dir / layer
    suites = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    if not suites:
        raise ValidationFailed(f"no expectation suites in {folder}")
    return suites


def resolve_parameters(suite: dict[str, Any], thresholds: dict[str, Any]) -> dict[str, Any]:
    """Replace "${name}" kwargs with the county config's thresholds (else the suite default)."""
    defaults = suite.get("meta", {}).get("defaults", {})
    out = json.loads(json.dumps(suite))
    for exp in out["expectations"]:
        for key, value in list(exp["kwargs"].items()):
            m = _PARAM.match(value) if isinstance(value, str) else None
            if m:
                name = m.group(1)
                if name in thresholds:
                    exp["kwargs"][key] = thresholds[name]
                elif name in defaults:
                    exp["kwargs"][key] = defaults[name]
                else:
                    raise ValidationFailed(f"{suite['name']}: no threshold '{name}' in the "
                                           "county config and no default in the suite")
    return out


def _sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg2://", url)


def run_layer(layer: str, url: str, export_date: dt.date, expectations_dir: Path,
              thresholds: dict[str, Any] | None = None, schema_suffix: str = "") -> list[Outcome]:
    """Validate every suite of a layer; returns all outcomes (raises nothing by itself)."""
    import great_expectations as gx  # ~5 s to import: only inside the task, never at parse time
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm in task logs
    source = context.data_sources.add_postgres(name=f"chw_{layer}",
                                               connection_string=_sqlalchemy_url(url))
    outcomes: list[Outcome] = []
    for raw_suite in load_suites(layer, expectations_dir):
        suite_def = resolve_parameters(raw_suite, thresholds or {})
        table = suite_def["meta"]["table"]
        if not _TABLE.match(table):
            raise ValidationFailed(f"{suite_def['name']}: meta.table '{table}' is not schema.table")
        schema, name = table.split(".")
        physical = f"{schema}{schema_suffix}.{name}" if schema_suffix else table
        asset_name = suite_def["name"].replace(".", "_")
        if suite_def["meta"].get("batch") == "night":
            asset = source.add_query_asset(
                name=asset_name,
                query=f"select * from {physical} where _export_date = "
                      f"'{export_date.isoformat()}'::date",
            )
        else:
            asset = source.add_table_asset(name=asset_name, table_name=name,
                                           schema_name=physical.split(".")[0])
        batch = asset.add_batch_definition_whole_table(f"{asset_name}_all")
        suite = context.suites.add(gx.ExpectationSuite(name=suite_def["name"],
                                                       expectations=suite_def["expectations"]))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{asset_name}_vd", data=batch, suite=suite))
        result = definition.run()
        for r in result.results:
            cfg = r.expectation_config
            outcomes.append(Outcome(
                suite=suite_def["name"], table=table, expectation=cfg.type,
                kwargs={k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
                success=bool(r.success), observed=dict(r.result or {}),
            ))
    return outcomes


def record(conn: psycopg.Connection, layer: str, export_date: dt.date,
           outcomes: list[Outcome]) -> None:
    with conn.transaction():
        conn.execute(RESULTS_DDL)
        with conn.cursor().copy(
            "copy ingest.validation_results (export_date, layer, suite, table_name, expectation, "
            "kwargs, success, observed) from stdin"
        ) as copy:
            for o in outcomes:
                copy.write_row((export_date, layer, o.suite, o.table, o.expectation,
                                json.dumps(o.kwargs, default=str), o.success,
                                json.dumps(o.observed, default=str)))


def validate(layer: str, url: str, export_date: dt.date, expectations_dir: Path,
             thresholds: dict[str, Any] | None = None, schema_suffix: str = "") -> list[Outcome]:
    """Run, record, and raise ValidationFailed listing every failed expectation."""
    outcomes = run_layer(layer, url, export_date, expectations_dir, thresholds, schema_suffix)
    with psycopg.connect(url) as conn:
        record(conn, layer, export_date, outcomes)
    failed = [o for o in outcomes if not o.success]
    log.info("%s layer: %d expectations, %d failed", layer, len(outcomes), len(failed))
    if failed:
        lines = "\n  - ".join(o.describe() for o in failed)
        raise ValidationFailed(
            f"{len(failed)} of {len(outcomes)} {layer} expectations failed for {export_date}; "
            f"nothing was published:\n  - {lines}")
    return outcomes
