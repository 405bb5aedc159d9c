"""The embedded server's settings follow the machine's memory within sane bounds."""

from __future__ import annotations

from countyhealth.server_settings import MB, server_options, server_settings


def _mb(value: str) -> int:
    return int(value.removesuffix("MB"))


def test_a_24_gib_machine_gets_a_warehouse_sized_server():
    got = server_settings(24 * 1024 * MB)
    assert _mb(got["shared_buffers"]) == 4096  # a quarter of memory, capped at 4 GB
    assert _mb(got["effective_cache_size"]) == 12288
    assert _mb(got["work_mem"]) == 64
    assert _mb(got["maintenance_work_mem"]) == 768
    assert got["max_wal_size"] == "8GB" and got["random_page_cost"] == "1.1"


def test_a_small_or_unknown_machine_stays_within_postgres_minimums():
    small = server_settings(512 * MB)
    assert _mb(small["shared_buffers"]) == 128 and _mb(small["work_mem"]) == 4
    assert server_settings(0) == server_settings(4 * 1024 * MB)


def test_every_setting_becomes_one_pg_ctl_option():
    options = server_options(8 * 1024 * MB).split()
    assert options.count("-c") == len(server_settings(8 * 1024 * MB))
    assert "shared_buffers=2048MB" in options
