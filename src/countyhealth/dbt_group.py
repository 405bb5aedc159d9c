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

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from countyhealth.config import settings
from countyhealth.dbt_in_process import before_dbt_task

PROFILE = "countyhealth"
TARGET = "warehouse"


def manifest_path(project_dir: Path | None = None) -> Path:
    return (project_dir or settings().dbt_project_dir) / "target" / "manifest.json"


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(args: list[str], url: str, work: Path, timeout: int = 1800
            ) -> subprocess.CompletedProcess:
    """dbt on the project against the warehouse at `url`, outside Airflow (tests,
    benchmarks, the report's docs), its target and logs under `work`.

    Each `work` is a fresh target, where dbt would parse the whole project again (5-7 s of
    a small build; every night's `dbt docs generate` too). So the parse dbt leaves
    (partial_parse.msgpack) is kept per database and vars (parse_cache_path) and handed to
    the next run: dbt checks it against the project's files, vars, profile and version and
    parses again whatever changed, so a stale copy costs a parse, never a wrong build."""
    from countyhealth.warehouse import client_env

    project = settings().dbt_project_dir
    cached = parse_cache_path(url, args)
    target = work / "target"
    handed = None
    if cached.exists() and not (target / PARTIAL_PARSE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target / PARTIAL_PARSE)
        handed = (target / PARTIAL_PARSE).stat().st_mtime_ns
    done = subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir",
         str(project), "--target-path", str(target), "--log-path", str(work / "logs")],
        env={**os.environ, **client_env(url)}, capture_output=True, text=True, timeout=timeout)
    left = target / PARTIAL_PARSE
    if left.exists() and left.stat().st_mtime_ns != handed:  # dbt parsed: keep its parse
        cached.parent.mkdir(parents=True, exist_ok=True)
        spare = cached.with_name(f"{cached.name}.{os.getpid()}")
        shutil.copyfile(left, spare)
        spare.replace(cached)  # whole or not at all, should two runs finish together
    return done


PARTIAL_PARSE = "partial_parse.msgpack"


def parse_cache_path(url: str, args: list[str]) -> Path:
    """Where run_dbt keeps dbt's parse for the database at `url` and the run's `--vars`
    (dbt's parse depends on both: the database is in every node, vars in the SQL)."""
    from countyhealth.warehouse import url_parts

    parts = url_parts(url)
    given = args[args.index("--vars") + 1] if "--vars" in args[:-1] else ""
    key = "|".join([parts["host"], parts["port"], parts["user"], parts["dbname"], given])
    return settings().home / "dbt_parse_cache" / (
        hashlib.sha256(key.encode()).hexdigest()[:20] + ".msgpack")


QUALITY = "path:models/quality"
# A task's dbt writes no manifest.json (twice: after parsing and after running: 2 MB each),
# semantic manifest or run_results.json: the graph comes from the install-time manifest and
# nothing reads a task's artifacts. 2.22 -> 1.32 s an invocation of one small model
# (benchmarks/bench_dbt_invocation.py), ~0.9 s of each of a night's ~32 dbt tasks. The
# partial parse file is still written, and Cosmos hands it to the next task.
NO_ARTIFACTS = ["--no-write-json"]
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
        operator_args={"install_deps": False, "env": _env(), "dbt_cmd_flags": NO_ARTIFACTS,
                       "pre_execute": before_dbt_task},
    )


def dbt_prepare_task(group, task_id: str = "dbt_prepare"):
    """One Cosmos task building the seeds and the staging views with their tests: before
    dbt_build_group's `group`, whose parse it shares (parse_cache_dir)."""
    return _dbt_build_task(task_id, PREPARE, parse_cache_dir(group))


def dbt_quality_task(group, task_id: str = "dbt_quality"):
    """One Cosmos task building every quality model with its tests (`dbt build --select
    path:models/quality`): after dbt_build_group's `group`, whose parse it shares
    (parse_cache_dir), before the marts are validated."""
    return _dbt_build_task(task_id, QUALITY, parse_cache_dir(group))


def parse_cache_dir(group) -> Path | None:
    """The folder where the Cosmos tasks of `group` (a DbtTaskGroup) keep dbt's partial
    parse and hand it from task to task; None when Cosmos' cache is off.

    Cosmos gives that folder only to the tasks a DbtDag or DbtTaskGroup renders. A task
    made alone (dbt_prepare, dbt_quality) has none, so its dbt parsed the whole project
    every night: 12 s of dbt_prepare's 28 s and 8 s of dbt_quality's 32 s on a night of
    200,000 residents. Sharing the group's folder, each starts from the parse the task
    before it left (dbt checks it against the files, vars, profile and version)."""
    return next((task.cache_dir for task in group.children.values()
                 if getattr(task, "cache_dir", None) is not None), None)


def _dbt_build_task(task_id: str, select: str, cache_dir: Path | None):
    from cosmos.operators.local import DbtBuildLocalOperator

    return DbtBuildLocalOperator(
        task_id=task_id,
        cache_dir=cache_dir,
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
        dbt_cmd_flags=NO_ARTIFACTS,
        pre_execute=before_dbt_task,
    )
