"""A retry budget: retries may add only a little on top of the calls that succeed.

When an API fails for everyone, every client retrying every call multiplies the load just when
the API can least take it. A budget shared by all calls of a run stops that: once it is spent, the
error is raised instead of retried, until successes earn retries back.
"""

from __future__ import annotations

import threading

from course_lib import ranges


class RetryBudget:
    """Retries may add at most ``ratio`` (10 %) on top of the calls that succeed, plus a
    ``reserve`` (10 retries) to start with: a failing API is not hammered by everyone's retries.

    A token bucket holding at most ``reserve`` retries: each retry takes one; each success puts
    back ``ratio`` of one (gRPC's retry throttling; Finagle's RetryBudget). Share one between all
    calls of a run, threads included; when it is empty the error is raised instead of retried.
    A 429 retried after the delay its RetryInfo asks for is not charged: that wait is the
    server's own throttle, not more load.

    >>> budget = RetryBudget(ratio=0.1, reserve=2)
    >>> [budget.try_retry() for _ in range(3)]
    [True, True, False]
    >>> for _ in range(10):
    ...     budget.succeeded()
    >>> budget.try_retry(), budget.retries, budget.refused
    (True, 3, 1)
    """

    _ONE = 1000  # one retry, in thousandths: 10 successes at 0.1 make exactly one, no rounding

    def __init__(self, ratio: float = 0.1, reserve: int = 10) -> None:
        ranges.check("ratio", ratio)
        ranges.check("reserve", reserve)
        self.ratio, self.reserve = ratio, reserve
        self._per_success = round(ratio * self._ONE)
        self._credit = self._cap = reserve * self._ONE
        self.retries = self.refused = self.successes = 0
        self._lock = threading.Lock()  # the threads scenario shares one between threads

    @property
    def tokens(self) -> float:
        """Retries left right now."""
        return self._credit / self._ONE

    def try_retry(self) -> bool:
        """Take one retry from the budget; False (and nothing taken) if it is spent."""
        with self._lock:
            if self._credit < self._ONE:
                self.refused += 1
                return False
            self._credit -= self._ONE
            self.retries += 1
            return True

    def succeeded(self) -> None:
        """A call succeeded (first attempt or not): it earns back ``ratio`` of a retry."""
        with self._lock:
            self.successes += 1
            self._credit = min(self._cap, self._credit + self._per_success)

    def __repr__(self) -> str:
        return (
            f"RetryBudget({self.tokens:g} of {self.reserve} retries left; "
            f"{self.retries} retried, {self.refused} refused, {self.successes} succeeded)"
        )
