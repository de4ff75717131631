"""Reading a 429: which quota was hit, per minute or per day, and how long the server asks to wait.

Gemini's 429 carries its reasons in ``error.details``: a ``google.rpc.QuotaFailure`` (which quota,
its value), a ``google.rpc.Help`` (links) and a ``google.rpc.RetryInfo`` (how long to wait). The
``quotaId`` is the one way to tell a per-minute 429 (wait, then retry) from a per-day one (stop:
retrying cannot help before the daily reset).

Recorded real 429s give RetryInfo's ``retryDelay`` in whole seconds, rounded **down** (``"36s"``;
``"0s"`` for less than a second), while the message says "Please retry in 36.429760048s." A retry
after exactly ``retryDelay`` can therefore come too early and be refused again. ``retry_wait``
reads the message's fraction, adds a little (``RETRY_MARGIN``), and adds a whole second when a
429 states whole seconds only.

>>> from google.genai import errors
>>> body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
...     {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
...         "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
...         "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
...         "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
...         "quotaValue": "10"}]},
...     {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "45.837906927s"}]}}
>>> v = quota_violation(errors.ClientError(429, body))
>>> v.quota_id, v.value, v.per_day, v.retry_delay_s, round(v.wait_s, 3)
('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', 10, False, 45.837906927, 46.755)
>>> print(v)
10 requests per minute (GenerateRequestsPerMinutePerProjectPerModel-FreeTier, gemini-2.5-flash); \
retry after 46.755 s
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from google.genai import errors

RESETS = "midnight Pacific time"
#: A retry is sent this share later than the 429 asks (and at least ``RETRY_MARGIN_MIN_S`` later):
#: at exactly the asked moment a clock a hair apart, or rounding, gets it refused again.
RETRY_MARGIN = 0.02
RETRY_MARGIN_MIN_S = 0.01  # when Gemini's per-day quotas reset (its rate-limit page)

# "GenerateRequestsPerDayPerProjectPerModel-FreeTier" -> "Day"; token quotas such as
# "GenerateContentInputTokensPerModelPerMinute-FreeTier" name their window the same way.
_WINDOW = re.compile(r"Per(Minute|Day|Hour|Second)")
_KIND = re.compile(r"(InputTokens|OutputTokens|Tokens|Requests)")


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """What a 429 says, read for people. ``None`` where the server did not say.

    quota_id: e.g. ``GenerateRequestsPerMinutePerProjectPerModel-FreeTier``; metric: the
    ``quotaMetric``; value: the quota (``quotaValue``, e.g. 10 requests); model: from the quota's
    dimensions; per_day: a daily quota, so waiting seconds will not help; retry_delay_s: the
    RetryInfo wait as sent, in seconds (real ones round it down to whole seconds); wait_s: how
    long to wait before retrying so the retry is let in (``retry_wait``).
    """

    quota_id: str | None
    metric: str | None
    value: int | None
    model: str | None
    per_day: bool
    retry_delay_s: float | None
    wait_s: float | None = None

    @property
    def window(self) -> str | None:
        """ "minute", "day"... as the quota id names it."""
        found = _WINDOW.search(self.quota_id or "")
        return found.group(1).lower() if found else None

    def __str__(self) -> str:
        kind = _KIND.search(self.quota_id or "")
        what = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind.group(1)).lower() if kind else "calls"
        amount = f"{self.value} {what}" if self.value is not None else f"the {what} quota"
        per = f" per {self.window}" if self.window else ""
        where = ", ".join(x for x in (self.quota_id, self.model) if x)
        text = f"{amount}{per}" + (f" ({where})" if where else "")
        if self.wait_s is not None:
            text += f"; retry after {self.wait_s:.3f} s"
        return text


def _details(error: BaseException) -> list[dict[str, Any]]:
    """The ``details`` list of an API error's JSON body ([] when there is none)."""
    body = getattr(error, "details", None)
    if not isinstance(body, dict):
        return []
    inner = body.get("error", body)  # the SDK keeps the whole body; some callers only its inside
    found = inner.get("details", []) if isinstance(inner, dict) else []
    return [d for d in found if isinstance(d, dict)] if isinstance(found, list) else []


def _of_type(error: BaseException, name: str) -> list[dict[str, Any]]:
    return [d for d in _details(error) if str(d.get("@type", "")).endswith(f".{name}")]


