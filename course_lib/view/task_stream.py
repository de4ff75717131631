"""Dask's own view of a run, drawn beside ours: its task stream (what the dashboard's "Task
Stream" shows, from ``distributed.get_task_stream``), one row per worker thread, one bar per task.

Where the dashboard cannot be reached (Colab, a Binder without a proxy), this figure is how you
see it. Dask's clock is the wall clock (``time.time``); ``since`` is the run's start on it.

>>> stream = [{"worker": "tcp://a:1", "thread": 7, "key": "ask-0-x",
...            "startstops": ({"action": "compute", "start": 10.0, "stop": 10.5},)}]
>>> figure = task_stream_figure(stream, since=10.0, names={"tcp://a:1": 0})
>>> figure.data[0].y, figure.data[0].x
(('worker 0 · thread 1',), (0.5,))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from course_lib.view.gantt import FONT
from course_lib.view.timeline import PHASE_STYLE

#: Each task's step: its name in the legend and its colour (our timeline's, for the same work).
STEPS = {
    "ask": ("ask: an async task making calls (holds its thread)", PHASE_STYLE["in_flight"][1]),
    "analyse": ("analyse: CPU work", PHASE_STYLE["cpu"][1]),
}
OTHER = ("another task", "#8A8A8A")


def task_stream_figure(
    stream: Sequence[Mapping[str, Any]],
    since: float,
    names: Mapping[str, Any] | None = None,
    title: str = "Dask's task stream: what each worker thread ran",
) -> go.Figure:
    """One bar per task's computing, on its worker thread's row, seconds from ``since``;
    ``names``: worker address -> the name Dask gave it (``client.scheduler_info()``)."""
    names = names or {}
    threads: dict[tuple[str, int], str] = {}
    bars: dict[str, dict[str, list[Any]]] = {}
    for task in stream:
        worker = task["worker"]
        name = names.get(worker, worker)
        own = sum(1 for w, _ in threads if w == worker)
        row = threads.setdefault((worker, task["thread"]), f"worker {name} · thread {own + 1}")
        step = str(task["key"]).split("-")[0]
        for part in task["startstops"]:
            if part["action"] != "compute":
                continue
            bar = bars.setdefault(step, {"base": [], "x": [], "y": [], "text": []})
            bar["base"].append(part["start"] - since)
            bar["x"].append(part["stop"] - part["start"])
            bar["y"].append(row)
            bar["text"].append(f"{task['key']}<br>{part['stop'] - part['start']:.2f} s")
    figure = go.Figure()
    for step, bar in bars.items():
        name, colour = STEPS.get(step, OTHER)
        figure.add_bar(
            name=name,
            orientation="h",
            base=bar["base"],
            x=bar["x"],
            y=bar["y"],
            hovertext=bar["text"],
            hoverinfo="text",
            marker_color=colour,
            marker_line=dict(width=1.5, color="#FFFFFF"),
        )
    rows = sorted(set(threads.values()))
    figure.update_layout(
        title=title,
        font=FONT,
        height=max(260, 150 + 34 * len(rows)),
        margin=dict(l=10, r=20, t=80, b=40),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        plot_bgcolor="#FFFFFF",
        barmode="overlay",
    )
    figure.update_yaxes(categoryorder="array", categoryarray=rows[::-1])
    figure.update_xaxes(title_text="seconds since the run started", gridcolor="#E3E3E3")
    return figure


def dashboard_note(link: str | None) -> Any:
    """The dashboard's link, as HTML, and where it cannot be opened from your browser."""
    from IPython.display import HTML

    if not link:
        return HTML("<p>This cluster has no dashboard (start it with a dashboard_address).</p>")
    where = (
        "On Colab (and on a Binder without jupyter-server-proxy) this address is the notebook "
        "server's own, which your browser cannot reach: read the task stream drawn below and the "
        "saved report instead."
    )
    return HTML(
        f'<p>Dask\'s dashboard: <a href="{link}" target="_blank">{link}</a> (its "Task Stream" '
        f'and "Workers" pages update live while a run goes). {where}</p>'
    )
