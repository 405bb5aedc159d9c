"""The embedded server's start after an unclean shutdown: a killed server recovers on its
own port with its committed rows, and a server still starting (recovering) is waited for
instead of being started twice on a new port (which left `chw db url` naming a port
nothing listened on, after a year's database took 66 s to replay its WAL)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from countyhealth.warehouse import EmbeddedPostgres, read_postmaster


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    pg = EmbeddedPostgres(tmp_path / "home")
    pg.start()
    yield pg
    pg.stop()


def _set_status(pidfile: Path, status: str) -> None:
    lines = pidfile.read_text().splitlines()
    lines[7] = status.ljust(len(lines[7]))
    pidfile.write_text("\n".join(lines) + "\n")


def test_a_killed_server_recovers_on_its_port_with_its_rows(server: EmbeddedPostgres):
    port = server.port()
    with psycopg.connect(server.url()) as conn:
        conn.execute("create table kept (n int)")
        conn.execute("insert into kept values (1), (2)")
    pid = read_postmaster(server.pgdata / "postmaster.pid").pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while server.postmaster() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.postmaster() is None, "the lock file of a killed server counts as stale"

    url = server.start()

    assert server.port() == port
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from kept").fetchone()[0] == 2
    assert "automatic recovery" in server.logfile.read_text()


def test_a_server_still_starting_is_waited_for_not_started_again(server: EmbeddedPostgres):
    pidfile = server.pgdata / "postmaster.pid"
    live = read_postmaster(pidfile)
    assert live is not None and live.status == "ready"
    # what a recovering server looks like: its lock file says "starting", and the state
    # file may name another port (the one a failed start had picked)
    server.state_file.write_text(json.dumps({"port": live.port + 1}))
    _set_status(pidfile, "starting")
    got: list[str] = []
    waiter = threading.Thread(target=lambda: got.append(server.start()))
    waiter.start()
    time.sleep(1.5)
    assert waiter.is_alive() and not got, "start() returned before the server was ready"
    _set_status(pidfile, "ready")
    waiter.join(timeout=30)

    assert got == [server.url()]
    assert server.port() == live.port
    assert json.loads(server.state_file.read_text()) == {"port": live.port}
    assert read_postmaster(pidfile).pid == live.pid, "a second server was started"
    with psycopg.connect(got[0]) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
