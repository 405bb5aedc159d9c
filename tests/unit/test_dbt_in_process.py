"""The frame walk that names a dbt behavior flag's source (countyhealth.dbt_in_process) finds
what dbt_common's own `inspect.stack()` walk finds, for the flags a Postgres adapter
renders, from the call site dbt renders them at."""

from __future__ import annotations

from types import SimpleNamespace

from dbt.adapters.base.impl import DEFAULT_BASE_BEHAVIOR_FLAGS, BaseAdapter
from dbt.adapters.postgres.impl import PostgresAdapter
from dbt_common.behavior_flags import BehaviorFlagRendered

from countyhealth import dbt_in_process


def _sources() -> dict[str, str]:
    """Each flag's source, rendered by the adapter's own `behavior` setter (the call site
    of every dbt invocation's adapter registration)."""
    adapter = SimpleNamespace(config=None, _behavior_flags=PostgresAdapter._behavior_flags.fget(
        None))
    BaseAdapter.behavior.fset(adapter, list(DEFAULT_BASE_BEHAVIOR_FLAGS))
    return {f.name: f._behavior_change_event.flag_source for f in adapter._behavior._flags}


def test_the_frame_walk_names_the_source_dbt_common_names(monkeypatch):
    # restored to dbt_common's own at teardown
    monkeypatch.setattr(BehaviorFlagRendered, "_default_source",
                        BehaviorFlagRendered.__dict__["_default_source"])
    assert BehaviorFlagRendered.__dict__["_default_source"].__func__ is not (
        dbt_in_process.flag_source_by_frames)
    by_stack = _sources()

    dbt_in_process.install_flag_source_by_frames()
    dbt_in_process.install_flag_source_by_frames()  # twice: still the frame walk, not a wrapper

    installed = BehaviorFlagRendered.__dict__["_default_source"].__func__
    assert installed is dbt_in_process.flag_source_by_frames
    assert _sources() == by_stack
    assert len(by_stack) >= 3 and set(by_stack.values()) == {"dbt.adapters.base.impl"}
