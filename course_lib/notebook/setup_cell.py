"""The setup cell's one call: ``setup()``.

It chooses which Gemini answers (``client.session``: the fake, offline, unless ``live=True`` and a
key), turns on the tracing of every google-genai client in this process
(``trace.every_client``: a call is recorded only while a timeline watches, but an aiohttp
session google-genai made before tracing was on would never be seen), and, in IPython, loads
``%%timeline``.
"""

from __future__ import annotations

from course_lib.client.session import SESSION
from course_lib.trace.every_client import stop_tracing_every_client, trace_every_client

_traced: list[bool] = []  # every client traced already (once per process)


def setup(live: bool = False) -> str:
    said = SESSION.setup(live)
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
    return said


def forget() -> None:
    """Undo what ``setup()`` turned on for the process (tests start each test from here)."""
    if _traced:
        _traced.clear()
        stop_tracing_every_client()


setup.__doc__ = (SESSION.setup.__doc__ or "") + (
    "\n\n        In IPython it also loads ``%%timeline``: put it on a cell's first line to see "
    "that cell's Gemini calls on a live timeline."
)
