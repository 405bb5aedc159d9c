"""Runs the real Airflow DAG for one export night with `airflow dags test` (embedded mode).

`airflow dags test` executes one DagRun in-process with SQLite metadata: no scheduler, no
webserver, no Docker, yet the very DAG the server schedules. Output goes to a log file under
`<CHW_HOME>/logs/`; the console shows which task is running.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from countyhealth.config import load_config, settings
from countyhealth.runtime import airflow_env, ensure_airflow_db, ensure_dbt_manifest
from countyhealth.warehouse import database_url

DAG_ID = "county_health_nightly"
_NEW_STATE = re.compile(r"new_state=(\w+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=([\w.]+)")
_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=([\w.]+)")
_RUN_DONE = re.compile(r"Marking run <DagRun .*> (successful|failed)")
_FAILURE_HINT = re.compile(r"(ValidationFailed|PublishError|ConfigError|WarehouseError|"
                           r"expectations failed|Database Error|Compilation Error|FAIL \d)")


@dataclass
class RunResult:
    export_date: dt.date
    ok: bool
    log_path: Path
    returncode: int
    tasks: dict[str, str] = field(default_factory=dict)
    failure_lines: list[str] = field(default_factory=list)
    current_task: str | None = None

    @property
    def failed_tasks(self) -> list[str]:
        return [t for t, s in self.tasks.items() if s not in ("success", "skipped")]


def logical_date_for(export_date: dt.date) -> str:
    """The scheduled run that processes night D starts at 02:00 Asia/Shanghai on D+1."""
    return f"{export_date + dt.timedelta(days=1)}T02:00:00+08:00"


def run_night(export_date: dt.date, config_path: Path, landing: Path,
              on_line: Callable[[str], None] | None = None,
              wait_minutes: float = 0, backfill_from: dt.date | None = None) -> RunResult:
    """Run the DAG for one night. `wait_minutes`: how long to wait for deliveries that have
    no manifest yet (0: a manual run processes what has arrived and reports the rest).
    `backfill_from`: every night from it to `export_date` in this one run."""
    load_config(config_path)  # a broken config fails here, with its message, not in a task
    url = database_url()
    env = airflow_env(url, config_path.resolve(), landing.resolve())
    ensure_airflow_db(env)
    ensure_dbt_manifest(env)
    logs = settings().home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{DAG_ID}-{export_date.isoformat()}.log"
    cmd = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID,
           logical_date_for(export_date), "-c",
           json.dumps({"export_date": export_date.isoformat(),
                       "delivery_wait_minutes": wait_minutes,
                       "backfill_from": backfill_from and backfill_from.isoformat()})]
    result = RunResult(export_date, False, log_path, -1)
    last_state, run_state, capturing = "unknown", None, False
    with log_path.open("w", encoding="utf-8") as log, subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors="replace", cwd=str(settings().project_dir),
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if m := _NEW_STATE.search(line):
                last_state = m.group(1)
            elif m := _TASK_END.search(line):
                result.tasks[m.group(1)] = last_state
                last_state = "unknown"
            elif m := _RUN_DONE.search(line):
                run_state = m.group(1)
            elif m := _TASK_START.search(line):
                result.current_task = m.group(1)
            if len(result.failure_lines) < 60 and (
                _FAILURE_HINT.search(line) or (capturing and line.startswith("  - "))):
                result.failure_lines.append(line.rstrip())
            capturing = ("expectations failed" in line) or (capturing and line.startswith("  - "))
            if on_line:
                on_line(line)
        result.returncode = proc.wait()
    result.ok = (result.returncode == 0 and run_state == "successful"
                 and result.tasks.get("publish") == "success")
    return result
