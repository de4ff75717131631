"""Dask's own view of a run, drawn beside ours: its task stream (what the dashboard's "Task
Stream" shows, from ``distributed.get_task_stream``), one row per thread a worker ran tasks on
(an ``async def`` task runs on the worker's event loop), one bar per task.

Where the dashboard cannot be reached (Colab, a Binder without a proxy), this figure is how you
see it. Dask's clock is the wall clock (``time.time``); ``since`` is the run's start on it.

>>> stream = [{"worker": "tcp://a:1", "thread": 7, "key": "ask_batch-0c1d",
...            "startstops": ({"action": "compute", "start": 10.0, "stop": 10.5},)}]
>>> figure = task_stream_figure(stream, since=10.0, names={"tcp://a:1": 0})
>>> figure.data[0].name, figure.data[0].y, figure.data[0].x
('ask_batch: async, on the event loop (holds a task slot)', ('worker 0 · event loop',), (0.5,))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from dask.utils import key_split

from course_lib.view.gantt_chart import FONT
from course_lib.view.timeline import PHASE_STYLE

#: Each task's step: its name in the legend and its colour (our timeline's, for the same work).
STEPS = {
    "ask_batch": (
        "ask_batch: async, on the event loop (holds a task slot)",
        PHASE_STYLE["in_flight"][1],
    ),
    "analyse_batch": ("analyse_batch: CPU work, in a pool thread", PHASE_STYLE["cpu"][1]),
}
ASYNC_STEPS = ("ask_batch",)  # Dask runs an async def task on the worker's event loop
OTHER = ("another task", "#8A8A8A")


def task_stream_figure(
    stream: Sequence[Mapping[str, Any]],
    since: float,
    names: Mapping[str, Any] | None = None,
    title: str = "Dask's task stream: what each worker ran, and on which thread",
) -> go.Figure:
    """One bar per task's computing, on its worker thread's row, seconds from ``since``;
    ``names``: worker address -> the name Dask gave it (``client.scheduler_info()``)."""
    names = names or {}
    threads: dict[tuple[str, int], str] = {}
    bars: dict[str, dict[str, list[Any]]] = {}
    for task in stream:
        worker = task["worker"]
        name = names.get(worker, worker)
        step = key_split(task["key"])
        if (worker, task["thread"]) not in threads:
            pool = sum(1 for (w, _), row in threads.items() if w == worker and "thread" in row)
            where = "event loop" if step in ASYNC_STEPS else f"thread {pool + 1}"
            threads[worker, task["thread"]] = f"worker {name} · {where}"
        row = threads[worker, task["thread"]]
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
