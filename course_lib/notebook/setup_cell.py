"""The setup cell's one call: ``setup()``.

It chooses which Gemini answers (``client.session``: the fake, offline, unless ``live=True`` and a
key), turns on the tracing of every google-genai client in this process
(``trace.every_client``: a call is recorded only while a timeline watches, but an aiohttp
session google-genai made before tracing was on would never be seen), and, in IPython, loads
``%%timeline``. In a kernel, it also makes one interrupt stop a cell that awaits
(``wake_the_loop_often``).
"""

from __future__ import annotations

import asyncio

from course_lib.client.session import SESSION
from course_lib.trace.every_client import stop_tracing_every_client, trace_every_client

_traced: list[bool] = []  # every client traced already (once per process)
_waking: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = {}  # a loop's next wake-up

#: How often the kernel's event loop wakes when nothing else wakes it: an interrupt of an
#: awaiting cell takes effect within this long.
WAKE_EVERY_S = 0.2


def wake_the_loop_often(every_s: float = WAKE_EVERY_S) -> bool:
    """Let one interrupt stop a cell that awaits, within ``every_s``; True if the timer runs.

    During a cell that awaits, ipykernel turns a Ctrl-C (the Stop button) into a cancel of the
    cell, but it schedules that cancel with a call the kernel's event loop runs only when
    something else wakes it (ipykernel #881, still so in ipykernel 7.4): ``await
    asyncio.sleep(20)`` interrupted after 3 s ends 17 s later, and a cell awaiting a thread
    (``asyncio.to_thread``, a Dask run) only when the thread ends. A timer that wakes the loop
    five times a second lets the cancel through at once, for a learner's own cells too. Outside
    a running loop (a script, a terminal IPython) it does nothing.
    """
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        return False
    if not loop.is_running():
        return False
    if loop in _waking:
        return True  # waking it already

    def wake() -> None:  # does nothing but come back: the loop runs what is ready meanwhile
        _waking[loop] = loop.call_later(every_s, wake)

    wake()
    return True


def setup(live: bool = False, *, server: str | None = None, name: str | None = None) -> str:
    said = SESSION.setup(live, server=server, name=name)
    import warnings

    import google.genai  # noqa: F401 (most of a second: paid here, not in a learner's first cell)

    # google-api-core (the old SDK's, lesson 01) warns on Python 3.11 about its own support from
    # October 2027: nothing a learner's code can act on, shown in red in a lesson's cell
    warnings.filterwarnings("ignore", "You are using a Python version", FutureWarning)
    if not _traced:
        trace_every_client()
        _traced.append(True)
    try:
        from IPython import get_ipython
    except ImportError:  # a plain Python script: no magic to load
        return said
    shell = get_ipython()
    if shell is not None:
        from course_lib.notebook.magic import load_ipython_extension

        load_ipython_extension(shell)
        if getattr(shell, "kernel", None) is not None:  # a Jupyter kernel, not a terminal
            wake_the_loop_often()
    return said


def forget() -> None:
    """Undo what ``setup()`` turned on for the process (tests start each test from here)."""
    if _traced:
        _traced.clear()
        stop_tracing_every_client()
    for timer in _waking.values():
        timer.cancel()
    _waking.clear()


setup.__doc__ = (SESSION.setup.__doc__ or "") + (
    "\n\n        In IPython it also loads ``%%timeline``: put it on a cell's first line to see "
    "that cell's Gemini calls on a live timeline."
)
