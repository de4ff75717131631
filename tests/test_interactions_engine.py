"""The Interactions API runs on generateContent's engine: the same latency, quota budget, failures
and tracing, in-process and on loopback; and what the engine learns to send (thinking, structured
output) reaches Interactions through the seams marked HOOK in ``course_lib.fake.interactions``."""

import asyncio
import json
import time

import pytest
from google import genai
from google.genai import _interactions, errors, types
from google.genai._gaos.types.interactions.interaction import Interaction

from course_lib import DEFAULT_MODEL, Tracer, gemini_client, offline, use_fake
from course_lib.fake import FakeGemini
from course_lib.fake.answers import count_tokens
from course_lib.fake.interactions import FakeInteractions
from course_lib.fake.latency import TokenRate
from course_lib.fake.wire import Caller, Reply

ONE_ATTEMPT = types.HttpRetryOptions(attempts=1)  # the Interactions client retries by default


def warmed(fake, **options):
    """A client of ``fake`` whose SDK has built its Interactions types (about a second, once)."""
    client = gemini_client(fake=fake, **options)
    own = gemini_client(fake=FakeGemini(latency=0.0))  # a fake of its own: nothing counted
    own.interactions.create(model=DEFAULT_MODEL, input="warm")
    return client


def test_a_call_takes_the_fakes_latency():
    client = warmed(FakeGemini(latency=0.3))
    start = time.perf_counter()
    client.interactions.create(model=DEFAULT_MODEL, input="Explain AI in 50 words")
    assert 0.3 <= time.perf_counter() - start < 2.0


async def test_async_calls_overlap_in_time():
    client = warmed(FakeGemini(latency=0.4))
    start = time.perf_counter()
    answers = await asyncio.gather(
        *(
            client.aio.interactions.create(model=DEFAULT_MODEL, input=f"Question {i}")
            for i in range(5)
        )
    )
    assert time.perf_counter() - start < 5 * 0.4 * 0.6  # overlapping, not five in a row
    assert len({a.id for a in answers}) == 5


def test_a_stream_keeps_the_time_to_first_token_and_spreads_the_rest():
    fake = FakeGemini(latency=TokenRate(first_token_s=0.2, tokens_per_s=300), seed=1)
    client = warmed(fake)
    start, arrivals, pieces = time.perf_counter(), [], []
    for event in client.interactions.create(
        model=DEFAULT_MODEL, input="Describe neural networks", stream=True
    ):
        if event.event_type == "step.delta" and event.delta.type == "text":
            arrivals.append(time.perf_counter() - start)
            pieces.append(event.delta.text)
    text = "".join(pieces)
    assert len(pieces) >= 5 and arrivals[0] >= 0.19
    assert arrivals[-1] - arrivals[0] >= 0.5 * count_tokens(text) / 300


def test_a_429_counts_against_the_same_per_minute_budget_as_generate_content():
    fake = FakeGemini(latency=0.0, rpm=2)
    client = gemini_client(fake=fake, retry_options=ONE_ATTEMPT)
    client.models.generate_content(model=DEFAULT_MODEL, contents="one")
    client.interactions.create(model=DEFAULT_MODEL, input="two")
    with pytest.raises(_interactions.RateLimitError) as caught:
        client.interactions.create(model=DEFAULT_MODEL, input="three")
    assert caught.value.body["error"]["code"] == "rate_limit_exceeded"
    assert "Please retry in" in caught.value.body["error"]["message"]
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=DEFAULT_MODEL, contents="four")
    assert refused.value.code == 429
    assert [call.status for call in fake.log] == [200, 200, 429, 429]
    other_model = gemini_client(fake=fake, retry_options=ONE_ATTEMPT)
    assert (
        other_model.interactions.create(model="gemini-2.5-pro", input="five").status == "completed"
    )


