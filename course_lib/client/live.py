"""Live mode: finding a key, and a call budget that refuses the call past it before sending.

The key comes from GEMINI_API_KEY or GOOGLE_API_KEY, or from Colab's Secrets panel; it is never
printed. ``LiveBudget`` counts the calls of one session.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import httpx

from course_lib import values
from course_lib.config import (
    DEFAULT_LIVE_BUDGET,
    ENV_API_KEYS,
    ENV_LIVE_BASE_URL,
    ENV_LIVE_BUDGET,
    ENV_LIVE_LEDGER,
    LIVE_BASE_URL,
    OFFLINE_API_KEY,
)

NO_KEY = (
    "Live mode was asked for but no key was found (set GEMINI_API_KEY, or add GOOGLE_API_KEY to "
    "Colab's secrets); the offline fake answers instead."
)


class LiveBudgetSpent(RuntimeError):
    """Raised instead of sending a live call once this session's budget is used up."""

    def _render_traceback_(self) -> list[str]:  # a notebook shows this one line
        return [f"LiveBudgetSpent: {self}"]


def find_key() -> str | None:
    """A real key, if there is one: the environment first, then Colab's secrets."""
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


def budget_from_environment() -> int:
    """The session's budget of live calls: COURSE_LIVE_BUDGET, or 20."""
    raw = os.environ.get(ENV_LIVE_BUDGET, str(DEFAULT_LIVE_BUDGET))
    try:
        number = int(raw)
    except ValueError:
        number = raw  # type: ignore[assignment]  (refused just below, with the message)
    return values.whole(ENV_LIVE_BUDGET, number, 0, 100_000, "calls")


def live_base_url() -> str:
    """Where live calls go: the real API (COURSE_LIVE_BASE_URL names a stand-in, for tests)."""
    return os.environ.get(ENV_LIVE_BASE_URL) or LIVE_BASE_URL


class LiveUnreachable(ConnectionError):
    """The API could not be reached; the call was not sent and cost nothing from the budget."""

    def _render_traceback_(self) -> list[str]:  # a notebook shows this one line
        return [f"LiveUnreachable: {self}"]


UNREACHABLE = (
    "The Gemini API cannot be reached ({why}). Check this machine's network, or stay "
    "offline: setup(live=False) (the call was not sent and used none of the live budget)."
)


class LiveBudget:
    """Counts the live calls of a session; ``spend()`` refuses the one past ``limit``.

    Every process of the session shares one count, so a pool of workers cannot multiply the
    budget: the count lives in a small file (named in COURSE_LIVE_LEDGER, which worker processes
    inherit), read and written under a lock. Where file locks do not exist (Windows), each
    process counts its own calls.
    """

    def __init__(self, ledger: str | None = None) -> None:
        self._lock = threading.Lock()
        self.ledger = ledger or os.environ.get(ENV_LIVE_LEDGER)
        if self.ledger is None:
            handle, self.ledger = tempfile.mkstemp(prefix="course-live-", suffix=".count")
            os.close(handle)
        self._local = 0  # without file locks

    @property
    def used(self) -> int:
        return self._update(0)

    def spend(self, limit: int) -> None:
        def pay(used: int) -> int:
            if used >= limit:
                raise LiveBudgetSpent(
                    f"The live call budget of {limit} calls is spent. Set {ENV_LIVE_BUDGET} "
                    "higher and make a new client, or use gemini_client(live=False) offline."
                )
            return 1

        self._update(pay)

    def refund(self) -> None:
        """A call that never reached the API: it does not count."""
        self._update(lambda used: -1 if used > 0 else 0)

    def _update(self, change: Any) -> int:
        """Apply ``change(used) -> step`` under the lock; return the count after it."""
        with self._lock:
            if fcntl is None:
                self._local += change(self._local) if callable(change) else change
                return self._local
            with open(self.ledger, "a+") as ledger:
                fcntl.flock(ledger, fcntl.LOCK_EX)
                ledger.seek(0)
                used = int(ledger.read().strip() or 0)
                used += change(used) if callable(change) else change
                ledger.seek(0)
                ledger.truncate()
                ledger.write(str(used))
                return used


def _unsent(error: httpx.TransportError) -> bool:
    """Whether the request surely never reached the API (so it costs nothing)."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


class BudgetTransport(httpx.BaseTransport):
    """Sends to the real API, each request paid for from the budget first (and refunded if it
    could not be sent)."""

    def __init__(self, budget: LiveBudget, limit: int) -> None:
        self.budget, self.limit, self.inner = budget, limit, httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.spend(self.limit)
        try:
            return self.inner.handle_request(request)
        except httpx.TransportError as error:
            if not _unsent(error):
                raise
            self.budget.refund()
            raise LiveUnreachable(UNREACHABLE.format(why=type(error).__name__)) from None


class AsyncBudgetTransport(httpx.AsyncBaseTransport):
    def __init__(self, budget: LiveBudget, limit: int) -> None:
        self.budget, self.limit, self.inner = budget, limit, httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.spend(self.limit)
        try:
            return await self.inner.handle_async_request(request)
        except httpx.TransportError as error:
            if not _unsent(error):
                raise
            self.budget.refund()
            raise LiveUnreachable(UNREACHABLE.format(why=type(error).__name__)) from None


def check_live(key: str, timeout_s: float = 8.0) -> str | None:
    """Ask the API (for its list of models: no generation, nothing from the budget) whether this
    key works from here; None if it does, else one line saying why not."""
    url = f"{live_base_url().rstrip('/')}/v1beta/models?pageSize=1"
    try:
        reply = httpx.get(url, headers={"x-goog-api-key": key}, timeout=timeout_s)
    except httpx.TransportError as error:
        return (
            f"The Gemini API cannot be reached ({type(error).__name__}): check this machine's "
            "network; the offline fake answers meanwhile."
        )
    if reply.status_code == 200:
        return None
    try:
        said = reply.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        said = reply.reason_phrase
    code = reply.status_code
    return f"The Gemini API refused the key ({code}: {said}); the offline fake answers instead."
