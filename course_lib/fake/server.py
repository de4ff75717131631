"""Loopback way in: the fake Gemini as a real HTTP server on 127.0.0.1, for other processes.

Worker processes (and a learner's unchanged ``genai.Client()``) reach it through a ``base_url``.
All of them share the one ``FakeGemini`` behind it, and so one rate-limit budget per API key. The
server runs on its own event loop in a daemon thread of the process that started it, on a free
port; it stops with ``stop()``, at the end of a ``with`` block, or when that process exits.

>>> with FakeServer(FakeGemini(latency=0.0)) as url:
...     url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import atexit
import socket
import threading
import weakref
from typing import Any

from aiohttp import web

from course_lib.config import TRACE_HEADER
from course_lib.fake import wire
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.http_edges import answer_unparsed_in_json, quiet_bad_requests, read_body
from course_lib.fake.peers import Peers
from course_lib.fake.request import MAX_BODY_BYTES
from course_lib.fake.wire import Caller, Reply

_running: weakref.WeakSet[FakeServer] = weakref.WeakSet()


class FakeServer:
    def __init__(
        self,
        fake: FakeGemini,
        host: str = "127.0.0.1",
        idle_timeout_s: float = 60.0,
        port: int = 0,
        body_timeout_s: float = 30.0,
    ) -> None:
        self.fake = fake
        self.host, self.port = host, port  # port 0: the OS picks a free one
        self.idle_timeout_s = idle_timeout_s  # a connection that sends nothing is closed then
        self.body_timeout_s = body_timeout_s  # a body that trickles in longer gets a 408
        self.url: str | None = None
        self.peers = Peers()  # which process holds each connection (``ServedCall.client``)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    def start(self) -> str:
        """Start serving (once) and return the base URL, e.g. ``http://127.0.0.1:41234``."""
        if self.url:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        loop = self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(loop, sock, ready), name="fake-gemini-server", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout=30) or self._runner is None:
            raise RuntimeError("The fake Gemini server did not start within 30 s.")
        self.url = f"http://{self.host}:{sock.getsockname()[1]}"
        if not _running:  # the first server of this process: stop them all when it exits
            atexit.unregister(_stop_all)
            atexit.register(_stop_all)
        _running.add(self)
        return self.url

    def stop(self) -> None:
        """Stop serving and free the port. Calls still in progress are cancelled."""
        if not self._thread or not self._loop:
            return
        loop, self._loop = self._loop, None
        try:
            if self._runner is not None:  # None if it never got going: nothing to clean up
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=10)
            self._thread, self.url = None, None
            self.peers.close()
            _running.discard(self)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a server built on this one adds (a room's: course_lib.room) -------------------------
    def middlewares(self) -> list[Any]:
        """aiohttp middlewares that see each request before the fake's own guard."""
        return []

    def add_routes(self, app: web.Application) -> None:
        """Routes of its own, matched before the API's "not found"."""

    # -- inside the server thread ----------------------------------------------------------------
    def _serve(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, ready: threading.Event
    ) -> None:
        # the loop comes as an argument: stop() clears self._loop while this thread still runs
        asyncio.set_event_loop(loop)
        app = web.Application(
            client_max_size=MAX_BODY_BYTES, middlewares=[*self.middlewares(), self._guard]
        )
        model = "/{version:v1|v1beta}/models/{model:[^/:]+}"
        app.router.add_post(model + ":generateContent", self._generate)
        app.router.add_post(model + ":streamGenerateContent", self._stream)
        app.router.add_post(model + ":countTokens", self._count)
        app.router.add_get(model, self._get)
        app.router.add_get("/{version:v1|v1beta}/models", self._list)
        interactions = "/{version:v1|v1beta}/interactions"
        app.router.add_post(interactions, self._create)
        app.router.add_get(interactions + "/{id}", self._interaction)
        app.router.add_delete(interactions + "/{id}", self._interaction)
        app.router.add_post(interactions + "/{id}/cancel", self._cancel)
        app.router.add_post(model + ":batchGenerateContent", self._batch)
        batches = "/{version:v1|v1beta}/batches"
        app.router.add_get(batches, self._batches)
        app.router.add_get(batches + "/{id:[^/:]+}", self._job)
        app.router.add_delete(batches + "/{id:[^/:]+}", self._job)
        app.router.add_post(batches + "/{id:[^/:]+}:cancel", self._cancel_job)
        self.add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._other)
        # keepalive_timeout also closes connections that never finish sending their headers
        runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            keepalive_timeout=self.idle_timeout_s,
            shutdown_timeout=1.0,  # stop() waits this long for calls in progress, then ends them
        )
        quiet_bad_requests()
        try:
            loop.run_until_complete(runner.setup())
            answer_unparsed_in_json(runner)
            loop.run_until_complete(web.SockSite(runner, sock, backlog=2048).start())
            self._runner = runner
        finally:
            ready.set()
        loop.run_forever()
        loop.close()

    # -- one handler per endpoint; the fake answers, the handler plays the reply -----------------
    async def _generate(self, request: web.Request) -> web.StreamResponse:
        v, model = request.match_info["version"], request.match_info["model"]
        reply = self.fake.generate(v, model, await request.read(), _caller(request))
        return await _play(request, reply)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        v, model = request.match_info["version"], request.match_info["model"]
        sse = request.query.get("alt") == "sse"  # else a JSON array, the REST default
        reply = self.fake.generate(v, model, await request.read(), _caller(request), True, sse)
        return await _play(request, reply)

    async def _count(self, request: web.Request) -> web.StreamResponse:
        v, model = request.match_info["version"], request.match_info["model"]
        reply = self.fake.count_tokens(v, model, await request.read(), _caller(request))
        return await _play(request, reply)

    async def _get(self, request: web.Request) -> web.StreamResponse:
        v, model = request.match_info["version"], request.match_info["model"]
        return await _play(request, self.fake.get_model(v, model, _caller(request)))

    async def _list(self, request: web.Request) -> web.StreamResponse:
        reply = self.fake.list_models(request.match_info["version"], _caller(request))
        return await _play(request, reply)

    async def _create(self, request: web.Request) -> web.StreamResponse:
        body, caller = await request.read(), _caller(request)
        reply = self.fake.interactions.create(request.match_info["version"], body, caller)
        return await _play(request, reply)

    async def _interaction(self, request: web.Request) -> web.StreamResponse:
        version, key = request.match_info["version"], request.match_info["id"]
        interactions, caller = self.fake.interactions, _caller(request)
        if request.method == "GET":
            reply = interactions.get_asked(version, key, caller, request.query)
        else:
            reply = interactions.delete(version, key, caller)
        return await _play(request, reply)

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        version, key = request.match_info["version"], request.match_info["id"]
        return await _play(request, self.fake.interactions.cancel(version, key, _caller(request)))

    async def _batch(self, request: web.Request) -> web.StreamResponse:
        v, model = request.match_info["version"], request.match_info["model"]
        reply = self.fake.batches.create(v, model, await request.read(), _caller(request))
        return await _play(request, reply)

    async def _batches(self, request: web.Request) -> web.StreamResponse:
        version, caller = request.match_info["version"], _caller(request)
        return await _play(request, self.fake.batches.list_jobs(version, caller, request.query))

    async def _job(self, request: web.Request) -> web.StreamResponse:
        version, key = request.match_info["version"], request.match_info["id"]
        batches, caller = self.fake.batches, _caller(request)
        if request.method == "GET":
            return await _play(request, batches.get(version, key, caller))
        return await _play(request, batches.delete(version, key, caller))

    async def _cancel_job(self, request: web.Request) -> web.StreamResponse:
        version, key = request.match_info["version"], request.match_info["id"]
        return await _play(request, self.fake.batches.cancel(version, key, _caller(request)))

    async def _other(self, request: web.Request) -> web.StreamResponse:
        return await _play(request, self.fake.not_found(request.path, request.method))

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every answer in the API's JSON shape: a body over the size limit is a 400, and the
        fake's own failure a 500, never a traceback printed into the learner's output."""
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport else None
        ours = transport.get_extra_info("sockname") if transport else None
        if peer and ours:
            self.peers.note(peer[0], peer[1], (ours[0], ours[1]))
        try:
            if request.can_read_body:  # read here, in time or a 408; handlers get it at once
                body = await read_body(request, self.body_timeout_s)
                if isinstance(body, web.Response):
                    return body
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            message = f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."
            return await _play(request, wire.error(400, "INVALID_ARGUMENT", message, 0.0))
        except web.HTTPException:
            raise
        except Exception as error:
            return await _play(request, self.fake.failed(error))


def _caller(request: web.Request) -> Caller:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return Caller(
        request.headers.get("x-goog-api-key") or request.query.get("key", ""),
        TRACE_HEADER in request.headers,
        f"{peer[0]}:{peer[1]}" if peer else "loopback",
    )


async def _play(request: web.Request, reply: Reply) -> web.StreamResponse:
    """Send the reply after its delays: at once for JSON, chunk by chunk for a stream."""
    if len(reply.chunks) == 1:
        await asyncio.sleep(reply.duration)
        return web.Response(
            status=reply.status,
            body=reply.chunks[0][1],
            content_type=reply.content_type,
            headers=reply.headers,
        )
    headers = {"Content-Type": reply.content_type, **reply.headers}
    response = web.StreamResponse(status=reply.status, headers=headers)
    await response.prepare(request)
    for delay, data in reply.chunks:
        await asyncio.sleep(delay)
        await response.write(data)
    await response.write_eof()
    return response


def _stop_all() -> None:
    for server in list(_running):
        server.stop()
