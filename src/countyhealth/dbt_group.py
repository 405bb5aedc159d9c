"""The dbt part of the DAG, rendered by astronomer-cosmos (one task per model, seed and test).

Lessons from Cosmos' users (astronomer-cosmos #840, #602, #1647): parsing the project or
running `dbt deps` per task makes DAG parsing and runs slow. So the graph is read from the
manifest.json built once at install time (LoadMode.DBT_MANIFEST), deps are never installed
at run time, and partial parsing stays on. We run in LOCAL mode (dbt in-process via
dbtRunner), not the watcher mode, which has reported failed tests as green (#2311).
Each model and seed is ONE task running `dbt build --select <node>` (TestBehavior.BUILD):
its tests run in the same dbt invocation, and a failing test still stops everything
downstream; this halves the dbt invocations a night pays for (each costs a project load).
Two kinds of nodes are the exception, because each builds in milliseconds but would cost a
2.5 s task apiece: the seeds and the staging views (renames and casts) are built by ONE Cosmos
`dbt build` task before the group (dbt_prepare_task), the fifty small quality models
(numerators, denominators) by ONE after it (dbt_quality_task). Measured: a night of 150 tasks
took 6 minutes, of 60 110 s, of 36 80 s (4,000 residents, this 2-core machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from countyhealth.config import settings

PROFILE = "countyhealth"
TARGET = "warehouse"


def manifest_path(project_dir: Path | None = None) -> Path:
    return (project_dir or settings().dbt_project_dir) / "target" / "manifest.json"


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(args: list[str], url: str, work: Path, timeout: int = 1800
            ) -> subprocess.CompletedProcess:
    """dbt on the project against the warehouse at `url`, outside Airflow (tests and
    benchmarks that build a few models), its target and logs under `work`."""
    from countyhealth.warehouse import client_env

    project = settings().dbt_project_dir
    return subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir",
         str(project), "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env={**os.environ, **client_env(url)}, capture_output=True, text=True, timeout=timeout)


QUALITY = "path:models/quality"
PREPARE = "resource_type:seed path:models/staging"


def _profile_config():
    from cosmos import ProfileConfig

    return ProfileConfig(profile_name=PROFILE, target_name=TARGET,
                         profiles_yml_filepath=settings().dbt_project_dir / "profiles.yml")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(("CHW_", "DBT_"))}


def dbt_build_group(group_id: str = "dbt_build"):
    """A Cosmos DbtTaskGroup for the project but the quality marts; must be called inside a
    DAG context."""
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import ExecutionMode, LoadMode, TestBehavior

    project = settings().dbt_project_dir
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project,
            manifest_path=manifest_path(project),
            install_dbt_deps=False,
            partial_parse=True,
        ),
        profile_config=_profile_config(),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            dbt_executable_path=dbt_executable(),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            emit_datasets=False,
            # a test spanning two models (relationships) runs once both exist
            should_detach_multiple_parents_tests=True,
            exclude=[QUALITY, *PREPARE.split()],
        ),
        operator_args={"install_deps": False, "env": _env()},
    )


def dbt_prepare_task(task_id: str = "dbt_prepare"):
    """One Cosmos task building the seeds and the staging views with their tests: before
    dbt_build_group."""
    return _dbt_build_task(task_id, PREPARE)


def dbt_quality_task(task_id: str = "dbt_quality"):
    """One Cosmos task building every quality model with its tests (`dbt build --select
    path:models/quality`): after dbt_build_group, before the marts are validated."""
    return _dbt_build_task(task_id, QUALITY)


def _dbt_build_task(task_id: str, select: str):
    from cosmos.operators.local import DbtBuildLocalOperator

    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(settings().dbt_project_dir),
        profile_config=_profile_config(),
        select=select,
        # a test runs with the task that builds its last parent (a relationship to a seed
        # with the model, not with the seed)
        indirect_selection="buildable",
        install_deps=False,
        partial_parse=True,
        dbt_executable_path=dbt_executable(),
        emit_datasets=False,
        env=_env(),
    )
