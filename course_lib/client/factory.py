"""One client factory: ``gemini_client()`` returns a real ``google.genai.Client``.

Offline (the default) it talks to the fake Gemini in-process; with ``base_url`` it talks to a fake
server on loopback (worker processes do this). It calls the real Gemini API only when you opt in
(``live=True`` or ``COURSE_LIVE=1``) *and* a key is found (GEMINI_API_KEY, GOOGLE_API_KEY or Colab's
secrets). Live calls are counted against a small budget per session. The key is never printed.

Keep one client and reuse it: a temporary ``genai.Client()`` can be closed mid-call when Python
garbage-collects it.

>>> client = gemini_client()
>>> client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text
'Hello! How can I help you today?'
"""

from __future__ import annotations

import functools
import os

import httpx
from google import genai
from google.genai import types

from course_lib import ranges
from course_lib.client.live import (
    NO_KEY,
    AsyncBudgetTransport,
    BudgetTransport,
    budget_from_environment,
    find_key,
    live_base_url,
    live_rpm,
)
from course_lib.client.session import SESSION
from course_lib.config import (
    DEFAULT_MODEL,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_ROOM_KEY,
    OFFLINE_API_KEY,
)
from course_lib.fake.gemini import FakeGemini
from course_lib.trace.transport import AsyncTracedTransport, TracedTransport


@functools.cache
def warm_sdk() -> None:
    """Pay the SDK's one-time set-up now (about 0.2 s: it builds its data models on first use),
    with one call to a private, instant fake, so that it does not land inside a timed run."""
    client = gemini_client(live=False, fake=FakeGemini(latency=0.0, error_latency_s=0.0))
    client.models.generate_content(model=DEFAULT_MODEL, contents="warm up")


def gemini_client(
    *,
    live: bool | None = None,
    fake: FakeGemini | None = None,
    base_url: str | None = None,
    timeout_s: float | None = None,
    retry_options: types.HttpRetryOptions | None = None,
) -> genai.Client:
    """A ``google.genai.Client`` wired for the course, traced at its transport.

    live: True to call the real API (needs a key); None reads COURSE_LIVE; False stays offline.
    fake: the fake to talk to in-process (default: the one ``use_fake`` set).
    base_url: a fake server's URL (worker processes use this); overrides ``fake``.
    timeout_s: give up on a call after this many seconds (the SDK's default is to wait).
    retry_options: the SDK's own retries, e.g. ``types.HttpRetryOptions(attempts=3)`` (the name
      the SDK gives them in ``HttpOptions``); none by default.

    Each is checked here, so a mistake fails now, not at the first call (``course_lib.ranges``).
    """
    given = {
        "live": live,
        "fake": fake,
        "base_url": base_url,
        "timeout_s": timeout_s,  # None, not 0, means no timeout (0 used to mean it, silently)
        "retry_options": retry_options,
    }
    for name, value in given.items():
        ranges.check(name, value)
    want_live = os.environ.get(ENV_LIVE) == "1" if live is None else live
    room = SESSION.room
    if not want_live and fake is None and base_url is None and room:
        base_url = room.url  # a room's server (setup(server=...)): its limits are the room's
    key = find_key() if want_live else None
    if want_live and key is None:
        print(NO_KEY)
    if key is not None:
        SESSION.live_clients += 1
        budget, limit, rpm = SESSION.live_budget, budget_from_environment(), live_rpm()
        sync = TracedTransport(BudgetTransport(budget, limit, rpm), mark=False)
        async_ = AsyncTracedTransport(AsyncBudgetTransport(budget, limit, rpm), mark=False)
        # Named outright: offline() may have pointed the SDK's environment at the fake.
        api_key, url = key, live_base_url()
    elif base_url is not None:
        sync = TracedTransport(httpx.HTTPTransport())
        async_ = AsyncTracedTransport(httpx.AsyncHTTPTransport())
        # the room's key for the room's server (worker processes inherit both), else any key
        room_key = os.environ.get(ENV_ROOM_KEY)
        same = room_key and base_url.rstrip("/") == os.environ.get(ENV_BASE_URL, "").rstrip("/")
        api_key, url = (room_key if same else None) or OFFLINE_API_KEY, base_url
    else:
        from course_lib.fake.transport import FAKE_BASE_URL, fake_transports  # respx: only here

        inner_sync, inner_async = fake_transports(fake or SESSION.current_fake())
        # No mark: every call that reaches the in-process fake comes from the kit's own clients.
        sync = TracedTransport(inner_sync, mark=False)
        async_ = AsyncTracedTransport(inner_async, mark=False)
        api_key, url = OFFLINE_API_KEY, FAKE_BASE_URL
    # Generous connection limits: the lesson is about *our* concurrency limit, not httpx's pool.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    timeout = httpx.Timeout(timeout_s) if timeout_s else httpx.Timeout(None)
    options = types.HttpOptions(
        base_url=url,
        timeout=int(timeout_s * 1000) if timeout_s else None,
        retry_options=retry_options,
        httpx_client=httpx.Client(transport=sync, limits=limits, timeout=timeout),
        httpx_async_client=httpx.AsyncClient(transport=async_, limits=limits, timeout=timeout),
    )
    return genai.Client(api_key=api_key, http_options=options)
