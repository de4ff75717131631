"""In-process way in: respx routes the SDK's httpx requests to a ``FakeGemini``.

Nothing leaves the process, so this is the fast path for tests and single-process runs. respx does
the routing: each endpoint's route calls the fake's method for it. The reply comes when its first
chunk is due (``time.sleep`` for sync clients, ``asyncio.sleep`` for async ones, so an asyncio
program really overlaps its calls); a stream's other chunks follow while the body is read. A read
timeout set on the client is honoured as a real transport would (``httpx.MockTransport`` alone
ignores timeouts).

>>> fake = FakeGemini(latency=0.0)
>>> with httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler)) as http:
...     http.post(FAKE_BASE_URL + "/v1/models/nope:generateContent", json={}).status_code
403
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx
from respx.models import Call, CallList

from course_lib.config import TRACE_HEADER
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.wire import Caller, Reply

#: What the fake's log names as the client of a call that came in-process, not over loopback.
IN_PROCESS = "in-process"
#: Where in-process clients send. ``.invalid`` never resolves, so nothing can leak out by mistake.
FAKE_BASE_URL = "http://gemini.fake.invalid"


def _too_slow(timeout: float | None) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(f"The fake Gemini took longer than {timeout:g} s")


class PlayedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The rest of a streamed reply: each chunk after its delay, with httpx's read timeout."""

    def __init__(self, chunks: list[tuple[float, bytes]], read_timeout: float | None) -> None:
        self._chunks, self._timeout = chunks, read_timeout

    def __iter__(self) -> Iterator[bytes]:
        for delay, data in self._chunks:
            if self._timeout is not None and delay > self._timeout:
                time.sleep(self._timeout)
                raise _too_slow(self._timeout)
            time.sleep(delay)
            yield data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for delay, data in self._chunks:
            if self._timeout is not None and delay > self._timeout:
                await asyncio.sleep(self._timeout)
                raise _too_slow(self._timeout)
            await asyncio.sleep(delay)
            yield data


def _response(reply: Reply, timeout: float | None) -> httpx.Response:
    """The reply once its first chunk is due: headers and that chunk, then the rest streamed."""
    headers = {"content-type": reply.content_type, **reply.headers}
    first = reply.chunks[0][1]
    if len(reply.chunks) == 1:
        return httpx.Response(reply.status, headers=headers, content=first)
    rest = PlayedStream([(0.0, first), *reply.chunks[1:]], timeout)
    return httpx.Response(reply.status, headers=headers, stream=rest)


def _read_timeout(request: httpx.Request) -> float | None:
    return (request.extensions.get("timeout") or {}).get("read")


def play_sync(request: httpx.Request, reply: Reply) -> httpx.Response:
    """Wait as a blocking server would (the first chunk's delay), then answer."""
    timeout, delay = _read_timeout(request), reply.chunks[0][0]
    if timeout is not None and delay > timeout:
        time.sleep(timeout)
        raise _too_slow(timeout)
    time.sleep(delay)
    return _response(reply, timeout)


async def play(request: httpx.Request, reply: Reply) -> httpx.Response:
    """``play_sync`` for async clients: the wait is an ``asyncio.sleep``, so calls overlap."""
    timeout, delay = _read_timeout(request), reply.chunks[0][0]
    if timeout is not None and delay > timeout:
        await asyncio.sleep(timeout)
        raise _too_slow(timeout)
    await asyncio.sleep(delay)
    return _response(reply, timeout)


_VERSION = r"^/(?P<version>v1|v1beta)/models"
_MODEL = _VERSION + r"/(?P<model>[^/:]+)"
_INTERACTIONS = r"^/(?P<version>v1|v1beta)/interactions"
_BATCHES = r"^/(?P<version>v1|v1beta)/batches"


def caller_of(request: httpx.Request) -> Caller:
    """The key (header, or ``?key=`` as the docs' curl examples send it) and the trace mark."""
    key = request.headers.get("x-goog-api-key") or ""
    if not key and request.url.query:
        key = parse_qs(request.url.query.decode()).get("key", [""])[0]
    return Caller(key, TRACE_HEADER in request.headers, IN_PROCESS)


class RecentCalls(CallList):
    """respx's record of a router's calls, keeping only the last ``KEEP`` (requests, bodies and
    all): a session's router lives as long as its client, and must not keep every prompt it
    carried. ``call_count`` still counts them all."""

    KEEP = 20

    def __init__(self, *calls: Call, name: Any = "respx") -> None:
        super().__init__(calls, name=name)
        self._seen = len(self)

    def append(self, call: Call) -> None:
        super().append(call)
        self._seen += 1
        if len(self) > self.KEEP:
            del self[0]

    def clear(self) -> None:
        super().clear()
        self._seen = 0

    @property
    def called(self) -> bool:  # type: ignore[override]
        return self._seen > 0

    @property
    def call_count(self) -> int:  # type: ignore[override]
        return self._seen


