"""Tracing every google-genai client in this process, however it was made: a learner's own
``genai.Client()``, its ``client.aio`` (httpx or aiohttp), ``client.interactions``, streams, calls
from any thread. Each Gemini call becomes an ``in_flight`` span of the tracer in use (the one of
the ``with tracer:`` block, or the latest one for threads the learner starts), as the kit's own
client's calls do (``trace.transport``).

Where it hooks (google-genai 3.6.1; kept to public seams of the HTTP libraries, which outlive the
SDK's private methods):

- **httpx and httpx2** (google-genai 3.x sends through httpx2, pydantic's fork of httpx under
  its own name, when it is installed; its Interactions client through httpx): the methods
  ``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request`` of both,
  through which every client without a transport of its own sends. OpenTelemetry's httpx
  instrumentation wraps the same methods.
- **aiohttp** (google-genai's async client uses it whenever aiohttp is installed, unless given an
  httpx client or transport): a ``TraceConfig``, aiohttp's public tracing API, added to every
  ``aiohttp.ClientSession`` made while tracing is on, as OpenTelemetry's aiohttp instrumentation
  does. google-genai makes one session per event loop at its first async call: a session made
  before tracing was turned on is not seen (``setup()`` turns it on first).
- **requests** (the deprecated ``google-generativeai`` with ``transport="rest"``, which older blog
  posts use, sends through it): ``requests.Session.send``, the method OpenTelemetry's requests
  instrumentation wraps. A span ends when ``send`` returns: with the body read, unless the call
  streams (then at its headers).

Only Gemini's endpoints are traced (``models/...:generateContent`` and the other model methods,
``interactions``, ``batches``); a call the kit's own client made carries its mark and was traced
at its transport already. Calls made in other processes are not seen here: offline, the fake's
server sees them (``FakeGemini.log``). ``stop_tracing_every_client`` puts every method back.

>>> with every_client_traced():
...     httpx.HTTPTransport.handle_request is not _ORIGINAL["httpx", "sync"]
True
>>> httpx.HTTPTransport.handle_request is _ORIGINAL["httpx", "sync"]
True
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, cast

import httpx

from course_lib.config import TRACE_HEADER
from course_lib.trace.spans import IN_FLIGHT, Tracer, current_tracer, outcome_of
from course_lib.trace.transport import (
    TAIL,
    _AsyncBody,
    _SyncBody,
    model_of,
    send_traced,
    send_traced_async,
    text_of,
    usage_of,
)

#: The paths of Gemini's endpoints (the Developer API's and Vertex AI's): model methods, the
#: Interactions API, the Batch API.
GEMINI_PATH = re.compile(r"/v1\w*/(?:.*/)?(?:models/[^/:]+:\w+|interactions(?:/|$)|batches(?:/|$))")


def _httpx_modules() -> list[Any]:
    """httpx, and httpx2 where it is installed."""
    found = [httpx]
    try:
        import httpx2
    except ImportError:
        return found
    return [*found, httpx2]


#: The methods as they were, by (module name, "sync" or "async"), and aiohttp's session's init.
_ORIGINAL: dict[Any, Any] = {}
for _module in _httpx_modules():
    _ORIGINAL[_module.__name__, "sync"] = _module.HTTPTransport.handle_request
    _ORIGINAL[_module.__name__, "async"] = _module.AsyncHTTPTransport.handle_async_request
_lock = threading.Lock()
_users = 0  # trace_every_client calls not yet stopped: the hooks stay while any is on


def _traced(url: Any, headers: Any) -> Tracer | None:
    """The tracer a call to ``url`` goes to: None if nobody traces, if it is not a Gemini call,
    or if the kit's own client marked (and traced) it."""
    tracer = current_tracer()
    if tracer is None or TRACE_HEADER in headers:
        return None
    path = url.path if hasattr(url, "path") else httpx.URL(str(url)).path
    return tracer if GEMINI_PATH.search(path) else None


def _sending(module: Any) -> Callable[[Any, httpx.Request], httpx.Response]:
    # a body wrapper that is also the module's own stream type (httpx2 asserts that it is)
    body = type("SyncBody", (_SyncBody, module.SyncByteStream), {})

    def handle_request(self: Any, request: httpx.Request) -> httpx.Response:
        return _handle_request(_ORIGINAL[module.__name__, "sync"], body, self, request)

    return handle_request


def _sending_async(module: Any) -> Callable[[Any, httpx.Request], Any]:
    body = type("AsyncBody", (_AsyncBody, module.AsyncByteStream), {})

    async def handle_async_request(self: Any, request: httpx.Request) -> httpx.Response:
        send = _ORIGINAL[module.__name__, "async"]
        return await _handle_async_request(send, body, self, request)

    return handle_async_request


def _handle_request(send: Any, body: Any, self: Any, request: httpx.Request) -> httpx.Response:
    tracer = _traced(request.url, request.headers)
    if tracer is None:
        return cast(httpx.Response, send(self, request))
    return send_traced(tracer, request, lambda r: send(self, r), body, mark=False)


async def _handle_async_request(
    send: Any, body: Any, self: Any, request: httpx.Request
) -> httpx.Response:
    tracer = _traced(request.url, request.headers)
    if tracer is None:
        return cast(httpx.Response, await send(self, request))
    return await send_traced_async(tracer, request, lambda r: send(self, r), body, mark=False)


