"""Requests- and tokens-per-minute quotas, one budget per API key, as Gemini enforces them.

A sliding window: a request is admitted when fewer than ``rpm`` requests (and at most ``tpm`` prompt
tokens) were admitted for that key in the last ``window_s`` seconds. Rejected requests cost nothing.
The clock is passed in, so tests need no real waiting.

>>> q = Quota(rpm=2)
>>> q.admit("key", tokens=10, now=0.0), q.admit("key", tokens=10, now=1.0), q.admit("key", 10, 2.0)
(None, None, 58.0)
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field


@dataclass
class Quota:
    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    _admitted: dict[str, deque[tuple[float, int]]] = field(
        default_factory=lambda: defaultdict(deque), repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, key: str, tokens: int, now: float) -> float | None:
        """Admit one request; return None, or the seconds to wait before one would be admitted."""
        if self.rpm is None and self.tpm is None:
            return None
        with self._lock:
            log = self._admitted[key]
            while log and log[0][0] <= now - self.window_s:
                log.popleft()
            waits = []
            if self.rpm is not None and len(log) >= self.rpm:
                waits.append(log[len(log) - self.rpm][0] + self.window_s - now)
            if self.tpm is not None:
                excess = sum(t for _, t in log) + tokens - self.tpm
                freed = 0
                for t0, used in log:  # the oldest entries leave the window first
                    if excess <= 0:
                        break
                    freed += used
                    if freed >= excess:
                        waits.append(t0 + self.window_s - now)
                        break
                else:
                    if excess > 0:  # larger than a whole minute's budget: wait a full window
                        waits.append(self.window_s)
            if waits:
                return max(waits)
            log.append((now, tokens))
            return None
