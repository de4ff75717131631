"""The fake Gemini through the real google-genai SDK: sync, async, streams, chats, errors."""

import asyncio
import json
import time

import httpx
import pytest
from google import genai
from google.genai import errors, types

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini
from course_lib.fake.answers import count_tokens, known_prompts
from course_lib.fake.latency import Jittered, TokenRate
from course_lib.fake.transport import FAKE_BASE_URL, fake_router
from course_lib.fake.wire import Caller

CLASSIC = [
    "Explain AI in 50 words",
    "Summarize quantum computing",
    "Write a haiku about robots",
    "Describe neural networks",
    "What is reinforcement learning?",
]


def client_for(**settings):
    return gemini_client(fake=FakeGemini(**{"latency": 0.0, **settings}))


def test_the_classic_five_prompts_get_their_hand_written_answers():
    client = client_for()
    assert known_prompts()[:5] == CLASSIC
    for prompt in CLASSIC:
        text = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt).text
        assert len(text.split()) >= 12, prompt
    haiku = client.models.generate_content(model=DEFAULT_MODEL, contents=CLASSIC[2]).text
    assert len(haiku.splitlines()) == 3


def test_usage_metadata_is_consistent_with_the_text():
    client = client_for()
    response = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="Describe neural networks",
        config=types.GenerateContentConfig(
            system_instruction="Answer like a teacher.", temperature=0.7
        ),
    )
    usage = response.usage_metadata
    assert usage.candidates_token_count == count_tokens(response.text)
    assert usage.prompt_token_count == count_tokens("Describe neural networks") + count_tokens(
        "Answer like a teacher."
    )
    thoughts = usage.thoughts_token_count or 0  # the total counts them too, as the API's does
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + thoughts
    )
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.model_version == DEFAULT_MODEL


def test_max_output_tokens_truncates_with_finish_reason_max_tokens():
    client = client_for()
    response = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="Summarize quantum computing",
        config=types.GenerateContentConfig(max_output_tokens=12),
    )
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert response.usage_metadata.candidates_token_count <= 12
    full = client.models.generate_content(
        model=DEFAULT_MODEL, contents="Summarize quantum computing"
    )
    assert full.text.startswith(response.text) and len(full.text) > len(response.text)


def test_unknown_prompts_get_realistic_deterministic_answers():
    prompt = "How do vector databases work?"
    texts = [
        client_for(seed=7)
        .models.generate_content(
            model=DEFAULT_MODEL, contents=prompt, config=types.GenerateContentConfig(temperature=0)
        )
        .text
        for _ in range(2)
    ]
    assert texts[0] == texts[1]
    assert "vector databases" in texts[0]
    assert 40 <= count_tokens(texts[0]) <= 400
    other = client_for(seed=8).models.generate_content(model=DEFAULT_MODEL, contents=prompt).text
    assert other != texts[0]
    fifty = (
        client_for()
        .models.generate_content(model=DEFAULT_MODEL, contents="Explain the event loop in 50 words")
        .text
    )
    assert 40 <= len(fifty.split()) <= 90


async def test_async_calls_overlap_in_time():
    client = client_for(latency=0.3)
    start = time.perf_counter()
    responses = await asyncio.gather(
        *(client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p) for p in CLASSIC)
    )
    elapsed = time.perf_counter() - start
    assert [r.text for r in responses] == [
        client_for().models.generate_content(model=DEFAULT_MODEL, contents=p).text for p in CLASSIC
    ]
    assert elapsed < 5 * 0.3 * 0.6  # five overlapping calls, not five in a row


def test_stream_chunks_join_to_the_answer_and_arrive_spread_out():
    fake = FakeGemini(latency=TokenRate(first_token_s=0.15, tokens_per_s=400), seed=1)
    client = gemini_client(fake=fake)
    start, arrivals, pieces = time.perf_counter(), [], []
    for chunk in client.models.generate_content_stream(
        model=DEFAULT_MODEL, contents="Describe neural networks"
    ):
        arrivals.append(time.perf_counter() - start)
        pieces.append(chunk.text)
    whole = client.models.generate_content(model=DEFAULT_MODEL, contents="Describe neural networks")
    assert "".join(pieces) == whole.text
    assert len(pieces) >= 5
    assert arrivals[0] >= 0.14
    assert arrivals[-1] - arrivals[0] >= 0.5 * count_tokens(whole.text) / 400


async def test_async_stream():
    client = client_for(latency=0.05)
    pieces = [
        c.text
        async for c in await client.aio.models.generate_content_stream(
            model=DEFAULT_MODEL, contents="What is reinforcement learning?"
        )
    ]
    assert "".join(pieces).startswith("Reinforcement learning (RL)")


def test_count_tokens_and_model_listing():
    client = client_for()
    assert (
        client.models.count_tokens(model=DEFAULT_MODEL, contents="Hello there!").total_tokens == 3
    )
    names = [m.name for m in client.models.list()]
    assert f"models/{DEFAULT_MODEL}" in names
    assert client.models.get(model=DEFAULT_MODEL).name == f"models/{DEFAULT_MODEL}"


