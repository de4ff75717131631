"""course_lib: the helper package of the LLM concurrency course.

The names a notebook uses are here (``from course_lib import gemini_client, run_scenario``).
Each is imported on first use, so ``import course_lib`` costs almost nothing and a worker process
loads only what its task needs.

Where things live (arrows point down the list: a part uses only the parts below it):

- ``view/``       pictures: Gantt timelines, the live timeline, control panels, the comparison
- ``exercises/``  the ``check_...`` functions, one module per lesson
- ``run/``        running a batch of prompts: settings, the scenario registry and one module per
                  scenario (``run/scenarios/``), ideal bounds, process pools, worker functions,
                  CPU workloads, retries. Client-side tools a scenario uses go here too: lesson
                  05's rate limiter, lesson 07's simulator, lesson 08's Dask scenario.
- ``client/``     the one client factory (offline fake, live API on a budget) and the session
- ``trace/``      spans and lanes, tracing at the transport, Chrome trace export
- ``fake/``       the fake Gemini: answers, latency, quotas, and its two ways in (in-process
                  through respx, a loopback server for other processes)
- ``config.py``   the default model and the environment's names, shared by all

``trace/`` and ``fake/`` know nothing of each other, and ``fake/`` nothing of plots or widgets.
"""

from importlib import import_module
from typing import Any

#: public name -> the module that defines it
_WHERE = {
    "DEFAULT_MODEL": "config",
    "FakeGemini": "fake.gemini",
    "FakeServer": "fake.server",
    "Fixed": "fake.latency",
    "Jittered": "fake.latency",
    "TokenRate": "fake.latency",
    "Span": "trace.spans",
    "Tracer": "trace.spans",
    "cpu_span": "trace.spans",
    "traced_cpu": "trace.spans",
    "gemini_client": "client.factory",
    "LiveBudgetSpent": "client.live",
    "live_status": "client.session",
    "offline": "client.session",
    "setup": "client.session",
    "use_fake": "client.session",
    "SettingError": "run.settings",
    "Settings": "run.settings",
    "SCENARIOS": "run.registry",
    "Scenario": "run.registry",
    "CallRecord": "run.results",
    "RunResult": "run.results",
    "run_scenario": "run.runner",
    "run_sync": "run.runner",
    "analyse": "run.workloads",
    "burn": "run.workloads",
    "iterations_for": "run.workloads",
    "cgroup_cpu_quota": "run.machine",
    "effective_cpu_count": "run.machine",
    "ask": "run.workers",
    "peak_memory_mb": "run.workers",
    "gantt": "view.gantt",
    "Comparison": "view.comparison",
    "LiveTimeline": "view.live",
    "Panel": "view.panels",
    "barista": "view.pictures",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
