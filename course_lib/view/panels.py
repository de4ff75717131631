"""Control panels: sliders, Run and Stop, a results line, a live timeline and a comparison chart.

>>> panel = Panel("concurrent")       # doctest: +SKIP
>>> panel  # as the last line of a cell, this shows it     # doctest: +SKIP

Run starts the work as an asyncio task and returns at once, because in ipykernel 6 a button click
waits for the running cell to finish; so Stop can cancel it. While a run is going, the controls are
disabled. Impossible settings get a message in the panel, not a traceback. Works on ipywidgets 7
(Colab) and 8.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from typing import Any

import ipywidgets as w
from IPython.display import display

from course_lib.machine import effective_cpu_count
from course_lib.run.registry import ideal_seconds, one_at_a_time_seconds, scenario
from course_lib.run.results import RunResult
from course_lib.run.runner import run_scenario
from course_lib.run.settings import ScenarioSettings, SettingError
from course_lib.trace.spans import Tracer
from course_lib.view.comparison import Comparison
from course_lib.view.controls import CONTROLS, ZERO_IS_NONE, default_controls
from course_lib.view.live import LiveTimeline
from course_lib.view.startup import say_start_up, stopped_in_start_up
from course_lib.view.titles import settings_title


class Panel:
    """A control panel for one scenario. Display it by leaving it as a cell's last line.

    name: a scenario's name, one of ``SCENARIOS``.
    controls: which sliders to show (default: those that mean something for the scenario).
    settings: the starting values (default: ``ScenarioSettings()``).
    comparison: share one ``Comparison`` between panels to compare their runs side by side.
    """

    def __init__(
        self,
        name: str,
        *,
        controls: tuple[str, ...] | None = None,
        settings: ScenarioSettings | None = None,
        comparison: Comparison | None = None,
        max_lanes: int = 40,
    ) -> None:
        chosen = scenario(name)
        self.scenario = name
        self.base = settings or ScenarioSettings()
        names = controls or default_controls(name)
        unknown = [n for n in names if n not in CONTROLS]
        if unknown:
            raise SettingError(f"unknown control(s) {unknown}; choose from {', '.join(CONTROLS)}")
        self.sliders = {name: CONTROLS[name](self._start_value(name)) for name in names}
        for setting, slider in self.sliders.items():
            if chosen.name_of(setting) != setting:  # e.g. "threads" for the threads scenario
                slider.description = chosen.name_of(setting)
        self.run_button = w.Button(description="Run", button_style="success", icon="play")
        self.stop_button = w.Button(
            description="Stop", button_style="danger", icon="stop", disabled=True
        )
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self.status = w.HTML(
            value="Set the sliders (or click a number and type one), then press <b>Run</b>."
        )
        self.preview = w.HTML()  # what theory predicts, updated as the sliders move
        for slider in self.sliders.values():
            slider.observe(lambda _: self._predict(), names="value")
        self._predict()
        self.timeline = LiveTimeline(max_lanes=max_lanes)
        self.comparison = comparison if comparison is not None else Comparison()
        self.comparison_view = self.comparison.view()  # redrawn by every panel that shares it
        self.result: RunResult | None = None
        self.tracer: Tracer | None = None
        self.task: asyncio.Task | None = None
        self._running = self.base  # the settings of the run going (or last gone)
        title = w.HTML(
            value=f"<h3 style='margin:4px 0'>{html.escape(name)}</h3>"
            f"<div style='color:#555'>{html.escape(chosen.label)}</div>"
        )
        # two columns of sliders: the panel, its buttons and its timeline fit a 1400x900 window
        sliders = w.GridBox(
            list(self.sliders.values()),
            layout=w.Layout(grid_template_columns="repeat(auto-fill, 470px)", grid_gap="0 8px"),
        )
        self.widget = w.VBox(
            [
                title,
                sliders,
                self.preview,
                w.HBox([self.run_button, self.stop_button]),
                self.status,
                self.timeline.widget,
                self.comparison_view,
            ]
        )

    def _start_value(self, name: str) -> Any:
        value = getattr(self.base, name)
        return 0 if name in ZERO_IS_NONE and value is None else value

    def _ipython_display_(self) -> None:  # ipywidgets 7 and 8 alike
        display(self.widget)

    # -- actions -------------------------------------------------------------------------------
    def settings(self) -> ScenarioSettings:
        """The settings the sliders describe; raises ``SettingError`` if they are impossible."""
        values = {name: slider.value for name, slider in self.sliders.items()}
        for name in ZERO_IS_NONE:
            if values.get(name) == 0:
                values[name] = None
        return replace(self.base, **values)

    def run(self) -> asyncio.Task | None:
        """Start a run (what the Run button does); returns its task, or None if it cannot start."""
        if self.task is not None and not self.task.done():
            return self.task
        try:
            settings = self.settings()
        except SettingError as error:
            self._say(f"Cannot run with these settings: {html.escape(str(error))}.", problem=True)
            return None
        self._busy(True)
        self._running = settings
        self.tracer = None  # the next run's, once it starts
        self._say(f"Running {self.scenario}…")
        self.task = asyncio.get_event_loop().create_task(self._run(settings))
        self.task.add_done_callback(self._finished)  # even if cancelled before it started
        return self.task

    def stop(self) -> None:
        """Cancel the run in progress (what the Stop button does)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(self, settings: ScenarioSettings) -> None:
        self.tracer = tracer = Tracer()  # the run in progress, for anyone who wants to watch it
        watching = asyncio.ensure_future(say_start_up(tracer, self._say))  # a cluster starting
        try:
            result = await self.timeline.follow(
                run_scenario(self.scenario, settings, tracer=tracer),
                tracer,
                title=settings_title(self.scenario, settings),
                ideal_s=ideal_seconds(self.scenario, settings),
                quota=self._quota(settings),
            )
        # Show it in the panel; the panel stays usable. Not even a KeyboardInterrupt may leave this
        # task: out of a background task asyncio re-raises it, and the kernel then quits.
        except (KeyboardInterrupt, SystemExit):  # an interrupt meant for a cell landed here
            self._say("Stopped: the kernel was interrupted while this run was going.")
        except Exception as error:
            self._say(
                f"The run failed: {type(error).__name__}: {html.escape(str(error))}", problem=True
            )
        else:
            self.result = result
            self.comparison.add(result)
            self._say(self.summary(result))
        finally:
            watching.cancel()

    def _quota(self, s: ScenarioSettings) -> tuple[int | None, float] | None:
        """The strip under the timeline: for runs with a rate limit, or a limiter, or retries."""
        if s.rpm is not None or "client_rpm" in scenario(self.scenario).uses:
            return (s.rpm, s.window_s)
        return None

    def _finished(self, task: asyncio.Task) -> None:
        if task.cancelled():
            s = self._running  # worker processes: a pool's, or a cluster's
            pooled = "processes" in scenario(self.scenario).uses and s.processes > 1
            self._say(
                stopped_in_start_up(self.tracer)
                or "Stopped. Calls in flight were cancelled"
                + (" and worker processes shut down." if pooled else ".")
            )
        self._busy(False)

    def _predict(self) -> None:
        """Predict, then run: show the ideal bound of the settings as they are now."""
        try:
            s = self.settings()
        except SettingError as error:
            self.preview.value = f"<i>These settings cannot run: {html.escape(str(error))}.</i>"
            return
        best = ideal_seconds(self.scenario, s)
        one_by_one = one_at_a_time_seconds(self.scenario, s)
        what = scenario(self.scenario).name_of("prompts")  # "prompts", or "agents"
        text = (
            f"Predict, then run: {s.prompts} {what} take at best {best:.2f} s here "
            f"(the ideal bound); one at a time, {one_by_one:.2f} s."
        )
        cores = effective_cpu_count()
        if "processes" in self.sliders and s.processes > cores:
            text += (
                f" This machine computes on {cores} core{'s' if cores > 1 else ''}: processes "
                f"past {cores} take turns, so a bigger pool computes no faster."
            )
        self.preview.value = f"<i>{text}</i>"

    def summary(self, result: RunResult) -> str:
        factor, measured = self.comparison.speedup(result)
        parts = [
            f"<b>wall {result.wall_s:.2f} s</b>",
            f"ideal {result.ideal_s:.2f} s",
            f"{'' if measured else '≈'}{factor:.1f}× the speed of sequential",
        ]
        refused = sum(1 for span in result.spans if span.outcome == "429")
        if refused:
            parts.append(f"{refused} × 429 on the way")
        if result.failures:
            parts.append(f"<span style='color:#CC0000'>{result.failures} calls failed</span>")
        s = result.settings
        cores = effective_cpu_count()
        if "processes" in self.sliders and s.processes > cores and s.cpu_work:
            parts.append(
                f"note: only {cores} cores here, so at most {cores} processes compute at once"
            )
        return " · ".join(parts)

    def _busy(self, busy: bool) -> None:
        for slider in self.sliders.values():
            slider.disabled = busy
        self.run_button.disabled = busy
        self.stop_button.disabled = not busy

    def _say(self, text: str, problem: bool = False) -> None:
        style = "color:#CC0000" if problem else ""
        self.status.value = f"<span style='{style}'>{text}</span>"
