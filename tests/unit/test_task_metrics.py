"""The DAG's per-task figures: the memory high-water mark is per task, and a backfill's
nights are the ones asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from countyhealth import pipeline
from countyhealth.task_metrics import peak_memory_mb, reset_peak_memory


def test_peak_memory_is_reset_when_a_task_starts():
    if not reset_peak_memory():
        pytest.skip("this kernel cannot reset the memory high-water mark (/proc/self/clear_refs)")
    held = bytearray(300 * 1024 * 1024)  # touched: resident
    held[::4096] = b"\x01" * len(held[::4096])
    during = peak_memory_mb()
    del held
    assert reset_peak_memory()
    after = peak_memory_mb()
    assert during - after > 250, (during, after)


def test_backfill_nights_are_every_night_from_the_first_oldest_first():
    night = dt.date(2026, 3, 31)
    first = pipeline.backfill_from({"backfill_from": "2026-03-01"}, night)
    assert first == dt.date(2026, 3, 1)
    nights = pipeline.nights(night, first)
    assert len(nights) == 31 and nights[0] == first and nights[-1] == night
    assert pipeline.nights(night) == [night]
    assert pipeline.backfill_from({"backfill_from": None}, night) is None
    with pytest.raises(ValueError, match="after the export night"):
        pipeline.backfill_from({"backfill_from": "2026-04-01"}, night)
