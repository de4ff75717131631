"""Spans exported as OpenTelemetry spans following the GenAI semantic conventions, read back
from the SDK's in-memory exporter: one CLIENT span per model call, named by operation and model,
its tokens and its failures as the conventions name them, on the wall clock in the right order."""

import asyncio
import time

import pytest

from course_lib import Tracer, gemini_client, use_fake

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from course_lib.trace.otel import export_spans  # noqa: E402
from course_lib.trace.spans import TOOL, span  # noqa: E402

MODEL = "gemini-3.6-flash"


def exported(spans):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sent = export_spans(spans, provider)
    finished = exporter.get_finished_spans()
    assert sent == len(finished)
    return sorted(finished, key=lambda s: s.start_time)


async def test_model_calls_and_a_429_become_genai_client_spans():
    use_fake(latency=0.1, rpm=3)
    client = gemini_client(live=False)
    before = time.time_ns()
    with Tracer() as tracer:
        results = await asyncio.gather(
            *(client.aio.models.generate_content(model=MODEL, contents=f"q{i}") for i in range(4)),
            return_exceptions=True,
        )
        with span(TOOL, label="search"):
            pass
    assert sum(isinstance(r, Exception) for r in results) == 1  # the fourth of 3 a minute
    spans = exported(tracer.spans)
    calls = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert [s.name for s in calls] == [f"generate_content {MODEL}"] * 4
    for call in calls:
        assert call.attributes["gen_ai.provider.name"] == "gcp.gemini"
        assert call.attributes["gen_ai.operation.name"] == "generate_content"
        assert call.attributes["gen_ai.request.model"] == MODEL
        assert before <= call.start_time < call.end_time <= time.time_ns()
    answered = [c for c in calls if "error.type" not in c.attributes]
    refused = [c for c in calls if c.attributes.get("error.type") == "429"]
    assert len(answered) == 3 and len(refused) == 1
    assert all(c.attributes["gen_ai.usage.output_tokens"] > 10 for c in answered)
    assert all(c.attributes["gen_ai.usage.input_tokens"] > 0 for c in answered)
    assert refused[0].status.status_code == StatusCode.ERROR
    assert all(c.end_time - c.start_time >= 0.09e9 for c in answered)  # 0.1 s answers
    (tool,) = [s for s in spans if s.kind == SpanKind.INTERNAL]
    assert tool.name == "execute_tool search"
    assert tool.attributes["gen_ai.tool.name"] == "search"


def test_spans_still_running_and_cpu_work_are_not_sent():
    with Tracer() as tracer:
        tracer.begin("in_flight", label="open")
        with span("cpu", label="analyse"):
            pass
    assert exported(tracer.snapshot()) == []
