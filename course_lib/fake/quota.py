"""Gemini's rate limits: requests and input tokens per minute, requests per day, one budget per
project and model.

Every limit applies to a (project, model) pair: several API keys of one project share a budget,
and each model has its own. The minute is a sliding window of ``window_s`` seconds: a request is
admitted when fewer than ``rpm`` requests, and at most ``tpm`` input tokens with its own, were
admitted in the last ``window_s`` seconds. The day is a fixed window of ``day_s`` seconds, the
same for every budget, as Gemini's days all end at midnight Pacific: the first day starts at the
first request the quota sees, and each day ends ``day_s`` seconds after the one before.
Rejected requests cost nothing. The clock is passed in, so tests need no real waiting.

``take`` says which limits refused a request and how long to wait; a retry after exactly that
wait is admitted (if nothing else was admitted meanwhile), except a request of more than ``tpm``
tokens, which never fits and is told to wait a whole window. ``admit`` gives only the wait.

>>> q = Quota(rpm=2, rpd=3, day_s=600.0)
>>> q.admit("project", tokens=10, now=0.0), q.admit("project", 10, 1.0), q.admit("project", 10, 2.0)
(None, None, 58.0)
>>> q.admit("project", 10, 60.0), q.take("project", "", 10, 61.0)  # admit: model ""
(None, Refusal(wait=539.0, limits=(Limit(kind='rpd', value=3),)))
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Kind = Literal["rpm", "tpm", "rpd"]


class Limit(NamedTuple):
    """One limit a request ran into: which (``rpm``, ``tpm`` or ``rpd``) and its value."""

    kind: Kind
    value: int


class Refusal(NamedTuple):
    """Why a request was refused: the limits it ran into, and the seconds until a retry is
    admitted (the longest of their waits; never too early)."""

    wait: float
    limits: tuple[Limit, ...]


#: Budgets kept before idle ones are forgotten: a room's server meets a budget per key (one
#: project each), and a script of random keys would otherwise grow them for good.
MAX_BUDGETS = 10_000


@dataclass(slots=True)
class _Budget:
    """What one (project, model) has used: this minute's requests, as (when each leaves the
    window, its tokens), and today's count."""

    minute: deque[tuple[float, int]] = field(default_factory=deque)
    minute_tokens: int = 0
    day_end: float = -math.inf
    day_requests: int = 0


@dataclass
class Quota:
    """Limits per (project, model); None means no limit."""

    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    rpd: int | None = None
    day_s: float = 86_400.0
    _budgets: dict[tuple[str, str], _Budget] = field(default_factory=dict, repr=False)
    _first: float | None = field(default=None, repr=False)  # when the first day started
    _forget_at: int = field(default=MAX_BUDGETS, repr=False)  # budgets before idle ones go
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, project: str, tokens: int, now: float, model: str = "") -> float | None:
        """Admit one request; return None, or the seconds to wait before one would be admitted."""
        refused = self.take(project, model, tokens, now)
        return None if refused is None else refused.wait

    def take(self, project: str, model: str, tokens: int, now: float) -> Refusal | None:
        """Admit one request of ``tokens`` input tokens and count it; or say why not (and count
        nothing)."""
        if self.rpm is None and self.tpm is None and self.rpd is None:
            return None
        with self._lock:
            budget = self._budgets.get((project, model))
            if budget is None:
                if len(self._budgets) >= self._forget_at:
                    self._forget_idle(now)
                budget = self._budgets[project, model] = _Budget()
            self._forget_past(budget, now)
            ready = self._ready_times(budget, tokens, now)
            if ready:
                return Refusal(_wait_until(max(ready.values()), now), tuple(ready))
            if self.rpm is not None or self.tpm is not None:
                budget.minute.append((now + self.window_s, tokens))
                budget.minute_tokens += tokens
            budget.day_requests += 1
            return None

    def _forget_idle(self, now: float) -> None:
        """Forget the budgets with nothing in their window and nothing counted today that
        matters (no daily limit, or none today): forgetting them changes no answer. Those with
        requests in the window, or today under a daily limit, are kept."""
        for key, budget in list(self._budgets.items()):
            self._forget_past(budget, now)
            if not budget.minute and (self.rpd is None or budget.day_requests == 0):
                del self._budgets[key]
        # the next look after as many more again: a flood of new projects costs O(1) each
        self._forget_at = max(MAX_BUDGETS, 2 * len(self._budgets))

    def _forget_past(self, budget: _Budget, now: float) -> None:
        minute = budget.minute
        while minute and minute[0][0] <= now:
            budget.minute_tokens -= minute.popleft()[1]
        if now >= budget.day_end:
            budget.day_end, budget.day_requests = self._day_end(now), 0

    def _day_end(self, now: float) -> float:
        """When the day that ``now`` falls in ends."""
        if self._first is None:
            self._first = now
        days = math.floor((now - self._first) / self.day_s)
        while self._first + days * self.day_s > now:  # division rounded up across a day's end
            days -= 1
        while self._first + (days + 1) * self.day_s <= now:
            days += 1
        return self._first + (days + 1) * self.day_s

    def _ready_times(self, budget: _Budget, tokens: int, now: float) -> dict[Limit, float]:
        """Each limit the request would break, and from when on it would not."""
        ready: dict[Limit, float] = {}
        minute = budget.minute
        if self.rpm is not None and len(minute) >= self.rpm:
            ready[Limit("rpm", self.rpm)] = minute[len(minute) - self.rpm][0]
        if self.tpm is not None and budget.minute_tokens + tokens > self.tpm:
            ready[Limit("tpm", self.tpm)] = self._tokens_ready(budget, tokens, now)
        if self.rpd is not None and budget.day_requests >= self.rpd:
            ready[Limit("rpd", self.rpd)] = budget.day_end
        return ready

    def _tokens_ready(self, budget: _Budget, tokens: int, now: float) -> float:
        assert self.tpm is not None
        if tokens > self.tpm:  # larger than a whole minute's budget: it never fits
            return now + self.window_s
        excess, freed = budget.minute_tokens + tokens - self.tpm, 0
        for leaves, used in budget.minute:  # the oldest entries leave the window first
            freed += used
            if freed >= excess:
                return leaves
        raise AssertionError("the minute's tokens always cover the excess")


def _wait_until(ready: float, now: float) -> float:
    """``ready - now``, nudged up so that ``now + wait`` is never before ``ready`` in floats."""
    wait = ready - now
    while now + wait < ready:
        wait = math.nextafter(wait, math.inf)
    return wait
