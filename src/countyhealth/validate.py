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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger(__name__)

_PARAM = re.compile(r"^\$\{([a-z_][a-z0-9_]*)\}$")
_INLINE = re.compile(r"\$\{(per_facility:)?([a-z_][a-z0-9_]*)\}")
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
        shown = {k: v for k, v in self.kwargs.items() if k not in ("batch_id", "result_format")}
        obs = {k: self.observed[k] for k in ("observed_value", "unexpected_count",
                                              "unexpected_percent", "partial_unexpected_list",
                                              "unexpected_rows", "error")
               if k in self.observed}
        return f"{self.table}: {self.expectation}({json.dumps(shown, ensure_ascii=False)}) " \
               f"-> {json.dumps(obs, ensure_ascii=False, default=str)}"


def load_suites(layer: str, expectations_dir: Path) -> list[dict[str, Any]]:
    folder = expectations_dir / layer
    suites = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    if not suites:
        raise ValidationFailed(f"no expectation suites in {folder}")
    return suites


@dataclass(frozen=True)
class Parameters:
    """What a suite's "${...}" placeholders take: the county config's thresholds (a
    facility's own over the county's over the suite's default), the night, and the suffix of
    the schemas being validated (marts run on the candidates)."""

    thresholds: dict[str, Any] = field(default_factory=dict)
    facilities: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> thresholds
    night: dt.date | None = None
    schema_suffix: str = ""


def _threshold(name: str, suite: dict[str, Any], own: dict[str, Any],
               county: dict[str, Any]) -> Any:
    defaults = suite.get("meta", {}).get("defaults", {})
    for source in (own, county, defaults):
        if name in source:
            return source[name]
    raise ValidationFailed(f"{suite['name']}: no threshold '{name}' in the county config and "
                           "no default in the suite")


