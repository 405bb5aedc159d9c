"""What a DAG task that runs dbt in its own process (Cosmos LOCAL mode, `dbtRunner`) does
first, so that what it pays besides its model stays small.

A night runs ~32 such tasks; on a small county each took 2.7-4 s for a model of ~0.6 s, and
more the later it ran in an `airflow dags test` process (docs/benchmarks.md, part 13).
cProfile of a night named two costs that grow with the process, not with the data:

- **Behavior flags that name their source by reading the whole stack.** Every invocation
  registers its adapter, which renders its behavior flags; each names the module that
  defined it with `inspect.stack()` (dbt_common 1.39, `BehaviorFlagRendered._default_source`;
  the default is computed even for a flag that names its source). `inspect.stack()` reads a
  source line for every frame and looks each frame's module up; a frame whose file is no
  module's (`<frozen runpy>`, generated code) makes `inspect.getmodule` walk all of
  `sys.modules` (~4,000 with Airflow, Cosmos, dbt and GX loaded). The name is the module
  of the first frame outside `dbt_common.behavior_flags`, which each frame carries in its
  globals: `flag_source_by_frames` finds the same name without reading files or modules.
- **A full garbage collection after every dbt command.** Cosmos resets dbt's adapters and
  runs `gc.collect()` after each invocation (so no semaphore is reported leaked), which
  walks every object the process holds: Airflow's, dbt's and GX's modules included.
  `gc.freeze()` before the run moves what the process holds then out of the collector's
  sight, so the collection walks only what this task's dbt made. Objects frozen are never
  collected: what is frozen is what lived before the task (modules, the DAG, caches, and
  any garbage of earlier tasks not yet collected, freed when the process ends: a night's
  `airflow dags test` process, a task's own process on a server); a task's own garbage is
  made after the freeze and collected as before. A night's peak memory did not grow
  (docs/benchmarks.md, part 13).

`dbt` run as a command (countyhealth.dbt_group.run_dbt) is a short stack in a process of
its own and is left as it is.
"""

from __future__ import annotations

import gc
import sys


def flag_source_by_frames() -> str:
    """The module of the nearest caller outside dbt_common.behavior_flags: what
    `BehaviorFlagRendered._default_source` finds with `inspect.stack()`, and what this
    function replaces it with."""
    from dbt_common import behavior_flags

    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != behavior_flags.__name__:
            return name
        frame = frame.f_back
    return "Unknown"


def install_flag_source_by_frames() -> None:
    """Replace dbt_common's default flag source with the frame walk (idempotent)."""
    from dbt_common import behavior_flags

    behavior_flags.BehaviorFlagRendered._default_source = staticmethod(flag_source_by_frames)


def before_dbt_task(context: object) -> None:
    """The `pre_execute` hook of every task that runs dbt in its own process."""
    install_flag_source_by_frames()
    gc.freeze()
