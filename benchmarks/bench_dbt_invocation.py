"""What a dbt invocation costs besides its model: the DAG's tasks and run_dbt, A/B.

    python benchmarks/bench_dbt_invocation.py [--pairs 8]

On a small built county (its own database on the embedded warehouse) it times, alternating
A and B so that both meet the same machine:
  1. one model built in process with dbtRunner, as a Cosmos task does (a fresh target
     folder holding the cached partial parse): dbt writing its JSON artifacts (A) or not,
     `--no-write-json` (B, countyhealth.dbt_group.NO_ARTIFACTS);
  2. `run_dbt` building the same model in a fresh work folder with no parse to start
     from (A: a whole parse) or with the parse the last run on the database left (B);
  3. the same model through Cosmos's own runner (`cosmos.dbt.runner.run_command`, which
     collects garbage after dbt), from a stack as deep as a task's, in this process with
     Airflow, Cosmos and GX loaded: as dbt_common and Cosmos do it (A) or after the DAG's
     dbt tasks' `pre_execute` hook (B, countyhealth.dbt_in_process.before_dbt_task). A
     task process of `airflow dags test` holds more (the DAG, the execution API), so a
     night saves more than this: docs/benchmarks.md, part 13.
Prints the median of each. A benchmark, not a test: figures for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from bench_ingest import fresh_database  # benchmarks/ is the script's folder

from countyhealth.config import load_config, settings
from countyhealth.dbt_group import (
    NO_ARTIFACTS,
    PARTIAL_PARSE,
    dbt_executable,
    parse_cache_path,
    run_dbt,
)
from countyhealth.dbt_in_process import before_dbt_task
from countyhealth.ingest.loader import ingest_night
from countyhealth.synth import generate
from countyhealth.warehouse import client_env, database_url

MODEL = "int_family_doctor_contracts__latest"
START = dt.date(2026, 3, 1)


def built_county(url: str, work: Path) -> None:
    county = generate(work / "county", population=3000, days=2, start=START, seed=5,
                      townships=2, villages_per_township=2)
    for night in (START, START + dt.timedelta(days=1)):
        with psycopg.connect(url) as conn:
            ingest_night(conn, load_config(county.config_path), county.landing, night)
            conn.commit()
        done = run_dbt(["build"], url, work / f"build-{night}")
        if done.returncode != 0:
            sys.exit("dbt build failed:\n" + done.stdout[-3000:])


def _model_build(tmp: str, parse: Path, flags: list[str]) -> list[str]:
    """dbt's arguments to build MODEL in a fresh target folder under `tmp` that holds the
    cached partial parse, as a Cosmos task's clone of the project does."""
    project = str(settings().dbt_project_dir)
    (Path(tmp) / "target").mkdir()
    shutil.copyfile(parse, Path(tmp) / "target" / PARTIAL_PARSE)
    return ["build", "--select", MODEL, "--project-dir", project, "--profiles-dir", project,
            "--target-path", f"{tmp}/target", "--log-path", f"{tmp}/logs", "--quiet", *flags]


def in_process(parse: Path, flags: list[str]) -> float:
    """One `dbt build` of MODEL through dbtRunner, as a Cosmos task runs it."""
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory() as tmp:
        args = _model_build(tmp, parse, flags)
        started = time.perf_counter()
        result = dbtRunner().invoke(args)
        seconds = time.perf_counter() - started
    if not result.success:
        sys.exit(f"dbt build of {MODEL} failed: {result.exception}")
    return seconds


TASK_STACK_DEPTH = 40  # frames above a Cosmos task's dbt call in a task process


def through_cosmos(parse: Path, hooked: bool, original_source: object) -> float:
    """One build of MODEL through Cosmos's runner, with or without the DAG's hook."""
    from cosmos.dbt.runner import run_command
    from dbt_common.behavior_flags import BehaviorFlagRendered

    if hooked:
        before_dbt_task(None)
    else:
        BehaviorFlagRendered._default_source = original_source
        gc.unfreeze()
    with tempfile.TemporaryDirectory() as tmp:
        command = [dbt_executable(), *_model_build(tmp, parse, NO_ARTIFACTS)]
        project = str(settings().dbt_project_dir)
        started = time.perf_counter()
        result = _nested(TASK_STACK_DEPTH, lambda: run_command(command, dict(os.environ),
                                                               project))
        seconds = time.perf_counter() - started
    if not result.success:
        sys.exit(f"dbt build of {MODEL} through Cosmos failed: {result.exception}")
    return seconds


def _nested(depth: int, call):
    return _nested(depth - 1, call) if depth else call()


def through_run_dbt(url: str, work: Path, keep_parse: bool) -> float:
    cached = parse_cache_path(url, ["build"])
    if not keep_parse:
        cached.unlink(missing_ok=True)
    started = time.perf_counter()
    done = run_dbt(["build", "--select", MODEL], url, work)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit("dbt build failed:\n" + done.stdout[-3000:])
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=8)
    args = ap.parse_args()
    url = fresh_database(database_url(), "chw_bench_invocation")
    work = Path(tempfile.mkdtemp(prefix="chw-bench-invocation-"))
    try:
        built_county(url, work)
        os.environ.update(client_env(url))
        parse = parse_cache_path(url, ["build"])
        in_process(parse, [])  # dbt imported and warm before the first timing
        import airflow.sdk  # noqa: F401  the modules a task process holds
        import great_expectations  # noqa: F401
        from dbt_common.behavior_flags import BehaviorFlagRendered

        original_source = BehaviorFlagRendered.__dict__["_default_source"]
        timings: dict[str, list[float]] = {k: [] for k in
                                            ("writes JSON", "--no-write-json",
                                             "whole parse", "parse handed on",
                                             "cosmos as it is", "cosmos, hooked")}
        for n in range(args.pairs):
            timings["writes JSON"].append(in_process(parse, []))
            timings["--no-write-json"].append(in_process(parse, NO_ARTIFACTS))
            timings["whole parse"].append(through_run_dbt(url, work / f"a{n}", False))
            timings["parse handed on"].append(through_run_dbt(url, work / f"b{n}", True))
            timings["cosmos as it is"].append(through_cosmos(parse, False, original_source))
            timings["cosmos, hooked"].append(through_cosmos(parse, True, original_source))
        for what, seconds in timings.items():
            print(f"{what:18s} median {statistics.median(seconds):.2f} s "
                  f"(min {min(seconds):.2f}, max {max(seconds):.2f}, n={len(seconds)})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
