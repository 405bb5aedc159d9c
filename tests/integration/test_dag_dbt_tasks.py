"""The nightly DAG as the scheduler parses it: every task that runs dbt in its own process
(Cosmos) runs countyhealth.dbt_in_process.before_dbt_task first and hands dbt's parse on
through one folder (countyhealth.dbt_group.parse_cache_dir)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from countyhealth.config import settings
from countyhealth.dbt_in_process import before_dbt_task
from countyhealth.runtime import ensure_dbt_manifest


def test_every_dbt_task_of_the_dag_runs_the_hook_first_and_shares_one_parse(chw_home: Path):
    ensure_dbt_manifest(dict(os.environ))  # what `chw run` and the server's init job do
    path = settings().project_dir / "dags" / "county_health_nightly.py"
    spec = importlib.util.spec_from_file_location("county_health_nightly_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.county_health_nightly()

    dbt_tasks = [t for t in dag.tasks if type(t).__module__.startswith("cosmos.")]
    assert len(dbt_tasks) >= 30  # dbt_prepare, a task per model, dbt_quality
    assert {"dbt_prepare", "dbt_quality"} <= {t.task_id for t in dbt_tasks}
    assert all(t._pre_execute_hook is before_dbt_task for t in dbt_tasks), [
        t.task_id for t in dbt_tasks if t._pre_execute_hook is not before_dbt_task]
    # the tasks made alone (dbt_prepare, dbt_quality) too: without the group's folder
    # their dbt parsed the whole project every night
    assert len({t.cache_dir for t in dbt_tasks}) == 1, {t.task_id: t.cache_dir
                                                         for t in dbt_tasks}
    assert dbt_tasks[0].cache_dir is not None
