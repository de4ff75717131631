"""Tracing: every call and every CPU step becomes a ``Span`` on one clock, on a ``Lane``.

- ``spans``: ``Span``, ``Tracer``, ``cpu_span``; ``tasks``: the contexts a runner sets (which
  task a span belongs to, ``as_agent``)
- ``lanes``: the rows of a timeline, as data
- ``transport``: httpx transports that trace each request, with no change to the calling code
- ``every_client``: the same for every google-genai client in the process (a learner's own
  ``genai.Client()``, httpx, httpx2 or aiohttp), while it is on
- ``critical``: the chain of steps that set a run's wall time; ``overlap``: the most calls at once
- ``export``: spans as a Chrome trace-event file (Perfetto, chrome://tracing)
- ``otel``: spans as OpenTelemetry spans, after the GenAI semantic conventions (optional
  dependency: ``opentelemetry-sdk``)

It knows nothing of the fake Gemini.
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "Span": "spans",
    "Tracer": "spans",
    "cpu_span": "spans",
    "traced_cpu": "spans",
    "as_agent": "tasks",
    "Lane": "lanes",
    "critical_path": "critical",
    "critical_paths": "critical",
    "most_in_flight": "overlap",
    "most_at_once": "overlap",
    "every_client_traced": "every_client",
    "chrome_trace": "export",
    "save_trace": "export",
    "export_spans": "otel",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
