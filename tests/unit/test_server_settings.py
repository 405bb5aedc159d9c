"""The embedded server's settings: checkpoint spacing only, each one `-c` option."""

from __future__ import annotations

from countyhealth.server_settings import server_options, server_settings


def test_checkpoints_are_spaced_for_bulk_builds():
    got = server_settings()
    assert got["max_wal_size"] == "8GB" and got["checkpoint_timeout"] == "15min"


def test_every_setting_becomes_one_pg_ctl_option():
    options = server_options().split()
    assert options.count("-c") == len(server_settings())
    assert "max_wal_size=8GB" in options
