"""Tracing: every call and every CPU step becomes a ``Span`` on one clock, on a ``Lane``.

- ``spans``: ``Span``, ``Tracer``, ``cpu_span`` and the contexts a runner sets
- ``lanes``: the rows of a timeline, as data
- ``transport``: httpx transports that trace each request, with no change to the calling code
- ``export``: spans as a Chrome trace-event file (Perfetto, chrome://tracing)

It knows nothing of the fake Gemini.
"""
