"""The settings the embedded PostgreSQL starts with, sized from the machine's memory.

PostgreSQL's own defaults suit a small shared server of the 2000s: 128 MB of buffers, 4 MB
per sort or hash, a checkpoint every 1 GB of WAL, random reads priced as on a spinning disk.
A county's year is a 34 GB warehouse on a machine of its own, and with those defaults a
year's night spilled every hash join of a million people to temporary files (the person
table the indicators compare each night: 20 s, most of it writing and reading spills),
checkpointed every 21 seconds during dbt's table builds, and preferred reading a 6.75
million-row table whole to 38,000 lookups in a unique index (7.8 s instead of a fraction).

Only the embedded server gets these; a server named by CHW_DATABASE_URL keeps its
administrator's settings.
"""

from __future__ import annotations

import os

MB = 1024 * 1024


def machine_memory() -> int:
    """Physical memory in bytes (0 when the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def server_settings(memory: int | None = None) -> dict[str, str]:
    """`-c` settings for the embedded server on a machine with `memory` bytes."""
    memory = machine_memory() if memory is None else memory
    if memory <= 0:
        memory = 4 * 1024 * MB  # unknown: assume a small machine
    mb = memory // MB
    return {
        # a quarter of memory for PostgreSQL's cache, the OS caches the rest
        "shared_buffers": f"{_clamp(mb // 4, 128, 4096)}MB",
        "effective_cache_size": f"{_clamp(mb // 2, 512, 16384)}MB",
        # per sort or hash; a night runs a handful at once (dbt threads, GX)
        "work_mem": f"{_clamp(mb // 256, 4, 64)}MB",
        "maintenance_work_mem": f"{_clamp(mb // 32, 64, 1024)}MB",
        "max_wal_size": "8GB",
        "checkpoint_timeout": "15min",
        "random_page_cost": "1.1",  # SSD or a VM's disk: a random read is not 4 sequential
    }


def server_options(memory: int | None = None) -> str:
    """The settings as `pg_ctl -o` options."""
    return " ".join(f"-c {name}={value}" for name, value in server_settings(memory).items())
