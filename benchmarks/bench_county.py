"""A county-size night, end to end through the real DAG, with a short and a long history.

    make bench   (ingest per format first, then this; or:
                  python benchmarks/bench_county.py --population 1000000 --history 365)

A benchmark, not a test: it prints the figures of docs/benchmarks.md and writes them to
<CHW_HOME>/bench/county-results.md. On a generated county (no truth: each night written as
it is simulated) of `--population` residents and `--history` + 2 nights it runs, each on a
fresh database of the embedded warehouse, through `airflow dags test` (the DAG the server
schedules):

  short:  a backfill of the first `--short` nights (one DAG run, `backfill_from`), then the
          next two nights as nightly runs;
  long:   a backfill of all `--history` nights, then the two nights after them.

The first night after a backfill builds on a copy of the publication (one night behind);
the second builds on the schemas the first's publication retired, two nights behind, as
every later night does (countyhealth.publish): the steady night a server runs. The nights
are the same kind (~60,000 rows at a million residents), so the ratio of the two steady
nights is what history costs a night (the first nights' is reported too). For every run it
reports the wall time, each
task's seconds and peak memory (ingest.task_runs, written by the DAG's callbacks), the share
spent in validation (GX), the ten slowest dbt models (dbt's own timings from the run's log)
and the database's size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from bench_empi import fresh_database  # benchmarks/ is the script's folder

from countyhealth.config import settings
from countyhealth.runner import run_night
from countyhealth.synth import generate

START = dt.date(2026, 3, 1)
# dbt's line for a built model: "... OK created sql incremental model ehr.encounter ...
# [INSERT 0 95342 in 4.40s]" (a model built in a run of several); tests are not models
_DBT_MODEL = re.compile(r"OK created sql (\w+) model ([\w.]+)\s.*\[(.*) in ([\d.]+)s\]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
VALIDATION_TASKS = ("validate_raw", "validate_marts")


@dataclass
class RunFigures:
    label: str
    nights: int
    seconds: float
    rows: int
    tasks: list[tuple[str, float, float]] = field(default_factory=list)  # id, s, peak MB
    models: list[tuple[str, str, float]] = field(default_factory=list)  # model, what, s
    database_mb: float = 0.0

    @property
    def validation_share(self) -> float:
        spent = sum(s for t, s, _ in self.tasks if t in VALIDATION_TASKS)
        return spent / self.seconds if self.seconds else 0.0


def run(label: str, url: str, county: Path, night: dt.date,
        first: dt.date | None = None) -> RunFigures:
    """One DAG run on the database at `url`, timed, with what it recorded."""
    os.environ["CHW_DATABASE_URL"] = url
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    result = run_night(night, county / "county.yaml", county / "landing", backfill_from=first)
    seconds = time.perf_counter() - started
    if not result.ok:
        sys.exit(f"{label}: the run failed ({', '.join(result.failed_tasks)}); "
                 f"see {result.log_path}\n" + "\n".join(result.failure_lines[:20]))
    with psycopg.connect(url) as conn:
        tasks = conn.execute(
            "select task_id, seconds, peak_rss_mb from ingest.task_runs "
            "where finished_at >= %s order by finished_at", (started_at,)).fetchall()
        rows = conn.execute(
            "select coalesce(sum(rows_loaded + rows_rejected), 0) from ingest.files "
            "where export_date between %s and %s", (first or night, night)).fetchone()[0]
        size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    models = []
    log = _ANSI.sub("", result.log_path.read_text(encoding="utf-8", errors="replace"))
    for line in log.splitlines():
        if m := _DBT_MODEL.search(line):
            models.append((m.group(2), f"{m.group(1)}: {m.group(3)}", float(m.group(4))))
    nights = (night - (first or night)).days + 1
    figures = RunFigures(label, nights, seconds, int(rows), list(tasks),
                         sorted(models, key=lambda m: -m[2]), size / 1e6)
    print(f"{label}: {nights} night(s), {rows:,} rows, {seconds:.0f} s, "
          f"validation {figures.validation_share:.0%}, database {size / 1e9:.1f} GB",
          flush=True)
    return figures


def largest_file_mb(landing: Path, night: dt.date) -> float:
    files = [p for p in landing.glob(f"*/{night.isoformat()}/*") if p.name != "manifest.json"]
    return max((p.stat().st_size for p in files), default=0) / 1e6


def report(runs: list[RunFigures], county: Path, generated: str) -> str:
    """runs: per leg (short, long) the backfill, the first night and the steady night."""
    short_first, short_night, backfill, long_first, long_night = runs[1:6]
    landing = county / "landing"
    out = [f"# County benchmark ({generated})", ""]
    out.append("| run | nights | rows | wall time | validation share | database |")
    out.append("|---|---|---|---|---|---|")
    for r in runs:
        out.append(f"| {r.label} | {r.nights} | {r.rows:,} | {r.seconds:.0f} s | "
                   f"{r.validation_share:.1%} | {r.database_mb / 1000:.1f} GB |")
    out.append("")
    out.append(f"Steady nights, {long_night.label} / {short_night.label}: "
               f"{long_night.seconds / short_night.seconds:.2f} (goal: at most 1.3); the first "
               f"nights after the backfills, {long_first.label} / {short_first.label}: "
               f"{long_first.seconds / short_first.seconds:.2f}")
    out.append("")
    out.append("## Tasks: seconds and peak memory (MB)")
    out.append("")
    out.append("| task | " + " | ".join(r.label for r in runs) + " |")
    out.append("|---|" + "---|" * len(runs))
    ids = list(dict.fromkeys(t for r in runs for t, _, _ in r.tasks))
    for task in ids:
        cells = []
        for r in runs:
            hit = [(s, m) for t, s, m in r.tasks if t == task]
            cells.append(f"{hit[0][0]:.1f} s, {hit[0][1]:.0f} MB" if hit else "")
        out.append(f"| {task} | " + " | ".join(cells) + " |")
    out.append("")
    long_date = START + dt.timedelta(days=backfill.nights)
    out.append(f"Largest file: {largest_file_mb(landing, START):.0f} MB on the first night "
               f"(the registry, in both backfills), {largest_file_mb(landing, long_date):.1f} MB "
               f"on {long_date}.")
    for r in (short_night, long_night, backfill):
        out.append("")
        out.append(f"## Ten slowest dbt models: {r.label}")
        out.append("")
        out.append("| model | materialised: rows | seconds |")
        out.append("|---|---|---|")
        for model, what, secs in r.models[:10]:
            out.append(f"| {model} | {what} | {secs:.1f} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--history", type=int, default=365, help="nights of the long history")
    ap.add_argument("--short", type=int, default=30, help="nights of the short history")
    ap.add_argument("--legs", default="short,long",
                    help="which legs to run (short, long); the others' figures are read from "
                    "the last run that measured them")
    args = ap.parse_args()
    days = args.history + 2  # the two nights after the long backfill
    county = settings().home / "bench" / f"county-{args.population}-{days}"
    if not (county / "truth.json").exists():
        started = time.perf_counter()
        g = generate(county, population=args.population, days=days, start=START, truth=False)
        print(f"generated {g.rows_written:,} rows in {time.perf_counter() - started:.0f} s",
              flush=True)
    night = [START + dt.timedelta(days=n) for n in range(days)]
    saved = county.with_name(county.name + "-runs.json")
    legs = json.loads(saved.read_text()) if saved.exists() else {}
    for leg, nights in (("short", args.short), ("long", args.history)):
        if leg not in args.legs.split(","):
            continue
        url = fresh_database(f"chw_bench_{leg}")
        backfill = run(f"backfill {nights} nights", url, county, night[nights - 1],
                       first=night[0])
        first = run(f"night {nights + 1} ({nights} days of history, first)", url, county,
                    night[nights])
        steady = run(f"night {nights + 2} ({nights + 1} days of history)", url, county,
                     night[nights + 1])
        legs[leg] = [asdict(backfill), asdict(first), asdict(steady)]
        saved.write_text(json.dumps(legs, indent=1))
    if {"short", "long"} - set(legs) or any(len(legs[leg]) != 3 for leg in legs):
        sys.exit(f"run both legs (--legs): have {sorted(legs)}, each needs three runs")
    runs = [RunFigures(**r) for leg in ("short", "long") for r in legs[leg]]
    text = report(runs, county, f"{args.population:,} residents, "
                  f"{dt.date.today().isoformat()}")
    path = settings().home / "bench" / "county-results.md"
    path.write_text(text, encoding="utf-8")
    print("\n" + text + f"\n(written to {path})")


if __name__ == "__main__":
    main()
