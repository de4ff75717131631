"""Live mode: finding a key, and a call budget that refuses the call past it before sending.

The key comes from GEMINI_API_KEY or GOOGLE_API_KEY, or from Colab's Secrets panel; it is never
printed. ``LiveBudget`` counts the calls of one session.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import httpx

from course_lib import catalogue, ranges
from course_lib.config import (
    DEFAULT_LIVE_BUDGET,
    DEFAULT_LIVE_RPM,
    ENV_API_KEYS,
    ENV_LIVE_BASE_URL,
    ENV_LIVE_BUDGET,
    ENV_LIVE_LEDGER,
    ENV_LIVE_RPM,
    ENV_MODEL,
    ENV_ROOM_KEY,
    LIVE_BASE_URL,
    OFFLINE_API_KEY,
)
from course_lib.values import from_environment

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
        if os.environ.get(name) and os.environ[name] not in (
            OFFLINE_API_KEY,
            os.environ.get(ENV_ROOM_KEY),  # a room's key (setup(server=...)) is no real key
        ):
            return os.environ[name]
    try:  # Colab keeps keys in its "Secrets" panel
        from google.colab import userdata

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
    return ranges.check(ENV_LIVE_BUDGET, from_environment(ENV_LIVE_BUDGET, DEFAULT_LIVE_BUDGET))


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
    """The live calls of a session: how many were sent (``spend`` refuses the one past the
    budget) and when (``spend`` paces them to a requests-per-minute limit, so a lesson's cells
    stay within a free key's limit instead of running into 429s).

    Every process of the session shares one record, so a pool of workers cannot multiply the
    budget or the rate: it lives in a small file (named in COURSE_LIVE_LEDGER, which worker
    processes inherit), read and written under a lock, with the times on the system clock that
    every process shares. Where file locks do not exist (Windows), each process keeps its own.
    """

    def __init__(self, ledger: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        ledger = ledger or os.environ.get(ENV_LIVE_LEDGER)
        if ledger is None:
            handle, ledger = tempfile.mkstemp(prefix="course-live-", suffix=".json")
            os.close(handle)
        self.ledger: str = ledger
        self._local: dict[str, Any] = {"used": 0, "sent": []}  # without file locks

    @property
    def used(self) -> int:
        return self._update(lambda state: state["used"])

    def spend(self, limit: int, rpm: int | None = None) -> float:
        """Pay for one call now, or say how long to wait first (seconds; 0.0: paid, go)."""

        def pay(state: dict[str, Any]) -> float:
            if state["used"] >= limit:
                raise LiveBudgetSpent(
                    f"The live call budget of {limit} calls is spent. Set {ENV_LIVE_BUDGET} "
                    "higher and make a new client, or use gemini_client(live=False) offline."
                )
            now = self.clock()
            state["sent"] = [t for t in state["sent"] if t > now - 60.0]
            if rpm is not None and len(state["sent"]) >= rpm:
                return state["sent"][-rpm] + 60.0 - now
            state["used"] += 1
            state["sent"].append(now)
            return 0.0

        return self._update(pay)

    def refund(self) -> None:
        """A call that never reached the API: it does not count."""

        def give_back(state: dict[str, Any]) -> None:
            state["used"] = max(0, state["used"] - 1)
            state["sent"] = state["sent"][:-1]

        self._update(give_back)

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Apply ``change(state)`` under the lock (the file's too) and keep what it changed."""
        with self._lock:
            if fcntl is None:
                return change(self._local)
            with open(self.ledger, "a+") as ledger:
                fcntl.flock(ledger, fcntl.LOCK_EX)
                ledger.seek(0)
                text = ledger.read().strip()
                state = json.loads(text) if text else {"used": 0, "sent": []}
                answer = change(state)
                ledger.seek(0)
                ledger.truncate()
                ledger.write(json.dumps(state))
                return answer


def live_rpm() -> int:
    """Requests a minute that live calls are paced to: COURSE_LIVE_RPM, or 10 (a free key's
    limit for flash models; read yours in the 429 it sends, lesson 05)."""
    return ranges.check(ENV_LIVE_RPM, from_environment(ENV_LIVE_RPM, DEFAULT_LIVE_RPM))


def _unsent(error: httpx.TransportError) -> bool:
    """Whether the request surely never reached the API (so it costs nothing)."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


class BudgetTransport(httpx.BaseTransport):
    """Sends to the real API, each request paid for from the budget first (and refunded if it
    could not be sent)."""

    def __init__(self, budget: LiveBudget, limit: int, rpm: int | None = None) -> None:
        self.budget, self.limit, self.rpm = budget, limit, rpm
        self.inner = httpx.HTTPTransport(retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        while (wait := self.budget.spend(self.limit, self.rpm)) > 0:
            time.sleep(wait)  # paced: the key's per-minute limit would refuse it now
        try:
            return self.inner.handle_request(request)
        except httpx.TransportError as error:
            if not _unsent(error):
                raise
            self.budget.refund()
            raise LiveUnreachable(UNREACHABLE.format(why=type(error).__name__)) from None


class AsyncBudgetTransport(httpx.AsyncBaseTransport):
    def __init__(self, budget: LiveBudget, limit: int, rpm: int | None = None) -> None:
        self.budget, self.limit, self.rpm = budget, limit, rpm
        self.inner = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        while (wait := self.budget.spend(self.limit, self.rpm)) > 0:
            await asyncio.sleep(wait)  # paced: the key's per-minute limit would refuse it now
        try:
            return await self.inner.handle_async_request(request)
        except httpx.TransportError as error:
            if not _unsent(error):
                raise
            self.budget.refund()
            raise LiveUnreachable(UNREACHABLE.format(why=type(error).__name__)) from None


def check_live(key: str, timeout_s: float = 8.0) -> tuple[str | None, tuple[str, ...]]:
    """Ask the API for the models this key may call on v1, the version the SDK calls (a list: no
    generation, nothing from the budget): (None, their names) if the key works from here, else
    (one line saying why not, ())."""
    url = f"{live_base_url().rstrip('/')}/v1/models?pageSize=1000"  # 1000: the most a page holds
    try:
        reply = httpx.get(url, headers={"x-goog-api-key": key}, timeout=timeout_s)
    except httpx.TransportError as error:
        return (
            f"The Gemini API cannot be reached ({type(error).__name__}): check this machine's "
            "network; the offline fake answers meanwhile."
        ), ()
    try:
        said = reply.json()
        names = tuple(m["name"].removeprefix("models/") for m in said.get("models", []))
    except (ValueError, KeyError, TypeError, AttributeError):
        said, names = {}, ()
    if reply.status_code == 200:
        return None, names
    try:
        why = said["error"]["message"]
    except (KeyError, TypeError):
        why = reply.reason_phrase
    code = reply.status_code
    return f"The Gemini API refused the key ({code}: {why}); the offline fake answers instead.", ()


def check_model(model: str, served: tuple[str, ...]) -> str | None:
    """None if the key's list of models has ``model``, else one line saying which to set."""
    if model in served:
        return None
    other = catalogue.instead(model, served)
    fix = (
        f"set {ENV_MODEL}={other} (it does) and restart the kernel"
        if other
        else "update the course kit (pip install -U course-lib), which names a current model"
    )
    return f"The Gemini API does not serve {model} to this key: {fix}; the offline fake answers."
