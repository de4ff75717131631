"""The fake Gemini: it speaks Gemini's REST wire format, so the real SDK runs its real code path.

- ``gemini``: ``FakeGemini``, which answers one request (after a while) with the real wire format
- ``request``, ``proto``, ``schemas``, ``media``: what a request asks, read and checked as the
  API does; ``bad_request``: its 400s, with the field violations of the recorded ones
- ``turn``: the model's answer part by part; ``structured`` and ``plausible``: JSON or an enum
  value that fits a schema; ``thinking``: thought tokens and the time they take; ``tools`` and
  ``arguments``: function calls, the tool config, thought signatures
- ``wire``: the JSON the API sends back: answers, streamed chunks (SSE or a JSON array), errors
- ``answers``, ``latency``, ``quota``: what it says, how long it takes, when it says no;
  ``plan``: what chance decides about one call; ``tiers``: Flex and Priority
- ``interactions``: the Interactions API; ``batches`` and ``batch_jobs``: the Batch API
- ``refusals``: the 429 a quota sends, worded and shaped as the real one
- ``transport``: the in-process way in (respx routes the SDK's requests to it)
- ``server``: the loopback way in, for other processes and an unchanged ``genai.Client()``

It knows nothing of tracing, runs or pictures.
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "FakeGemini": "gemini",
    "FakeServer": "server",
    "Fixed": "latency",
    "Jittered": "latency",
    "TokenRate": "latency",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
