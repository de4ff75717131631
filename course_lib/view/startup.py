"""A run's start-up, said as start-up in a panel's status line: while a run sets up before its
clock starts (a Dask cluster takes seconds to start), "Starting the cluster (4 workers)… 2.1 s";
stopped then, "Stopped during the start-up (...): nothing ran."

A scenario says it is setting up with ``ScenarioRun.setting_up(what)``, which the tracer carries
(``tracer.setting_up``, its ``t0`` None meanwhile) until ``start_clock``. The live timeline
shows the start-up in its title, counting the seconds too.

>>> from course_lib.trace.spans import Tracer
>>> tracer = Tracer()
>>> tracer.setting_up = "Starting the cluster (2 workers)"
>>> stopped_in_start_up(tracer)
'Stopped during the start-up (starting the cluster (2 workers)): nothing ran.'
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable

from course_lib.trace.spans import Tracer


async def say_start_up(tracer: Tracer, say: Callable[[str], None], every_s: float = 0.25) -> None:
    """Until ``tracer``'s run starts its clock: while it sets up, ``say`` what and for how long,
    every ``every_s``; then how long it took. Before the run has begun it looks more often, so
    the start-up shows as soon as it starts."""
    began, said = time.perf_counter(), ""
    while tracer.setting_up or tracer.t0 is None:
        what = tracer.setting_up  # read once: the run's thread may clear it meanwhile
        if what:
            said = html.escape(what)
            say(f"{said}… {time.perf_counter() - began:.1f} s")
        await asyncio.sleep(every_s if what else 0.02)
    if said:
        say(f"{said} took {time.perf_counter() - began:.1f} s; running…")


def stopped_in_start_up(tracer: Tracer | None) -> str:
    """What a panel says of a run stopped in its start-up; "" if it was not."""
    what = tracer.setting_up if tracer is not None else ""
    if not what:
        return ""
    return f"Stopped during the start-up ({html.escape(what[0].lower() + what[1:])}): nothing ran."
