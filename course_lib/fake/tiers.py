"""Service tiers, as the Gemini API serves them (``service_tier`` in a request's config).

- **Standard**, the default: the fake's latency.
- **Flex** (half price): the call waits in a queue for 1 to 15 minutes (the docs' target) before
  it is answered, and may be shed with a 503 when capacity is short; it is not moved to
  Standard. It counts towards the same limits. Here a Flex "minute" lasts ``flex_minute_s``
  seconds (shorten it, as lesson 05 shortens the quota's minute) and ``flex_shed_rate`` of the
  calls are shed: the docs give no rate.
- **Priority** (75-100 % more; paid Tiers 2-3): a limit of its own, 0.3x the Standard one by
  default, on top of the Standard limits it also counts towards; over it, a call is not refused
  but served at Standard ("graceful downgrade"). It is not shed with injected 503s.

The tier that served a call comes back in the ``x-gemini-service-tier`` header (``standard``
after a downgrade), as the cookbook's Inference_tiers notebook reads it, and in
``usageMetadata.serviceTier`` (google-genai 3.6 drops that field). Sources: the docs pages
flex-inference and priority-inference (read December 2026); the 503's wording is the one real
answers give when a model is busy (the docs quote no other for Flex).

>>> tiers = Tiers(rpm=10, tpm=None, window_s=60.0, flex_minute_s=1.0, flex_shed_rate=0.0)
>>> [tiers.serving("priority", "project", "m", 10, now=0.0) for _ in range(4)]
['priority', 'priority', 'priority', 'standard']
>>> tiers.flex_queue(0.9, 0.5)  # not shed; 1 + 14 x 0.5 minutes of 1 s
(False, 8.0)
"""

from __future__ import annotations

import math

from course_lib.fake.quota import Quota

#: The response header that says which tier served a call.
TIER_HEADER = "x-gemini-service-tier"
#: Priority's own limit, as a share of the Standard one (priority-inference: "0.3x").
PRIORITY_SHARE = 0.3
#: Flex's target: an answer within 1 to 15 minutes.
FLEX_MINUTES = (1.0, 15.0)
#: What a shed Flex call gets.
SHED = (
    503,
    "UNAVAILABLE",
    "This model is currently experiencing high demand. Spikes in demand are usually temporary. "
    "Please try again later.",
)


class Tiers:
    """Which tier serves a call, and how long Flex's queue holds it."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        window_s: float,
        flex_minute_s: float,
        flex_shed_rate: float,
    ) -> None:
        def share(limit: int | None) -> int | None:
            return None if limit is None else max(1, math.floor(limit * PRIORITY_SHARE))

        self.priority = Quota(share(rpm), share(tpm), window_s)
        self.flex_minute_s = flex_minute_s
        self.flex_shed_rate = flex_shed_rate

    def serving(self, asked: str, project: str, model: str, tokens: int, now: float) -> str:
        """The tier that serves a call that asked for ``asked`` (and was admitted by the
        Standard limits): Priority while its own limit has room, else Standard."""
        if asked != "priority":
            return asked
        return "standard" if self.priority.take(project, model, tokens, now) else "priority"

    def flex_queue(self, shed_draw: float, wait_draw: float) -> tuple[bool, float]:
        """From two uniform draws: whether a Flex call is shed, and its seconds in the queue
        (a shed call is told at the end of its time there)."""
        low, high = FLEX_MINUTES
        minutes = low + (high - low) * wait_draw
        return shed_draw < self.flex_shed_rate, minutes * self.flex_minute_s
