"""The process environment every part runs in: no telemetry, the warehouse, Airflow's home.

Health data: nothing may phone home. Each tool's own switch is set (DESIGN.md), and the same
values are written into docker-compose.yml for the server.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from countyhealth.config import settings
from countyhealth.warehouse import client_env

NO_TELEMETRY = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "GX_ANALYTICS_ENABLED": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
    "OPENLINEAGE_DISABLED": "true",
}


def apply_no_telemetry() -> None:
    for k, v in NO_TELEMETRY.items():
        os.environ.setdefault(k, v)


def airflow_home() -> Path:
    return settings().home / "airflow"


def airflow_env(url: str, config_path: Path, landing: Path) -> dict[str, str]:
    """Environment for `airflow` subprocesses running the real DAG on the embedded setup."""
    s = settings()
    home = airflow_home()
    env = dict(os.environ)
    env.update(NO_TELEMETRY)
    env.update(client_env(url))
    env.update({
        "CHW_PROJECT_DIR": str(s.project_dir),
        "CHW_HOME": str(s.home),
        "CHW_CONFIG": str(config_path),
        "CHW_LANDING": str(landing),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(s.project_dir / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "CHW_TASK_RETRIES": os.environ.get("CHW_TASK_RETRIES", "0"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    })
    return env


def ensure_airflow_db(env: dict[str, str]) -> None:
    """`airflow db migrate` once per Airflow version (a marker file remembers)."""
    import airflow

    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    marker = home / f".migrated-{airflow.__version__}"
    if marker.exists():
        return
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True, text=True)
    marker.write_text("ok")


def ensure_dbt_manifest(env: dict[str, str], force: bool = False) -> Path:
    """Build dbt's manifest.json (`dbt parse`) when missing or older than the project files.

    Several processes may start nights from one checkout at once (a server's init job and a
    manual run; the test suite's workers): a lock file makes one of them parse while the
    others wait and then find the manifest fresh, instead of two parses writing the same
    files at once and a night starting from the manifest one of them left half-written.
    """
    from countyhealth.dbt_group import dbt_executable, manifest_path

    project = settings().dbt_project_dir
    manifest = manifest_path(project)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and not force and manifest.stat().st_mtime >= _newest_source(project):
            return manifest
        subprocess.run([dbt_executable(), "parse", "--project-dir", str(project),
                        "--profiles-dir", str(project), "--quiet"], env=env, check=True,
                       capture_output=True, text=True)
    return manifest


def _newest_source(project: Path) -> float:
    return max(p.stat().st_mtime for p in project.rglob("*")
               if p.is_file() and "target" not in p.parts and "logs" not in p.parts)