def _number(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationFailed(f"threshold '{name}' must be a number, not {value!r}")
    return repr(float(value))


def resolve_parameters(suite: dict[str, Any], params: Parameters | dict[str, Any]
                       ) -> dict[str, Any]:
    """Fill a suite's placeholders. A kwarg that is exactly "${name}" becomes the threshold;
    inside a text (an unexpected_rows_query): "${night}" the night (YYYY-MM-DD),
    "${schema_suffix}" the validated schemas' suffix, "${name}" the threshold as a number,
    "${per_facility:name}" a SQL VALUES list (facility, threshold) with every facility's own."""
    if isinstance(params, dict):
        params = Parameters(thresholds=params)
    out = json.loads(json.dumps(suite))

    def inline(m: re.Match) -> str:
        per_facility, name = bool(m.group(1)), m.group(2)
        if per_facility:
            rows = [f"('{code}', {_number(_threshold(name, suite, own, params.thresholds), name)})"
                    for code, own in sorted(params.facilities.items())]
            if not rows:  # no facility given: nothing to compare (and typed for SQL)
                return "(select null::text, null::numeric where false)"
            return "(values " + ", ".join(rows) + ")"
        if name == "night":
            if params.night is None:
                raise ValidationFailed(f"{suite['name']}: uses ${{night}} but no night is given")
            return params.night.isoformat()
        if name == "schema_suffix":
            return params.schema_suffix
        return _number(_threshold(name, suite, {}, params.thresholds), name)

    for exp in out["expectations"]:
        for key, value in list(exp["kwargs"].items()):
            if not isinstance(value, str):
                continue
            m = _PARAM.match(value)
            if m and m.group(1) not in ("night", "schema_suffix"):
                exp["kwargs"][key] = _threshold(m.group(1), suite, {}, params.thresholds)
            elif "${" in value:
                exp["kwargs"][key] = _INLINE.sub(inline, value)
    return out


VALIDATION_SCHEMA = "chw_validation"  # the batches a run validates (views, copies)


def batch_query(batch: str | None, physical: str, published: int, export_date: dt.date,
                first_night: dt.date | None) -> str | None:
    """The rows a suite validates (`meta.batch`): `night` the night's rows (a backfill's:
    every night from its first) and rows of earlier nights its runs loaded late; `new` the
    rows of an incremental table from batches after `published` (older rows were validated
    when they were published and the table does not rewrite them); none: the whole table."""
    if batch == "night":
        nights = _nights_condition(first_night or export_date, export_date)
        return (f"select * from {physical} where _export_date {nights} union all "
                f"select * from {physical} where not (_export_date {nights}) and "
                f"_batch_id in (select batch_id from ingest.runs where export_date {nights})")
    if batch == "new":  # before the first publication every row is new: the table itself
        return f"select * from {physical} where batch_id > {published}" if published else None
    return None


def write_batch(conn: psycopg.Connection, relation: str, query: str, copied: bool) -> None:
    """The rows a suite validates as a relation in VALIDATION_SCHEMA, written before each run
    and validated as a table (a GX query asset is run bare to learn its columns, which
    fetched a whole backfill's rows into the task). `copied` (a night's new rows of an
    incremental table, tens of thousands) copies them into an analysed table: as a view over
    the table, the planner had only the table's statistics, in which those batches do not
    exist yet (one row, it guessed), and ran GX's compound-uniqueness check as a nested loop
    of the night's rows over themselves (`patient_registration` at a year: 345 s for 42,427
    rows; 0.2 s copied). Otherwise (a night of raw rows; a backfill's, millions) a view, an
    `OFFSET 0` subquery: flattened, GX's uniqueness check (a window with `LIMIT 20`) walked a
    whole table by its unique index."""
    drop_batch(conn, relation)
    if copied:
        conn.execute(f"create unlogged table {relation} as {query}")
        conn.execute(f"analyze {relation}")
    else:
        conn.execute(f"create view {relation} as select * from ({query} offset 0) as batch")


def drop_batch(conn: psycopg.Connection, relation: str) -> None:
    """Drop a batch relation of an earlier run, a view or a copy."""
    kind = conn.execute("select c.relkind from pg_class c where c.oid = to_regclass(%s)",
                        (relation,)).fetchone()
    if kind is not None:
        conn.execute(f"drop {'view' if kind[0] == 'v' else 'table'} {relation}")


def published_batch(conn: psycopg.Connection) -> int:
    """The newest batch loaded before the last publication (0 before the first): the same
    line the dbt tests draw (dbt_project/macros/test_scope.sql)."""
    return conn.execute(
        "select coalesce(max(batch_id), 0) from ingest.runs where started_at < "
        "(select max(published_at) from ingest.publications)").fetchone()[0]


def _nights_condition(first: dt.date, last: dt.date) -> str:
    """SQL that follows a date column: one night, or a backfill's nights."""
    if first == last:
        return f"= '{last.isoformat()}'::date"
    return f"between '{first.isoformat()}'::date and '{last.isoformat()}'::date"


def _sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg2://", url)


def run_layer(layer: str, url: str, export_date: dt.date, expectations_dir: Path,
              thresholds: dict[str, Any] | None = None, schema_suffix: str = "",
              facility_thresholds: dict[str, dict[str, Any]] | None = None,
              docs_dir: Path | None = None, first_night: dt.date | None = None
              ) -> list[Outcome]:
    """Validate every suite of a layer in one GX checkpoint; returns all outcomes (raises
    nothing by itself). With `docs_dir`, GX's Data Docs of the results are written there.
    With `first_night` (a backfill), a raw suite's batch is every night from it to
    `export_date`, checked at once: each check is a query over the batch, so a year costs
    one pass, not 365 checkpoints."""
    import great_expectations as gx  # ~5 s to import: only inside the task, never at parse time
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm in task logs
    source = context.data_sources.add_postgres(name=f"chw_{layer}",
                                               connection_string=_sqlalchemy_url(url))
    outcomes: list[Outcome] = []
    params = Parameters(thresholds or {}, facility_thresholds or {}, export_date, schema_suffix)
    definitions, tables, batches = [], {}, {}
    copies: list[str] = []  # the copied batches, dropped after the run (health data)
    with psycopg.connect(url, autocommit=True) as views:  # the batches' views, one connection
        views.execute(f"create schema if not exists {VALIDATION_SCHEMA}")
        published = published_batch(views)
        for raw_suite in load_suites(layer, expectations_dir):
            suite_def = resolve_parameters(raw_suite, params)
            table = suite_def["meta"]["table"]
            if not _TABLE.match(table):
                raise ValidationFailed(
                    f"{suite_def['name']}: meta.table '{table}' is not schema.table")
            schema, name = table.split(".")
            physical = f"{schema}{schema_suffix}.{name}" if schema_suffix else table
            asset_name = suite_def["name"].replace(".", "_")
            query = batch_query(suite_def["meta"].get("batch"), physical, published, export_date,
                                first_night)
            if query is not None:
                relation = f"{VALIDATION_SCHEMA}.{asset_name}"
                copied = suite_def["meta"].get("batch") == "new"
                write_batch(views, relation, query, copied)
                if copied:
                    copies.append(relation)
                asset = source.add_table_asset(name=asset_name, table_name=asset_name,
                                               schema_name=VALIDATION_SCHEMA)
                batches[suite_def["name"]] = relation
            else:
                asset = source.add_table_asset(name=asset_name, table_name=name,
                                               schema_name=physical.split(".")[0])
                batches[suite_def["name"]] = physical
            batch = asset.add_batch_definition_whole_table(f"{asset_name}_all")
            suite = context.suites.add(gx.ExpectationSuite(name=suite_def["name"],
                                                           expectations=suite_def["expectations"]))
            definitions.append(context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{asset_name}_vd", data=batch, suite=suite)))
            tables[suite_def["name"]] = table
    actions = []
    if docs_dir is not None:
        from great_expectations.checkpoint import UpdateDataDocsAction

        context.add_data_docs_site(site_name="chw", site_config={
            "class_name": "SiteBuilder", "site_index_builder": {"class_name":
                                                                "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(docs_dir)}})
        actions.append(UpdateDataDocsAction(name="data_docs", site_names=["chw"]))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=f"chw_{layer}", validation_definitions=definitions, actions=actions))
    try:
        for run in checkpoint.run().run_results.values():
            name = run.suite_name
            for r in run.results:
                cfg = r.expectation_config
                outcomes.append(Outcome(
                    suite=name, table=tables[name], expectation=cfg.type,
                    kwargs={k: v for k, v in cfg.kwargs.items() if k != "batch_id"},
                    success=bool(r.success), observed=_observed(r),
                ))
        if docs_dir is not None:
            strip_remote_assets(docs_dir)
        _show_unexpected_rows(url, outcomes, batches)
    finally:  # the copies of health data go however the run ended
        with psycopg.connect(url, autocommit=True) as conn:
            for relation in copies:
                drop_batch(conn, relation)
    return outcomes


def _show_unexpected_rows(url: str, outcomes: list[Outcome], batches: dict[str, str]) -> None:
    """A failed query expectation says which rows it found (the facility, the record): GX
    keeps them only in its COMPLETE format, too heavy for the column checks, so the first ten
    are read again here."""
    failed = [o for o in outcomes if not o.success and "unexpected_rows_query" in o.kwargs
              and "unexpected_rows" not in o.observed and "error" not in o.observed]
    if not failed:
        return
    with psycopg.connect(url) as conn:
        for o in failed:
            query = o.kwargs["unexpected_rows_query"].format(batch=batches[o.suite])
            cur = conn.execute(f"select * from ({query}) as unexpected limit 10")
            names = [c.name for c in cur.description or []]
            o.observed["unexpected_rows"] = [dict(zip(names, row, strict=True))
                                             for row in cur.fetchall()]


def _observed(result: Any) -> dict[str, Any]:
    """What GX saw; for a query expectation, the first unexpected rows it returned."""
    observed = dict(result.result or {})
    details = observed.pop("details", None) or {}
    rows = details.get("unexpected_rows") if isinstance(details, dict) else None
    if rows:
        observed["unexpected_rows"] = rows[:10]
    if result.exception_info and not result.success:
        errors = [v.get("exception_message") for v in result.exception_info.values()
                  if isinstance(v, dict) and v.get("raised_exception")]
        if errors:
            observed["error"] = str(errors[0])[:500]
    return observed


_REMOTE = re.compile(r"<(script|link)\b[^>]*\b(src|href)=\"https?://[^\"]*\"[^>]*>(\s*</script>)?",
                     re.IGNORECASE)


def strip_remote_assets(folder: Path) -> None:
    """GX's Data Docs pull their styles and scripts from CDNs; opening them would reach the
    internet from a health data server. Drop those tags: the pages stay readable HTML."""
    for page in folder.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        stripped = _REMOTE.sub("", text)
        if stripped != text:
            page.write_text(stripped, encoding="utf-8")


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
             thresholds: dict[str, Any] | None = None, schema_suffix: str = "",
             facility_thresholds: dict[str, dict[str, Any]] | None = None,
             docs_dir: Path | None = None, first_night: dt.date | None = None
             ) -> list[Outcome]:
    """Run, record, and raise ValidationFailed listing every failed expectation."""
    outcomes = run_layer(layer, url, export_date, expectations_dir, thresholds, schema_suffix,
                         facility_thresholds, docs_dir, first_night)
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
