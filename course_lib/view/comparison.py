"""A chart that compares runs: wall time, the ideal bound and the speed-up over sequential."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from course_lib.run.registry import WORKLOAD, one_at_a_time_seconds, scenario
from course_lib.run.results import RunResult
from course_lib.run.settings import ScenarioSettings
from course_lib.view.gantt_chart import FONT, IDEAL
from course_lib.view.show import placeholder, show_in
from course_lib.view.titles import run_title, shape_of, workload_of


@dataclass
class Comparison:
    """Runs side by side: wall time, the ideal bound, and the speed-up over sequential.

    The baseline is a sequential run with the same workload if there is one, else the sequential
    ideal bound (marked "≈"). Every view of it (``view()``: panels that share a comparison each
    show one) is redrawn whenever a run is added.
    """

    results: list[RunResult] = field(default_factory=list)
    _views: list[Any] = field(default_factory=list, repr=False)

    def add(self, result: RunResult) -> None:
        self.results.append(result)
        if self._views:
            figure = self.figure()
            for view in self._views:
                show_in(view, figure)

    def view(self) -> Any:
        """A widget that shows this comparison and follows it as runs are added."""
        import ipywidgets

        view = ipywidgets.Output()
        self._views.append(view)
        show_in(view, self.figure() if self.results else waiting_for_runs())
        return view

    def speedup(self, result: RunResult) -> tuple[float, bool]:
        """(speed-up over sequential, measured?)."""
        key = _workload(result.settings)
        for other in reversed(self.results):
            if other.scenario == "sequential" and _workload(other.settings) == key:
                return other.wall_s / result.wall_s, True
        alone = one_at_a_time_seconds(result.scenario, result.settings, result.cpu_s)
        return alone / result.wall_s, False

    def labels(self) -> list[str]:
        """'1. concurrent<br>limit 5': the scenario, how it spread the work, and what of the
        workload differs between the runs compared."""
        workloads = [workload_of(r.settings) for r in self.results]
        differs = set().union(*map(set, workloads)) - set[str].intersection(*map(set, workloads))
        return [
            f"{i + 1}. {r.scenario}<br>"
            + "<br>".join(shape_of(r.scenario, r.settings) + [w for w in work if w in differs])
            for i, (r, work) in enumerate(zip(self.results, workloads, strict=True))
        ]

    def figure(self) -> go.Figure:
        labels = self.labels() if self.results else []
        texts = []
        for r in self.results:
            if r.failures:  # fast because it gave up: no speed-up to boast of
                texts.append(f"{r.wall_s:.2f} s · {r.failures} of {len(r.outputs)} failed")
                continue
            factor, measured = self.speedup(r)
            refused = sum(1 for span in r.spans if span.outcome == "429")
            extra = f" · {refused} × 429" if refused else ""
            texts.append(f"{r.wall_s:.2f} s · {times(factor, measured)}{extra}")
        fig = go.Figure(
            [
                go.Bar(
                    name="wall time",
                    showlegend=False,  # coloured by scenario; the x axis names each one
                    x=labels,
                    y=[r.wall_s for r in self.results],
                    text=texts,
                    textposition="outside",
                    hovertext=[run_title(r) for r in self.results],
                    hoverinfo="text",
                    marker_color=[scenario(r.scenario).colour for r in self.results],
                ),
                go.Scatter(  # only for the legend: the lines themselves are shapes
                    name="ideal bound: the best this run could do (with no failures)",
                    x=[None],
                    y=[None],
                    mode="lines",
                    line=dict(color=IDEAL, width=4),
                ),
            ]
        )
        fig.update_layout(
            title=dict(
                text="Runs compared: wall time, and how many times faster (or slower) than one "
                "at a time<br><sup>N×: than the sequential run of the same prompts; ≈N×: than "
                "the ideal sequential time, when there is no such run</sup>",
                x=0.01,
            ),
            font=FONT,
            yaxis_title="wall time (s)",
            # labels stay level, one line per setting: rotated, long labels squash the plot
            xaxis=dict(tickangle=0, tickfont=dict(size=12), automargin=True),
            height=340 + 16 * max((label.count("<br>") for label in labels), default=0),
            bargap=0.35,
            plot_bgcolor="#FFFFFF",
            yaxis=dict(gridcolor="#E3E3E3"),
            legend=dict(orientation="h", yanchor="bottom", y=1.0, x=1, xanchor="right"),
            margin=dict(l=10, r=10, t=90, b=40),
            shapes=[  # the ideal, as a line across each bar, with a white edge on any colour
                dict(
                    type="line",
                    xref="x",
                    yref="y",
                    x0=i - 0.32,
                    x1=i + 0.32,
                    y0=r.ideal_s,
                    y1=r.ideal_s,
                    line=dict(color=color, width=width),
                )
                for i, r in enumerate(self.results)
                for color, width in (("#FFFFFF", 8), (IDEAL, 4))
            ],
        )
        return fig


def waiting_for_runs() -> go.Figure:
    """What a comparison shows before its first run."""
    text = "Your runs will be compared here, one bar each, as you press <b>Run</b>."
    return placeholder(text, height=120)


def _workload(s: ScenarioSettings) -> tuple:
    """The settings that change the work itself, not how it is spread out."""
    return (*(getattr(s, name) for name in WORKLOAD), s.model)


def times(factor: float, measured: bool) -> str:
    """A speed-up as the bar says it: "2.5×" faster, or "1.6× slower" below 0.95 (a bar that
    said "0.6×" under a title about times faster was read as a speed-up), "≈" when it is
    measured against the ideal sequential time, not a sequential run.

    >>> times(2.5, True), times(0.6, False), times(0.97, True)
    ('2.5×', '≈1.7× slower', '1.0×')
    """
    mark = "" if measured else "≈"
    if factor >= 0.95 or factor <= 0:
        return f"{mark}{factor:.1f}×"
    return f"{mark}{1 / factor:.1f}× slower"
