"""A learner's own client, made as every tutorial makes it (``genai.Client()``), is traced: its
sync, async (aiohttp, or httpx when given one), Interactions and streamed calls, from any thread,
each one span; the kit's own client is not counted twice; nothing else is traced; and when
tracing stops, no hook is left."""

import asyncio
import collections
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import aiohttp
import httpx
import pytest
from google import genai
from google.genai import errors, types

from course_lib import Tracer, gemini_client, offline, use_fake
from course_lib.trace.every_client import (
    _ORIGINAL,
    every_client_traced,
    stop_tracing_every_client,
    trace_every_client,
)
from course_lib.trace.lanes import Lane
from course_lib.trace.overlap import most_in_flight

MODEL = "gemini-3.6-flash"


@pytest.fixture
def client():
    use_fake(latency=0.2)
    offline()
    with every_client_traced():
        yield genai.Client()


def labels(tracer: Tracer) -> list[str]:
    return sorted(s.label for s in tracer.spans)


def test_sync_calls_streams_and_interactions_are_one_span_each(client):
    with Tracer() as tracer:
        client.models.generate_content(model=MODEL, contents="sync")
        "".join(
            c.text or ""
            for c in client.models.generate_content_stream(model=MODEL, contents="stream")
        )
        client.interactions.create(model=MODEL, input="interaction")
    assert labels(tracer) == ["interaction", "stream", "sync"]
    assert all(s.outcome == "ok" and s.duration >= 0.2 for s in tracer.spans)
    assert_model_and_tokens(tracer.spans)
    # the stream's first token: after it went out, well before its end (the fake sends the
    # first chunk after a fifth of its time); a call that does not stream has none
    by_label = {s.label: s for s in tracer.spans}
    stream = by_label["stream"]
    assert stream.first_at is not None and stream.start < stream.first_at < stream.end - 0.05
    assert by_label["sync"].first_at is None and by_label["interaction"].first_at is None


def assert_model_and_tokens(spans) -> None:
    """Each call's span names its model and carries the tokens its answer counted (a stream's
    from its last chunk, an interaction's from its usage)."""
    for span in spans:
        assert span.model == MODEL, span
        assert span.tokens_in and span.tokens_out and span.tokens_out > 10, span


async def test_async_calls_through_aiohttp_overlap_on_the_timeline(client):
    with Tracer() as tracer:
        await asyncio.gather(
            *(client.aio.models.generate_content(model=MODEL, contents=f"a{i}") for i in range(4))
        )
        stream = await client.aio.models.generate_content_stream(model=MODEL, contents="s")
        async for _ in stream:
            pass
        await client.aio.interactions.create(model=MODEL, input="i")
    assert labels(tracer) == ["a0", "a1", "a2", "a3", "i", "s"]
    assert most_in_flight([s for s in tracer.spans if s.label.startswith("a")]) == 4
    stream_span = next(s for s in tracer.spans if s.label == "s")
    assert stream_span.duration >= 0.2  # open until the stream's last chunk, not its headers
    # aiohttp tells a body's bytes only to read(): a stream's tokens are not seen there
    assert_model_and_tokens([s for s in tracer.spans if s is not stream_span])
    assert stream_span.model == MODEL and stream_span.tokens_out is None


async def test_an_async_client_on_httpx_and_calls_from_threads_are_seen(client):
    on_httpx = genai.Client(http_options=types.HttpOptions(httpx_async_client=httpx.AsyncClient()))
    with Tracer() as tracer:
        await on_httpx.aio.models.generate_content(model=MODEL, contents="httpx async")
        thread = threading.Thread(
            target=lambda: client.models.generate_content(model=MODEL, contents="thread")
        )
        thread.start()
        thread.join()
        await asyncio.to_thread(client.models.generate_content, model=MODEL, contents="to_thread")
    assert labels(tracer) == ["httpx async", "thread", "to_thread"]
    assert next(s for s in tracer.spans if s.label == "thread").lane.kind == "thread"


def test_the_kits_own_client_is_traced_once_and_failures_keep_their_status(client):
    use_fake(latency=0.0, rpm=1)
    offline()
    loopback, learners = gemini_client(base_url=offline()), genai.Client()
    with Tracer() as tracer:
        loopback.models.generate_content(model=MODEL, contents="kit")
        with pytest.raises(errors.ClientError):
            learners.models.generate_content(model=MODEL, contents="over the limit")
    assert [(s.label, s.outcome) for s in sorted(tracer.spans, key=lambda s: s.start)] == [
        ("kit", "ok"),
        ("over the limit", "429"),
    ]


def test_only_geminis_endpoints_are_traced(client):
    with Tracer() as tracer, httpx.Client() as http:
        http.get(offline() + "/healthz")  # the fake's 404: not a Gemini endpoint
        client.batches.list()
    assert [s.label for s in tracer.spans] == ["batches"]


def test_when_tracing_stops_no_hook_is_left():
    methods = (httpx.HTTPTransport.handle_request, aiohttp.ClientSession.__init__)
    trace_every_client()
    trace_every_client()
    stop_tracing_every_client()
    assert httpx.HTTPTransport.handle_request is not methods[0]  # one user still traces
    stop_tracing_every_client()
    stop_tracing_every_client()  # one too many: nothing to undo
    assert (httpx.HTTPTransport.handle_request, aiohttp.ClientSession.__init__) == methods
    assert httpx.HTTPTransport.handle_request is _ORIGINAL["httpx", "sync"]


