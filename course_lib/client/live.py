"""Live mode: finding a key, and a call budget that refuses the call past it before sending.

The key comes from GEMINI_API_KEY or GOOGLE_API_KEY, or from Colab's Secrets panel; it is never
printed. ``LiveBudget`` counts the calls of one session.
"""

from __future__ import annotations

import os
import threading

import httpx

from course_lib.config import DEFAULT_LIVE_BUDGET, ENV_API_KEYS, ENV_LIVE_BUDGET, OFFLINE_API_KEY

NO_KEY = (
    "Live mode was asked for but no key was found (set GEMINI_API_KEY, or add GOOGLE_API_KEY to "
    "Colab's secrets); the offline fake answers instead."
)


class LiveBudgetSpent(RuntimeError):
    """Raised instead of sending a live call once this session's budget is used up."""


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
    raw = os.environ.get(ENV_LIVE_BUDGET, str(DEFAULT_LIVE_BUDGET))
    try:
        return max(0, int(raw))
    except ValueError:
        raise ValueError(
            f"{ENV_LIVE_BUDGET} must be a whole number of calls, got {raw!r}"
        ) from None


class LiveBudget:
    """Counts the live calls of a session; ``spend()`` refuses the one past ``limit``."""

    def __init__(self) -> None:
        self.used = 0
        self._lock = threading.Lock()

    def spend(self, limit: int) -> None:
        with self._lock:
            if self.used >= limit:
                raise LiveBudgetSpent(
                    f"The live call budget of {limit} calls is spent. Set {ENV_LIVE_BUDGET} "
                    "higher and make a new client, or use gemini_client(live=False) offline."
                )
            self.used += 1


class BudgetTransport(httpx.BaseTransport):
    """Sends to the real API, each request paid for from the budget first."""

    def __init__(self, budget: LiveBudget, limit: int) -> None:
        self.budget, self.limit, self.inner = budget, limit, httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.spend(self.limit)
        return self.inner.handle_request(request)


class AsyncBudgetTransport(httpx.AsyncBaseTransport):
    def __init__(self, budget: LiveBudget, limit: int) -> None:
        self.budget, self.limit, self.inner = budget, limit, httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.spend(self.limit)
        return await self.inner.handle_async_request(request)
