"""The sliders of the control panels: one per setting a learner may change, the range each
can be dragged over, and which sliders a scenario's panel shows (its registry record says).

>>> default_controls("concurrent")
('prompts', 'latency', 'jitter', 'concurrency', 'cpu_work')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from course_lib.ranges import RETRY_POLICIES, TOOL_CALLS
from course_lib.run.registry import scenario

_STYLE = {"description_width": "150px"}


def _slider(
    kind: type[w.IntSlider] | type[w.FloatSlider],
    description: str,
    low: float,
    high: float,
    step: float = 1,
    **extra: Any,
) -> Callable[[Any], w.Widget]:
    # continuous_update=False: the kernel hears of a value when the learner lets go of the handle.
    # A starting value past the slider's range widens it: a slider must never change it silently.
    return lambda value: kind(
        value=value,
        min=min(low, value),
        max=max(high, value),
        step=step,
        description=description,
        style=_STYLE,
        layout=w.Layout(width="460px"),  # one Layout per slider: widgets must not share one
        continuous_update=False,
        **extra,
    )


def _int(description: str, low: int, high: int, step: int = 1) -> Callable[[Any], w.Widget]:
    return _slider(w.IntSlider, description, low, high, step)


def _float(description: str, low: float, high: float, step: float) -> Callable[[Any], w.Widget]:
    return _slider(w.FloatSlider, description, low, high, step, readout_format=".2f")


def _choice(description: str, options: tuple[str, ...]) -> Callable[[Any], w.Widget]:
    return lambda value: w.Dropdown(
        options=list(options),
        value=value,
        description=description,
        style=_STYLE,
        layout=w.Layout(width="460px"),
    )


#: Each control: the ScenarioSettings field it sets, and how to build its slider.
CONTROLS: dict[str, Callable[[Any], w.Widget]] = {
    # ranges a lesson's values can be dragged to (a bigger start value widens its slider)
    "prompts": _int("prompts", 1, 200),
    "latency": _float("latency (s)", 0.1, 5.0, 0.1),
    "jitter": _float("jitter (± s)", 0.0, 2.0, 0.05),
    "concurrency": _int("concurrency limit", 1, 50),
    "processes": _int("pool size (processes)", 1, 8),
    "cpu_work": _int("CPU per answer (ms)", 0, 1000, 10),
    "rpm": _int("requests/min (0: none)", 0, 600, 5),
    "tpm": _int("tokens/min (0: none)", 0, 100_000, 500),
    "window_s": _float("a 'minute' lasts (s)", 1.0, 60.0, 1.0),
    "client_rpm": _int("limiter/min (0: off)", 0, 600, 5),
    "retry": _choice("retry policy", RETRY_POLICIES),
    "failure_rate": _float("failure rate", 0.0, 0.9, 0.05),
    "tool_latency": _float("tool latency (s)", 0.0, 3.0, 0.1),
    "tools_per_turn": _int("tools per turn", 1, 6),
    "tool_calls": _choice("a turn's tool calls", TOOL_CALLS),
    "worker_threads": _int("threads per worker", 1, 8),
    "calls_per_task": _int("calls per task", 1, 20),
}
#: Limits a slider sets to 0 for "no limit" (None in ScenarioSettings).
ZERO_IS_NONE = ("rpm", "tpm", "client_rpm")

#: Settings a panel leaves as they are given (``settings=``): they change no picture worth a
#: slider.
NO_SLIDER = ("seed", "attempts", "start_method", "tokens_per_s", "model")

#: Sliders every panel shows first and last; between them, those of the scenario's own settings.
FIRST_CONTROLS, LAST_CONTROLS = ("prompts", "latency", "jitter"), ("cpu_work",)


def default_controls(name: str) -> tuple[str, ...]:
    """The sliders that mean something for scenario ``name`` (its registry record says which)."""
    own = tuple(setting for setting in scenario(name).uses if setting in CONTROLS)
    return FIRST_CONTROLS + own + LAST_CONTROLS
