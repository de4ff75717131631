"""What the fake's server does with requests that never reach an endpoint: too long a URL or
header, a body that trickles in, a client that stops halfway. A room of laptops on one server
(``python -m course_lib serve``) meets all of them; each gets an answer in the API's JSON error
shape and nothing is printed into the host's output.

- A URL or a header line over aiohttp's 8,190 bytes, or a request that is not HTTP: a 400
  (aiohttp's own answer is a text/plain 400, and a traceback in the host's output).
- A body that has not arrived ``body_timeout_s`` after its headers: 408, and the connection
  closed (the handler no longer waits for it for good).
- Headers never finished: the connection is closed after the server's idle timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server


def error_body(code: int, status: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "status": status}}).encode()


class _JsonErrors(RequestHandler):
    """aiohttp's connection handler, answering a request it could not parse in JSON, quietly."""

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, LineTooLong):
            code, text = 400, "A line of the request (its URL or a header) is over 8,190 bytes."
        else:
            code, text = 400, "The request is not well-formed HTTP."
        response = web.Response(
            status=code,
            body=error_body(code, "INVALID_ARGUMENT", text),
            content_type="application/json",
        )
        response.force_close()
        return response


class _JsonErrorServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrors(self, loop=self._loop, **self._kwargs)


def answer_unparsed_in_json(runner: web.AppRunner) -> None:
    """After ``runner.setup()``: requests aiohttp cannot parse get the API's JSON shape."""
    server = runner.server
    if type(server) is Server:  # as aiohttp 3.9-3.14 make it; else leave aiohttp's answers
        server.__class__ = _JsonErrorServer


async def read_body(request: web.Request, timeout_s: float) -> bytes | web.Response:
    """The request's body, or a 408 if it has not all come within ``timeout_s``."""
    try:
        return await asyncio.wait_for(request.read(), timeout_s)
    except TimeoutError:
        text = f"The request's body did not arrive within {timeout_s:g} s."
        response = web.Response(
            status=408,
            body=error_body(408, "DEADLINE_EXCEEDED", text),
            content_type="application/json",
        )
        response.force_close()
        return response


class _NotParsed(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, HttpProcessingError | ConnectionResetError)


def quiet_bad_requests() -> None:
    """aiohttp logs a traceback for every request it could not parse: the fake answers those
    itself (above), so they are not printed into a notebook's or a terminal's output."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _NotParsed) for f in logger.filters):
        logger.addFilter(_NotParsed())