def test_a_daily_quota_is_quota_exceeded():
    client = gemini_client(fake=FakeGemini(latency=0.0, rpd=1), retry_options=ONE_ATTEMPT)
    client.interactions.create(model=DEFAULT_MODEL, input="today's one")
    with pytest.raises(_interactions.RateLimitError) as caught:
        client.interactions.create(model=DEFAULT_MODEL, input="one too many")
    assert caught.value.body["error"]["code"] == "quota_exceeded"


def test_input_tokens_per_minute_count_the_conversation_and_its_images():
    fake = FakeGemini(latency=0.0, tpm=600)
    client = gemini_client(fake=fake, retry_options=ONE_ATTEMPT)
    image = {"type": "image", "uri": "https://example.invalid/a.png", "mime_type": "image/png"}
    first = client.interactions.create(
        model=DEFAULT_MODEL, input=[image, {"type": "text", "text": "What is it?"}]
    )
    assert first.usage.total_input_tokens == 258 + count_tokens("What is it?")
    with pytest.raises(_interactions.RateLimitError):  # 258 + its answer + 258 + ... > 600
        client.interactions.create(
            model=DEFAULT_MODEL, input=[image, image], previous_interaction_id=first.id
        )


def test_injected_failures_are_5xx_in_the_interactions_shape():
    client = gemini_client(
        fake=FakeGemini(latency=0.0, failure_rate=1.0), retry_options=ONE_ATTEMPT
    )
    with pytest.raises(_interactions.InternalServerError) as caught:
        client.interactions.create(model=DEFAULT_MODEL, input="Hello")
    code = caught.value.body["error"]["code"]
    assert (caught.value.status_code, code) in ((500, "internal"), (503, "unavailable"))


def test_a_hanging_call_runs_into_the_client_timeout_and_is_not_retried():
    fake = FakeGemini(latency=0.01, hang_rate=1.0)
    client = warmed(fake, timeout_s=0.3)
    start = time.perf_counter()
    with pytest.raises(_interactions.APITimeoutError):
        client.interactions.create(model=DEFAULT_MODEL, input="Hello")
    assert time.perf_counter() - start < 5 and len(fake.log) == 1


async def test_each_call_is_a_span_labelled_with_its_input_until_its_body_is_read():
    fake = FakeGemini(latency=TokenRate(first_token_s=0.05, tokens_per_s=400), rpm=3)
    client = warmed(fake, retry_options=ONE_ATTEMPT)
    with Tracer() as tracer:
        await client.aio.interactions.create(model=DEFAULT_MODEL, input="Describe neural networks")
        stream = await client.aio.interactions.create(
            model=DEFAULT_MODEL, input="Summarize quantum computing", stream=True
        )
        async for _ in stream:
            pass
        await client.aio.interactions.create(
            model=DEFAULT_MODEL, input=[{"type": "text", "text": "What is reinforcement learning?"}]
        )
        with pytest.raises(_interactions.RateLimitError):
            await client.aio.interactions.create(model=DEFAULT_MODEL, input="One too many")
    spans = sorted(tracer.spans, key=lambda s: s.start)
    assert [(s.phase, s.label, s.outcome) for s in spans] == [
        ("in_flight", "Describe neural networks", "ok"),
        ("in_flight", "Summarize quantum computing", "ok"),
        ("in_flight", "What is reinforcement learning?", "ok"),
        ("in_flight", "One too many", "429"),
    ]
    streamed = [call for call in fake.log if call.prompt == "Summarize quantum computing"][0]
    assert spans[1].duration >= 0.9 * (streamed.end - streamed.start)  # open until the last event


