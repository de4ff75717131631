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
import threading

import httpx
from google import genai
from google.genai import types

from course_lib.config import (
    DEFAULT_LIVE_BUDGET,
    DEFAULT_MODEL,
    ENV_API_KEYS,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_LIVE_BUDGET,
    LIVE_BASE_URL,
    OFFLINE_API_KEY,
)
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.server import FakeServer
from course_lib.fake.transport import FAKE_BASE_URL, fake_transports
from course_lib.trace.transport import AsyncTracedTransport, TracedTransport

__all__ = [
    "DEFAULT_MODEL",
    "LiveBudgetSpent",
    "gemini_client",
    "offline",
    "use_fake",
    "live_status",
    "setup",
]


class LiveBudgetSpent(RuntimeError):
    """Raised instead of sending a live call once this session's budget is used up."""


# -- the process-wide fake, and its loopback server ------------------------------------------------
_fake: FakeGemini | None = None
_server: FakeServer | None = None


def use_fake(**settings: object) -> FakeGemini:
    """Replace the fake that offline clients talk to, e.g. ``use_fake(latency=3.0, rpm=10)``.

    Takes the arguments of ``FakeGemini``. Clients made earlier keep talking to the old fake,
    except through ``offline()``'s server, which always serves the current one.
    """
    global _fake
    _fake = FakeGemini(**settings)  # type: ignore[arg-type]
    if _server is not None:
        _server.fake = _fake
    return _fake


def current_fake() -> FakeGemini:
    return _fake or use_fake()


def offline() -> str:
    """Serve the fake on loopback and point the SDK's environment at it; returns the URL.

    After this, code copied from the docs, ``genai.Client()`` with no arguments, reaches the fake
    too (the SDK reads GOOGLE_GEMINI_BASE_URL), and so do worker processes, which inherit the
    environment. A key already in the environment is left alone; the fake accepts any key.
    """
    global _server
    if _server is None:
        _server = FakeServer(current_fake())
    url = _server.start()
    os.environ[ENV_BASE_URL] = url
    if not any(os.environ.get(name) for name in ENV_API_KEYS):
        os.environ["GEMINI_API_KEY"] = OFFLINE_API_KEY
    return url


def setup(live: bool = False) -> str:
    """The setup cell's one call: returns one line saying which Gemini answers.

    Offline by default: the fake Gemini is served on loopback, so ``gemini_client()`` and even an
    unchanged ``genai.Client()`` reach it. With ``live=True`` and a key, ``gemini_client()`` calls
    the real API, at most COURSE_LIVE_BUDGET calls; without a key it stays offline and says why.
    The scenario runners and panels always use the fake: their latency is a setting.
    """
    global _live_clients
    if live and _find_key() is not None:
        stop_offline()
        os.environ[ENV_LIVE] = "1"
    else:
        os.environ.pop(ENV_LIVE, None)
        _live_clients = 0  # clients made live earlier keep working; new ones are offline
        offline()
    return _NO_KEY if live and _find_key() is None else live_status()


def stop_offline() -> None:
    """Stop the loopback server and forget the environment ``offline()`` set."""
    global _server
    if _server is not None:
        _server.stop()
        _server = None
    os.environ.pop(ENV_BASE_URL, None)
    if os.environ.get("GEMINI_API_KEY") == OFFLINE_API_KEY:
        del os.environ["GEMINI_API_KEY"]


@functools.cache
def warm_sdk() -> None:
    """Pay the SDK's one-time set-up now (about 0.2 s: it builds its data models on first use),
    with one call to a private, instant fake, so that it does not land inside a timed run."""
    client = gemini_client(live=False, fake=FakeGemini(latency=0.0, error_latency_s=0.0))
    client.models.generate_content(model=DEFAULT_MODEL, contents="warm up")


# -- live mode -------------------------------------------------------------------------------------
_live_lock = threading.Lock()
_live_calls = 0
_live_clients = 0  # live clients made this session, whether by COURSE_LIVE or live=True


def _find_key() -> str | None:
    for name in ENV_API_KEYS:
        if os.environ.get(name) and os.environ[name] != OFFLINE_API_KEY:
            return os.environ[name]
    try:  # Colab keeps keys in its "Secrets" panel
        from google.colab import userdata  # type: ignore[import-not-found]

        for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
            try:
                return userdata.get(name)
            except Exception:  # SecretNotFoundError, NotebookAccessError
                continue
    except ImportError:
        pass
    return None


