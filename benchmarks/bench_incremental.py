"""What an incremental night costs next to a full rebuild, on a synthetic county.

    make bench-incremental   (or: python benchmarks/bench_incremental.py --population 30000
                              --days 10)

A benchmark, not a test: it prints figures for docs/ehr.md. Every night is ingested, built
with real dbt (`dbt build`, the models and their tests) and published, as the DAG does; the
last night's build is timed, then `dbt build --full-refresh` over the same data. It reports
the rows each incremental model wrote against the rows its table holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import psycopg
from bench_empi import fresh_database  # benchmarks/ is the script's folder

from countyhealth.config import load_config, settings
from countyhealth.dbt_group import run_dbt
from countyhealth.ingest import ingest_night
from countyhealth.publish import publish
from countyhealth.synth import generate

START = dt.date(2026, 3, 1)
TABLES = ("chw_intermediate.int_encounters__latest", "chw_intermediate.int_lab_results__latest",
          "ehr.encounter", "ehr.condition", "ehr.observation", "ehr.medication_request")


def build(url: str, work: Path, *extra: str) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    done = run_dbt(["build", *extra], url, work)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stdout[-4000:])
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    written = {r["unique_id"].rsplit(".", 1)[-1]: r["adapter_response"].get("rows_affected")
               for r in results if r["unique_id"].startswith("model.")}
    return seconds, written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=30000)
    ap.add_argument("--days", type=int, default=10)
    args = ap.parse_args()
    out = settings().home / "bench" / f"incremental-{args.population}-{args.days}"
    if not (out / "truth.json").exists():
        generate(out, population=args.population, days=args.days, start=START, seed=7)
    cfg = load_config(out / "county.yaml")
    url = fresh_database("chw_bench_incremental")
    nights = [START + dt.timedelta(days=n) for n in range(args.days)]
    for night in nights:
        with psycopg.connect(url) as conn:
            ingest_night(conn, cfg, out / "landing", night)
            conn.commit()
        seconds, written = build(url, out / "dbt")
        with psycopg.connect(url) as conn:
            publish(conn, night)
        print(f"night {night}: dbt build {seconds:6.1f} s")
    last_written = written
    with psycopg.connect(url) as conn:
        sizes = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    full_seconds, _ = build(url, out / "dbt", "--full-refresh")
    print(f"\n{args.population:,} residents, {args.days} nights")
    print(f"last night, incremental dbt build: {seconds:.1f} s; "
          f"--full-refresh over the same data: {full_seconds:.1f} s")
    print("rows written by the last night / rows in the table:")
    for table in TABLES:
        model = table.split(".")[1]
        print(f"  {table:45s} {last_written.get(model)!s:>8} / {sizes[table]:,}")


if __name__ == "__main__":
    main()
