"""The night's steps as plain functions; the DAG file only wires them (and Cosmos' dbt group).

Every step takes the export night explicitly, reads paths from `config.settings()` and the
warehouse URL from `warehouse.database_url()`, so each can be run and tested without Airflow.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict, dataclass
from typing import Any

from countyhealth.config import CountyConfig, load_config, settings
from countyhealth.ingest.loader import delivery_folder, ingest_night
from countyhealth.ingest.manifest import MANIFEST
from countyhealth.publish import CANDIDATE_SUFFIX, publish
from countyhealth.warehouse import connect, database_url

log = logging.getLogger(__name__)

DEFAULT_WAIT_MINUTES = 60


def schedule_start() -> str:
    """The first night the schedule (and its catch-up) covers: CHW_SCHEDULE_START
    (YYYY-MM-DD, default 2026-01-01). A new server sets its go-live date, so catch-up does
    not replay nights nobody delivered; a test server sets a future one, so only the
    operator's triggered runs happen."""
    return os.environ.get("CHW_SCHEDULE_START", "2026-01-01")


def task_retries() -> int:
    """Retries with back-off on the server; `chw run` sets CHW_TASK_RETRIES=0 so a failing
    night fails at once instead of waiting out the back-off."""
    return int(os.environ.get("CHW_TASK_RETRIES", "2"))


def county() -> CountyConfig:
    return load_config(settings().config_path)


def export_date_for(params: dict[str, Any] | None, logical_date: dt.datetime | None,
                    timezone: str = "Asia/Shanghai") -> dt.date:
    """The night a run processes: `export_date` from the run's conf when given, else the
    day before the run's logical date in the county's time zone (02:00 runs take yesterday)."""
    chosen = (params or {}).get("export_date")
    if chosen:
        return dt.date.fromisoformat(str(chosen))
    if logical_date is None:
        raise ValueError("no export_date given and no logical date to derive it from")
    from zoneinfo import ZoneInfo

    return (logical_date.astimezone(ZoneInfo(timezone)) - dt.timedelta(days=1)).date()


@dataclass(frozen=True)
class DeliveryStatus:
    ready: list[str]
    missing: list[str]


def delivery_status(export_date: dt.date) -> DeliveryStatus:
    s, cfg = settings(), county()
    ready, missing = [], []
    for code in cfg.facility_codes():
        folder = delivery_folder(s.landing_dir, code, export_date)
        (ready if (folder / MANIFEST).is_file() else missing).append(code)
    return DeliveryStatus(ready, missing)


def wait_limit_minutes(params: dict[str, Any] | None = None) -> float:
    """How long the sensor waits for missing deliveries before going on without them: the
    run's `delivery_wait_minutes` when given, else the county config's threshold."""
    chosen = (params or {}).get("delivery_wait_minutes")
    if chosen is not None:
        return float(chosen)
    return float(county().thresholds.get("delivery_wait_minutes", DEFAULT_WAIT_MINUTES))


def backfill_from(params: dict[str, Any] | None, export_date: dt.date) -> dt.date | None:
    """A run's `backfill_from`: the first night of a backfill (every night from it to the
    run's export night is loaded and validated by this one run), or None for one night."""
    chosen = (params or {}).get("backfill_from")
    if not chosen:
        return None
    first = dt.date.fromisoformat(str(chosen))
    if first > export_date:
        raise ValueError(f"backfill_from {first} is after the export night {export_date}")
    return first


def nights(export_date: dt.date, first: dt.date | None = None) -> list[dt.date]:
    """The nights a run loads, oldest first: its own, or a backfill's."""
    start = first or export_date
    return [start + dt.timedelta(days=n) for n in range((export_date - start).days + 1)]


