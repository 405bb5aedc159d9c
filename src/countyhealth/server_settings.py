"""The settings the embedded PostgreSQL starts with beyond PostgreSQL's own defaults.

Checkpoint spacing: with the default 1 GB of WAL, dbt's table builds of a year's night
checkpointed every 21 seconds (the server log said so), each checkpoint writing every page
dirtied since and the next writes logging whole pages again.

Memory, scaled to the machine (or its container's limit): PostgreSQL's defaults (128 MB of
shared buffers, 4 MB per sort or hash) are sized to start anywhere, not for a warehouse.
At a year of a million residents the database is 44 GB on a 24 GB machine, and a night's
incremental writes land all over the ehr tables' key indexes (keys are md5 digests, so
every night touches every part of them). In the operating system's cache those index pages
were pushed out by each night's large sequential reads; PostgreSQL's own buffers keep
frequently used pages and read large scans through a small ring, so a quarter of memory
there (PostgreSQL's usual advice) holds them. The hashes of a million patients ran in 16
batches on disk with 4 MB. Measured in docs/benchmarks.md (part 17). Only the embedded
server gets these; a server named by CHW_DATABASE_URL keeps its administrator's settings.
"""

from __future__ import annotations

import os
from pathlib import Path

# cgroup v2, then v1: a container's memory limit, when lower than the machine's memory
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"),
                  Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def machine_memory_mb() -> int:
    """Physical memory in MB, or the container's limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in _CGROUP_LIMITS:
        try:
            text = limit_file.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total // 2**20


def shared_memory_mb() -> int | None:
    """Size of /dev/shm, where PostgreSQL puts a parallel query's shared hash tables (a
    container's default is 64 MB); None where there is none."""
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return None
    return st.f_blocks * st.f_frsize // 2**20


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def memory_settings(memory_mb: int, shm_mb: int | None = None) -> dict[str, str]:
    """A quarter of memory as shared buffers (at most 8 GB), the planner told that most of
    the rest caches files, and per-operation memory that stays safe with dbt's two threads
    each running a parallel query: on 24 GB, 6 GB / 18 GB / 64 MB / 768 MB. A small
    /dev/shm (`shm_mb`, a container's 64 MB) keeps `work_mem` at PostgreSQL's 4 MB: a
    parallel hash join sized by it would not fit there and the query would fail."""
    work_mem = memory_mb // 384 if shm_mb is None else min(memory_mb // 384, shm_mb // 16)
    return {
        "shared_buffers": f"{_clamp(memory_mb // 4, 128, 8192)}MB",
        "effective_cache_size": f"{_clamp(memory_mb * 3 // 4, 256, 65536)}MB",
        "work_mem": f"{_clamp(work_mem, 4, 64)}MB",
        "maintenance_work_mem": f"{_clamp(memory_mb // 32, 64, 1024)}MB",
    }


def server_settings() -> dict[str, str]:
    """`-c` settings for the embedded server on this machine."""
    return {"max_wal_size": "8GB", "checkpoint_timeout": "15min",
            **memory_settings(machine_memory_mb(), shared_memory_mb())}


def server_options() -> str:
    """The settings as `pg_ctl -o` options."""
    return " ".join(f"-c {name}={value}" for name, value in server_settings().items())
