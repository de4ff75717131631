"""The fake's answers against the shapes of recorded real ones, field by field, both ways in.

Each case names where its shape comes from:
- REPLAY: google-genai's own fixture of a thinking answer (tests/models/
  test_gc_continuation_token.py): total = prompt 120 + candidates 50 + thoughts 30 = 200.
- SSE: a real gemini-2.5-flash stream quoted in simonw/llm-gemini#97 (2025-06): every event
  carries usageMetadata (promptTokenCount, a running candidatesTokenCount, a totalTokenCount
  that counts thoughtsTokenCount, promptTokensDetails), modelVersion and one responseId; only
  the last has a finishReason.
- ARRAY: without ``alt=sse`` the API streams one JSON array (the REST reference; BerriAI/litellm
  #29034 and ankit373/hydra#855 describe the same).
- SIGNATURES: ai.google.dev/gemini-api/docs/thought-signatures (only the first functionCall of
  a parallel turn is signed; an answer without calls is signed on its last part) and a recorded
  gemini-3.1-flash-lite stream whose last part carries ``thoughtSignature``.
- TOKENS: ai.google.dev/gemini-api/docs/tokens (a small image counts 258 tokens).
"""

import base64
import json
import re
import time

import httpx
import pytest

from course_lib import DEFAULT_MODEL
from course_lib.fake import FakeGemini, TokenRate
from tests.conftest import http_to

KEY = {"x-goog-api-key": "k"}
GEMINI_3 = "gemini-3.6-flash"
MODELS = (DEFAULT_MODEL, GEMINI_3, "gemini-3.8-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(40)).decode()
RESPONSE_ID = re.compile(r"[A-Za-z0-9_-]{20,24}")


def body(prompt="Describe neural networks", config=None, tools=None, parts=None) -> dict:
    request: dict = {"contents": [{"role": "user", "parts": parts or [{"text": prompt}]}]}
    if config:
        request["generationConfig"] = config
    if tools:
        request["tools"] = [{"functionDeclarations": tools}]
    return request


@pytest.fixture(params=["in-process", "loopback"])
def http(request):
    """An httpx client and the fake's base URL, one way in or the other."""
    with http_to(FakeGemini(latency=TokenRate(0.05, 4000), models=MODELS), request.param) as way_in:
        yield way_in


def post(http, model, request, method="generateContent", query=""):
    client, base = http
    url = f"{base}/v1beta/models/{model}:{method}{query}"
    return client.post(url, json=request, headers=KEY)


def usage_adds_up(usage: dict) -> None:
    """REPLAY: the total counts prompt, answer and thoughts."""
    expected = usage["promptTokenCount"] + usage.get("candidatesTokenCount", 0)
    assert usage["totalTokenCount"] == expected + usage.get("thoughtsTokenCount", 0)


# -- whole answers ---------------------------------------------------------------------------------
ANSWERS = {
    # name: (model, request, what the answer must show)
    "a thinking model counts its thoughts (REPLAY)": (
        DEFAULT_MODEL,
        body(),
        lambda a: a["usageMetadata"]["thoughtsTokenCount"] > 0,
    ),
    "a model that does not think by default has no thoughtsTokenCount": (
        "gemini-2.5-flash-lite",
        body(),
        lambda a: "thoughtsTokenCount" not in a["usageMetadata"],
    ),
    "modelVersion names the model; responseId looks real": (
        GEMINI_3,
        body(),
        lambda a: a["modelVersion"] == GEMINI_3 and RESPONSE_ID.fullmatch(a["responseId"]),
    ),
    "promptTokensDetails per modality (TOKENS)": (
        DEFAULT_MODEL,
        body(parts=[{"inlineData": {"mimeType": "image/png", "data": PNG}}, {"text": "What?"}]),
        lambda a: a["usageMetadata"]["promptTokensDetails"]
        == [{"modality": "TEXT", "tokenCount": 2}, {"modality": "IMAGE", "tokenCount": 258}],
    ),
    "images alone are a prompt too, and a file by URI is not fetched": (
        DEFAULT_MODEL,
        body(parts=[{"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x.invalid/a.jpg"}}]),
        lambda a: a["usageMetadata"]["promptTokenCount"] == 258
        and "image" in a["candidates"][0]["content"]["parts"][0]["text"],
    ),
    "a Gemini 3 answer without calls is signed on its last part (SIGNATURES)": (
        GEMINI_3,
        body(),
        lambda a: "thoughtSignature" in a["candidates"][0]["content"]["parts"][-1],
    ),
    "include_thoughts: a thought summary part comes first, marked thought": (
        GEMINI_3,
        body(config={"thinkingConfig": {"include_thoughts": True}}),
        lambda a: a["candidates"][0]["content"]["parts"][0]["thought"] is True
        and "thought" not in a["candidates"][0]["content"]["parts"][-1],
    ),
    "a higher thinking level spends more thought tokens": (
        GEMINI_3,
        body(config={"thinkingConfig": {"thinkingLevel": "HIGH"}}),
        lambda a: a["usageMetadata"]["thoughtsTokenCount"] > 1500,
    ),
    "MINIMAL thinking spends none": (
        GEMINI_3,
        body(config={"thinkingConfig": {"thinking_level": "MINIMAL"}}),
        lambda a: "thoughtsTokenCount" not in a["usageMetadata"],
    ),
    "a thinking budget caps the thoughts": (
        DEFAULT_MODEL,
        body(config={"thinkingConfig": {"thinkingBudget": 300}}),
        lambda a: 0 < a["usageMetadata"]["thoughtsTokenCount"] <= 300,
    ),
    "parallel calls: only the first functionCall carries a signature (SIGNATURES)": (
        GEMINI_3,
        body(
            'Compare the weather in "Paris" and "Oslo"',
            tools=[{"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {
                "city": {"type": "STRING"}}, "required": ["city"]}}],
        ),
        lambda a: [
            "thoughtSignature" in p for p in a["candidates"][0]["content"]["parts"]
        ] == [True, False],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", ANSWERS, ids=list(ANSWERS))