def test_calls_from_a_learners_own_process_pool_reach_a_timeline_offline(client):
    """The fake's server saw them: one lane per worker process, this process's calls left out
    (traced here), and the kit's own (marked) calls too."""
    from course_lib.client.served import calls_from_other_processes
    from course_lib.client.session import SESSION
    from tests.helpers_mp import ask_with_a_plain_client

    since = time.perf_counter()
    client.models.generate_content(model=MODEL, contents="from the kernel")
    gemini_client(base_url=offline()).models.generate_content(model=MODEL, contents="kit")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        answers = list(pool.map(ask_with_a_plain_client, [f"p{i}" for i in range(6)]))
    spans = calls_from_other_processes(SESSION.server, since)
    assert len(answers) == 6 and sorted(s.label for s in spans) == [f"p{i}" for i in range(6)]
    workers = {s.pid for s in spans}
    assert len(workers) == 2 and os.getpid() not in workers
    assert {s.lane for s in spans} == {Lane("process", pid) for pid in workers}
    assert all(s.outcome == "ok" and s.duration > 0.19 and s.start >= since for s in spans)


def test_a_call_whose_process_the_os_did_not_name_is_not_drawn_twice(client, monkeypatch):
    """On a busy machine a connection can be gone before the OS is asked who held it: such a
    call matched in time by one traced here is this process's (a Colab-like CI run drew a
    notebook's four calls as five); one that matches nothing is still another process's."""
    from course_lib.client.served import calls_from_other_processes
    from course_lib.client.session import SESSION

    with Tracer() as here:
        client.models.generate_content(model=MODEL, contents="mine")
    since = here.spans[0].start - 1.0
    monkeypatch.setattr(SESSION.server.peers, "pid_of", lambda client: None)  # never named
    assert calls_from_other_processes(SESSION.server, since, here.spans) == []
    unnamed = calls_from_other_processes(SESSION.server, since)
    assert [s.label for s in unnamed] == ["mine"] and unnamed[0].pid == 0  # "another process"


def test_new_connections_are_named_in_few_scans_of_the_os(monkeypatch):
    """A flood of new connections (a learner's fresh client per call) costs a few scans of the
    OS's connection table, not one each (about 20 ms of CPU every time)."""
    import psutil

    from course_lib.fake.peers import Peers

    scans = []
    server = ("127.0.0.1", 8000)
    fake_table = [_held(("127.0.0.1", p), server, 4242) for p in range(40)]
    monkeypatch.setattr(psutil, "net_connections", lambda kind: scans.append(kind) or fake_table)
    peers = Peers()
    for port in range(40):
        peers.note("127.0.0.1", port, server)
        time.sleep(0.01)
    peers.wait()
    peers.wait()
    assert [peers.pid_of(f"127.0.0.1:{p}") for p in range(40)] == [4242] * 40
    assert 1 <= len(scans) <= 4, len(scans)  # 0.4 s of notes, a scan every 0.25 s at most
    peers.close()


_address = collections.namedtuple("_address", "ip port")
_connection = collections.namedtuple("_connection", "laddr raddr pid")


def _held(local: tuple[str, int], remote: tuple[str, int], pid: int) -> object:
    """One row of ``psutil.net_connections``: a connection's two ends and its process."""
    return _connection(_address(*local), _address(*remote), pid)


def test_a_local_port_two_processes_share_names_the_one_that_called(monkeypatch):
    """Linux lets two connections leave from the same local port when they go to different
    places (seen here: about 6 % of 2,000 connections to two servers shared a port); the caller
    is the one whose other end is this server, whichever row the OS lists last."""
    import psutil

    from course_lib.fake.peers import Peers

    ours, elsewhere = ("127.0.0.1", 8000), ("127.0.0.1", 9000)
    caller = ("127.0.0.1", 41234)
    for table in (
        [_held(caller, ours, 111), _held(caller, elsewhere, 222)],
        [_held(caller, elsewhere, 222), _held(caller, ours, 111)],
        [_held(ours, caller, 999), _held(caller, elsewhere, 222), _held(caller, ours, 111)],
    ):
        monkeypatch.setattr(psutil, "net_connections", lambda kind, table=table: table)
        peers = Peers()
        peers.note(*caller, ours)
        peers.wait()
        assert peers.pid_of("127.0.0.1:41234") == 111, table
        peers.close()


@pytest.mark.skipif(
    sys.platform != "linux", reason="elsewhere the OS may not list other processes' connections"
)
def test_the_os_names_the_caller_when_another_process_shares_its_port():
    """The same, with real connections: a child process and this one both leave from one local
    port (SO_REUSEADDR lets two sockets that never listen bind it), to two different servers."""
    import socket
    import subprocess

    from course_lib.fake.peers import Peers

    ours, elsewhere = socket.create_server(("127.0.0.1", 0)), socket.create_server(("127.0.0.1", 0))
    mine = socket.socket()
    mine.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    mine.bind(("127.0.0.1", 0))
    port = mine.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-c", _SHARES_A_PORT, str(port), str(elsewhere.getsockname()[1])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    peers = Peers()
    try:
        assert child.stdout is not None and child.stdout.readline() == "connected\n"
        mine.connect(ours.getsockname())
        peers.note("127.0.0.1", port, ours.getsockname())
        peers.wait()
        assert peers.pid_of(f"127.0.0.1:{port}") == os.getpid()
    finally:
        peers.close()
        child.communicate(timeout=30)  # its stdin closes: it exits
        for s in (mine, ours, elsewhere):
            s.close()


_SHARES_A_PORT = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.connect(("127.0.0.1", int(sys.argv[2])))
print("connected", flush=True)
sys.stdin.read()
"""
