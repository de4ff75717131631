"""Tracing at the transport: every request the SDK sends becomes an ``in_flight`` span.

Wrap any httpx transport; the code that makes the calls needs no change. A span opens when the
request goes out and closes when the body has been read (or the call failed or was cancelled).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import cast

import httpx

from course_lib.config import TRACE_HEADER
from course_lib.trace.spans import IN_FLIGHT, Tracer, current_tracer, now, outcome_of
from course_lib.trace.tasks import current_label


def _prompt_of(request: httpx.Request) -> str:
    """What a call is about: the prompt the runner named, else the request's last text."""
    label = current_label()
    if label:
        return label[:80]
    if request.method != "POST":
        return request.url.path.rsplit("/", 1)[-1]
    return text_of(request.content)


#: A model method's path names its model: ``/v1beta/models/gemini-3.6-flash:generateContent``.
_MODEL_IN_PATH = re.compile(r"/models/([^/:]+):")
_MODEL_IN_BODY = re.compile(rb'"model"\s*:\s*"(?:models/)?([^"]+)"')
_STREAM_IN_BODY = re.compile(rb'"stream"\s*:\s*true')
#: The token counts an answer ends with: generateContent's usageMetadata (the last of a stream's
#: chunks is the whole call's) and an interaction's usage.
_USAGE = re.compile(
    rb'"(promptTokenCount|candidatesTokenCount|thoughtsTokenCount|total_input_tokens|'
    rb'total_output_tokens)"\s*:\s*(\d+)'
)
#: How much of an answer's end is kept to read its token counts from (they come last).
TAIL = 4096


def model_of(path: str, content: bytes = b"") -> str:
    """Which model a call asks: its path's, else its body's ``model`` (the Interactions API).

    >>> model_of("/v1beta/models/gemini-3.6-flash:generateContent")
    'gemini-3.6-flash'
    >>> model_of("/v1beta/interactions", b'{"model": "gemini-3.6-flash", "input": "Hi"}')
    'gemini-3.6-flash'
    """
    found = _MODEL_IN_PATH.search(path)
    if found:
        return found.group(1)
    in_body = _MODEL_IN_BODY.search(content[:2048])
    return in_body.group(1).decode(errors="replace") if in_body else ""


def streams(path: str, content: bytes = b"") -> bool:
    """Whether a call streams its answer: ``streamGenerateContent``, or an interaction asked
    with ``"stream": true``.

    >>> streams("/v1beta/models/m:streamGenerateContent"), streams("/v1beta/interactions", b'{}')
    (True, False)
    """
    return path.endswith(":streamGenerateContent") or bool(_STREAM_IN_BODY.search(content[:4096]))


def usage_of(tail: bytes) -> tuple[int | None, int | None]:
    """The input and output tokens an answer's end reports (output: the answer's and its
    thinking's, both billed as output), or None where it says nothing.

    >>> usage_of(b'"usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 90, '
    ...          b'"thoughtsTokenCount": 10, "totalTokenCount": 106}}')
    (6, 100)
    """
    found = {name: int(count) for name, count in _USAGE.findall(tail)}  # the last of each wins
    if b"total_input_tokens" in found or b"total_output_tokens" in found:
        return found.get(b"total_input_tokens"), found.get(b"total_output_tokens")
    answer, thinking = found.get(b"candidatesTokenCount"), found.get(b"thoughtsTokenCount")
    out = None if answer is None and thinking is None else (answer or 0) + (thinking or 0)
    return found.get(b"promptTokenCount"), out


def text_of(content: bytes) -> str:
    """A request body's last text: its prompt (generateContent or the Interactions API)."""
    try:
        body = json.loads(content)
        if "input" in body:  # the Interactions API: a string, contents or steps
            return _last_text(body["input"])[:80]
        contents = body.get("contents") or []
        parts = contents[-1].get("parts") or [{}]
        return str(parts[-1].get("text", ""))[:80]
    except (ValueError, AttributeError, IndexError, TypeError):
        return ""


def _last_text(value: object) -> str:
    """The last text in an Interactions ``input``, else the type of its last item
    (``function_result``)."""
    if isinstance(value, str):
        return value
    items = value if isinstance(value, list) else [value]
    for item in reversed(items):
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            return item["text"]
        if isinstance(item, dict) and isinstance(item.get("content"), list | str):
            if text := _last_text(item["content"]):
                return text
    last = items[-1] if items else None
    return str(last.get("type", "")) if isinstance(last, dict) else ""