#: What a route's handler returns: the response, or for async clients a coroutine that waits,
#: then gives it (respx's ``async_handler`` awaits it).
Handled = httpx.Response | Awaitable[httpx.Response]


def fake_router(fake: FakeGemini, asynchronous: bool = False) -> respx.Router:
    """A respx router that sends each Gemini endpoint to the fake's method for it; its handlers
    wait with ``asyncio.sleep`` when ``asynchronous`` (use its ``async_handler``), else block.

    The route names let you count calls: ``router.routes["generate"].call_count``.
    """
    router = respx.Router(assert_all_called=False)
    played: Callable[[httpx.Request, Reply], Handled] = play if asynchronous else play_sync

    def answer(
        request: httpx.Request, endpoint: Callable[..., Reply], *args: Any, **kw: Any
    ) -> Handled:
        try:
            reply = endpoint(*args, caller_of(request), **kw)
        except Exception as error:  # the fake's own bug: a 500, not a traceback in the notebook
            reply = fake.failed(error)
        return played(request, reply)

    def generate(request: httpx.Request, version: str, model: str) -> Handled:
        return answer(request, fake.generate, version, model, request.content)

    def stream(request: httpx.Request, version: str, model: str) -> Handled:
        sse = request.url.params.get("alt") == "sse"  # else a JSON array, the REST default
        return answer(request, fake.generate, version, model, request.content, stream=True, sse=sse)

    def count(request: httpx.Request, version: str, model: str) -> Handled:
        return answer(request, fake.count_tokens, version, model, request.content)

    def get(request: httpx.Request, version: str, model: str) -> Handled:
        return answer(request, fake.get_model, version, model)

    def listing(request: httpx.Request, version: str) -> Handled:
        return answer(request, fake.list_models, version)

    def create(request: httpx.Request, version: str) -> Handled:
        return answer(request, fake.interactions.create, version, request.content)

    def interaction(request: httpx.Request, version: str, key: str) -> Handled:
        interactions = fake.interactions
        if request.method == "GET":
            return answer(request, interactions.get_asked, version, key, query=request.url.params)
        return answer(request, interactions.delete, version, key)

    def cancel(request: httpx.Request, version: str, key: str) -> Handled:
        return answer(request, fake.interactions.cancel, version, key)

    def batch(request: httpx.Request, version: str, model: str) -> Handled:
        return answer(request, fake.batches.create, version, model, request.content)

    def batches(request: httpx.Request, version: str) -> Handled:
        return answer(request, fake.batches.list_jobs, version, query=request.url.params)

    def job(request: httpx.Request, version: str, key: str) -> Handled:
        if request.method == "GET":
            return answer(request, fake.batches.get, version, key)
        return answer(request, fake.batches.delete, version, key)

    def cancel_job(request: httpx.Request, version: str, key: str) -> Handled:
        return answer(request, fake.batches.cancel, version, key)

    def other(request: httpx.Request) -> Handled:
        return played(request, fake.not_found(request.url.path, request.method))

    router.post(path__regex=_MODEL + ":generateContent$", name="generate").mock(
        side_effect=generate
    )
    router.post(path__regex=_MODEL + ":streamGenerateContent$", name="stream").mock(
        side_effect=stream
    )
    router.post(path__regex=_MODEL + ":countTokens$", name="count_tokens").mock(side_effect=count)
    router.get(path__regex=_MODEL + "$", name="model").mock(side_effect=get)
    router.get(path__regex=_VERSION + "$", name="models").mock(side_effect=listing)
    by_id = _INTERACTIONS + r"/(?P<key>[^/:]+)"
    router.post(path__regex=_INTERACTIONS + "$", name="interactions").mock(side_effect=create)
    router.route(method__in=["GET", "DELETE"], path__regex=by_id + "$", name="interaction").mock(
        side_effect=interaction
    )
    router.post(path__regex=by_id + "/cancel$", name="cancel").mock(side_effect=cancel)
    router.post(path__regex=_MODEL + ":batchGenerateContent$", name="batch").mock(side_effect=batch)
    router.get(path__regex=_BATCHES + "$", name="batches").mock(side_effect=batches)
    job_id = _BATCHES + r"/(?P<key>[^/:]+)"
    router.route(method__in=["GET", "DELETE"], path__regex=job_id + "$", name="job").mock(
        side_effect=job
    )
    router.post(path__regex=job_id + ":cancel$", name="cancel_job").mock(side_effect=cancel_job)
    router.route(name="other").mock(side_effect=other)  # unknown paths get the API's own 404
    router.calls = RecentCalls(name=router)
    for route in router.routes:
        route.calls = RecentCalls(name=route)
    return router


def fake_transports(fake: FakeGemini) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
    """A sync and an async httpx transport that both answer from ``fake``."""
    # Two routers: respx's sync handler cannot await a side effect, and the async one must not
    # block the event loop, so each gets handlers of its own kind.
    return (
        httpx.MockTransport(fake_router(fake).handler),
        httpx.MockTransport(fake_router(fake, asynchronous=True).async_handler),
    )