def test_the_loopback_server_serves_an_unchanged_client():
    use_fake(latency=0.05)
    offline()
    client = genai.Client()  # reads GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY, set by offline()
    interaction = client.interactions.create(model=DEFAULT_MODEL, input="Hello over loopback")
    assert interaction.output_text and client.interactions.get(interaction.id).status == "completed"
    events = list(
        client.interactions.create(model=DEFAULT_MODEL, input="Stream over loopback", stream=True)
    )
    assert events[-1].event_type == "interaction.completed"

    async def twice():
        return await asyncio.gather(
            *(
                client.aio.interactions.create(model=DEFAULT_MODEL, input=f"async {i}")
                for i in range(2)
            )
        )

    assert all(a.status == "completed" for a in asyncio.run(twice()))
    assert client.interactions.delete(interaction.id) is None


# -- the seams: what the engine learns to send reaches Interactions ------------------------------
class ThinkingEngine:
    """A stand-in for the engine once it thinks and follows schemas: it answers as generateContent
    does then (a thought summary, signed, JSON text, thoughtsTokenCount) and keeps what it was
    asked."""

    def __init__(self, stream=False):
        self.fake, self.asked, self.stream = FakeGemini(latency=0.0), [], stream
        self.seed, self.error_latency_s, self.models = 0, 0.0, self.fake.models
        self.project_of, self.clock = None, time.perf_counter

    def get_model(self, version, model, caller):
        return self.fake.get_model(version, model, caller)

    def answer(self, version, model, request, caller, stream=False):
        self.asked.append(request)
        parts = [
            {"text": "The user wants one of A or B.", "thought": True},
            {"text": '"A"', "thoughtSignature": "c2lnLTE="},
        ]
        usage = {
            "promptTokenCount": 5,
            "candidatesTokenCount": 1,
            "thoughtsTokenCount": 40,
            "totalTokenCount": 46,
        }
        answer = {
            "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}]
        }
        answer["usageMetadata"] = usage
        if not stream:
            return Reply(200, [(0.0, json.dumps(answer).encode())])
        return Reply(
            200, [(0.0, b"data: " + json.dumps(answer).encode() + b"\r\n\r\n")], "text/event-stream"
        )


def ask_thinking(engine, stream=False):
    body = {
        "model": DEFAULT_MODEL,
        "input": "A or B?",
        "stream": stream,
        "generation_config": {"thinking_level": "high", "thinking_summaries": "auto"},
        "response_format": {
            "type": "text",
            "mime_type": "application/json",
            "schema": {"type": "string", "enum": ["A", "B"]},
        },
    }
    return FakeInteractions(engine).create("v1", json.dumps(body).encode(), Caller("k"))


def test_thinking_and_a_schema_are_asked_of_the_engine_in_generate_contents_words():
    engine = ThinkingEngine()
    ask_thinking(engine)
    config = engine.asked[0].config
    # the engine's reader puts the SDK's snake_case keys in camelCase, as for generateContent
    assert config["thinkingConfig"] == {"thinkingLevel": "HIGH", "includeThoughts": True}
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == {"type": "string", "enum": ["A", "B"]}


def test_the_engines_thoughts_become_a_thought_step_and_thought_tokens():
    reply = ask_thinking(ThinkingEngine())
    interaction = Interaction.model_validate(json.loads(reply.chunks[0][1]))
    thought, output = interaction.steps
    assert thought.type == "thought" and thought.summary[0].text == "The user wants one of A or B."
    assert thought.signature and output.content[0].text == '"A"'
    assert json.loads(interaction.output_text) == "A"  # thoughts stay out of the answer
    usage = interaction.usage
    assert (usage.total_thought_tokens, usage.total_tokens) == (40, 46)


def test_streamed_thoughts_come_as_thought_summary_and_signature_deltas():
    reply = ask_thinking(ThinkingEngine(), stream=True)
    events = [
        json.loads(line[5:])
        for line in b"".join(data for _, data in reply.chunks).decode().splitlines()
        if line.startswith("data: {")
    ]
    deltas = [e["delta"]["type"] for e in events if e["event_type"] == "step.delta"]
    assert deltas == ["thought_summary", "text", "thought_signature"]
    assert events[-1]["interaction"]["usage"]["total_thought_tokens"] == 40