class _Recording:
    """One call: opened when the request goes out, finished when the body is read or fails."""

    __slots__ = ("tracer", "handle", "outcome", "tail", "stream")

    def __init__(self, tracer: Tracer, request: httpx.Request, mark: bool) -> None:
        if mark:  # lets a shared fake server tell the kit's traced calls from a learner's own
            request.headers[TRACE_HEADER] = "1"
        self.tracer = tracer
        content = request.content if request.method == "POST" else b""
        model = model_of(request.url.path, content)
        self.handle = tracer.begin(IN_FLIGHT, label=_prompt_of(request), model=model)
        self.outcome = "ok"
        self.tail = b""
        # a streamed call (its first chunk is its first token): the span, to note when it came
        self.stream = tracer.open_span(self.handle) if streams(request.url.path, content) else None

    def seen(self, chunk: bytes) -> None:
        """A piece of the answer came: its end holds the token counts; a stream's first, the
        time to its first token."""
        self.tail = (self.tail + chunk)[-TAIL:]
        if self.stream is not None and self.stream.first_at is None and chunk.strip():
            self.stream.first_at = now()

    def done(self, outcome: str | None = None) -> None:
        self.tracer.finish(self.handle, outcome or self.outcome, tokens=usage_of(self.tail))

    def failed(self, error: BaseException) -> None:
        self.done(outcome_of(error))

    def answered(self, response: httpx.Response) -> bool:
        """Whether the call is over (the whole body is here already). If not, the transport
        wraps the body, so the span stays open until it has been read."""
        self.outcome = "ok" if response.status_code < 400 else str(response.status_code)
        if isinstance(response.stream, httpx.ByteStream):  # iterating it does not consume it
            self.seen(b"".join(response.stream))
            self.done()
            return True
        return False


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, rec: _Recording) -> None:
        self.inner, self.rec = inner, rec

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.inner:
                self.rec.seen(chunk)
                yield chunk
        except BaseException as error:
            self.rec.failed(error)
            raise

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.rec.done()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, rec: _Recording) -> None:
        self.inner, self.rec = inner, rec

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                self.rec.seen(chunk)
                yield chunk
        except BaseException as error:
            self.rec.failed(error)
            raise

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.rec.done()


def send_traced(
    tracer: Tracer,
    request: httpx.Request,
    send: Callable[[httpx.Request], httpx.Response],
    body: type[_SyncBody] = _SyncBody,
    mark: bool = True,
) -> httpx.Response:
    """``send(request)`` as an ``in_flight`` span of ``tracer``, open until the body is read
    (``body``: the wrapper for a body still to come; a subclass for another httpx-like module)."""
    rec = _Recording(tracer, request, mark)
    try:
        response = send(request)
    except BaseException as error:
        rec.failed(error)
        raise
    if not rec.answered(response):  # httpx types a stream as either kind: here it is sync
        response.stream = body(cast(httpx.SyncByteStream, response.stream), rec)
    return response


async def send_traced_async(
    tracer: Tracer,
    request: httpx.Request,
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    body: type[_AsyncBody] = _AsyncBody,
    mark: bool = True,
) -> httpx.Response:
    """``send_traced`` for async transports."""
    rec = _Recording(tracer, request, mark)
    try:
        response = await send(request)
    except BaseException as error:
        rec.failed(error)
        raise
    if not rec.answered(response):  # httpx types a stream as either kind: here it is async
        response.stream = body(cast(httpx.AsyncByteStream, response.stream), rec)
    return response


class TracedTransport(httpx.BaseTransport):
    """Wraps a sync transport; each request is an ``in_flight`` span of the active tracer."""

    def __init__(self, inner: httpx.BaseTransport, mark: bool = True) -> None:
        self.inner, self.mark = inner, mark

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        tracer = current_tracer()
        if tracer is None:
            return self.inner.handle_request(request)
        return send_traced(tracer, request, self.inner.handle_request, mark=self.mark)

    def close(self) -> None:
        self.inner.close()


class AsyncTracedTransport(httpx.AsyncBaseTransport):
    """Wraps an async transport; each request is an ``in_flight`` span of the active tracer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, mark: bool = True) -> None:
        self.inner, self.mark = inner, mark

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tracer = current_tracer()
        if tracer is None:
            return await self.inner.handle_async_request(request)
        send = self.inner.handle_async_request
        return await send_traced_async(tracer, request, send, mark=self.mark)

    async def aclose(self) -> None:
        await self.inner.aclose()
