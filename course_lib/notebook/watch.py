"""Watching any code's Gemini calls: a live timeline while it runs, then the whole picture and a
verdict printed from what was measured. ``%%timeline`` (``notebook.magic``) puts one around a
cell; ``with watching():`` does it around a block.

While a watch is on, every google-genai client in this process is traced
(``trace.every_client``: a learner's own ``genai.Client()``, sync or async, httpx or aiohttp,
``client.interactions``, streams, from any thread or task), and so are the kit's own clients.
Offline, the calls other processes make (a ``ProcessPoolExecutor`` of the learner's, a Dask
worker) reach the picture too, from the fake's server log (``client.served``). Live, those go
to Google, and only their own process sees them: the verdict says so when it saw none here.

The live frames are drawn from a thread of their own, so they keep coming while the watched code
blocks this one (a plain ``for`` loop of ``generate_content`` calls does). Drawing never costs
more than 4 % of the time (``view.live.pause``), and a failure to draw never stops the code.

>>> with watching("two calls", show=False) as watch:  # doctest: +SKIP
...     client.models.generate_content(model=MODEL, contents="Hi")
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import plotly.graph_objects as go

from course_lib.client.served import calls_from_other_processes
from course_lib.client.session import SESSION
from course_lib.trace.every_client import stop_tracing_every_client, trace_every_client
from course_lib.trace.lanes import Lane, current_lane
from course_lib.trace.overlap import most_at_once
from course_lib.trace.spans import IN_FLIGHT, Span, Tracer, now, numbered, trace_everywhere
from course_lib.view.gantt_chart import gantt
from course_lib.view.live import LiveTimeline, pause
from course_lib.view.show import placeholder
from course_lib.view.timeline import timeline
from course_lib.view.verdicts import calls_verdict, ideal_bounds

#: The row of calls made on the notebook's own main thread (a plain loop in a cell).
NOTEBOOK = Lane("main", 0, "the notebook")
#: Rows at most before lanes are packed (the timeline's summarising keeps 10,000 calls readable).
MAX_LANES = 40


class Watch:
    """One watched stretch of code: ``start()``, the code, ``finish()``. ``show``: draw a live
    timeline (an ipywidgets widget) and, at the end, the picture; without it, only the verdict's
    lines are made (``lines``)."""

    def __init__(self, title: str = "", show: bool = True) -> None:
        self.title = title or "Your code's Gemini calls"
        self.show = show
        self.tracer = Tracer()
        self.live: LiveTimeline | None = None
        self.lines: list[str] = []
        self.spans: list[Span] = []
        self.t0 = 0.0
        self.wall_s = 0.0
        self._stop = threading.Event()
        self._drawer: threading.Thread | None = None
        self._untrace: list = []
        self._home = NOTEBOOK
        self.drawing_failed = ""

    # -- on and off ------------------------------------------------------------------------------
    def start(self) -> None:
        # where the cell's own code runs: a Jupyter kernel runs each cell in an asyncio task,
        # which a plain loop's calls would be drawn in ("task 1"); they are the notebook's
        self._home = current_lane()
        trace_every_client()
        self._untrace = [stop_tracing_every_client, trace_everywhere(self.tracer)]
        if self.show:
            from IPython.display import display  # only when a picture is wanted

            self.live = LiveTimeline(self.title, max_lanes=MAX_LANES)
            self.live.start(self.title)
            display(self.live.widget)
        # the clock starts with the code: a kernel's first picture takes a second to set up
        # (plotly's import, plotly.js sent to the page), which is no part of the code's time
        self.t0 = self.tracer.t0 = now()
        if not self.show:
            return
        self._drawer = threading.Thread(target=self._draw, name="course-timeline", daemon=True)
        self._drawer.start()

    def finish(self, error: BaseException | None = None) -> list[str]:
        """Stop watching: the last picture, and the lines that say what happened (returned,
        and kept in ``lines``). ``error``: what the watched code raised, if it did."""
        self.wall_s = now() - self.t0
        self._stop.set()
        if self._drawer is not None:
            self._drawer.join()
        for undo in reversed(self._untrace):
            undo()
        self._untrace = []
        self.spans = self.calls_so_far()
        self.lines = self.summary(error)
        if self.drawing_failed:  # the live frames stopped; the code ran on
            self.lines.append(f"(The live frames stopped: {self.drawing_failed})")
        if self.live is not None:
            try:
                self.live.show_figure(self.picture())
            except Exception as problem:  # the code's own outcome matters more than the picture
                self.lines.append(f"(The timeline could not be drawn: {problem})")
        return self.lines

    # -- what was seen ---------------------------------------------------------------------------
    def calls_so_far(self) -> list[Span]:
        """Every call seen since the start, in this process and (offline) in others; the
        notebook's main thread named as such."""
        home = (self._home, Lane("process", os.getpid()))
        spans = [replace(s, lane=NOTEBOOK) if s.lane in home else s for s in self.tracer.snapshot()]
        server = SESSION.server
        if server is not None:
            cut = now()
            for span in calls_from_other_processes(server, self.t0, spans):
                if span.start < cut:  # answers still due show as running until now
                    running = span.end > cut
                    spans.append(replace(span, end=cut, outcome="running") if running else span)
        return spread(numbered(spans))

    def summary(self, error: BaseException | None = None) -> list[str]:
        """The verdict, from the first call out to the last answer (what came before it, an
        import, a client, a process starting, is told apart), then the wall time and the ideal:
        the dotted line of ``picture``, counted from the first call."""
        calls = [s for s in self.spans if s.phase == IN_FLIGHT]
        intervals = [(s.start, s.end) for s in calls]
        first = min((start for start, _ in intervals), default=self.t0)
        last = max((end for _, end in intervals), default=self.t0 + self.wall_s)
        lines = [calls_verdict(intervals, last - first)]
        if error is not None:
            lines[0] += f" The code stopped with {type(error).__name__} after {self.wall_s:.2f} s."
        if not calls:
            if os.environ.get("COURSE_LIVE") == "1":
                lines.append(
                    "Live, calls made in other processes go to Google and only they see them."
                )
            return lines
        before = first - self.t0
        lines.append(
            f"Wall time {self.wall_s:.2f} s; the first call went out at {before:.2f} s, after "
            "the code before it."
        )
        shared, longest = ideal_bounds(intervals)
        most, waiting = most_at_once(intervals), sum(end - start for start, end in intervals)
        ideal = f"Ideal (the dotted line, at {before + max(shared, longest):.2f} s): "
        if most == 1:
            ideal += f"the calls back to back, {shared:.2f} s; all at once, {longest:.2f} s."
        elif shared > longest * 1.05:
            ideal += (
                f"the calls' {waiting:.2f} s shared {most} ways, {shared:.2f} s; all at once, "
                f"{longest:.2f} s."
            )
        else:
            ideal += f"every call at once, as long as the longest, {longest:.2f} s."
        lines.append(ideal)
        refused = sum(s.outcome == "429" for s in calls)
        failed = sum(s.outcome not in ("ok", "running", "429", "cancelled") for s in calls)
        running = sum(s.outcome == "running" for s in calls)
        if refused or failed:
            lines.append(
                f"{refused} answered 429 (rate limit), {failed} failed otherwise: the red bars."
            )
        if running:
            lines.append(f"{running} still had no answer when it ended.")
        others = {s.pid for s in calls if s.pid != os.getpid()}
        if others:
            from_others = sum(s.pid != os.getpid() for s in calls)
            lines.append(
                f"{from_others} of the calls came from {len(others)} other process"
                f"{'es' if len(others) > 1 else ''} (the fake's server saw them)."
            )
        return lines

    def picture(self) -> go.Figure:
        """The whole picture: the calls, the wall time and the ideal (from the first call, the
        calls' time shared as many ways as overlapped, or the longest call if that is longer); a
        line of text if there was nothing."""
        if not self.spans:
            text = f"No Gemini call in {self.wall_s:.2f} s: nothing to draw."
            return placeholder(text, 80, {"title": {"text": self.title, "x": 0.01}})
        intervals = [(s.start, s.end) for s in self.spans if s.phase == IN_FLIGHT]
        ideal = None
        if intervals:
            ideal = min(start for start, _ in intervals) - self.t0 + max(ideal_bounds(intervals))
        return gantt(
            spans=self.spans,
            t0=self.t0,
            wall_s=self.wall_s,
            ideal_s=ideal,
            title=self.title,
            max_lanes=MAX_LANES,
        )

    # -- the live frames -------------------------------------------------------------------------
    def _draw(self) -> None:
        live, cost = self.live, 0.0
        assert live is not None
        shown = 0  # spans in the last frame drawn
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                spans = self.calls_so_far()
                # a frame only when there is something new: while the code imports and makes
                # its clients, drawing would only take the interpreter from it
                if len(spans) != shown or any(s.outcome == "running" for s in spans):
                    data = timeline(spans, self.t0, MAX_LANES, hover=False)
                    live.draw(data, None, None, final=False, status="Running… ")
                    shown = len(spans)
            except Exception as problem:  # never in the way of the code being watched
                self.drawing_failed = str(problem)
                return
            spent = time.perf_counter() - started
            cost = spent if not cost else 0.7 * cost + 0.3 * spent
            self._stop.wait(pause(live.fps, cost))


