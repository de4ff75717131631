"""One table of limits: every value a learner can set, anywhere in the kit, with its kind, its
range, its unit, what None means and the one message a mistake gets.

``ScenarioSettings``, the command line, ``use_fake``, ``gemini_client``, the rate limiter, the
retries, the simulator and the bill all check here, by name, so a name means the same range and
gets the same message wherever it is given; the panels' sliders stay inside it (a test checks).

>>> check("concurrency", 8)
8
>>> check("seed", -1)
Traceback (most recent call last):
...
course_lib.values.SettingError: seed must be a whole number, from 0 to 4294967295 (got -1)
>>> RANGES["client_rpm"].message
'a whole number of requests per minute, from 1 to 100000, or None for no client-side limiter'

A new setting is one line in ``RANGES`` (a name used elsewhere already means what it means
there) and a ``check`` where it is taken; ``tests/test_values.py`` then tries it just outside its
range, and with a wrong type, at every place that takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from types import MappingProxyType
from typing import Any

from course_lib import catalogue
from course_lib.config import DEFAULT_MODEL, ENV_MODEL
from course_lib.values import Range, is_number, shown

#: How a failed call is retried: not at all; the kit's way (``course_lib.rate_limits.retry``:
#: waits what a 429 asks, backs off on 5xx); the SDK's ``HttpRetryOptions``; tenacity honouring
#: RetryInfo; or the kit's way with adaptive concurrency (``course_lib.rate_limits.adaptive``).
RETRY_POLICIES = ("none", "kit", "sdk", "tenacity", "adaptive")
#: How an agent runs the searches the model asks for in one turn: together, or one by one (as
#: the SDK's automatic function calling does).
TOOL_CALLS = ("at once", "one by one")
START_METHODS = ("spawn", "forkserver", "fork")
TIERS = ("standard", "priority", "flex", "batch")  # as course_lib.catalogue (a test compares)
TRACES = ("conv", "code")  # the two hours of data/azure_llm_trace_2023

# Bounds that several names share, so that they cannot drift apart.
CALL_S = 600.0  # the longest call a lesson could want
CONCURRENCY = 1_000_000  # calls in flight; prompts (100,000 at most) cap a real run anyway
PROCESSES = 64
RPM = 100_000  # the rate limiter keeps one log entry per request in its window: 1.6 MB at most
TPM = 10**9
WINDOW_S = 3_600.0  # how long a rate limit's "minute" may last
SEED = 2**32 - 1
ATTEMPTS = 20
TOOL_S = 60.0  # the longest search a lesson could want


def _whole(about: str, low: int, high: int | None, unit: str = "", none: str = "") -> Range:
    return Range("whole", about, low, high, unit, none=none)


def _number(
    about: str, low: float, high: float, unit: str = "", *, above: bool = False, none: str = ""
) -> Range:
    return Range("number", about, low, high, unit, above_low=above, none=none)


def _choice(about: str, options: tuple[str, ...], none: str = "") -> Range:
    return Range("choice", about, options=options, none=none)


def _model(about: str, none: str = "") -> Range:
    """A current model of the catalogue; a retired one is told what to use instead."""
    retired = tuple((name, catalogue.advice(name) or "") for name in catalogue.RETIRED)
    return Range("choice", about, options=catalogue.CURRENT, none=none, refused=retired)


def _object(about: str, class_name: str, none: str) -> Range:
    return Range("object", about, options=(class_name,), none=none)


_SECONDS = "seconds"

#: name -> what it may be. Grouped by where a learner first meets it; a name means the same
#: wherever it is taken (``check`` below, and the table-driven test, make sure).
RANGES: Mapping[str, Range] = MappingProxyType(
    {
        # a run's workload and how it is run (ScenarioSettings, the command line, the panels)
        "prompts": _whole("how many prompts a run asks", 1, 100_000),
        "latency": _number("seconds per call (the mean, with jitter)", 0, CALL_S, _SECONDS),
        "jitter": _number(
            "each call's latency varies by up to this, either way", 0, CALL_S, _SECONDS
        ),
        "tokens_per_s": _number(
            "after the first token, answers stream at this rate",
            0,
            1e6,
            "tokens per second",
            above=True,
            none="a fixed latency",
        ),
        "concurrency": _whole("calls in flight at once (asyncio) / threads", 1, CONCURRENCY),
        "processes": _whole("worker processes (a pool's size; Dask's workers)", 1, PROCESSES),
        "cpu_work": _number("CPU work per answer", 0, 60_000, "milliseconds"),
        "rpm": _whole("the most requests in a window", 1, RPM, "requests per minute", "no limit"),
        "tpm": _whole("the most input tokens in a window", 1, TPM, "tokens per minute", "no limit"),
        "window_s": _number(
            "how long the limits' 'minute' lasts", 0, WINDOW_S, _SECONDS, above=True
        ),
        "client_rpm": _whole(
            "a client-side limiter's rate", 1, RPM, "requests per minute", "no client-side limiter"
        ),
        "retry": _choice("how a failed call is retried", RETRY_POLICIES),
        "failure_rate": _number("share of calls that fail with 500 or 503", 0, 1),
        "seed": _whole("seeds what is random (latencies, failures, answers)", 0, SEED),
        "attempts": _whole("tries per call, the first included", 1, ATTEMPTS),
        "model": _model("the Gemini model asked"),
        "start_method": _choice(
            "how worker processes start", START_METHODS, "forkserver where available, else spawn"
        ),
        "tool_latency": _number("agents: seconds per search", 0, TOOL_S, _SECONDS),
        "tools_per_turn": _whole("agents: searches the model asks for in one turn", 1, 10),
        "tool_calls": _choice("agents: how a turn's searches run", TOOL_CALLS),
        "worker_threads": _whole("dask: threads per worker (each task holds one)", 1, 64),
        "calls_per_task": _whole("dask: prompts each task asks at once", 1, 1_000),
        # the fake Gemini (use_fake, FakeGemini) and its latency models
        "rpd": _whole("the API's daily limit", 1, 10**9, "requests per day", "no limit"),
        "day_s": _number("how long the fake's 'day' lasts", 0, 86_400, _SECONDS, above=True),
        "project_of": Range(
            "text_map",
            "API key -> its project",
            unit="API key to project name",
            none="one project per key",
        ),
        "hang_rate": _number("share of calls that hang for hang_s", 0, 1),
        "hang_s": _number("how long a hanging call hangs", 0, 3_600, _SECONDS, above=True),
        "error_latency_s": _number("seconds an error takes to come back", 0, 60, _SECONDS),
        "stream_chunk_tokens": _whole("tokens per streamed chunk", 1, 10_000, "tokens"),
        "flex_minute_s": _number(
            "how long a 'minute' of Flex's queue lasts (1-15 of them)", 0, 3_600, _SECONDS
        ),
        "flex_shed_rate": _number("share of Flex calls shed with a 503", 0, 1),
        "batch_turnaround_s": _number(
            "how long a batch job takes, from created to done", 0, 172_800, _SECONDS
        ),
        "batch_tokens": _whole(
            "a model's enqueued batch tokens, all pending jobs together",
            1,
            10**10,
            "tokens",
            "no limit",
        ),
        "retry_delay_format": _choice(
            "a 429's RetryInfo delay: whole seconds rounded down, as real ones, or exact",
            ("whole", "exact"),
        ),
        "models": Range(
            "texts", "the models the fake answers", unit="model names", options=(DEFAULT_MODEL,)
        ),
        "keys": Range(
            "texts",
            "the only keys the fake takes",
            unit="API keys",
            options=("my-key",),
            none="any key",
        ),
        "seconds": _number("Fixed: every call's seconds", 0, CALL_S, _SECONDS),
        "mean": _number("Jittered: the mean seconds per call", 0, CALL_S, _SECONDS),
        "distribution": _choice("Jittered: how latencies spread", ("uniform", "lognormal")),
        "first_token_s": _number("TokenRate: seconds to the first token", 0, CALL_S, _SECONDS),
        "relative_jitter": _number("TokenRate: each call varies by up to this share", 0, 1),
        # the client (gemini_client) and the live mode's environment
        "live": Range("flag", "call the real API", none="COURSE_LIVE to decide"),
        "fake": _object("the fake to talk to in-process", "FakeGemini", "the one use_fake set"),
        "base_url": Range("url", "a fake server's address", none="the in-process fake"),
        "timeout_s": _number(
            "give up on a call after", 0, 3_600, _SECONDS, above=True, none="no timeout"
        ),
        "retry_options": _object("the SDK's own retries", "HttpRetryOptions", "no SDK retries"),
        "COURSE_LIVE_BUDGET": _whole("live calls allowed per session", 0, 100_000, "calls"),
        "COURSE_LIVE_RPM": _whole("live calls' pace", 1, RPM, "requests per minute"),
        ENV_MODEL: _model("the model every lesson calls"),
        # lesson 05: the rate limiter, the retries, their budget, AIMD
        "period_s": _number("the limiter's window", 0, 86_400, _SECONDS, above=True),
        "tokens": _whole("a request's tokens, as the limiter counts them", 0, None, "tokens"),
        "budget": _object("a run's shared retry budget", "RetryBudget", "no budget"),
        "ratio": _number("retries earned per success", 0, 1, "retries per success"),
        "reserve": _whole("retries to start with", 0, 1_000_000, "retries"),
        "limit": _whole("AIMD: calls in flight to start with", 1, CONCURRENCY, "calls"),
        "min_limit": _whole("AIMD: fewest calls in flight", 1, CONCURRENCY, "calls"),
        "max_limit": _whole("AIMD: most calls in flight", 1, CONCURRENCY, "calls"),
        "factor": Range(
            "number", "AIMD: a 429 cuts the limit by", 0, 1, above_low=True, below_high=True
        ),
        # lesson 06: the search tool
        "latency_s": _number("SearchTool: seconds per search", 0, TOOL_S, _SECONDS),
        "down": Range("flag", "SearchTool: every search fails, as a service that is down"),
        # lesson 07: the simulator, traffic, costs, the what-if panel
        "client_cpu_ms": _number("the client's CPU per call", 0, 10_000, "milliseconds"),
        "projects": _whole("projects, each with its own quota", 1, 10_000),
        "ttft_s": _number("seconds to the first token", 0, CALL_S, _SECONDS),
        "sample_s": _number("how often queues are written down", 0, 3_600, _SECONDS, above=True),
        "cache_hit_rate": _number("share answered by a response cache", 0, 1),
        "cached_input_share": _number("share of a prompt billed as cached input", 0, 1),
        "cheap_model": _model("the model short prompts go to", "no routing"),
        "route_below_tokens": _whole(
            "prompts shorter go to cheap_model", 1, 10**7, "tokens", "no routing"
        ),
        "tier": _choice("the service tier", TIERS),
        "trace": _choice("which hour of traffic", TRACES),
        "rate": _number("requests a second", 0, 1e6, "requests per second", above=True),
        "count": _whole("how many requests", 1, 10**7, "requests"),
        "mean_service_s": _number("mean seconds to serve one", 0, 3_600, _SECONDS, above=True),
        "routed_share": _number("what-if: share of prompts routed to the cheap model", 0, 1),
        "offline_share": _number("what-if: share sent off-line (Flex or Batch)", 0, 1),
        # lesson 08: one limit for a cluster
        "in_flight": _whole(
            "calls in flight in the whole cluster", 1, CONCURRENCY, "calls", "no limit"
        ),
        # python -m course_lib serve: one fake for a room (its limits are the fake's, above)
        "port": _whole("the port to listen on", 1, 65_535),
        "minutes": _number(
            "how long it serves before it stops", 0, 7 * 24 * 60, "minutes", above=True
        ),
    }
)


def check(name: str, value: Any, needed_by: str = "") -> Any:
    """Check ``value`` against the table's ``name``: the value (numbers as floats), or the
    one-line SettingError. ``needed_by`` (e.g. "RateLimiter") refuses None where None is allowed
    elsewhere but means nothing here."""
    return RANGES[name].check(name, value, needed_by)


def reader(name: str) -> Callable[[str], Any]:
    """Read a command-line option's text as ``name``'s kind: a whole number, a number, a word.
    Text that is none of them is passed on as it is, for ``check`` to refuse with the message."""
    kind = RANGES[name].kind

    def read(text: str) -> Any:
        try:
            return int(text) if kind == "whole" else float(text) if kind == "number" else text
        except ValueError:
            return text

    return read


def help_for(name: str, default: Any) -> str:
    """What ``--help`` says of ``name``'s option: what it is, what it may be, its default."""
    known = RANGES[name]
    said = known.none if default is None else shown(default) if is_number(default) else default
    return f"{known.about}: {known.what} (default: {said})".replace("%", "%%")


def check_fields(record: Any, skip: tuple[str, ...] = (), needs: tuple[str, ...] = ()) -> None:
    """Check every field of the dataclass ``record`` against the table, in order, except those in
    ``skip``; those in ``needs`` may not be None here. A field neither in the table nor skipped
    is a setting someone forgot to add to it: a LookupError says so (tests catch it at once)."""
    assert is_dataclass(record)
    for field in fields(record):
        if field.name in skip:
            continue
        if field.name not in RANGES:
            raise LookupError(f"{field.name} is not in course_lib.ranges.RANGES: add it there")
        needed_by = type(record).__name__ if field.name in needs else ""
        check(field.name, getattr(record, field.name), needed_by)


def nth_seed(seed: int, n: int) -> int:
    """The seed of the ``n``-th call of a run seeded ``seed``: ``seed + n``, wrapped so that it
    stays a seed the table allows (a run seeded 4294967295 still retries its second call).

    >>> nth_seed(7, 2), nth_seed(SEED, 2)
    (9, 1)
    """
    return (seed + n) % (SEED + 1)
