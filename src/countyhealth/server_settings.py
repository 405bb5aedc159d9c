"""The settings the embedded PostgreSQL starts with beyond PostgreSQL's own defaults.

Only checkpoint spacing: with the default 1 GB of WAL, dbt's table builds of a year's night
checkpointed every 21 seconds (the server log said so), each checkpoint writing every page
dirtied since and the next writes logging whole pages again. Memory and planner costs were
tried too (a quarter of memory as shared buffers, 64 MB per sort or hash, random reads
priced for an SSD) and are not set: the one run with them was 2-3x slower in its dbt models
than the day before, but the machine's own speed varied as much within the hour (the same
30-night ingest took 192 s, then 354 s with the defaults back), so they are left to an A/B
run each. Only the embedded server gets these; a server named by CHW_DATABASE_URL keeps its
administrator's settings.
"""

from __future__ import annotations


def server_settings() -> dict[str, str]:
    """`-c` settings for the embedded server."""
    return {"max_wal_size": "8GB", "checkpoint_timeout": "15min"}


def server_options() -> str:
    """The settings as `pg_ctl -o` options."""
    return " ".join(f"-c {name}={value}" for name, value in server_settings().items())
