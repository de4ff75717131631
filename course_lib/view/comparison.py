"""A chart that compares runs: wall time, the ideal bound and the speed-up over sequential."""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from course_lib.run.registry import WORKLOAD, ideal_seconds, scenario
from course_lib.run.results import RunResult
from course_lib.run.settings import Settings
from course_lib.view.gantt import run_title


@dataclass
class Comparison:
    """Runs side by side: wall time, the ideal bound, and the speed-up over sequential.

    The baseline is a sequential run with the same workload if there is one, else the sequential
    ideal bound (marked "≈").
    """

    results: list[RunResult] = field(default_factory=list)

    def add(self, result: RunResult) -> None:
        self.results.append(result)

    def speedup(self, result: RunResult) -> tuple[float, bool]:
        """(speed-up over sequential, measured?)."""
        key = _workload(result.settings)
        for other in reversed(self.results):
            if other.scenario == "sequential" and _workload(other.settings) == key:
                return other.wall_s / result.wall_s, True
        return ideal_seconds("sequential", result.settings) / result.wall_s, False

    def figure(self) -> go.Figure:
        labels = [f"{i + 1}. {r.scenario}" for i, r in enumerate(self.results)]
        texts = []
        for r in self.results:
            factor, measured = self.speedup(r)
            texts.append(f"{r.wall_s:.2f} s · {'' if measured else '≈'}{factor:.1f}×")
        hover = [run_title(r) for r in self.results]
        fig = go.Figure(
            [
                go.Bar(
                    name="wall time",
                    showlegend=False,  # coloured by scenario; the x axis names each one
                    x=labels,
                    y=[r.wall_s for r in self.results],
                    text=texts,
                    textposition="outside",
                    hovertext=hover,
                    hoverinfo="text",
                    marker_color=[scenario(r.scenario).colour for r in self.results],
                ),
                go.Scatter(
                    name="ideal bound",
                    x=labels,
                    y=[r.ideal_s for r in self.results],
                    mode="markers",
                    marker=dict(
                        symbol="line-ew-open", size=28, color="#009E73", line=dict(width=3)
                    ),
                ),
            ]
        )
        fig.update_layout(
            title="Runs compared: speed-up over sequential (≈: against theory)"
            "<br><sup>ideal bounds assume no failed calls</sup>",
            yaxis_title="wall time (s)",
            height=360,
            bargap=0.4,
            margin=dict(l=10, r=10, t=60, b=40),
        )
        return fig


def _workload(s: Settings) -> tuple:
    """The settings that change the work itself, not how it is spread out."""
    return (*(getattr(s, name) for name in WORKLOAD), s.model)
