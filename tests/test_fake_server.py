"""The loopback way in: shared by processes, one rate-limit budget per key, never left running."""

import json
import multiprocessing
import os
import socket
import time
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import urlparse

import httpx
import pytest
from google import genai

from course_lib import DEFAULT_MODEL, Tracer, gemini_client
from course_lib.client.session import SESSION
from course_lib.fake import FakeGemini, FakeServer
from tests import helpers_mp


def test_the_server_answers_the_sdk_and_frees_its_port_when_stopped():
    server = FakeServer(FakeGemini(latency=0.0))
    url = server.start()
    client = gemini_client(base_url=url)
    assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text
    stream = "".join(
        c.text
        for c in client.models.generate_content_stream(
            model=DEFAULT_MODEL, contents="Describe neural networks"
        )
    )
    assert stream.startswith("A neural network")
    server.stop()
    port = urlparse(url).port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_one_rate_limit_budget_across_worker_processes(method):
    fake = FakeGemini(latency=0.05, rpm=10)
    with FakeServer(fake) as url:
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(3, mp_context=context) as pool:
            results = list(pool.map(helpers_mp.call_many, [url] * 3, [6] * 3))
    pids_codes = [code for codes in results for code in codes]
    assert pids_codes.count(200) == 10  # exactly the budget, however the processes interleave
    assert pids_codes.count(429) == 8
    assert len({entry.client for entry in fake.log}) >= 3  # three processes, three connections


def test_separate_keys_have_separate_budgets():
    fake = FakeGemini(latency=0.0, rpm=1)
    with FakeServer(fake) as url:
        first = genai.Client(api_key="key-a", http_options={"base_url": url})
        second = genai.Client(api_key="key-b", http_options={"base_url": url})
        for client in (first, second):
            assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hi").text


def test_offline_points_an_unchanged_client_and_child_processes_at_the_fake():
    url = SESSION.offline()
    assert os.environ["GOOGLE_GEMINI_BASE_URL"] == url
    assert helpers_mp.plain_client_text() == "Hello! How can I help you today?"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(helpers_mp.plain_client_text).result(timeout=120).startswith("Hello!")
    served = list(SESSION.current_fake().log)
    assert len(served) >= 2 and not any(entry.traced for entry in served)


def test_the_kit_marks_its_traced_calls_so_the_server_can_tell_them_apart():
    fake = FakeGemini(latency=0.0)
    with FakeServer(fake) as url, Tracer():
        kit = gemini_client(base_url=url)  # keep a reference: a temporary client is closed mid-call
        plain = genai.Client(api_key="k", http_options={"base_url": url})
        kit.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        plain.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert [entry.traced for entry in fake.log] == [True, False]


def test_use_fake_swaps_what_the_offline_server_serves():
    SESSION.offline()
    SESSION.use_fake(latency=0.0, rpm=1)
    assert helpers_mp.plain_client_text()
    from google.genai import errors

    with pytest.raises(errors.ClientError):
        helpers_mp.plain_client_text()


def test_stop_offline_cleans_the_environment():
    SESSION.offline()
    SESSION.stop_offline()
    assert "GOOGLE_GEMINI_BASE_URL" not in os.environ
    assert "GEMINI_API_KEY" not in os.environ


def test_the_key_may_come_in_the_url_as_in_the_docs_curl_examples():
    with FakeServer(FakeGemini(latency=0.0)) as url:
        endpoint = f"{url}/v1beta/models/{DEFAULT_MODEL}:generateContent"
        body = {"contents": [{"parts": [{"text": "Hello"}]}]}
        with httpx.Client() as http:
            answer = http.post(f"{endpoint}?key=anything", json=body)
            refused = http.post(endpoint, json=body)
    assert answer.status_code == 200
    assert answer.json()["candidates"][0]["content"]["parts"][0]["text"].startswith("Hello!")
    assert refused.json()["error"]["status"] == "PERMISSION_DENIED"


def test_lesson_workers_ask_through_the_offline_server_from_a_spawned_pool():
    """pool_tasks.ask: one client per process, reading the environment setup() left behind."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from course_lib import pool_tasks, setup, use_fake

    fake = use_fake(latency=0.05)
    try:
        setup()
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            answers = list(pool.map(pool_tasks.ask, ["Hello", "What is asyncio?", "Hello"]))
            memory = [pool.submit(pool_tasks.peak_memory_mb).result() for _ in range(2)]
    finally:
        SESSION.stop_offline()
    assert answers[0].startswith("Hello!") and answers[1].startswith("asyncio")
    assert len(fake.log) == 3  # the kernel's fake answered every process's calls
    assert all(10 < mb < 2000 for mb in memory)


# -- requests that never reach an endpoint (a room's server meets all of them) -----------------
def _send(url: str, raw: bytes, wait_s: float = 5.0) -> tuple[bytes, float]:
    host, port = url.removeprefix("http://").split(":")
    start = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=wait_s) as conn:
        conn.sendall(raw)
        try:
            return conn.recv(65536), time.perf_counter() - start
        except TimeoutError:
            return b"(still open)", time.perf_counter() - start


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /v1/models?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n",
        b"HELLO\r\n\r\n",
    ],
    ids=["a 9 KB URL", "a 20 KB header", "not HTTP"],
)
def test_a_request_too_long_or_not_http_gets_a_json_400_and_nothing_printed(raw, capfd):
    with FakeServer(FakeGemini(latency=0.0)) as url:
        answer, _ = _send(url, raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400") and b"application/json" in head, answer
    assert json.loads(body)["error"]["status"] == "INVALID_ARGUMENT"
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err + printed.out, printed


def test_a_body_that_trickles_in_gets_a_408_and_half_headers_are_closed():
    server = FakeServer(FakeGemini(latency=0.0), body_timeout_s=1.0, idle_timeout_s=1.5)
    url = server.start()
    try:
        model = f"/v1/models/{DEFAULT_MODEL}:generateContent"
        slow = f"POST {model} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode()
        answer, waited = _send(url, slow)
        assert answer.startswith(b"HTTP/1.1 408") and 0.9 < waited < 4, (answer, waited)
        answer, waited = _send(url, b"POST /v1/models HTTP/1.1\r\nHost: x\r\n")
        assert answer == b"" and waited < 4.5, (answer, waited)  # closed, not left open
        host, port = url.removeprefix("http://").split(":")
        dripping = socket.create_connection((host, int(port)))
        dripping.sendall(slow)
    finally:
        start = time.perf_counter()
        server.stop()  # a client still sending does not hold the server up
        assert time.perf_counter() - start < 3
    dripping.close()
