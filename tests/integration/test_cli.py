"""`chw` as a person runs it: real subprocesses, real exit codes, messages that say what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHW = str(Path(sys.executable).parent / "chw")


def _chw(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHW_HOME": str(home)}
    env.pop("CHW_DATABASE_URL", None)
    return subprocess.run([CHW, *args], capture_output=True, text=True, env=env, timeout=300)


def test_help_on_every_command(chw_home: Path):
    top = _chw("--help", home=chw_home)
    assert top.returncode == 0
    for command in ("demo", "run", "db", "generate"):
        assert command in top.stdout
        sub = _chw(command, "--help", home=chw_home)
        assert sub.returncode == 0 and "usage: chw" in sub.stdout


def test_generate_writes_a_county_and_says_how_fast(tmp_path: Path, chw_home: Path):
    result = _chw("generate", "--out", str(tmp_path / "c"), "--population", "1000",
                  "--days", "1", "--townships", "2", "--villages", "2", home=chw_home)
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout
    assert (tmp_path / "c" / "county.yaml").is_file()
    assert (tmp_path / "c" / "truth.json").is_file()
    assert any((tmp_path / "c" / "landing").glob("*/2026-03-01/manifest.json"))


def test_bad_arguments_get_clear_errors(tmp_path: Path, chw_home: Path):
    bad = _chw("generate", "--out", str(tmp_path / "x"), "--defects", "bogus=1", home=chw_home)
    assert bad.returncode == 2 and "unknown defect 'bogus'" in bad.stdout
    missing = _chw("run", "--date", "2026-03-01", "--config", str(tmp_path / "none.yaml"),
                   "--landing", str(tmp_path), home=chw_home)
    assert missing.returncode == 2 and "county config not found" in missing.stdout
    date = _chw("run", "--date", "2026-13-01", home=chw_home)
    assert date.returncode == 2 and "is not a date" in date.stderr


def test_db_url_starts_the_embedded_warehouse(chw_home: Path, server_url: str):
    result = _chw("db", "url", home=chw_home)
    assert result.returncode == 0
    assert result.stdout.strip() == server_url
    assert result.stdout.startswith("postgresql://postgres@127.0.0.1:")


def test_db_rebuild_drops_the_incremental_state_only(fresh_db: str, chw_home: Path):
    import psycopg

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        for schema in ("ehr", "ehr__candidate", "chw_intermediate", "pii"):
            conn.execute(f"create schema {schema}")
            conn.execute(f"create table {schema}.t as select 1 as x")
        conn.execute("create table pii.person as select 1 as x")  # incremental: dropped
    env = {**os.environ, "CHW_HOME": str(chw_home), "CHW_DATABASE_URL": fresh_db}
    result = subprocess.run([CHW, "db", "rebuild"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "dropped ehr__candidate, chw_intermediate, pii.person" in result.stdout
    with psycopg.connect(fresh_db) as conn:
        left = {n for (n,) in conn.execute("select nspname from pg_namespace")}
        pii = {t for (t,) in conn.execute("select tablename from pg_tables "
                                          "where schemaname = 'pii'")}
    assert "ehr" in left and not {"ehr__candidate", "chw_intermediate"} & left
    assert pii == {"t"}  # the key and the reviewers' decisions are not dbt's to drop
