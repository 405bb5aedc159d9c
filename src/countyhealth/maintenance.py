"""After a backfill: vacuum and analyze the warehouse, then checkpoint, once, so that the
nights after it do not pay for it.

A backfill loads and builds months of rows in one run. Every page it wrote still wants its
hint bits set (with data checksums, PostgreSQL 18's initdb default, the first setting of a
page after a checkpoint writes the whole page to the WAL), its visibility-map bit and its
table's statistics. Left to autovacuum, that work runs during the next nights: it takes
one of the machine's two cores and the disk from them, and every publication's locks
cancel it, so it starts again (a year's backfill of `make bench`: checkpoints 29 s apart
in the first night after it, three autovacuums of the largest candidate tables cancelled,
the next night's publish 4.2 s against 0.6 s). A server's ordinary nights are a day apart
and autovacuum finishes between them; the nights after a backfill are not (a catch-up runs
them back to back), so the backfill does the work itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)

# VACUUM's own buffer ring: its default (2 MB, PostgreSQL 16+) writes out each page it
# dirties almost at once, and with it flushes the WAL up to that page's full-page image,
# one small flush after another; a larger ring lets the WAL be flushed in large writes.
# A quarter-GB keeps most of shared_buffers for the nights.
VACUUM_BUFFERS = "256MB"


@dataclass(frozen=True)
class Maintenance:
    vacuum_seconds: float
    checkpoint_seconds: float | None  # None: not allowed to (no pg_checkpoint role)
    database_mb: float

    def as_dict(self) -> dict[str, float | None]:
        return {"vacuum_seconds": round(self.vacuum_seconds, 1),
                "checkpoint_seconds": None if self.checkpoint_seconds is None
                else round(self.checkpoint_seconds, 1),
                "database_mb": round(self.database_mb, 1)}


def vacuum_after_backfill(url: str) -> Maintenance:
    """VACUUM (ANALYZE) every table of the warehouse's database, then CHECKPOINT. Tables the
    warehouse's user does not own are skipped by PostgreSQL with a warning; a user without
    the pg_checkpoint role leaves the pages to the server's own checkpoints."""
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(f"vacuum (analyze, buffer_usage_limit '{VACUUM_BUFFERS}')")
        vacuumed = time.perf_counter() - started
        checkpointed: float | None = None
        try:
            started = time.perf_counter()
            conn.execute("checkpoint")
            checkpointed = time.perf_counter() - started
        except psycopg.errors.InsufficientPrivilege:
            log.info("no CHECKPOINT privilege: the server's own checkpoints write the pages")
        size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    done = Maintenance(vacuumed, checkpointed, size / 2**20)
    log.info("after the backfill: vacuumed and analyzed %.0f MB in %.1f s, checkpoint %s",
             done.database_mb, vacuumed,
             "not allowed" if checkpointed is None else f"{checkpointed:.1f} s")
    return done
