"""Metrics a production service would export, from a run's spans, with ``prometheus_client``:
a histogram of what each answered request took end to end (from its first wait or attempt to
its answer, retries and all: what its user felt), counters of requests by outcome, of 429s and
of retries, and a gauge of the calls in flight, served on loopback for a Prometheus server (or
you) to read.

The metrics follow a ``Tracer`` while a run goes (``watch``), so the code being measured needs
no change; ``scrape`` reads them back over HTTP, as Prometheus does.

>>> metrics = Metrics()
>>> from course_lib.trace.lanes import MAIN
>>> metrics.update([Span(0, MAIN, IN_FLIGHT, 0.0, 0.8, 1), Span(1, MAIN, IN_FLIGHT, 0.0, 0.1, 1,
...                 outcome="429"), Span(1, MAIN, BACKOFF, 0.1, 0.5, 1)])
>>> values = metrics.values()
>>> values["llm_requests_total", "ok"], values["llm_rate_limited_total", ""]
(1.0, 1.0)
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from course_lib.trace.spans import BACKOFF, IN_FLIGHT, Span, Tracer

#: Latency buckets in seconds: from a cached answer to a long generation.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, math.inf)


class Metrics:
    """The metrics of one run, in a registry of their own (a second run starts from zero)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "llm_request_latency_seconds",
            "Seconds from a request's first wait or attempt to its answer, answered ones only.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "llm_requests", "Requests by outcome.", ["outcome"], registry=self.registry
        )
        self.rate_limited = Counter(
            "llm_rate_limited", "429 answers (over a rate limit).", registry=self.registry
        )
        self.retries = Counter("llm_retries", "Retries (waits before one).", registry=self.registry)
        self.in_flight = Gauge(
            "llm_calls_in_flight", "Requests sent and not yet answered.", registry=self.registry
        )
        # spans of the watched tracer already counted, by what stays when a runner renumbers
        # their lanes at its end (it re-sorts the list too: a position would count some twice)
        self._seen: set[tuple[object, str, float, int]] = set()
        self._began: dict[object, float] = {}  # each request (task): when its first span began

    def update(self, finished: Iterable[Span], running: int = 0) -> None:
        """Count newly finished spans; set the calls in flight now."""
        for span in finished:
            began = self._began.setdefault(span.task, span.start)
            if span.start < began:
                self._began[span.task] = began = span.start
            if span.phase == BACKOFF:
                self.retries.inc()
            elif span.phase == IN_FLIGHT:
                self.requests.labels(outcome=span.outcome).inc()
                if span.outcome == "429":
                    self.rate_limited.inc()
                elif span.outcome == "ok":
                    self.latency.observe(span.end - began)
        self.in_flight.set(running)

    def follow(self, tracer: Tracer) -> None:
        """Count what ``tracer`` recorded since the last call."""
        snapshot = tracer.snapshot()
        done = [s for s in tracer.spans if (s.task, s.phase, s.start, s.pid) not in self._seen]
        self._seen.update((s.task, s.phase, s.start, s.pid) for s in done)
        running = sum(1 for s in snapshot if s.phase == IN_FLIGHT and s.outcome == "running")
        self.update(done, running)

    @contextlib.asynccontextmanager
    async def watch(self, tracer: Tracer, every_s: float = 0.1) -> AsyncIterator[Metrics]:
        """``async with metrics.watch(tracer):`` follow the tracer every ``every_s`` seconds
        while the block runs, and once more at its end."""

        async def follow_for_ever() -> None:
            while True:
                self.follow(tracer)
                await asyncio.sleep(every_s)

        task = asyncio.create_task(follow_for_ever())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.follow(tracer)

    @contextlib.contextmanager
    def served(self) -> Any:
        """``with metrics.served() as url:`` the metrics at ``url`` (loopback only), in
        Prometheus's text format, while the block runs."""
        server, thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        try:
            yield f"http://127.0.0.1:{server.server_port}/metrics"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def values(self) -> dict[tuple[str, str], float]:
        """Every sample now, as {(name, label): value}: read in this process."""
        return _samples(self.registry.collect())


def _samples(families: Iterable[Any]) -> dict[tuple[str, str], float]:
    found = {}
    for family in families:
        for sample in family.samples:
            label = sample.labels.get("outcome", sample.labels.get("le", ""))
            found[sample.name, label] = sample.value
    return found


async def scrape(url: str) -> dict[tuple[str, str], float]:
    """Read the metrics at ``url`` over HTTP, as a Prometheus server does: {(name, label): value}
    (the label is a request's outcome or a histogram bucket's upper bound, "le")."""
    async with httpx.AsyncClient() as client:
        reply = await client.get(url, timeout=5)
    reply.raise_for_status()
    return _samples(text_string_to_metric_families(reply.text))