def parse_duration(text: object) -> float | None:
    """A protobuf Duration as JSON (``"45.837906927s"``) in seconds; None if it is not one.

    >>> parse_duration("45.837906927s"), parse_duration("7s"), parse_duration("soon")
    (45.837906927, 7.0, None)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(text))
    return float(match.group(1)) if match else None


def server_retry_delay(error: BaseException) -> float | None:
    """The wait a 429 asks for in its RetryInfo detail (``"retryDelay": "7s"``), if any, as
    sent (real ones round it down to whole seconds)."""
    for detail in _of_type(error, "RetryInfo"):
        delay = parse_duration(detail.get("retryDelay"))
        if delay is not None:
            return delay
    return None


_RETRY_IN = re.compile(r"Please retry in ((?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+)")
_GO_UNIT = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def message_retry_delay(error: BaseException) -> float | None:
    """The wait a 429's message states, to the nanosecond ("Please retry in 36.429760048s.",
    "900.2ms", "9h40m33s": Go's way of writing a duration), if it states one.

    >>> body = {"error": {"code": 429, "message": "... Please retry in 1m2.5s."}}
    >>> message_retry_delay(errors.ClientError(429, body))
    62.5
    """
    found = _RETRY_IN.search(str(getattr(error, "message", None) or error))
    if not found:
        return None
    return sum(float(n) * _SECONDS[unit] for n, unit in _GO_UNIT.findall(found.group(1)))


def retry_wait(error: BaseException) -> float | None:
    """How long to wait before retrying a 429 so the retry is let in, or None if it does not
    say: the longer of RetryInfo's delay and the message's (which has the fraction RetryInfo
    rounds away), plus ``RETRY_MARGIN``; a 429 stating whole seconds only gets a second more.

    >>> body = {"error": {"code": 429, "message": "Please retry in 0.786594262s.", "details": [
    ...     {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"}]}}
    >>> round(retry_wait(errors.ClientError(429, body)), 3)  # not 0: RetryInfo rounded down
    0.802
    """
    told, said = server_retry_delay(error), message_retry_delay(error)
    if said is None and told is None:
        return None
    if said is not None:
        wait = max(said, told or 0.0)
    else:
        wait = (told or 0.0) + (1.0 if float(told or 0.0).is_integer() else 0.0)
    return wait + max(RETRY_MARGIN_MIN_S, wait * RETRY_MARGIN)


def quota_violation(error: BaseException) -> QuotaViolation | None:
    """What quota a 429 says was hit, or None if ``error`` is not a 429.

    A 429 may list several violations; a per-day one wins, since it decides what to do (stop).
    """
    if not isinstance(error, errors.APIError) or error.code != 429:
        return None
    violations = [
        v
        for detail in _of_type(error, "QuotaFailure")
        for v in detail.get("violations", [])
        if isinstance(v, dict)
    ]

    def daily(v: dict[str, Any]) -> bool:
        return "PerDay" in str(v.get("quotaId", ""))

    chosen = next((v for v in violations if daily(v)), violations[0] if violations else {})
    value = str(chosen.get("quotaValue", ""))
    dimensions = chosen.get("quotaDimensions")
    return QuotaViolation(
        quota_id=chosen.get("quotaId"),
        metric=chosen.get("quotaMetric"),
        value=int(value) if value.isdigit() else None,
        model=dimensions.get("model") if isinstance(dimensions, dict) else None,
        per_day=daily(chosen),
        retry_delay_s=server_retry_delay(error),
        wait_s=retry_wait(error),
    )


class DailyQuotaExhausted(errors.ClientError):
    """A per-day quota is spent: raised at once, never retried (waiting seconds cannot help).

    Still a ``ClientError`` with the 429's ``code``, ``status`` and ``details``, so code that
    handles API errors handles this one too; ``violation`` says which quota.
    """

    def __init__(self, error: errors.APIError) -> None:
        super().__init__(error.code, error.details, error.response)
        unknown = QuotaViolation(None, None, None, None, True, None)
        self.violation = quota_violation(error) or unknown

    def __str__(self) -> str:
        said = replace(self.violation, retry_delay_s=None, wait_s=None)  # waiting would mislead
        return (
            f"Daily quota spent: {said}. Retrying will not help before it resets at "
            f"{RESETS}: wait for the reset, use a paid tier, or make fewer calls."
        )

    def __reduce__(self) -> tuple[Any, ...]:  # the SDK's own pickling would forget the class
        return (_rebuilt, (self.__dict__.copy(),))

    def _render_traceback_(self) -> list[str]:  # a notebook shows this one line
        return [f"DailyQuotaExhausted: {self}"]


def _rebuilt(state: dict[str, Any]) -> DailyQuotaExhausted:
    error = DailyQuotaExhausted.__new__(DailyQuotaExhausted)
    error.__dict__.update(state)
    return error
