"""Lesson 05, rate limits and failures.

- ``limiter``: ``RateLimiter``, at most so many requests and tokens in any window, for one event
  loop or (``RateLimiter.shared``) a pool of processes
- ``retry``: ``call_with_retries``, which waits what a 429 asks, backs off on a 5xx and never
  retries a 4xx; ``retry_budget``: ``RetryBudget``, retries as a share of successes
- ``quota_errors``: what a 429 says (``quota_violation``), and ``DailyQuotaExhausted``
- ``adaptive``: ``AIMDLimiter``, calls in flight found by additive increase, multiplicative decrease
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "RateLimiter": "limiter",
    "most_in_any_window": "limiter",
    "installed": "limiter",
    "call_with_retries": "retry",
    "call_with_retries_sync": "retry",
    "RetryBudget": "retry_budget",
    "QuotaViolation": "quota_errors",
    "quota_violation": "quota_errors",
    "server_retry_delay": "quota_errors",
    "retry_wait": "quota_errors",
    "DailyQuotaExhausted": "quota_errors",
    "AIMDLimiter": "adaptive",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
