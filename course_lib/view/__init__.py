"""Pictures of runs: ``timeline`` (what a timeline shows, as data), ``gantt_chart`` (``gantt``,
the figure), ``live`` (a timeline that grows while a run goes), ``comparison`` (runs side by
side), ``panels`` (sliders, Run and Stop; ``startup``, a run's start-up in its status line),
``pictures`` (the barista of lesson 00), ``verdicts`` (sentences printed from the measurement),
``scale`` and ``whatif`` (lesson 07), ``task_stream`` (lesson 08)."""

from course_lib._lazy import lazy_names

_WHERE = {
    "gantt": "gantt_chart",
    "LiveTimeline": "live",
    "Comparison": "comparison",
    "Panel": "panels",
    "barista": "pictures",
    "compare_times": "verdicts",
    "cores_used": "verdicts",
    "traffic_figure": "scale",
    "queue_figure": "scale",
    "scraped_figure": "scale",
    "summary": "scale",
    "WhatIf": "whatif",
    "task_stream_figure": "task_stream",
    "dashboard_note": "task_stream",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
