"""`chw`, the county health warehouse command line.

    chw demo                      generate a small county, run the real DAG for each night
    chw run --date D              run the DAG for one export night
    chw run --from A --date D     backfill: every night from A to D in one run of the DAG
    chw db start|stop|url         the embedded warehouse
    chw generate --out DIR ...    a synthetic county (config, landing folders, truth.json)
    chw export-fhir --all|--person KEY --out DIR   the published EHR as FHIR R4 NDJSON
    chw report [--date D]         rebuild a night's HTML quality report, print its path
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from rich.console import Console

from countyhealth.config import ConfigError, load_config, settings
from countyhealth.runtime import apply_no_telemetry

console = Console() if sys.stdout.isatty() else Console(width=120)

# the demo's county: small, but every format (HL7 v2, FHIR R4, GBK CSV) and every defect
DEMO = {"population": 5000, "days": 2, "start": "2026-03-01", "seed": 42, "townships": 2,
        "villages_per_township": 2, "hospital_format": "native"}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from exc


def _run_one(export_date: dt.date, config: Path, landing: Path, wait: float = 0,
             backfill_from: dt.date | None = None) -> bool:
    from countyhealth.runner import run_night

    status = console.status(f"[bold]county_health_nightly[/] {export_date}: starting Airflow…")
    state = {"n": 0}

    def on_line(line: str) -> None:
        if "[DAG TEST] starting task_id=" in line:
            state["n"] += 1
            task = line.split("task_id=")[1].split()[0]
            status.update(f"[bold]county_health_nightly[/] {export_date}: task {state['n']} "
                          f"[cyan]{task}[/]")

    with status:
        result = run_night(export_date, config, landing, on_line, wait_minutes=wait,
                           backfill_from=backfill_from)
    if result.ok:
        console.print(f"[green]✓[/] {export_date}: {len(result.tasks)} tasks succeeded, "
                      f"published. Log: {result.log_path}")
        return True
    console.print(f"[red]✗ {export_date}: the run failed; nothing new was published.[/]")
    if result.failed_tasks:
        console.print(f"  failed tasks: {', '.join(result.failed_tasks)}")
    for line in result.failure_lines[:15]:
        console.print(f"  {line[:300]}", markup=False, highlight=False)
    console.print(f"  full log: {result.log_path}")
    return False


def _show_results() -> None:
    from countyhealth.report import indicator_table, ingest_table, levels_table
    from countyhealth.warehouse import database_url, pg_bin_dir

    console.print(ingest_table())
    console.print(indicator_table())
    console.print(levels_table())
    url = database_url()
    reports = sorted(settings().reports_dir.glob("*/index.html"))
    if reports:
        console.print(f"\nQuality report: [bold]{reports[-1]}[/] (chw report rebuilds it)")
    console.print(f"\nConnect: [bold]{pg_bin_dir() / 'psql'} '{url}'[/]")
    console.print("Analysts read schemas [bold]ehr[/] and [bold]quality[/]; "
                  "try: select * from quality.indicator_summary;")


def cmd_demo(args: argparse.Namespace) -> int:
    from countyhealth.publish import last_published
    from countyhealth.synth import generate
    from countyhealth.warehouse import connect, database_url

    demo = settings().home / "demo"
    truth = demo / "truth.json"
    wanted = dict(DEMO)
    known = json.loads(truth.read_text())["arguments"] if truth.exists() else {}
    if {k: known.get(k) for k in wanted} != wanted:
        with console.status("generating the synthetic county…"):
            g = generate(demo, **{**wanted, "start": dt.date.fromisoformat(wanted["start"])})
        console.print(f"[green]✓[/] synthetic county: {g.facilities} facilities, "
                      f"{wanted['population']} residents, {g.rows_written} rows in {g.landing}")
    with console.status("starting the embedded PostgreSQL…"):
        url = database_url()
    console.print(f"[green]✓[/] warehouse at {url}")
    start = dt.date.fromisoformat(wanted["start"])
    with connect(url) as conn:
        published = last_published(conn)
    ok = True
    for i in range(wanted["days"]):
        night = start + dt.timedelta(days=i)
        if published and night <= published and not args.rerun:
            console.print(f"[green]✓[/] {night}: already published (chw demo --rerun runs it "
                          "again; nothing is loaded twice)")
            continue
        ok = _run_one(night, demo / "county.yaml", demo / "landing") and ok
        if not ok:
            break
    _show_results()
    return 0 if ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    s = settings()
    config = Path(args.config) if args.config else s.config_path
    landing = Path(args.landing) if args.landing else s.landing_dir
    try:
        load_config(config)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/]")
        return 2
    if not landing.is_dir():
        console.print(f"[red]landing folder not found: {landing}[/]")
        return 2
    if args.backfill_from and args.backfill_from > args.date:
        console.print(f"[red]--from {args.backfill_from} is after --date {args.date}[/]")
        return 2
    ok = _run_one(args.date, config, landing, args.wait, args.backfill_from)
    if ok:
        _show_results()
    return 0 if ok else 1


def cmd_db(args: argparse.Namespace) -> int:
    from countyhealth.warehouse import database_url, embedded

    if args.action == "url":
        print(database_url())
    elif args.action == "start":
        print(embedded().start())
    elif args.action == "stop":
        stopped = embedded().stop()
        console.print("stopped" if stopped else "not running")
    elif args.action == "rebuild":
        from countyhealth.publish import drop_incremental_state
        from countyhealth.warehouse import connect

        with connect(database_url()) as conn:
            dropped = drop_incremental_state(conn)
        console.print(f"dropped {', '.join(dropped) or 'nothing (no incremental state)'}; "
                      "the next night rebuilds from raw (published schemas unchanged)")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from countyhealth.synth import DefectRates, generate

    started = time.perf_counter()
    with console.status(f"generating a county of {args.population:,} residents, "
                        f"{args.days} nights…"):
        g = generate(Path(args.out), population=args.population, days=args.days,
                     start=args.start, seed=args.seed, townships=args.townships,
                     villages_per_township=args.villages,
                     hospital_format=args.hospital_format,
                     defects=DefectRates.parse(args.defects), truth=args.truth)
    elapsed = time.perf_counter() - started
    console.print(f"[green]✓[/] {g.rows_written:,} rows, {g.facilities} facilities in "
                  f"{elapsed:.1f} s ({g.rows_written / elapsed:,.0f} rows/s)\n"
                  f"  config:  {g.config_path}\n  landing: {g.landing}\n"
                  f"  truth:   {g.out / 'truth.json'}")
    return 0


def cmd_export_fhir(args: argparse.Namespace) -> int:
    from countyhealth.fhir_export import ExportError, export_fhir
    from countyhealth.warehouse import connect, database_url

    s = settings()
    timezone = load_config(s.config_path).county.timezone if s.config_path.exists() \
        else "Asia/Shanghai"
    out = Path(args.out)
    started = time.perf_counter()
    try:
        with connect(database_url()) as conn, console.status("exporting FHIR R4…"):
            result = export_fhir(conn, out, person_key=args.person, timezone=timezone,
                                 validate=not args.no_validate)
    except ExportError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{n:,} {t}" for t, n in result.counts.items())
    console.print(f"[green]✓[/] {result.total:,} resources in {elapsed:.1f} s "
                  f"({counts})\n  {out / 'manifest.json'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from countyhealth.publish import last_published
    from countyhealth.report_html import write_night_report
    from countyhealth.warehouse import connect, database_url

    s = settings()
    url = database_url()
    with connect(url) as conn:
        night = args.date or last_published(conn)
    if night is None:
        console.print("[red]error:[/] nothing is published yet: run a night first "
                      "(chw run --date YYYY-MM-DD, or chw demo)")
        return 2
    name = load_config(s.config_path).county.name if s.config_path.exists() else "County"
    with console.status(f"writing the quality report of {night}…"):
        path = write_night_report(night, url, s.reports_dir, name,
                                  with_dbt_docs=not args.no_dbt_docs)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chw", description="County Health Warehouse: nightly "
                                "facility exports -> EHR -> validated quality indicators.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="generate a small county and run the real DAG for each "
                       "night on the embedded warehouse",
                       description="Generate a synthetic county (5,000 residents, 11 facilities, "
                       "2 nights) under .chw/demo and run county_health_nightly for each night.")
    d.add_argument("--rerun", action="store_true", help="run nights already published again")
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("run", help="run county_health_nightly for one export night",
                       description="Run the real Airflow DAG (airflow dags test) for one "
                       "export night: ingest, validate, dbt build, validate, publish, report.")
    r.add_argument("--date", type=_date, required=True, help="export night, YYYY-MM-DD")
    r.add_argument("--config", help="county config YAML (default: $CHW_CONFIG or the demo's)")
    r.add_argument("--landing", help="landing folder (default: $CHW_LANDING or the demo's)")
    r.add_argument("--wait", type=float, default=0, metavar="MINUTES",
                   help="wait this long for deliveries without a manifest (default 0: "
                   "process what has arrived; the rest are reported missing)")
    r.add_argument("--from", dest="backfill_from", type=_date, metavar="FIRST",
                   help="backfill: load and validate every night from FIRST to --date in this "
                   "one run (each night in its own batch); dbt builds them at once")
    r.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="the embedded PostgreSQL warehouse",
                        description="start, stop, or print the libpq URL of the warehouse "
                        "(url starts the embedded one when it is not running; with "
                        "CHW_DATABASE_URL set, that database is used instead). rebuild drops "
                        "the incremental state (candidate schemas, chw_intermediate) so the "
                        "next night rebuilds from raw; published data stays.")
    db.add_argument("action", choices=["start", "stop", "url", "rebuild"])
    db.set_defaults(func=cmd_db)

    g = sub.add_parser("generate", help="write a synthetic county with known right answers",
                       description="Write county.yaml, landing/<facility>/<date>/ folders "
                       "(data files, manifest.json last) and truth.json.")
    g.add_argument("--out", required=True, help="output folder")
    g.add_argument("--population", type=int, default=1000, help="residents (default 1000)")
    g.add_argument("--days", type=int, default=2, help="export nights (default 2)")
    g.add_argument("--start", type=_date, default=dt.date(2026, 3, 1),
                   help="first export night (default 2026-03-01)")
    g.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    g.add_argument("--townships", type=int, default=12, help="township health centres "
                   "(default 12)")
    g.add_argument("--villages", type=int, default=10, help="village clinics per township "
                   "(default 10)")
    g.add_argument("--hospital-format", choices=["native", "csv"], default="native",
                   help="native: hospitals send HL7 v2 and FHIR R4 (default); csv: pinyin CSV")
    g.add_argument("--defects", help="defect rates over the defaults, e.g. "
                   "'missing_id=0.05,late_deliveries=0', or 'none' (docs/synthetic.md)")
    g.add_argument("--no-truth", dest="truth", action="store_false",
                   help="no right answers: each night is written as it is simulated and "
                   "forgotten, so a year of a million residents fits in memory (benchmarks)")
    g.set_defaults(func=cmd_generate)

    x = sub.add_parser("export-fhir", help="write the published EHR as FHIR R4 NDJSON",
                       description="Write ehr (the last published night) as FHIR R4 NDJSON, "
                       "one <ResourceType>.ndjson per type plus a Bulk-Data-style "
                       "manifest.json: Patient (pseudonymous), Encounter, Condition, "
                       "Observation, MedicationRequest, ServiceRequest (referrals). Every "
                       "resource is validated against the R4 models before it is written.")
    who = x.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="KEY", help="one person (ehr.patient.person_key)")
    who.add_argument("--all", action="store_true", help="everyone")
    x.add_argument("--out", required=True, help="output folder")
    x.add_argument("--no-validate", action="store_true",
                   help="skip the R4 validation of each resource (faster for --all)")
    x.set_defaults(func=cmd_export_fhir)

    rp = sub.add_parser("report", help="rebuild a night's HTML quality report and print its "
                        "path", description="Write <CHW_HOME>/reports/<night>/index.html: "
                        "every indicator's trend against its target, league tables of "
                        "facilities and townships, the data-quality picture (deliveries late "
                        "or held, quarantine by reason and facility), with the dbt docs of "
                        "the published models beside it. Opens offline (no scripts, no CDN).")
    rp.add_argument("--date", type=_date, help="export night (default: the last published)")
    rp.add_argument("--no-dbt-docs", action="store_true",
                    help="skip generating the dbt docs (faster)")
    rp.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    apply_no_telemetry()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
