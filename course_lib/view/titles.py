"""A run's title (what shapes it: ``settings_title``), and titles that wrap instead of being
cut off: plotly draws a title on one line, however long.

A run's title names everything that shapes it ("... limiter 60/min, retry: kit, 10 requests/min")
and the end, often the rate limit, is the part a cut would lose. ``wrap`` breaks it after a comma
so each line fits the narrowest slot a figure gets (a Colab pane, a split JupyterLab window).

>>> wrap("<b>rate-limited</b>: 10 requests, latency 0.5 s, limit 10, limiter 60/min", width=40)
'<b>rate-limited</b>: 10 requests, latency 0.5 s,<br>limit 10, limiter 60/min'
>>> wrap("one, two, three", width=9, first=4)
'one,<br>two,<br>three'
>>> lines("a<br>b<br><sup>c</sup>")
3
"""

from __future__ import annotations

import re

from course_lib.run.registry import scenario
from course_lib.run.results import RunResult
from course_lib.run.settings import ScenarioSettings

#: characters of a 15 px title that fit in a 700 px figure beside plotly's toolbar (~170 px)
TITLE_CHARS = 66
#: room kept on the first line for what the live timeline puts before a title ("Running… ",
#: "Stopped at 12.34 s: "), so that a live frame's title wraps as the final frame's does
STATUS_CHARS = 20
_TAG = re.compile(r"<[^>]+>")


def visible(text: str) -> int:
    """How many characters of ``text`` show: its HTML tags take no room."""
    return len(_TAG.sub("", text))


def wrap(text: str, width: int = TITLE_CHARS, first: int | None = None) -> str:
    """``text`` with a line break after the last comma that keeps each line under ``width``
    visible characters (the first line under ``first``, if given). Lines already broken with
    ``<br>`` are wrapped one by one."""
    out: list[str] = []
    for line in text.split("<br>"):
        parts, current = line.split(", "), ""
        for part in parts:
            candidate = f"{current}, {part}" if current else part
            room = first if first is not None and not out else width
            if current and visible(candidate) > room:
                out.append(current + ",")
                current = part
            else:
                current = candidate
        out.append(current)
    return "<br>".join(out)


def lines(text: str) -> int:
    """How many lines ``text`` takes: one more for each ``<br>``."""
    return text.count("<br>") + 1


def shape_of(name: str, s: ScenarioSettings) -> list[str]:
    """How scenario ``name`` spreads the work: ['limit 5'], ['4 threads'], ['2 processes']."""
    chosen, parts = scenario(name), []
    if "concurrency" in chosen.uses:
        named_as = chosen.name_of("concurrency")
        if "retry" in chosen.uses and s.retry == "adaptive":
            parts.append(f"AIMD from {s.concurrency} in flight")
        else:
            shown = f"{s.concurrency} {named_as}"
            if s.concurrency == 1 and named_as == "agents at once":
                shown = "1 agent at a time"
            parts.append(f"limit {s.concurrency}" if named_as == "concurrency" else shown)
    if "processes" in chosen.uses:  # "workers" on Dask
        many = chosen.name_of("processes")
        one = {"processes": "process", "workers": "worker"}.get(many, many)
        parts.append(f"{s.processes} {many if s.processes > 1 else one}")
    if "calls_per_task" in chosen.uses:
        each, calls = f"{s.worker_threads} thread{'s' * (s.worker_threads > 1)}", s.calls_per_task
        parts.append(f"{each} each, {calls} call{'s' * (calls > 1)} per task")
    if "client_rpm" in chosen.uses:
        per = "min" if s.window_s == 60 else f"{s.window_s:g} s"
        parts.append(f"limiter {s.client_rpm}/{per}" if s.client_rpm else "no limiter")
    if "retry" in chosen.uses:
        parts.append(f"retry: {s.retry}")
    if "tools_per_turn" in chosen.uses:
        parts.append(f"{s.tools_per_turn} × {s.tool_latency:g} s searches {s.tool_calls}")
    return parts


def workload_of(s: ScenarioSettings) -> list[str]:
    """What the work is: ['20 prompts', 'latency 0.5 s', 'CPU 200 ms per answer']."""
    parts = [f"{s.prompts} prompts", f"latency {s.latency:g} s"]
    if s.jitter:
        parts[-1] += f" ± {s.jitter:g}"
    if s.tokens_per_s:
        parts.append(f"then {s.tokens_per_s:g} tokens/s")
    if s.cpu_work:
        parts.append(f"CPU {s.cpu_work:g} ms per answer")
    per = "min" if s.window_s == 60 else f"{s.window_s:g} s"
    if s.rpm:
        parts.append(f"{s.rpm} requests/{per}")
    if s.tpm:
        parts.append(f"{s.tpm} tokens/{per}")
    if s.failure_rate:
        parts.append(f"{s.failure_rate:.0%} failing")
    return parts


def settings_title(name: str, s: ScenarioSettings) -> str:
    """'<b>concurrent</b>: 20 prompts, latency 0.5 s, limit 5': what a run is."""
    work = workload_of(s)
    work[0] = f"{s.prompts} {scenario(name).name_of('prompts')}"  # "20 prompts", "4 agents"
    return f"<b>{name}</b>: {', '.join(work[:2] + shape_of(name, s) + work[2:])}"


def run_title(result: RunResult) -> str:
    """``settings_title`` of a finished run."""
    return settings_title(result.scenario, result.settings)
