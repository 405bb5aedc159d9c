"""Airflow 3 as the server runs it, started as processes on this machine (no Docker here):
api-server, scheduler, dag-processor and triggerer, metadata in PostgreSQL (the embedded
server), the same DAG folder and the same environment docker-compose.yml sets. With
`workers=0` the LocalExecutor (compose's default profile); with `workers=N` the
CeleryExecutor, a Redis broker (Debian's redis-server) and N `airflow celery worker`
processes (compose's `province` profile). An operator's view: log in to the REST API with a
user and password, trigger county_health_nightly with a conf, and watch the run."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from countyhealth.runtime import airflow_env, ensure_dbt_manifest

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
OPERATOR = "operator"


def redis_server() -> str:
    """Debian's redis-server (`make test` installs it): the Celery broker."""
    found = shutil.which("redis-server")
    if not found:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AirflowServer:
    def __init__(self, home: Path, metadata_url: str, warehouse_url: str, config: Path,
                 landing: Path, workers: int = 0) -> None:
        self.home = home
        self.workers = workers
        self.port = free_port()
        self.password = secrets.token_urlsafe(12)
        self.procs: list[subprocess.Popen] = []
        home.mkdir(parents=True, exist_ok=True)
        (home / "passwords.json").write_text(json.dumps({OPERATOR: self.password}))
        meta = metadata_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        self.env = airflow_env(warehouse_url, config, landing)
        self.env.update({
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "false",
            "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple."
                                           "simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{OPERATOR}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL":
                f"http://127.0.0.1:{self.port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
            "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
            # no catch-up of scheduled nights before the go-live date: only the operator's run
            "CHW_SCHEDULE_START": "2099-01-01",
            "CHW_TASK_RETRIES": "0",
        })
        if workers:
            self.redis_port = free_port()
            self.env.update({
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(2 * workers),
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
                # as docker-compose.yml: dbt and the DAG's modules imported once per worker
                "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS":
                    "countyhealth.celery_config.CELERY_CONFIG",
            })

    @property
    def components(self) -> list[str]:
        return [*COMPONENTS, *(f"worker{n}" for n in range(1, self.workers + 1))]

    # -- processes -------------------------------------------------------------------------
    def start(self) -> None:
        ensure_dbt_manifest(self.env)  # what the server's init job does (docker-compose.yml)
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=self.env,
                       check=True, capture_output=True, text=True, timeout=600)
        if self.workers:
            self._spawn("redis", [redis_server(), "--port", str(self.redis_port), "--bind",
                                  "127.0.0.1", "--save", "", "--appendonly", "no"])
        for component in COMPONENTS:
            self._spawn(component, [sys.executable, "-m", "airflow", component])
        for n in range(1, self.workers + 1):
            # each its own name, pid file; no log server (two would want one port)
            self._spawn(f"worker{n}", [
                sys.executable, "-m", "airflow", "celery", "worker", "--celery-hostname",
                f"worker{n}@%h", "--concurrency", "1", "--skip-serve-logs",
                "--pid", str(self.home / f"worker{n}.pid")])
        self._wait(lambda: self._get("/api/v2/monitor/health", auth=False), 180,
                   "the api-server to answer")

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = (self.home / f"{name}.log").open("w")
        self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True))

    def worker_log(self, n: int) -> str:
        return (self.home / f"worker{n}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in reversed(self.procs):  # workers first, the broker last
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"--- {c} ---\n" + (self.home / f"{c}.log").read_text()[-3000:]
                         for c in self.components if (self.home / f"{c}.log").exists())

    # -- the REST API ----------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def _get(self, path: str, auth: bool = True) -> Any:
        try:
            return self._request("GET", path, auth=auth)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    _token: str | None = None

    def token(self) -> str:
        """Log in as the operator (POST /auth/token with user and password)."""
        if self._token is None:
            self._token = self._request("POST", "/auth/token", {
                "username": OPERATOR, "password": self.password}, auth=False)["access_token"]
        return self._token

    def _wait(self, probe, seconds: float, what: str) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"an Airflow component exited while waiting for {what}"
                                       f"\n{self.logs()}")
            got = probe()
            if got:
                return got
            time.sleep(2)
        raise TimeoutError(f"timed out waiting for {what}\n{self.logs()}")

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        self._wait(lambda: self._get(f"/api/v2/dags/{dag_id}"), 240, f"{dag_id} to be parsed")
        self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        run = self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                            {"logical_date": None, "conf": conf})
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, seconds: float = 900) -> str:
        def finished() -> str | None:
            run = self._get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            state = run and run.get("state")
            return state if state in ("success", "failed") else None

        return self._wait(finished, seconds, f"run {run_id} to finish")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        got = self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
                            "?limit=1000")
        return {t["task_id"]: t["state"] for t in got["task_instances"]}
