"""EMPI quality and cost on a synthetic county, against the truth of every source identity.

    make bench-empi     (or: python benchmarks/bench_empi.py --population 100000 --days 14)

A benchmark, not a test: it prints figures for docs/identity.md. It generates a county,
ingests every night into a fresh database of the embedded warehouse, builds the EMPI models
with real dbt, and compares their person keys with truth.json (pairwise precision and
recall, identity_quality.py), also with ID-number defects ten times the default rates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

import psycopg

from countyhealth.config import load_config, settings
from countyhealth.dbt_group import run_dbt
from countyhealth.identity_quality import pairwise_quality
from countyhealth.ingest import ingest_night
from countyhealth.synth import DefectRates, generate
from countyhealth.warehouse import database_url

START = dt.date(2026, 3, 1)


def fresh_database(name: str) -> str:
    base = database_url().rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return f"{base}/{name}"


def measure(population: int, days: int, defects: DefectRates, label: str) -> None:
    out = settings().home / "bench" / f"empi-{population}-{days}-{label}"
    if not (out / "truth.json").exists():
        generate(out, population=population, days=days, start=START, seed=5,
                 defects=defects)
    url = fresh_database("chw_bench_empi")
    cfg = load_config(out / "county.yaml")
    with psycopg.connect(url) as conn:
        for n in range(days):
            ingest_night(conn, cfg, out / "landing", START + dt.timedelta(days=n))
            conn.commit()
    start = time.perf_counter()
    done = run_dbt(["build", "--select", "+int_person_identity", "+identity_review"], url,
                   out / "dbt")
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stdout[-4000:])
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))["identities"]
    with psycopg.connect(url) as conn:
        predicted = {f"{f}|{local}": key for f, local, key in conn.execute(
            "select facility_code, local_patient_id, person_key "
            "from chw_intermediate.int_person_identity")}
        bases = conn.execute("select match_basis, count(*) from "
                             "chw_intermediate.int_person_identity group by 1 order by 2 desc"
                             ).fetchall()
        review = conn.execute("select reason, count(*) from pii.identity_review group by 1 "
                              "order by 2 desc").fetchall()
    q = pairwise_quality(predicted, truth)
    print(f"\n{label}: {population:,} residents, {days} nights, {q.identities:,} source "
          f"identities, {q.true_pairs:,} true same-person pairs")
    print(f"  precision {q.precision:.4%}  recall {q.recall:.4%}  "
          f"(predicted pairs {q.predicted_pairs:,}, correct {q.correct_pairs:,})")
    print(f"  linked by: {', '.join(f'{b} {n:,}' for b, n in bases)}")
    print(f"  for review: {', '.join(f'{r} {n:,}' for r, n in review) or 'none'}")
    print(f"  dbt build of the EMPI models (with staging and tests): {seconds:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--population", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=14)
    args = ap.parse_args()
    measure(args.population, args.days, DefectRates(), "default defects")
    measure(args.population, args.days,
            DefectRates(bad_check_character=0.2, missing_id=0.1), "ID defects x10")


if __name__ == "__main__":
    main()