def live_budget() -> int:
    raw = os.environ.get(ENV_LIVE_BUDGET, str(DEFAULT_LIVE_BUDGET))
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(
            f"{ENV_LIVE_BUDGET} must be a whole number of calls, got {raw!r}"
        ) from None


_NO_KEY = (
    "Live mode was asked for but no key was found (set GEMINI_API_KEY, or add GOOGLE_API_KEY to "
    "Colab's secrets); the offline fake answers instead."
)


def live_status() -> str:
    """One line for the setup cell: which Gemini you are talking to. Never shows the key."""
    if os.environ.get(ENV_LIVE) != "1" and not _live_clients:
        return "Offline: the fake Gemini answers (no key needed, nothing leaves this machine)."
    if _find_key() is None:
        return _NO_KEY
    return f"Live: the real Gemini API, {_live_calls} of {live_budget()} calls used this session."


class _Budget:
    """Counts live calls; refuses the one past the budget before it is sent."""

    def __init__(self) -> None:
        self.budget = live_budget()

    def spend(self) -> None:
        global _live_calls
        with _live_lock:
            if _live_calls >= self.budget:
                raise LiveBudgetSpent(
                    f"The live call budget of {self.budget} calls is spent. Set {ENV_LIVE_BUDGET} "
                    "higher and make a new client, or use gemini_client(live=False) offline."
                )
            _live_calls += 1


class _BudgetTransport(httpx.BaseTransport):
    def __init__(self, budget: _Budget) -> None:
        self.budget, self.inner = budget, httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.spend()
        return self.inner.handle_request(request)


class _AsyncBudgetTransport(httpx.AsyncBaseTransport):
    def __init__(self, budget: _Budget) -> None:
        self.budget, self.inner = budget, httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.spend()
        return await self.inner.handle_async_request(request)


# -- the factory -----------------------------------------------------------------------------------
def gemini_client(
    *,
    live: bool | None = None,
    fake: FakeGemini | None = None,
    base_url: str | None = None,
    timeout_s: float | None = None,
    retry: types.HttpRetryOptions | None = None,
) -> genai.Client:
    """A ``google.genai.Client`` wired for the course, traced at its transport.

    live: True to call the real API (needs a key); None reads COURSE_LIVE; False stays offline.
    fake: the fake to talk to in-process (default: the one ``use_fake`` set).
    base_url: a fake server's URL (worker processes use this); overrides ``fake``.
    timeout_s: give up on a call after this many seconds (the SDK's default is to wait).
    retry: the SDK's own retry policy, e.g. ``types.HttpRetryOptions(attempts=3)``; none by default.
    """
    global _live_clients
    want_live = os.environ.get(ENV_LIVE) == "1" if live is None else live
    key = _find_key() if want_live else None
    if want_live and key is None:
        print(live_status())
    if key is not None:
        _live_clients += 1
        budget = _Budget()
        sync = TracedTransport(_BudgetTransport(budget), mark=False)
        async_ = AsyncTracedTransport(_AsyncBudgetTransport(budget), mark=False)
        # Named outright: offline() may have pointed the SDK's environment at the fake.
        api_key, url = key, LIVE_BASE_URL
    elif base_url is not None:
        sync = TracedTransport(httpx.HTTPTransport())
        async_ = AsyncTracedTransport(httpx.AsyncHTTPTransport())
        api_key, url = OFFLINE_API_KEY, base_url
    else:
        inner_sync, inner_async = fake_transports(fake or current_fake())
        sync, async_ = TracedTransport(inner_sync), AsyncTracedTransport(inner_async)
        api_key, url = OFFLINE_API_KEY, FAKE_BASE_URL
    # Generous connection limits: the lesson is about *our* concurrency limit, not httpx's pool.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
    timeout = httpx.Timeout(timeout_s) if timeout_s else httpx.Timeout(None)
    options = types.HttpOptions(
        base_url=url,
        timeout=int(timeout_s * 1000) if timeout_s else None,
        retry_options=retry,
        httpx_client=httpx.Client(transport=sync, limits=limits, timeout=timeout),
        httpx_async_client=httpx.AsyncClient(transport=async_, limits=limits, timeout=timeout),
    )
    return genai.Client(api_key=api_key, http_options=options)
