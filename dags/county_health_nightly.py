"""county_health_nightly: one export night, end to end (Airflow 3 DAG).

wait for deliveries -> ingest (COPY into raw, quarantine) -> GX raw suite -> dbt build via
Cosmos into candidate schemas (one task per model; seeds + staging views, and the quality
marts, in one task each) -> GX
marts suite -> atomic publish -> report (HTML, dbt docs) -> a backfill's vacuum (skipped
on ordinary nights).

Thin on purpose: every step is a function in `countyhealth.pipeline`; the dbt graph is
rendered by Cosmos from the manifest built at install time (`chw dbt-manifest`).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from countyhealth import pipeline, task_metrics
from countyhealth.dbt_group import dbt_build_group, dbt_prepare_task, dbt_quality_task

TZ = "Asia/Shanghai"


def _night() -> dt.date:
    ctx = get_current_context()
    return pipeline.export_date_for(ctx["params"], ctx.get("logical_date"), TZ)


def _first() -> dt.date | None:
    return pipeline.backfill_from(get_current_context()["params"], _night())


@dag(
    dag_id="county_health_nightly",
    description="Ingest every facility's export night, build the EHR and indicators, "
    "validate, publish.",
    schedule="0 2 * * *",
    start_date=pendulum.parse(pipeline.schedule_start(), tz=TZ),
    catchup=True,
    max_active_runs=1,
    default_args={"retries": pipeline.task_retries(), "retry_delay": dt.timedelta(minutes=5),
                  "retry_exponential_backoff": True,
                  "on_failure_callback": pipeline.record_task_failure,
                  "on_execute_callback": task_metrics.task_started,
                  "on_success_callback": task_metrics.task_succeeded},
    params={"export_date": Param(None, type=["null", "string"], format="date",
                                 description="Export night (YYYY-MM-DD); default: the day "
                                 "before the run in Asia/Shanghai"),
            "delivery_wait_minutes": Param(None, type=["null", "number"], minimum=0,
                                           description="How long to wait for missing "
                                           "deliveries; default: the county config's "
                                           "thresholds.delivery_wait_minutes"),
            "backfill_from": Param(None, type=["null", "string"], format="date",
                                   description="Backfill: load and validate every night "
                                   "from this one (YYYY-MM-DD) to export_date in this run; "
                                   "dbt builds them at once")},
    tags=["county-health"],
)
def county_health_nightly():
    @task.sensor(poke_interval=30, timeout=6 * 3600, mode="reschedule")
    def wait_for_deliveries():
        from airflow.sdk import PokeReturnValue

        ctx = get_current_context()
        status = pipeline.delivery_status(_night())
        started = ctx["ti"].start_date or pendulum.now("UTC")
        waited = (pendulum.now("UTC") - started).total_seconds() / 60
        done = not status.missing or waited >= pipeline.wait_limit_minutes(ctx["params"])
        return PokeReturnValue(is_done=done, xcom_value={"ready": status.ready,
                                                         "missing": status.missing})

    @task
    def ingest():
        return pipeline.ingest(_night(), _first())

    @task
    def validate_raw():
        return pipeline.validate_raw(_night(), _first())

    @task
    def validate_marts():
        return pipeline.validate_marts(_night())

    @task
    def publish():
        return pipeline.publish_night(_night())

    @task
    def report():
        return pipeline.report(_night())

    @task.run_if(lambda context: pipeline.is_backfill(context["params"]),
                 skip_message="one night: autovacuum has until the next")
    @task
    def vacuum_after_backfill():
        return pipeline.vacuum_after_backfill()

    dbt_build = dbt_build_group()
    (wait_for_deliveries() >> ingest() >> validate_raw() >> dbt_prepare_task(dbt_build)
     >> dbt_build >> dbt_quality_task(dbt_build) >> validate_marts() >> publish() >> report()
     >> vacuum_after_backfill())


county_health_nightly()
