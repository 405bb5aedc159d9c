"""Shared fixtures: each test session gets its own CHW_HOME, so its embedded PostgreSQL,
Airflow metadata and reports never touch a developer's .chw/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from countyhealth.runtime import apply_no_telemetry

from .databases import create_database, drop_database


@pytest.fixture(scope="session")
def chw_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("chw_home")
    old = os.environ.get("CHW_HOME")
    os.environ["CHW_HOME"] = str(home)
    os.environ.pop("CHW_DATABASE_URL", None)
    apply_no_telemetry()
    yield home
    from countyhealth.warehouse import EmbeddedPostgres

    EmbeddedPostgres(home).stop()
    if old is None:
        os.environ.pop("CHW_HOME", None)
    else:
        os.environ["CHW_HOME"] = old


@pytest.fixture(scope="session")
def server_url(chw_home: Path) -> str:
    """The embedded PostgreSQL for this session (real server, TCP on 127.0.0.1)."""
    from countyhealth.warehouse import EmbeddedPostgres

    return EmbeddedPostgres(chw_home).start()


@pytest.fixture()
def fresh_db(server_url: str) -> Iterator[str]:
    """An empty database of its own for one test."""
    url = create_database(server_url)
    yield url
    drop_database(url)
