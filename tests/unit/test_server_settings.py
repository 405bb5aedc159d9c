"""The embedded server's settings: checkpoint spacing, and memory scaled to the machine."""

from __future__ import annotations

import os

from countyhealth.server_settings import (
    machine_memory_mb,
    memory_settings,
    server_options,
    server_settings,
    shared_memory_mb,
)


def test_checkpoints_are_spaced_for_bulk_builds():
    got = server_settings()
    assert got["max_wal_size"] == "8GB" and got["checkpoint_timeout"] == "15min"


def test_memory_follows_the_machine():
    bench = memory_settings(24 * 1024)  # the bench machine: 24 GB
    assert bench == {"shared_buffers": "6144MB", "effective_cache_size": "18432MB",
                     "work_mem": "64MB", "maintenance_work_mem": "768MB"}
    small = memory_settings(2 * 1024)  # a 2 GB virtual machine still starts
    assert small["shared_buffers"] == "512MB" and small["work_mem"] == "5MB"
    tiny = memory_settings(256)  # never below PostgreSQL's own defaults
    assert tiny["shared_buffers"] == "128MB" and tiny["work_mem"] == "4MB"
    big = memory_settings(512 * 1024)  # capped: one night never needs more
    assert big["shared_buffers"] == "8192MB" and big["work_mem"] == "64MB"
    assert big["maintenance_work_mem"] == "1024MB"


def test_a_containers_small_dev_shm_keeps_work_mem_at_the_default():
    assert memory_settings(24 * 1024, shm_mb=64)["work_mem"] == "4MB"  # Docker's default
    assert memory_settings(24 * 1024, shm_mb=512)["work_mem"] == "32MB"
    assert memory_settings(24 * 1024, shm_mb=12 * 1024)["work_mem"] == "64MB"
    assert memory_settings(24 * 1024, shm_mb=64)["shared_buffers"] == "6144MB"


def test_machine_memory_is_read_and_bounded_by_the_physical():
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert 0 < machine_memory_mb() <= physical
    assert server_settings() == {"max_wal_size": "8GB", "checkpoint_timeout": "15min",
                                 **memory_settings(machine_memory_mb(), shared_memory_mb())}


def test_every_setting_becomes_one_pg_ctl_option():
    options = server_options().split()
    assert options.count("-c") == len(server_settings())
    assert "max_wal_size=8GB" in options
    assert any(o.startswith("shared_buffers=") for o in options)
