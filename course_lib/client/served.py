"""Calls made in other processes, as the fake's loopback server saw them: spans for a timeline.

A learner's own ``ProcessPoolExecutor`` (or a Dask worker, or a script) that calls
``genai.Client()`` after ``offline()`` sends to the fake's loopback server; nothing in this
process traces those calls, but the server logs every one (``FakeGemini.log``: when it came,
when its answer was due, its status and prompt) and knows which process holds each connection
(``fake.peers``). Calls made in this process are left out (``trace.every_client`` traces them
here, with more detail), and so are the kit's own, which it marks and traces itself, and the
calls the same fake answered in this process without its server (``IN_PROCESS``).

Offline only: live, calls from other processes go to Google, and only their own process sees
them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from course_lib.fake.server import FakeServer
from course_lib.fake.transport import IN_PROCESS
from course_lib.trace.lanes import Lane
from course_lib.trace.spans import IN_FLIGHT, Span

#: A call whose process the OS did not name counts as one traced here if it came and went
#: within this long of a call this process traced.
SAME_CALL_S = 0.15


def calls_from_other_processes(
    server: FakeServer, since: float, traced_here: Iterable[Span] = ()
) -> list[Span]:
    """The spans of the calls other processes made to ``server`` from ``since`` (a
    ``time.perf_counter()`` reading), one lane per process (``Lane("process", pid)``: a
    timeline numbers them "process 1", "process 2"...).

    A connection the OS did not name (gone before the lookup, on a busy machine) gives no pid:
    such a call is this process's own if it matches one of ``traced_here``, the calls traced in
    this process, in time (else one call was drawn twice: a notebook's four calls read as five)."""
    server.peers.wait()  # the lookups of the latest connections
    ours = os.getpid()
    unmatched = [s for s in traced_here if s.phase == IN_FLIGHT]
    spans = []
    for n, call in enumerate(list(server.fake.log)):
        if call.start < since or call.traced or not call.model or call.client == IN_PROCESS:
            continue  # before, traced by the kit already, not a model call, or not over loopback
        pid = server.peers.pid_of(call.client)
        if pid == ours:
            continue
        if pid is None:
            same = next((s for s in unmatched if _same_call(s, call.start, call.end)), None)
            if same is not None:
                unmatched.remove(same)
                continue
        outcome = "ok" if call.status < 400 else str(call.status)
        lane = Lane("process", pid or 0, "" if pid else "another process")
        spans.append(
            Span(
                f"call {n + 1}",
                lane,
                IN_FLIGHT,
                call.start,
                call.end,
                pid or 0,
                outcome,
                call.prompt,
            )
        )
    return spans


def _same_call(span: Span, start: float, end: float) -> bool:
    return abs(span.start - start) < SAME_CALL_S and abs(span.end - end) < SAME_CALL_S
