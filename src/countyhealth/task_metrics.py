"""What each task of a night costs: its wall time and its peak memory, in ingest.task_runs.

Airflow's own task durations leave out memory, and memory is what decides how many workers
a server can run side by side. The DAG sets `task_started` as every task's
on_execute_callback and `task_succeeded` as its on_success_callback; both run in the
process that executes the task. Peak memory is the process's high-water mark of resident
memory (VmHWM), reset when the task starts (Linux: writing 5 to /proc/self/clear_refs), so
a task measured in `airflow dags test` (one process for every task) is not charged with
what an earlier task held. dbt runs in-process (Cosmos LOCAL mode), so its memory counts;
PostgreSQL's own memory is the server's, not the task's.
"""

from __future__ import annotations

import logging
import resource
import time
from pathlib import Path
from typing import Any

import psycopg

from countyhealth.ingest.tables import TASK_RUNS_DDL
from countyhealth.warehouse import connect, database_url

log = logging.getLogger(__name__)

_INSERT = ("insert into ingest.task_runs (export_date, dag_id, run_id, task_id, try_number, "
           "seconds, peak_rss_mb, peak_since_task_start) values (%s, %s, %s, %s, %s, %s, %s, %s)")
_started: dict[tuple[Any, ...], tuple[float, bool]] = {}


def reset_peak_memory() -> bool:
    """Reset this process's resident-memory high-water mark; False where the kernel cannot
    (then the peak is the process's since it started)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_memory_mb() -> float:
    """The process's resident-memory high-water mark (since the last reset), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _key(context: dict[str, Any]) -> tuple[Any, ...]:
    ti = context.get("ti") or context.get("task_instance")
    return (getattr(ti, "run_id", None), getattr(ti, "task_id", None),
            getattr(ti, "map_index", None), getattr(ti, "try_number", None))


def task_started(context: dict[str, Any]) -> None:
    """on_execute_callback: the clock starts and the memory high-water mark is reset."""
    _started[_key(context)] = (time.perf_counter(), reset_peak_memory())


def task_succeeded(context: dict[str, Any]) -> None:
    """on_success_callback: the task's seconds and peak memory go to ingest.task_runs.
    Never raises: a metric must not fail a night."""
    try:
        from countyhealth.pipeline import export_date_for

        key = _key(context)
        started, reset = _started.pop(key, (None, False))
        seconds = None if started is None else time.perf_counter() - started
        try:
            night = export_date_for(context.get("params"), context.get("logical_date"))
        except ValueError:
            night = None
        ti = context.get("ti") or context.get("task_instance")
        row = (night, getattr(ti, "dag_id", None) or "county_health_nightly", key[0],
               key[1] or "unknown", key[3], seconds, round(peak_memory_mb(), 1), reset)
        with connect(database_url()) as conn:
            try:
                conn.execute(_INSERT, row)
            except psycopg.errors.UndefinedTable:  # a new warehouse: its first task
                conn.rollback()
                conn.execute(TASK_RUNS_DDL)
                conn.execute(_INSERT, row)
            conn.commit()
    except Exception:  # noqa: BLE001 - the callback reports; it must not raise
        log.exception("could not record the task's metrics in ingest.task_runs")
