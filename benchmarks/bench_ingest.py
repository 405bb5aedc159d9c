"""Ingest throughput per format, next to raw COPY and pandas' to_sql on the same rows.

    make bench-ingest            (or: python benchmarks/bench_ingest.py --population 200000)

A benchmark, not a test: it prints figures for docs/benchmarks.md. It generates one export
night of a synthetic county, then on a fresh database of the embedded warehouse measures:
  - our ingest (read + check + quarantine + COPY + ledger) per format;
  - for the public-health registry CSV (one big file): our ingest of that file, a raw COPY of
    the same rows already parsed (the ceiling), and pandas.DataFrame.to_sql (the common peer).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import io
import json
import time
import tracemalloc
from pathlib import Path
from unittest.mock import patch

import psycopg

from countyhealth.config import load_config, settings
from countyhealth.ingest import ingest_night, loader
from countyhealth.ingest.loader import ensure_schema
from countyhealth.ingest.rows import normalised_when
from countyhealth.synth import generate
from countyhealth.warehouse import database_url

NIGHT = dt.date(2026, 3, 1)
RUNS = 3  # timings on a shared 2-core machine wander: report the median


def fresh_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return f"{base}/{name}"


def timed_ingest(url: str, config, landing: Path, codes: set[str]) -> tuple[int, float]:
    subset = dataclasses.replace(config, facilities=tuple(
        f for f in config.facilities if f.code in codes))
    with psycopg.connect(url) as conn:
        ensure_schema(conn)
        conn.commit()
        start = time.perf_counter()
        night = ingest_night(conn, subset, landing, NIGHT)
        conn.commit()
        elapsed = time.perf_counter() - start
    return night.rows_loaded + night.rows_rejected, elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--population", type=int, default=200_000)
    args = ap.parse_args()
    out = settings().home / "bench" / f"ingest-{args.population}"
    if not (out / "truth.json").exists():
        generate(out, population=args.population, days=1, start=NIGHT)
    config = load_config(out / "county.yaml")
    landing = out / "landing"
    url = fresh_database(database_url(), "chw_bench_ingest")

    results = []
    by_format: dict[str, set[str]] = {}
    for f in config.facilities:
        if f.code != "PH01":
            by_format.setdefault(f.format, set()).add(f.code)
    for fmt, codes in sorted(by_format.items()):
        rows, secs = timed_ingest(url, config, landing, codes)
        results.append((f"ingest {fmt} ({len(codes)} facilities)", rows, secs))

    # one big CSV file: the public-health registry (patients.csv of PH01), delivered alone
    registry = landing / "PH01" / NIGHT.isoformat()
    manifest = json.loads((registry / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["files"] if e["name"] == "patients.csv")
    ph = next(f for f in config.facilities if f.code == "PH01")
    data_utf8 = (registry / "patients.csv").read_bytes()
    alone = {}
    for code, data in (("PH01ONLY", data_utf8),
                       ("PH01GBK", data_utf8.decode("utf-8").encode("gb18030"))):
        folder = landing / code / NIGHT.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "patients.csv").write_bytes(data)
        (folder / "manifest.json").write_text(json.dumps({
            "facility": code, "export_date": NIGHT.isoformat(), "files": [{
                **entry, "sha256": hashlib.sha256(data).hexdigest()}]}))
        alone[code] = dataclasses.replace(config, facilities=(dataclasses.replace(
            ph, code=code, encoding="auto"),))

    def registry_ingest(code: str) -> tuple[int, float]:
        """A fresh database and a cold date cache each time, as a new nightly task has."""
        normalised_when.cache_clear()
        return timed_ingest(fresh_database(database_url(), "chw_bench_ingest2"), alone[code],
                            landing, {code})

    rows, ours = median(registry_ingest("PH01ONLY") for _ in range(RUNS))
    results.append((f"ingest csv, registry file only (median of {RUNS})", rows, ours))
    results.append((f"  the same file saved as GB18030 (median of {RUNS})",
                    *median(registry_ingest("PH01GBK") for _ in range(RUNS))))
    with patch.object(loader, "bulk_load", lambda *a, **kw: None):
        results.append(("  the same file, row by row (the path for malformed CSV)",
                        *registry_ingest("PH01ONLY")))

    # memory: Python's peak allocation while ingesting the same file again (fresh database)
    url3 = fresh_database(database_url(), "chw_bench_ingest3")
    tracemalloc.start()
    timed_ingest(url3, alone["PH01ONLY"], landing, {"PH01ONLY"})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    url2 = fresh_database(database_url(), "chw_bench_ingest2")
    timed_ingest(url2, alone["PH01ONLY"], landing, {"PH01ONLY"})
    with psycopg.connect(url2) as conn:
        buf = io.BytesIO()
        with conn.cursor().copy("copy raw.patients to stdout with (format csv)") as copy:
            for chunk in copy:
                buf.write(chunk)
        data = buf.getvalue()

        def raw_copy_once() -> tuple[int, float]:
            # the same table: its columns, defaults and index (a bare table is cheaper)
            conn.execute("drop table if exists raw.patients_copy")
            conn.execute("create table raw.patients_copy (like raw.patients including all)")
            conn.commit()
            start = time.perf_counter()
            with conn.cursor().copy("copy raw.patients_copy from stdin with (format csv)"
                                    ) as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i:i + (1 << 20)])
            conn.commit()
            return rows, time.perf_counter() - start

        _, raw_copy = median(raw_copy_once() for _ in range(RUNS))
        results.append((f"raw COPY of the same rows, pre-parsed (median of {RUNS})", rows,
                        raw_copy))
        conn.execute("create table raw.patients_to_sql (like raw.patients including all)")
        conn.commit()

    import pandas as pd
    from sqlalchemy import create_engine

    frame = pd.read_csv(io.BytesIO(data), header=None, dtype=str, keep_default_na=False)
    with psycopg.connect(url2) as conn:
        columns = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema='raw' "
            "and table_name='patients' order by ordinal_position").fetchall()]
    frame.columns = columns
    engine = create_engine(url2.replace("postgresql://", "postgresql+psycopg2://"))
    start = time.perf_counter()
    frame.to_sql("patients_to_sql", engine, schema="raw", if_exists="append", index=False)
    to_sql = time.perf_counter() - start
    results.append(("pandas DataFrame.to_sql (defaults), same rows", rows, to_sql))

    width = max(len(r[0]) for r in results)
    print(f"\n{'what':<{width}}  {'rows':>9}  {'seconds':>8}  {'rows/s':>10}")
    for what, n, secs in results:
        print(f"{what:<{width}}  {n:>9,}  {secs:>8.2f}  {n / secs:>10,.0f}")
    print(f"\ncsv ingest / raw COPY: {raw_copy / ours:.0%} of COPY's speed; "
          f"vs to_sql: {to_sql / ours:.1f}x faster")
    print(f"peak Python memory while ingesting the {len(data_utf8) / 1e6:.1f} MB registry "
          f"file: {peak / 1e6:.1f} MB (spools above 8 MiB go to disk)")


def median(runs) -> tuple[int, float]:
    results = sorted(runs, key=lambda r: r[1])
    return results[len(results) // 2]


if __name__ == "__main__":
    main()
