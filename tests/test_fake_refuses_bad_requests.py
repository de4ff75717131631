"""The fake under bad requests, both ways in: the real API's 400, 405 and 500 shapes in JSON,
nothing printed, answers of a model's size, and connections that hang are closed."""

import gc
import json
import socket
import time
import tracemalloc

import httpx
import pytest

from course_lib import DEFAULT_MODEL
from course_lib.fake import FakeGemini, FakeServer
from course_lib.fake.answers import topic_of
from course_lib.fake.request import MAX_BODY_BYTES
from course_lib.fake.transport import FAKE_BASE_URL, fake_router

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

GENERATE = f"/v1/models/{DEFAULT_MODEL}:generateContent"
KEY = {"x-goog-api-key": "k"}
OK_PART = '{"contents": [{"parts": [{"text": "hi"}]}]'

MALFORMED = {
    "null": (b"null", "must be an object, not null"),
    "an array": (b"[]", "must be an object, not a list"),
    "a string": (b'"hi"', "must be an object, not a string"),
    "contents a string": (b'{"contents": "hi"}', "contents must be a list"),
    "contents an object": (b'{"contents": {"parts": []}}', "contents must be a list"),
    "a content a string": (b'{"contents": ["hi"]}', "contents[0] must be an object"),
    "parts a string": (b'{"contents": [{"parts": "hi"}]}', "contents[0].parts must be a list"),
    "a part a string": (b'{"contents": [{"parts": ["hi"]}]}', "parts[0] must be an object"),
    "text a number": (b'{"contents": [{"parts": [{"text": 5}]}]}', "parts[0].text' (TYPE_STRING)"),
    "role a number": (b'{"contents": [{"role": 1, "parts": [{"text": "hi"}]}]}', "role"),
    "temperature a string": (
        (OK_PART + ', "generationConfig": {"temperature": "hot"}}').encode(),
        "generation_config.temperature' (TYPE_FLOAT)",
    ),
    "maxOutputTokens a string": (
        (OK_PART + ', "generationConfig": {"maxOutputTokens": "9"}}').encode(),
        "maxOutputTokens' (TYPE_INT32)",
    ),
    "config a list": ((OK_PART + ', "generationConfig": []}').encode(), "must be an object"),
    "system a string": ((OK_PART + ', "systemInstruction": "be kind"}').encode(), "object"),
    "nested 100,000 deep": (b'{"contents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "JSON"),
    "not JSON": (b"{nope", "not valid JSON"),
}


@pytest.fixture(params=["in-process", "loopback"])
def http(request):
    """An httpx client and the fake's base URL, one way in or the other."""
    fake = FakeGemini(latency=0.0)
    if request.param == "in-process":
        with httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler)) as client:
            yield client, FAKE_BASE_URL
    else:
        with FakeServer(fake) as url, httpx.Client(timeout=30) as client:
            yield client, url


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_bodies_get_400_invalid_argument_in_json(http, case, capfd):
    client, base = http
    body, says = MALFORMED[case]
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and says in error["message"]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "GET"])
def test_other_methods_on_an_endpoint_get_405(http, method):
    client, base = http
    reply = client.request(method, base + GENERATE, headers=KEY)
    assert reply.status_code == 405 and reply.json()["error"]["code"] == 405
    assert client.request(method, base + "/v1/nowhere", headers=KEY).status_code == 404


def test_a_body_over_the_api_limit_is_refused(http):
    client, base = http
    prompt = "x" * (MAX_BODY_BYTES + 10)
    body = json.dumps({"contents": [{"parts": [{"text": prompt}]}]}).encode()
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 400 and "payload size exceeds" in reply.json()["error"]["message"]


def test_a_huge_prompt_gets_an_answer_of_a_models_size(http):
    client, base = http
    prompt = "Explain " + "the event loop and the GIL " * 200_000  # about 5 MB
    body = json.dumps({"contents": [{"parts": [{"text": prompt}]}]}).encode()
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 200
    answer = reply.json()["candidates"][0]["content"]["parts"][0]["text"]
    assert len(answer) < 5_000  # a few hundred words, never an echo of the prompt
    assert reply.json()["usageMetadata"]["promptTokenCount"] > 1_000_000


def test_the_topic_of_any_prompt_is_read_from_its_start_only():
    # the work is bounded by what is read, not by the prompt's length (see bench/fake_limits.py)
    assert topic_of("Explain caching in 50 words\n" + " x" * 1_000_000) == "caching"
    assert topic_of("How do queues " + "  " * 500_000 + "work") == "queues"
    assert len(topic_of("a " * 3_000_000).split()) == 8


def test_the_fakes_own_failure_is_a_500_in_json_and_prints_nothing(http, capfd, monkeypatch):
    client, base = http

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the fake")

    monkeypatch.setattr(FakeGemini, "generate", broken)
    reply = client.post(base + GENERATE, content=b'{"contents": []}', headers=KEY)
    assert reply.status_code == 500 and reply.json()["error"]["status"] == "INTERNAL"
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "ZeroDivisionError" in reply.text


def test_a_connection_that_sends_half_a_header_is_closed():
    with FakeServer(FakeGemini(latency=0.0), idle_timeout_s=0.5) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as half:
            half.sendall(b"POST " + GENERATE.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            assert half.recv(1024) in (b"", b"HTTP/1.1 400 Bad Request\r\n")  # then closed
            assert time.monotonic() - started < 9  # the timeout, not the socket's 10 s


def test_the_fake_remembers_prompts_by_a_digest_not_their_text(http):
    """Nothing grows with the prompts' size: the fake counts how often each prompt was asked (a
    digest of it), and the in-process router keeps only its last few requests. 30 prompts of
    1 MB kept whole would be 30 MB; the budget below is a tenth of that."""
    client, base = http

    def ask(i: int) -> None:
        body = json.dumps({"contents": [{"parts": [{"text": f"{i} " + "x" * 1_000_000}]}]})
        assert client.post(base + GENERATE, content=body, headers=KEY).status_code == 200

    tracemalloc.start()  # it counts what is allocated from now on, and freed
    try:
        for i in range(25):  # warm up: caches, connection pools, the router's short record
            ask(-i - 1)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(30):
            ask(i)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 3_000_000, f"the fake kept {grown / 1e6:.1f} MB of 30 MB of prompts"
