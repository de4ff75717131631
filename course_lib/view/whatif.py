"""Lesson 07's what-if panel: replay an hour of traffic with other limits and savings, and read
the latency, the queue and the bill. Each press of Simulate runs ``course_lib.scaling.simulator`` (a
second or two, on a virtual clock, in a thread, so the notebook stays responsive). Works on
ipywidgets 7 (Colab) and 8.

>>> panel = WhatIf(load_trace("conv")[:500])   # doctest: +SKIP
>>> panel  # as the last line of a cell, this shows it     # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from course_lib import catalogue
from course_lib.scaling.costs import bill, check_priced, is_cache_hit
from course_lib.scaling.simulator import Simulated, SimulationSettings, simulate
from course_lib.scaling.traffic import Request
from course_lib.values import SettingError
from course_lib.view.scale import queue_figure, summary
from course_lib.view.show import placeholder, show_in

_STYLE, _WIDE = {"description_width": "190px"}, "480px"


def _slider(kind: Any, description: str, value: float, low: float, high: float, step: float) -> Any:
    return kind(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        style=_STYLE,
        layout=w.Layout(width=_WIDE),
        continuous_update=False,
    )


class WhatIf:
    """Sliders for an hour of ``requests``: the API's limits (requests and input tokens a
    minute), whether a client-side limiter paces the requests to the limit (else they are sent
    and refused, and the retries wait), calls in flight, projects (each its own quota), a
    response cache's hit rate, the share of short prompts routed to ``cheap_model``, and the
    share sent off-line (Flex or Batch: half price, answered within minutes or hours, so not in
    the hour's queue). Simulate shows the numbers, the bill and the requests in the system over
    the hour, next to the two runs before."""

    #: The setting of ``course_lib.ranges`` each slider sets (a test keeps each slider inside it).
    SETS = {
        "rpm": "rpm",
        "tpm": "tpm",
        "concurrency": "concurrency",
        "projects": "projects",
        "cache": "cache_hit_rate",
        "routed": "routed_share",
        "offline": "offline_share",
    }

    def __init__(
        self,
        requests: Sequence[Request],
        model: str = catalogue.DEFAULT_MODEL,
        cheap_model: str = catalogue.CHEAP_MODEL,
    ) -> None:
        check_priced("model", model)  # now, not at the first press of Simulate
        check_priced("cheap_model", cheap_model)
        self.requests, self.model, self.cheap_model = list(requests), model, cheap_model
        self.sliders = {
            "rpm": _slider(w.IntSlider, "requests/min (0: none)", 0, 0, 6000, 60),
            "tpm": _slider(w.IntSlider, "tokens/min (0: none)", 0, 0, 4_000_000, 50_000),
            "concurrency": _slider(w.IntSlider, "calls in flight", 100, 1, 500, 1),
            "projects": _slider(w.IntSlider, "projects (quotas)", 1, 1, 10, 1),
            "cache": _slider(w.FloatSlider, "response cache hit rate", 0.0, 0.0, 0.9, 0.05),
            "routed": _slider(w.FloatSlider, "routed to the cheap model", 0.0, 0.0, 1.0, 0.05),
            "offline": _slider(w.FloatSlider, "share sent off-line", 0.0, 0.0, 0.9, 0.05),
        }
        self.pace = w.Checkbox(
            value=True,
            description="pace requests with a client-side limiter",
            style=_STYLE,
            layout=w.Layout(width=_WIDE),
        )
        self.tier = w.Dropdown(
            options=["flex", "batch"],
            value="flex",
            description="off-line tier",
            style=_STYLE,
            layout=w.Layout(width=_WIDE),
        )
        self.button = w.Button(description="Simulate", button_style="success", icon="play")
        self.button.on_click(lambda _: self.start())
        self.status = w.HTML("Set the sliders, then press <b>Simulate</b>.")
        self.view = w.Output()
        show_in(self.view, placeholder("Press Simulate: the hour's queue shows here.", 160))
        self.runs: dict[str, Simulated] = {}
        self.task: asyncio.Task | None = None
        self.widget = w.VBox(
            [
                w.HTML("<h3 style='margin:4px 0'>What if?</h3>"),
                *self.sliders.values(),
                self.pace,
                self.tier,
                self.button,
                self.status,
                self.view,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def settings(self) -> tuple[SimulationSettings, list[Request], list[Request]]:
        """The settings, the requests of the hour's live traffic, and those sent off-line."""
        v = {name: slider.value for name, slider in self.sliders.items()}
        live: list[Request] = []
        offline: list[Request] = []
        for i, request in enumerate(self.requests):
            (offline if is_cache_hit(i + 1, v["offline"]) else live).append(request)
        below = None
        if v["routed"] > 0:  # the threshold under which that share of prompts falls
            sizes = sorted(r.prompt_tokens for r in live)
            below = sizes[min(len(sizes) - 1, int(v["routed"] * len(sizes)))] + 1
        settings = SimulationSettings(
            rpm=v["rpm"] or None,
            # the limiter paces all projects' requests together: each project has the limit
            client_rpm=(v["rpm"] * v["projects"] or None) if self.pace.value else None,
            tpm=v["tpm"] or None,
            concurrency=v["concurrency"],
            projects=v["projects"],
            cache_hit_rate=v["cache"],
            model=self.model,
            cheap_model=self.cheap_model,
            route_below_tokens=below,
        )
        return settings, live, offline

    def start(self) -> None:
        """What Simulate does: run the simulation in a thread, then show it."""
        try:
            settings, live, offline = self.settings()
        except SettingError as error:
            self.status.value = f"<i>These settings cannot run: {html.escape(str(error))}</i>"
            return
        self.button.disabled = True
        self.status.value = f"Simulating {len(live):,} requests on a virtual clock…"
        self.task = asyncio.ensure_future(self._run(settings, live, offline))

    async def _run(
        self, settings: SimulationSettings, live: list[Request], offline: list[Request]
    ) -> None:
        try:
            run = await asyncio.to_thread(simulate, live, settings)
        except Exception as error:  # shown in the panel, which stays usable
            self.status.value = f"The simulation failed: {html.escape(str(error))}"
            return
        finally:
            self.button.disabled = False
        self.status.value = self.describe(run, offline)
        label = f"{len(self.runs) + 1}. " + self.label()
        self.runs = dict(list(self.runs.items())[-2:] + [(label, run)])
        show_in(self.view, queue_figure(self.runs))

    def label(self) -> str:
        v = {name: slider.value for name, slider in self.sliders.items()}
        parts = [f"{v['rpm']}/min" if v["rpm"] else "no limit"]
        if v["rpm"]:
            parts[0] += " paced" if self.pace.value else " unpaced"
        if v["tpm"]:
            parts.append(f"{v['tpm']:,} tokens/min")
        parts += [f"{v['concurrency']} in flight", f"{v['projects']} project(s)"]
        for key, what in (("cache", "cached"), ("routed", "routed"), ("offline", "off-line")):
            if v[key]:
                parts.append(f"{v[key]:.0%} {what}")
        return ", ".join(parts)

    def describe(self, run: Simulated, offline: list[Request]) -> str:
        """One line of numbers and the bill for the hour."""
        n = summary(run)
        dollars = run.dollars()
        if offline:  # the same savings, at the off-line tier's price
            s = run.settings
            dollars += bill(
                offline,
                self.model,
                tier=self.tier.value,
                cache_hit_rate=s.cache_hit_rate,
                cheap_model=s.cheap_model,
                route_below_tokens=s.route_below_tokens,
            ).dollars
        return (
            f"<b>p50 {n['p50_s']:.1f} s · p95 {n['p95_s']:.1f} s · p99 {n['p99_s']:.1f} s</b>"
            f" · mean queue {n['queue_s']:.1f} s · most in the system {n['most_in_system']:,}"
            f" · 429s {n['refused']:,} · <b>failed {n['failed']:,}</b>"
            f" · <b>${dollars:,.2f} for the hour</b>"
            + (f" ({len(offline):,} sent off-line via {self.tier.value})" if offline else "")
        )