def spread(spans: list[Span]) -> list[Span]:
    """Calls of one process that overlapped (its threads', its tasks', as the fake's server saw
    them: one lane per process) on rows of their own, "process 2", "process 2 · 2"..., so that
    no bar hides another. Lanes must be numbered already (``numbered``).

    >>> one = Lane("process", 7, "process 1")
    >>> calls = [Span(i, one, IN_FLIGHT, t, t + 1.0, 7) for i, t in enumerate([0, 0.5, 1.2])]
    >>> [str(s.lane) for s in spread(calls)]
    ['process 1', 'process 1 · 2', 'process 1']
    """
    free_at: dict[Lane, list[float]] = {}  # per process lane: when each of its rows is free
    out = []
    for span in sorted(spans, key=lambda s: s.start):
        if span.lane.kind != "process":
            out.append(span)
            continue
        rows = free_at.setdefault(span.lane, [])
        row = next((i for i, free in enumerate(rows) if free <= span.start), len(rows))
        if row == len(rows):
            rows.append(0.0)
        rows[row] = span.end
        if row:
            span = replace(span, lane=Lane("process", span.lane.index, f"{span.lane} · {row + 1}"))
        out.append(span)
    return out


@contextmanager
def watching(title: str = "", show: bool = True) -> Iterator[Watch]:
    """``with watching("my loop"):`` the block's Gemini calls on a live timeline, then the
    picture and the verdict printed under it."""
    watch = Watch(title, show)
    watch.start()
    error: BaseException | None = None
    try:
        yield watch
    except BaseException as raised:
        error = raised
        raise
    finally:
        for line in watch.finish(error):
            print(line)
