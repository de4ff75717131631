"""The 429 Gemini sends when a quota refuses a request, as the real API words and shapes it.

Its ``details`` hold a ``QuotaFailure`` (one violation per limit the request ran into, each with
its ``quotaMetric``, ``quotaId``, ``quotaDimensions`` and ``quotaValue``), a ``Help`` link, and a
``RetryInfo``. As in recorded real 429s, ``retryDelay`` is in whole seconds, rounded **down**
(``"36s"``, ``"0s"`` for less than a second: RooCodeInc/Roo-Code#3883 shows ``"26s"``), while the
message gives the wait to the nanosecond as Go prints a duration ("Please retry in
36.429760048s.", "900.2ms", "9h40m33s": all seen in real messages). So a retry after exactly
``retryDelay`` comes too early and is refused again; one after the message's wait is let in.
``whole_seconds=False`` gives the other shape some reports show: the exact delay in RetryInfo
(``"47.500s"``, rounded up to the nanosecond). The ``quotaId`` tells a per-minute refusal (wait)
from a per-day one (stop for today). No ``Retry-After`` header: the real API sends none.

>>> import json
>>> reply = rate_limited(Refusal(47.5, (Limit("rpm", 2),)), "gemini-2.5-flash", delay=0.02)
>>> error = json.loads(reply.chunks[0][1])["error"]
>>> reply.status, error["status"], error["details"][-1]["retryDelay"]
(429, 'RESOURCE_EXHAUSTED', '47s')
>>> error["message"].rsplit("\\n", 1)[-1]
'Please retry in 47.5s.'
>>> error["details"][0]["violations"][0]["quotaId"]
'GenerateRequestsPerMinutePerProjectPerModel-FreeTier'
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

from course_lib.fake import wire
from course_lib.fake.quota import Kind, Limit, Refusal
from course_lib.fake.wire import Reply

RATE_LIMITS_URL = "https://ai.google.dev/gemini-api/docs/rate-limits"
_SERVICE = "generativelanguage.googleapis.com"
_REQUESTS = f"{_SERVICE}/generate_content_free_tier_requests"
_INPUT_TOKENS = f"{_SERVICE}/generate_content_free_tier_input_token_count"

#: Each limit's metric and quota id, as the real free tier names them.
QUOTAS: dict[Kind, tuple[str, str]] = {
    "rpm": (_REQUESTS, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
    "tpm": (_INPUT_TOKENS, "GenerateContentInputTokensPerModelPerMinute-FreeTier"),
    "rpd": (_REQUESTS, "GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
}
_INTRO = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    f"information on this error, head to: {RATE_LIMITS_URL}. To monitor your current usage, "
    "head to: https://ai.dev/rate-limit. "
)


def rate_limited(refusal: Refusal, model: str, delay: float, whole_seconds: bool = True) -> Reply:
    """The 429 for ``refusal`` of a request to ``model``, sent after ``delay`` seconds;
    ``whole_seconds``: RetryInfo's delay rounded down to whole seconds, as recorded."""
    nanos = _nanoseconds(refusal.wait)
    violations = [_violation(limit, model) for limit in refusal.limits]
    exceeded = "".join(
        f"\n* Quota exceeded for metric: {QUOTAS[limit.kind][0]}, limit: {limit.value}, "
        f"model: {model}"
        for limit in refusal.limits
    )
    message = f"{_INTRO}{exceeded}\nPlease retry in {_go_duration(nanos)}."
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": violations},
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.RetryInfo",
            "retryDelay": f"{nanos // 1_000_000_000}s" if whole_seconds else _proto_duration(nanos),
        },
    ]
    return wire.error(429, "RESOURCE_EXHAUSTED", message, delay, details)


def _violation(limit: Limit, model: str) -> dict[str, Any]:
    metric, quota_id = QUOTAS[limit.kind]
    return {
        "quotaMetric": metric,
        "quotaId": quota_id,
        "quotaDimensions": {"location": "global", "model": model},
        "quotaValue": str(limit.value),
    }


def _nanoseconds(seconds: float) -> int:
    """``seconds`` in whole nanoseconds, rounded up: a delay a client waits must not be short."""
    return max(1, int((Decimal(repr(seconds)) * 1_000_000_000).to_integral_value(ROUND_CEILING)))


def _proto_duration(nanos: int) -> str:
    """A ``google.protobuf.Duration`` in JSON: 0, 3, 6 or 9 fractional digits (``"47.500s"``)."""
    whole, frac = divmod(nanos, 1_000_000_000)
    if frac == 0:
        return f"{whole}s"
    digits = f"{frac:09d}"
    for keep in (3, 6):
        if digits[keep:] == "0" * (9 - keep):
            return f"{whole}.{digits[:keep]}s"
    return f"{whole}.{digits}s"


def _go_duration(nanos: int) -> str:
    """The delay as the message words it, Go's way: ``47.5s``, ``900.2ms``, ``9h40m33s``.

    >>> [_go_duration(n) for n in (47_500_000_000, 900_200_000, 34_833_000_000_000, 1500)]
    ['47.5s', '900.2ms', '9h40m33s', '1.5µs']
    """
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size or unit == "ns":
                return _decimal(nanos, size) + unit
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _decimal(rest, 1_000_000_000) + "s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds


def _decimal(amount: int, size: int) -> str:
    whole, frac = divmod(amount, size)
    digits = len(str(size)) - 1
    return f"{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".") if digits else str(whole)
