"""In-process way in: respx routes the SDK's httpx requests to a ``FakeGemini``.

Nothing leaves the process, so this is the fast path for tests and single-process runs. The reply's
delays are played while the body is read: ``time.sleep`` for sync clients and ``asyncio.sleep`` for
async ones, so an asyncio program really overlaps its calls. A read timeout set on the client is
honoured as a real transport would (``httpx.MockTransport`` alone ignores timeouts).

>>> fake = FakeGemini(latency=0.0)
>>> with httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler)) as http:
...     http.post(FAKE_BASE_URL + "/v1/models/nope:generateContent", json={}).status_code
403
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import respx

from course_lib.fake.gemini import FakeGemini, Reply

#: Where in-process clients send. ``.invalid`` never resolves, so nothing can leak out by mistake.
FAKE_BASE_URL = "http://gemini.fake.invalid"

_VERB = r"^/(v1|v1beta)/models/[^/:]+:"


class PlayedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A reply body whose chunks arrive after their delays, with httpx's read timeout applied."""

    def __init__(self, reply: Reply, read_timeout: float | None) -> None:
        self._chunks = reply.chunks
        self._timeout = read_timeout

    def _timed_out(self, delay: float) -> bool:
        return self._timeout is not None and delay > self._timeout

    def __iter__(self) -> Iterator[bytes]:
        for delay, data in self._chunks:
            if self._timed_out(delay):
                time.sleep(self._timeout)
                raise httpx.ReadTimeout(f"The fake Gemini took longer than {self._timeout:g} s")
            time.sleep(delay)
            yield data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for delay, data in self._chunks:
            if self._timed_out(delay):
                await asyncio.sleep(self._timeout)
                raise httpx.ReadTimeout(f"The fake Gemini took longer than {self._timeout:g} s")
            await asyncio.sleep(delay)
            yield data


def fake_router(fake: FakeGemini) -> respx.Router:
    """A respx router whose named routes answer from ``fake``.

    The names let you count calls: ``router.routes["generate"].call_count``.
    """
    router = respx.Router(base_url=FAKE_BASE_URL, assert_all_called=False)

    def answer(request: httpx.Request) -> httpx.Response:
        reply = fake.handle(
            request.method,
            request.url.path,
            request.content,
            {k.lower(): v for k, v in request.headers.items()},
            client="in-process",
            query=request.url.query.decode(),
        )
        timeout = (request.extensions.get("timeout") or {}).get("read")
        return httpx.Response(
            reply.status,
            headers={"content-type": reply.content_type},
            stream=PlayedStream(reply, timeout),
        )

    router.post(path__regex=_VERB + "generateContent$", name="generate").mock(side_effect=answer)
    router.post(path__regex=_VERB + "streamGenerateContent$", name="stream").mock(
        side_effect=answer
    )
    router.post(path__regex=_VERB + "countTokens$", name="count_tokens").mock(side_effect=answer)
    router.get(path__regex=r"^/(v1|v1beta)/models", name="models").mock(side_effect=answer)
    router.route(name="other").mock(side_effect=answer)  # unknown paths get the API's own 404
    return router


def fake_transports(fake: FakeGemini) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
    """A sync and an async httpx transport that both answer from ``fake``."""
    router = fake_router(fake)
    # The async handler lets respx await; the sync one never could (see shared FACTS).
    return httpx.MockTransport(router.handler), httpx.MockTransport(router.async_handler)
