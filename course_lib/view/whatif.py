"""Lesson 07's what-if panel: replay an hour of traffic with other limits and savings, and read
the latency, the queue and the bill. Each press of Simulate runs ``course_lib.scaling.simulator``
(seconds, on a virtual clock, in a thread, so the notebook stays responsive; a line says how far
it has got, and Stop ends it). Runs are numbered 1, 2, 3... and kept; the chart draws the last
four. Works on ipywidgets 7 (Colab) and 8.

>>> panel = WhatIf(load_trace("conv")[:500])   # doctest: +SKIP
>>> panel  # as the last line of a cell, this shows it     # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import html
import threading
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from course_lib import catalogue
from course_lib.scaling.costs import bill, check_priced, is_cache_hit
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.simulator import Simulated, SimulationStopped, simulate
from course_lib.scaling.traffic import Request
from course_lib.values import SettingError
from course_lib.view.scale import LINES, queue_figure, summary
from course_lib.view.show import placeholder, show_in

_STYLE, _WIDE = {"description_width": "190px"}, "480px"
SHOWN = 4  # runs drawn on the chart: the last four
EVERY_S = 0.25  # how often the progress line is redrawn while a simulation runs


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
    the hour, next to the runs before (the last ``SHOWN``). Every run is kept in ``runs``, as
    (label, result), numbered in the order they ran; Stop ends a simulation early."""

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
        self.stop_button = w.Button(
            description="Stop", button_style="danger", icon="stop", disabled=True
        )
        self.stop_button.on_click(lambda _: self.stop())
        self.status = w.HTML("Set the sliders, then press <b>Simulate</b>.")
        self.view = w.Output()
        show_in(self.view, placeholder("Press Simulate: the hour's queue shows here.", 160))
        self.runs: list[tuple[str, Simulated]] = []  # every run, numbered from 1
        self.task: asyncio.Task | None = None
        self._stop = threading.Event()
        self._simulated_s = 0.0  # how far the running simulation has got (its thread writes it)
        self.widget = w.VBox(
            [
                w.HTML("<h3 style='margin:4px 0'>What if?</h3>"),
                *self.sliders.values(),
                self.pace,
                self.tier,
                w.HBox([self.button, self.stop_button]),
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
        self.button.disabled, self.stop_button.disabled = True, False
        self._stop = threading.Event()  # a fresh one: a late Stop cannot end the next run
        self._simulated_s = 0.0
        label = self.label()  # the sliders as they were when Simulate was pressed
        self.status.value = self.progress(live, 0.0)
        self.task = asyncio.ensure_future(self._run(settings, live, offline, label))

    def stop(self) -> None:
        """What Stop does: the simulation ends at its next simulated second."""
        self._stop.set()

    async def _run(
        self,
        settings: SimulationSettings,
        live: list[Request],
        offline: list[Request],
        label: str,
    ) -> None:
        going = asyncio.ensure_future(
            asyncio.to_thread(simulate, live, settings, progress=self._reached, stop=self._stop)
        )
        try:
            while not going.done():  # the progress line, a few times a second
                await asyncio.wait({going}, timeout=EVERY_S)
                if not going.done():
                    self.status.value = self.progress(live, self._simulated_s)
            run = going.result()
        except SimulationStopped as stopped:
            minutes = stopped.simulated_s / 60
            self.status.value = (
                f"Stopped after {minutes:.0f} simulated minutes: this run is not numbered or drawn."
            )
            return
        except Exception as error:  # shown in the panel, which stays usable
            self.status.value = f"The simulation failed: {html.escape(str(error))}"
            return
        finally:
            self.button.disabled, self.stop_button.disabled = False, True
        self.status.value = self.describe(run, offline)
        self.runs.append((f"{len(self.runs) + 1}. {label}", run))
        show_in(self.view, self.figure())

    def _reached(self, simulated_s: float) -> None:  # called from the simulation's thread
        self._simulated_s = simulated_s

    @staticmethod
    def progress(live: Sequence[Request], simulated_s: float) -> str:
        """The line shown while a simulation of ``live`` runs: how far its clock has got."""
        arrivals_min = max((r.arrival_s for r in live), default=0.0) / 60
        done = simulated_s / 60
        if done <= arrivals_min:
            where = f"simulated {done:.0f} of {arrivals_min:.0f} min"
        else:
            where = f"simulated {done:.0f} min: every request has arrived, the queue drains"
        return (
            f"Simulating {len(live):,} requests on a virtual clock: {where}… (<b>Stop</b> ends it)"
        )

    def figure(self) -> Any:
        """The requests in the system over the hour, for the last ``SHOWN`` runs; a run keeps
        its colour from one chart to the next."""
        shown = self.runs[-SHOWN:]
        first = len(self.runs) - len(shown) + 1
        title = "Requests waiting or in flight"
        if len(self.runs) > SHOWN:
            title += f": runs {first} to {len(self.runs)}, the last {SHOWN} of {len(self.runs)}"
        colours = [LINES[(n - 1) % len(LINES)] for n in range(first, len(self.runs) + 1)]
        return queue_figure(dict(shown), title, colours=colours)

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
