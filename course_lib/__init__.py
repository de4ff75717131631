"""course_lib: the helper package of the LLM concurrency course.

The names a notebook uses are here; everything else lives in one small module per idea. The
picture-drawing names (``gantt``, ``Comparison``, ``LiveTimeline``, ``Panel``) are imported on
first use, so worker processes and the command line do not load ipywidgets and plotly.
"""

from importlib import import_module
from typing import Any

from course_lib.client.factory import (
    DEFAULT_MODEL,
    LiveBudgetSpent,
    gemini_client,
    live_status,
    offline,
    setup,
    use_fake,
)
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.server import FakeServer
from course_lib.run.runner import run_scenario, run_sync
from course_lib.run.settings import SCENARIOS, SettingError, Settings
from course_lib.trace.spans import Span, Tracer, cpu_span, traced_cpu

_LAZY = {
    "gantt": "view.gantt",
    "Comparison": "view.comparison",
    "LiveTimeline": "view.live",
    "Panel": "view.panels",
}

__all__ = [
    "DEFAULT_MODEL",
    "SCENARIOS",
    "Comparison",
    "FakeGemini",
    "FakeServer",
    "LiveBudgetSpent",
    "LiveTimeline",
    "Panel",
    "SettingError",
    "Settings",
    "Span",
    "Tracer",
    "cpu_span",
    "gantt",
    "gemini_client",
    "live_status",
    "offline",
    "run_scenario",
    "run_sync",
    "setup",
    "traced_cpu",
    "use_fake",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")
