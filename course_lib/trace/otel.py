"""Spans as OpenTelemetry spans, where production traces go: each model call one span following
the GenAI semantic conventions, each tool run another.

The conventions (``gen_ai.*``) are at **Development** status in OpenTelemetry's semantic
conventions (read in December 2026; they now live in their own repository,
open-telemetry/semantic-conventions-genai): names and values may still change, and
instrumentations that emit them let users choose the version with
``OTEL_SEMCONV_STABILITY_OPT_IN``. What is used here:

- a model call: span kind CLIENT, named ``{gen_ai.operation.name} {gen_ai.request.model}``
  ("generate_content gemini-3.6-flash"), with ``gen_ai.operation.name``,
  ``gen_ai.provider.name`` ("gcp.gemini": the Gemini Developer API), ``gen_ai.request.model``,
  ``gen_ai.usage.input_tokens`` and ``gen_ai.usage.output_tokens`` where the answer counted them,
  and ``error.type`` (the HTTP status, "timeout"...) with an error status when it failed;
- a tool run: span kind INTERNAL, ``execute_tool {name}``, with ``gen_ai.tool.name``.

The course's spans keep their own clock (``time.perf_counter``); here they are put on the wall
clock OpenTelemetry uses. OpenTelemetry is an optional dependency (``pip install
opentelemetry-sdk``, or the ``otel`` extra), imported only when this module is.

>>> from opentelemetry.sdk.trace import TracerProvider                  # doctest: +SKIP
>>> export_spans(tracer.spans, TracerProvider())                        # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider, get_tracer

from course_lib.trace.spans import IN_FLIGHT, TOOL, Span

PROVIDER = "gcp.gemini"  # gen_ai.provider.name's value for the Gemini Developer API
OPERATION = "generate_content"  # gen_ai.operation.name's, for generateContent and interactions


def attributes_of(span: Span) -> dict[str, Any]:
    """A span's GenAI attributes (None values left out).

    >>> from course_lib.trace.lanes import MAIN
    >>> call = Span(1, MAIN, IN_FLIGHT, 0.0, 0.5, 1, "429", "Hi", None, "gemini-3.6-flash", 6)
    >>> sorted(attributes_of(call).items())  # doctest: +NORMALIZE_WHITESPACE
    [('error.type', '429'), ('gen_ai.operation.name', 'generate_content'),
     ('gen_ai.provider.name', 'gcp.gemini'), ('gen_ai.request.model', 'gemini-3.6-flash'),
     ('gen_ai.usage.input_tokens', 6)]
    """
    if span.phase == TOOL:
        found: dict[str, Any] = {"gen_ai.operation.name": "execute_tool"}
        found["gen_ai.tool.name"] = span.label
    else:
        found = {
            "gen_ai.operation.name": OPERATION,
            "gen_ai.provider.name": PROVIDER,
            "gen_ai.request.model": span.model or None,
            "gen_ai.usage.input_tokens": span.tokens_in,
            "gen_ai.usage.output_tokens": span.tokens_out,
        }
    if span.outcome not in ("ok", "running"):
        found["error.type"] = span.outcome
    return {name: value for name, value in found.items() if value is not None}


def name_of(span: Span) -> str:
    if span.phase == TOOL:
        return f"execute_tool {span.label}".strip()
    return f"{OPERATION} {span.model}".strip()


def export_spans(spans: Iterable[Span], provider: TracerProvider | None = None) -> int:
    """Send the model calls and tool runs among ``spans`` to OpenTelemetry, through
    ``provider`` (default: the global one, which does nothing until an SDK is configured);
    returns how many spans were sent. Spans still running are left out."""
    tracer = get_tracer("course_lib", tracer_provider=provider)
    offset_ns = time.time_ns() - time.perf_counter_ns()  # the spans' clock to the wall clock
    sent = 0
    for span in spans:
        if span.phase not in (IN_FLIGHT, TOOL) or span.outcome == "running" or span.end != span.end:
            continue  # not a call or a tool, or still open (cut at a snapshot, or no end yet)
        kind = SpanKind.CLIENT if span.phase == IN_FLIGHT else SpanKind.INTERNAL
        otel = tracer.start_span(
            name_of(span),
            kind=kind,
            start_time=offset_ns + round(span.start * 1e9),
            attributes=attributes_of(span),
        )
        if span.outcome != "ok":
            otel.set_status(Status(StatusCode.ERROR, span.outcome))
        otel.end(end_time=offset_ns + round(span.end * 1e9))
        sent += 1
    return sent