# -- aiohttp ---------------------------------------------------------------------------------------
def _aiohttp_trace_config() -> Any:
    """A TraceConfig whose span opens when a Gemini request starts and closes when its answer
    has been read to its end (a stream's last chunk too), or when it fails."""
    import aiohttp

    async def start(session: Any, context: SimpleNamespace, params: Any) -> None:
        tracer = _traced(params.url, params.headers)  # a yarl URL: its .path, no parsing
        if tracer is None:
            return
        if params.method == "POST":  # opened when its body goes out, named by its prompt
            context.waiting = tracer
        else:
            model = model_of(params.url.path)
            context.course = (tracer, tracer.begin(IN_FLIGHT, label=_label(params), model=model))

    async def sent(session: Any, context: SimpleNamespace, params: Any) -> None:
        tracer = getattr(context, "waiting", None)
        if tracer is not None and not hasattr(context, "course"):
            chunk = params.chunk
            model = model_of(params.url.path, chunk)
            context.course = (tracer, tracer.begin(IN_FLIGHT, label=text_of(chunk), model=model))

    async def received(session: Any, context: SimpleNamespace, params: Any) -> None:
        # aiohttp says what came only when the whole body is read with ``read()`` (what
        # google-genai's non-streaming calls do), and after the end of its stream: the span
        # has ended by then, and its tokens are added to it (a stream's are not told)
        span = getattr(context, "span", None)
        if span is not None:
            span.tokens_in, span.tokens_out = usage_of(params.chunk[-TAIL:])

    async def end(session: Any, context: SimpleNamespace, params: Any) -> None:
        if not hasattr(context, "course"):
            return
        tracer, handle = context.course
        context.span = tracer.open_span(handle)
        status = params.response.status
        outcome = "ok" if status < 400 else str(status)
        # the span ends when the body has been read to its end (at once if it has been)
        params.response.content.on_eof(lambda: tracer.finish(handle, outcome))

    async def failed(session: Any, context: SimpleNamespace, params: Any) -> None:
        if hasattr(context, "course"):
            tracer, handle = context.course
            tracer.finish(handle, outcome_of(params.exception))

    config = aiohttp.TraceConfig()
    config.on_request_start.append(start)
    config.on_request_chunk_sent.append(sent)
    config.on_response_chunk_received.append(received)
    config.on_request_end.append(end)
    config.on_request_exception.append(failed)
    config.freeze()
    return config


def _label(params: Any) -> str:
    """What an aiohttp call is about: the path's last piece (its body is not at hand)."""
    return str(params.url).rsplit("/", 1)[-1].split("?")[0][:80]


def _session_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        if _users:
            kwargs["trace_configs"] = [*(kwargs.get("trace_configs") or []), _CONFIG[0]]
        original(self, *args, **kwargs)

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


_CONFIG: list[Any] = []


def _aiohttp() -> Any:
    try:
        import aiohttp
    except ImportError:  # google-genai then uses httpx for async calls too
        return None
    return aiohttp


# -- requests ------------------------------------------------------------------------------------
def _requests() -> Any:
    try:
        import requests
    except ImportError:
        return None
    return requests


def _session_send(original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        tracer = _traced(request.url, request.headers)
        if tracer is None:
            return original(self, request, **kwargs)
        body = request.body.encode() if isinstance(request.body, str) else request.body or b""
        model = model_of(httpx.URL(request.url).path, body)
        handle = tracer.begin(IN_FLIGHT, label=text_of(body), model=model)
        try:
            response = original(self, request, **kwargs)
        except BaseException as error:
            tracer.finish(handle, outcome_of(error))
            raise
        outcome = "ok" if response.status_code < 400 else str(response.status_code)
        streamed = kwargs.get("stream", False)
        tail = b"" if streamed else response.content[-TAIL:]  # read already, unless streamed
        tracer.finish(handle, outcome, tokens=usage_of(tail))
        return response

    send.__wrapped__ = original  # type: ignore[attr-defined]
    return send


# -- on and off ------------------------------------------------------------------------------------
def trace_every_client() -> None:
    """Trace every google-genai client's Gemini calls from now on (until as many
    ``stop_tracing_every_client`` calls as there were of this)."""
    global _users
    with _lock:
        _users += 1
        if _users > 1:
            return
        for module in _httpx_modules():
            module.HTTPTransport.handle_request = _sending(module)
            module.AsyncHTTPTransport.handle_async_request = _sending_async(module)
        aiohttp = _aiohttp()
        if aiohttp is not None:
            if not _CONFIG:
                _CONFIG.append(_aiohttp_trace_config())
            _ORIGINAL["session"] = aiohttp.ClientSession.__init__
            aiohttp.ClientSession.__init__ = _session_init(_ORIGINAL["session"])
        requests = _requests()
        if requests is not None:
            _ORIGINAL["requests"] = requests.Session.send
            requests.Session.send = _session_send(_ORIGINAL["requests"])


def stop_tracing_every_client() -> None:
    """Undo one ``trace_every_client``; at the last, every hooked method is put back."""
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users:
            return
        for module in _httpx_modules():
            module.HTTPTransport.handle_request = _ORIGINAL[module.__name__, "sync"]
            module.AsyncHTTPTransport.handle_async_request = _ORIGINAL[module.__name__, "async"]
        aiohttp = _aiohttp()
        if aiohttp is not None and "session" in _ORIGINAL:
            aiohttp.ClientSession.__init__ = _ORIGINAL.pop("session")
        requests = _requests()
        if requests is not None and "requests" in _ORIGINAL:
            requests.Session.send = _ORIGINAL.pop("requests")


@contextmanager
def every_client_traced() -> Iterator[None]:
    """``with every_client_traced():`` every client's Gemini calls are traced inside."""
    trace_every_client()
    try:
        yield
    finally:
        stop_tracing_every_client()


__all__ = ["GEMINI_PATH", "every_client_traced", "stop_tracing_every_client", "trace_every_client"]