def test_chats_send_the_history_each_turn():
    fake = FakeGemini(latency=0.0)
    chat = gemini_client(fake=fake).chats.create(model=DEFAULT_MODEL)
    first = chat.send_message("Hello")
    second = chat.send_message("What is asyncio?")
    assert first.text == "Hello! How can I help you today?"
    assert second.text.startswith("asyncio is Python's standard library")
    assert second.usage_metadata.prompt_token_count > (
        first.usage_metadata.prompt_token_count + count_tokens(first.text)
    )
    assert len(chat.get_history()) == 4


def test_v1beta_is_served_too():
    router = fake_router(FakeGemini(latency=0.0))
    options = types.HttpOptions(
        base_url=FAKE_BASE_URL,
        api_version="v1beta",
        httpx_client=httpx.Client(transport=httpx.MockTransport(router.handler)),
    )
    client = genai.Client(api_key="any", http_options=options)
    assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text
    assert router.routes["generate"].calls.last.request.url.path.startswith("/v1beta/models/")


@pytest.mark.parametrize("model", ["gemini-0-imaginary", "gpt-4"])
def test_unknown_model_is_404_not_found(model):
    with pytest.raises(errors.ClientError) as caught:
        client_for().models.generate_content(model=model, contents="Hello")
    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
    assert model in caught.value.message


def test_empty_contents_is_400_invalid_argument():
    empty = types.Content(role="user", parts=[types.Part(text="")])
    with pytest.raises(errors.ClientError) as caught:
        client_for().models.generate_content(model=DEFAULT_MODEL, contents=[empty])
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")


def test_bad_temperature_is_400():
    with pytest.raises(errors.ClientError) as caught:
        client_for().models.generate_content(
            model=DEFAULT_MODEL, contents="Hi", config=types.GenerateContentConfig(temperature=5)
        )
    assert caught.value.code == 400


def test_missing_key_is_403_and_unknown_paths_404():
    with httpx.Client(transport=httpx.MockTransport(fake_router(FakeGemini()).handler)) as http:
        url = f"{FAKE_BASE_URL}/v1/models/{DEFAULT_MODEL}:generateContent"
        assert (
            http.post(url, json={"contents": []}).json()["error"]["status"] == "PERMISSION_DENIED"
        )
        reply = http.post(f"{FAKE_BASE_URL}/v1/nothing", headers={"x-goog-api-key": "k"})
        assert reply.status_code == 404


def test_rate_limit_is_429_resource_exhausted_with_retry_info():
    client = client_for(rpm=3)
    for _ in range(3):
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    error = caught.value
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    retry = [d for d in error.details["error"]["details"] if d["@type"].endswith("RetryInfo")]
    delay = retry[0]["retryDelay"] if retry else ""
    assert delay.endswith("s") and float(delay[:-1]) > 50  # fractional, as the real one may be


def test_tokens_per_minute_limit():
    client = client_for(tpm=100)
    long_prompt = "word " * 300  # about 375 tokens: more than a whole minute's budget
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=DEFAULT_MODEL, contents=long_prompt)
    assert caught.value.code == 429


def test_injected_failures_are_500_or_503_server_errors_at_the_chosen_rate():
    client = client_for(failure_rate=0.3, seed=3)
    codes = []
    for i in range(200):
        try:
            client.models.generate_content(model=DEFAULT_MODEL, contents=f"question {i}")
            codes.append(200)
        except errors.ServerError as error:
            assert (error.code, error.status) in ((500, "INTERNAL"), (503, "UNAVAILABLE"))
            codes.append(error.code)
    failed = sum(c != 200 for c in codes)
    assert 40 <= failed <= 80  # 30 % of 200, give or take
    assert {500, 503} <= set(codes)


def test_hanging_calls_run_into_the_client_timeout():
    client = gemini_client(fake=FakeGemini(latency=0.01, hang_rate=1.0), timeout_s=0.3)
    start = time.perf_counter()
    with pytest.raises(httpx.TimeoutException):
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    assert time.perf_counter() - start < 5


async def test_hanging_calls_can_be_cancelled_with_asyncio_timeout():
    client = client_for(latency=0.01, hang_rate=1.0)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.aio.models.generate_content(model=DEFAULT_MODEL, contents="Hello")


def test_same_seed_same_latencies_whatever_the_order():
    def durations(order):
        fake = FakeGemini(latency=Jittered(0.5, 0.4), seed=11)
        replies = {}
        for prompt in order:
            body = json.dumps(
                {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
            ).encode()
            reply = fake.generate("v1", DEFAULT_MODEL, body, Caller("k"))
            replies[prompt] = reply.duration
        return replies

    assert durations(CLASSIC) == durations(list(reversed(CLASSIC)))
    assert len(set(durations(CLASSIC).values())) == 5
