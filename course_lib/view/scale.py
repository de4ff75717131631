"""Pictures for lesson 07: an hour of traffic, and what a simulated hour did to it (requests in
the system over time, one line per run compared).

>>> from course_lib.scaling.traffic import Request
>>> figure = traffic_figure([Request(1.0, 100, 10), Request(61.0, 300, 20), Request(62.0, 50, 5)])
>>> list(figure.data[0].y)
[1, 2]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from course_lib.scaling.simulator import Simulated
from course_lib.scaling.traffic import Request
from course_lib.view.gantt_chart import FONT

#: Colours for the runs compared on one chart (colour-blind-safe, after Okabe-Ito).
LINES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _style(figure: go.Figure, title: str, height: int, x: str = "", y: str = "") -> None:
    """The lesson's figures alike: a legend in a row above, a white plot, axis titles."""
    figure.update_layout(
        title=title,
        font=FONT,
        height=height,
        margin=dict(l=10, r=20, t=60, b=40),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        plot_bgcolor="#FFFFFF",
    )
    if x:
        figure.update_xaxes(title_text=x)
    if y:
        figure.update_yaxes(title_text=y)


def traffic_figure(requests: Sequence[Request], title: str = "An hour of traffic") -> go.Figure:
    """Requests arriving per minute (top) and the prompt and answer sizes, in tokens, per minute's
    mean (bottom)."""
    minutes = int(max(r.arrival_s for r in requests) // 60) + 1
    counts, prompt, output = [0] * minutes, [0] * minutes, [0] * minutes
    for r in requests:
        m = int(r.arrival_s // 60)
        counts[m] += 1
        prompt[m] += r.prompt_tokens
        output[m] += r.output_tokens
    x = list(range(minutes))
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    figure.add_bar(x=x, y=counts, name="requests a minute", marker_color=LINES[0], row=1, col=1)
    for sizes, name, colour in ((prompt, "prompt", LINES[1]), (output, "answer", LINES[2])):
        mean = [s / c if c else 0 for s, c in zip(sizes, counts, strict=True)]
        figure.add_scatter(
            x=x, y=mean, name=f"{name} tokens (mean)", line_color=colour, row=2, col=1
        )
    _style(figure, title, 420)
    figure.update_xaxes(title_text="minute of the hour", row=2, col=1, gridcolor="#E3E3E3")
    figure.update_yaxes(title_text="requests", row=1, col=1, gridcolor="#E3E3E3")
    figure.update_yaxes(title_text="tokens", row=2, col=1, gridcolor="#E3E3E3")
    return figure


#: A legend with one run a line, above the plot: its height, line by line, and the title's.
LEGEND_LINE_PX, TITLE_PX = 21, 50


def queue_figure(
    runs: Mapping[str, Simulated],
    title: str = "Requests waiting or in flight",
    log: bool | None = None,
    colours: Sequence[str] | None = None,
) -> go.Figure:
    """For each run, the requests in the system (queued or in flight) over its simulated time: a
    line that keeps climbing is a queue that never drains. ``log``: a logarithmic count axis, so
    a run with tens in the system shows beside one with thousands (None: when they differ
    that much). ``colours``: one per run (default: ``LINES`` in order). The legend lists the
    runs one a line between the title and the plot, with room made for each: a long label
    never wraps onto the title."""
    figure = go.Figure()
    for (label, run), colour in zip(runs.items(), colours or LINES, strict=False):
        minutes = [t / 60 for t, *_ in run.samples]
        figure.add_scatter(
            x=minutes, y=[n for _, n, _, _ in run.samples], name=label, line_color=colour
        )
    legend_px = LEGEND_LINE_PX * len(runs) + 10
    _style(figure, title, 340 + legend_px, "minute (simulated)", "requests in the system")
    figure.update_layout(
        title=dict(y=1, yref="container", yanchor="top", pad=dict(t=12)),
        margin_t=TITLE_PX + legend_px,
        legend=dict(orientation="v", y=1, yanchor="bottom", x=0, yref="paper"),
        showlegend=True,  # one run too: its label says which settings the line is
    )
    figure.update_xaxes(gridcolor="#E3E3E3")
    peaks = [max((n for _, n, _, _ in run.samples), default=0) for run in runs.values()]
    if log is None:
        log = len(peaks) > 1 and max(peaks) > 50 * max(1, min(peaks))
    if log:
        figure.update_yaxes(type="log", title_text="requests in the system (log scale)")
    else:
        figure.update_yaxes(rangemode="tozero")
    figure.update_yaxes(gridcolor="#E3E3E3")
    return figure


def summary(run: Simulated) -> dict[str, float]:
    """The numbers a capacity plan reads: latency percentiles (answered requests), the mean queue,
    time to first token, throughput, 429s, failures and the most requests in the system."""
    answered = run.ok()
    return {
        "p50_s": run.percentile("latency_s", 50),
        "p95_s": run.percentile("latency_s", 95),
        "p99_s": run.percentile("latency_s", 99),
        "queue_s": run.mean("queue_s"),
        "ttft_p50_s": run.percentile("ttft_latency_s", 50),
        "per_s": len(answered) / run.span_s if run.span_s else 0.0,
        "refused": run.refused,
        "failed": run.failed,
        "most_in_system": max((n for _, n, _, _ in run.samples), default=0),
    }


def scraped_figure(scraped: Sequence[tuple[float, Mapping[tuple[str, str], float]]]) -> go.Figure:
    """What a Prometheus server would have drawn from ``scrape`` results taken over a run:
    (seconds, {(name, label): value}) pairs: calls in flight, 429s so far, answers so far."""
    figure = go.Figure()
    series = (
        (("llm_calls_in_flight", ""), "calls in flight"),
        (("llm_rate_limited_total", ""), "429s so far"),
        (("llm_requests_total", "ok"), "answered so far"),
    )
    for (key, label), colour in zip(series, LINES, strict=False):
        figure.add_scatter(
            x=[t for t, _ in scraped],
            y=[values.get(key, 0) for _, values in scraped],
            name=label,
            line=dict(color=colour, shape="hv"),  # a counter holds its value between scrapes
        )
    _style(figure, "What Prometheus would have scraped", 360, "seconds")
    figure.update_xaxes(gridcolor="#E3E3E3")
    figure.update_yaxes(gridcolor="#E3E3E3", rangemode="tozero")
    return figure