def test_answers_have_the_recorded_shape(http, case):
    model, request, shows = ANSWERS[case]
    reply = post(http, model, request)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    [candidate] = answer["candidates"]
    assert candidate["content"]["role"] == "model" and candidate["index"] == 0
    assert candidate["finishReason"] == "STOP"
    usage_adds_up(answer["usageMetadata"])
    assert shows(answer), json.dumps(answer)[:600]


def test_count_tokens_counts_images_and_says_per_modality(http):
    parts = [{"inlineData": {"mimeType": "image/png", "data": PNG}}] * 2 + [{"text": "Hi there"}]
    reply = post(http, DEFAULT_MODEL, {"contents": [{"parts": parts}]}, "countTokens")
    assert reply.json() == {
        "totalTokens": 2 * 258 + 2,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 2},
            {"modality": "IMAGE", "tokenCount": 516},
        ],
    }


# -- streams -----------------------------------------------------------------------------------
def events_of(reply: httpx.Response, sse: bool) -> list[dict]:
    raw = reply.read()
    if sse:
        assert raw.endswith(b"\r\n\r\n")
        frames = raw.split(b"\r\n\r\n")[:-1]
        assert all(f.startswith(b"data: ") for f in frames)
        return [json.loads(f[len(b"data: ") :]) for f in frames]
    parsed = json.loads(raw)
    assert isinstance(parsed, list)
    return parsed


def read_timed(http, model, request, query):
    """The stream's bytes as they came: (seconds since the request, bytes)."""
    client, base = http
    url = f"{base}/v1beta/models/{model}:streamGenerateContent{query}"
    start, chunks = time.perf_counter(), []
    with client.stream("POST", url, json=request, headers=KEY) as reply:
        for data in reply.iter_raw():
            chunks.append((time.perf_counter() - start, data))
        content_type = reply.headers["content-type"]
    return content_type, chunks


@pytest.mark.parametrize(
    ("query", "content_type"),
    [
        ("?alt=sse", "text/event-stream"),
        ("", "application/json"),
        ("?alt=json", "application/json"),
    ],
)
@pytest.mark.parametrize("model", [DEFAULT_MODEL, GEMINI_3])
def test_a_stream_is_sse_or_a_json_array_each_event_with_running_usage(
    http, query, content_type, model
):
    """SSE, ARRAY: every event has the running usage, modelVersion and the one responseId."""
    request = body(config={"thinkingConfig": {"includeThoughts": True}})
    got_type, chunks = read_timed(http, model, request, query)
    assert got_type.startswith(content_type)
    assert len(chunks) >= 3 and chunks[-1][0] > chunks[0][0]  # sent bit by bit, not at once
    raw = httpx.Response(200, content=b"".join(data for _, data in chunks))
    events = events_of(raw, query == "?alt=sse")
    whole = post(http, model, request).json()
    assert len({e["responseId"] for e in events}) == 1
    assert {e["modelVersion"] for e in events} == {model}
    counts = [e["usageMetadata"]["candidatesTokenCount"] for e in events]
    assert counts == sorted(counts) and counts[-1] == whole["usageMetadata"]["candidatesTokenCount"]
    for event in events:
        usage_adds_up(event["usageMetadata"])
        assert (
            event["usageMetadata"]["promptTokenCount"] == whole["usageMetadata"]["promptTokenCount"]
        )
        assert event["usageMetadata"]["thoughtsTokenCount"] > 0
    finishes = ["finishReason" in e["candidates"][0] for e in events]
    assert finishes == [False] * (len(events) - 1) + [True]
    parts = [p for e in events for p in e["candidates"][0]["content"]["parts"]]
    assert parts[0].get("thought") is True  # the summary first
    said = "".join(p["text"] for p in parts if not p.get("thought"))
    assert said == "".join(
        p["text"] for p in whole["candidates"][0]["content"]["parts"] if not p.get("thought")
    )
    signed = ["thoughtSignature" in p for p in parts]
    assert signed == (
        [False] * (len(parts) - 1) + [True] if model == GEMINI_3 else [False] * len(parts)
    )