def ingest(export_date: dt.date, first: dt.date | None = None) -> dict[str, Any]:
    """Load the night's deliveries (with a backfill's `first`, every night from it, oldest
    first, each in its own batch as its nightly run would have). dbt's incremental models
    then take every new batch at once."""
    s, cfg = settings(), county()
    loaded = rejected = 0
    run_nights = nights(export_date, first)
    with connect(database_url()) as conn:
        for each in run_nights:
            night = ingest_night(conn, cfg, s.landing_dir, each)
            conn.commit()
            loaded, rejected = loaded + night.rows_loaded, rejected + night.rows_rejected
            if first:
                log.info("backfill: %s loaded (%d rows, %d quarantined)", each,
                         night.rows_loaded, night.rows_rejected)
    summary = {
        "export_date": export_date.isoformat(),
        "batch_id": night.batch_id,
        "rows_loaded": night.rows_loaded,
        "rows_rejected": night.rows_rejected,
        "deliveries": [
            {k: v for k, v in asdict(d).items() if k != "files"} for d in night.deliveries
        ],
    }
    summary["late_deliveries"] = [{"facility": d.facility, "export_date": n.isoformat(),
                                   "status": d.status} for n, d in night.late]
    if first:
        summary["backfill"] = {"from": first.isoformat(), "nights": len(run_nights),
                               "rows_loaded": loaded, "rows_rejected": rejected}
    for d in night.deliveries:
        if d.status in ("held", "missing"):
            log.warning("%s %s: %s", d.facility, d.status, d.reason)
    for n, d in night.late:
        log.info("%s's delivery of %s came in late and was loaded", d.facility, n)
    log.info("ingested %s: %d rows loaded, %d quarantined", export_date, loaded, rejected)
    return summary


def gx_docs_dir(export_date: dt.date):
    """Where the night's GX Data Docs go: beside its quality report."""
    return settings().reports_dir / export_date.isoformat() / "gx-docs"


def _validate(layer: str, export_date: dt.date, schema_suffix: str = "",
              first: dt.date | None = None) -> int:
    from countyhealth.validate import validate

    cfg = county()
    outcomes = validate(layer, database_url(), export_date, settings().expectations_dir,
                        cfg.thresholds, schema_suffix,
                        facility_thresholds={f.code: f.thresholds for f in cfg.facilities},
                        docs_dir=gx_docs_dir(export_date), first_night=first)
    return len(outcomes)


def validate_raw(export_date: dt.date, first: dt.date | None = None) -> int:
    """The raw suites on the night's rows (a backfill's: on all its nights' rows)."""
    return _validate("raw", export_date, first=first)


def validate_marts(export_date: dt.date) -> int:
    return _validate("marts", export_date, CANDIDATE_SUFFIX)


def publish_night(export_date: dt.date) -> int:
    with connect(database_url()) as conn:
        return publish(conn, export_date)


def is_backfill(params: dict[str, Any] | None) -> bool:
    """Whether the run is a backfill (its `backfill_from` given): Airflow's run_if condition
    of the tasks only a backfill runs."""
    return bool((params or {}).get("backfill_from"))


def vacuum_after_backfill() -> dict[str, float | None]:
    """A backfill's last step: the warehouse vacuumed, analyzed and checkpointed once, so
    that the nights after it do not (countyhealth.maintenance)."""
    from countyhealth.maintenance import vacuum_after_backfill as vacuum

    return vacuum(database_url()).as_dict()


def report(export_date: dt.date) -> str:
    """The night's HTML quality report (with dbt docs beside it) and the text summary."""
    from countyhealth.report import write_text_report
    from countyhealth.report_html import write_night_report

    path = write_night_report(export_date, database_url(), settings().reports_dir,
                              county().county.name)
    write_text_report(export_date)
    log.info("report written to %s", path)
    return str(path)


def record_task_failure(context: dict[str, Any]) -> None:
    """Airflow's on_failure_callback: every failed task (each try) is written to
    ingest.task_failures with its night and error, so a county's operators see failures in
    the warehouse they already watch. A callback must never fail the failure handling, so
    problems here are logged, not raised."""
    try:
        ti = context.get("ti") or context.get("task_instance")
        error = context.get("exception")
        try:
            night = export_date_for(context.get("params"), context.get("logical_date"))
        except ValueError:
            night = None
        with connect(database_url()) as conn:
            conn.execute(
                "insert into ingest.task_failures (export_date, dag_id, run_id, task_id, "
                "try_number, error) values (%s, %s, %s, %s, %s, %s)",
                (night, getattr(ti, "dag_id", None) or "county_health_nightly",
                 getattr(ti, "run_id", None), getattr(ti, "task_id", None) or "unknown",
                 getattr(ti, "try_number", None),
                 None if error is None else f"{type(error).__name__}: {error}"[:20000]))
            conn.commit()
    except Exception:  # noqa: BLE001 - the callback reports; it must not raise
        log.exception("could not record the task failure in ingest.task_failures")
