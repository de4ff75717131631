"""The hybrid pipeline as Dask tasks: an ``async def`` task asks a batch of prompts on a worker's
event loop, under the cluster's limits; a plain task analyses the answers (CPU work, in a worker
thread). They live here, not in a notebook cell, so every worker imports the same code.

Each worker makes one ``genai.Client`` and keeps it (a client does not pickle, so it cannot
travel with a task): ``EachWorker``, a Dask worker plugin, makes it as the worker starts, on the
workers there are and on any that join later. A task's spans go back to the kernel with the
answers.

Each task holds one of its worker's task slots (threads) from start to end, an ``async def`` one
too, though Dask runs it on the worker's event loop: with one thread per worker and one call per
task, a worker makes one call at a time. Give a task several calls (``calls_per_task``) or a
worker several threads.

>>> batches([(0, "a"), (1, "b"), (2, "c")], 2)
[[(0, 'a'), (1, 'b')], [(2, 'c')]]
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from distributed import Client, Future, Worker, WorkerPlugin, as_completed, get_worker
from google.genai import errors

from course_lib.cluster.limits import ClusterLimits, quiet_closing_noise
from course_lib.ranges import nth_seed
from course_lib.rate_limits.retry import call_with_retries
from course_lib.run import lifeline
from course_lib.run.calls import analysed
from course_lib.run.results import CallRecord
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.lanes import Lane
from course_lib.trace.spans import Span, Tracer, now
from course_lib.trace.tasks import task_context

_clients: dict[str | None, Any] = {}  # this worker's clients, by the fake's address (None: live)


class Done(NamedTuple):
    """What a task sends back: one record per prompt, and the spans it recorded."""

    records: list[CallRecord]
    spans: list[Span]


def batches(tasks: list[tuple[int, str]], size: int) -> list[list[tuple[int, str]]]:
    """``tasks`` cut into batches of ``size``, in order: one Dask task each."""
    return [tasks[k : k + size] for k in range(0, len(tasks), size)]


def worker_lane() -> Lane:
    """This worker's rows on our timeline: "worker 0" for the worker Dask calls 0."""
    name = get_worker().name
    index = int(name) if str(name).isdigit() else os.getpid()
    return Lane("worker", index, f"worker {name}")


def gemini_for(base_url: str | None) -> Any:
    """This worker's client: on the fake at ``base_url``, or (None) whatever this worker's
    environment says (live mode needs the key in every worker's environment)."""
    if base_url not in _clients:
        from course_lib.client.factory import gemini_client, warm_sdk

        warm_sdk()
        if base_url:
            _clients[base_url] = gemini_client(live=False, base_url=base_url)
        else:
            _clients[base_url] = gemini_client()
    return _clients[base_url]


def this_machine() -> str:
    """Which machine this process runs on: its host name and, on Linux, this boot's id (two
    containers may share a host name)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


async def prepare(base_url: str | None, model: str) -> int:
    """This worker's client, made and used once (its first call builds the SDK's models)."""
    await gemini_for(base_url).aio.models.count_tokens(model=model, contents="hi")
    return os.getpid()


class EachWorker(WorkerPlugin):
    """What every worker needs before its first task, as a Dask worker plugin::

        client.register_plugin(EachWorker(url, DEFAULT_MODEL))

    Dask runs ``setup`` on every worker there is, and on every worker that joins later: the
    fresh worker a nanny starts in place of one that died, or a cluster scaled up
    (``client.run`` reaches only the workers of that moment). A worker on the kernel's own
    machine ignores the notebook's Ctrl-C, which reaches every process the kernel started
    (stopping the cluster is the kernel's call, and a worker killed by it would only have its
    tasks run again), and leaves when the kernel is gone (``lifeline``); a worker on another
    machine is left alone there, where the kernel's process number names some other process.
    Then it makes its ``genai.Client`` on the fake at ``base_url`` (None: the worker's
    environment, live mode) and uses it once, so no task pays for the SDK's first call.
    """

    name = "course-each-worker"  # one of these per cluster: a second registration replaces it

    def __init__(self, base_url: str | None, model: str) -> None:
        self.base_url, self.model = base_url, model
        self.owner, self.machine = os.getpid(), this_machine()  # the kernel, and where it runs

    async def setup(self, worker: Worker) -> None:
        if this_machine() == self.machine:  # the kernel's process number means something here
            lifeline.attach(self.owner)  # on the worker's main thread, where its loop runs
        quiet_closing_noise()
        await prepare(self.base_url, self.model)


async def ask_batch(
    batch: list[tuple[int, str]], s: ScenarioSettings, limits: ClusterLimits, base_url: str | None
) -> Done:
    """Ask every (task, prompt) of ``batch`` at once on this worker's event loop, each attempt
    under the cluster's ``limits``, retried as the kit does (waiting what a 429 asks)."""
    client, lane = gemini_for(base_url), worker_lane()

    async def one(task: int, prompt: str) -> CallRecord:
        async def attempt() -> Any:
            async with limits.slot(label=prompt):
                return await client.aio.models.generate_content(model=s.model, contents=prompt)

        record = CallRecord(task, prompt)
        with task_context(task, lane, prompt):
            record.sent = now()
            try:
                response, tries = await call_with_retries(
                    attempt, attempts=s.attempts, seed=nth_seed(s.seed, task)
                )
                record.took(response, tries, now())
            except errors.APIError as error:
                record.failed(error, s.attempts, now())
        return record

    with Tracer() as tracer:
        records = list(await asyncio.gather(*(one(t, p) for t, p in batch)))
    return Done(records, tracer.spans)


def analyse_batch(asked: Done, iterations: int) -> Done:
    """Analyse each answer of a batch here (CPU work, in one of this worker's threads)."""
    lane = worker_lane()
    with Tracer() as tracer:
        for record in asked.records:
            with task_context(record.task, lane, record.prompt):
                analysed(record, iterations)
    return Done(asked.records, asked.spans + tracer.spans)


def submit_all(
    client: Client,
    prompts: list[str],
    s: ScenarioSettings,
    limits: ClusterLimits,
    base_url: str | None,
    calls_per_task: int,
    iterations: int = 0,
) -> list[Future]:
    """One ``ask_batch`` task per batch of ``calls_per_task`` prompts, and an ``analyse_batch``
    task after each; returns the latter's futures. Keys name the step, the batch and the run
    ("ask_batch-3-9f2c1a"), so the dashboard and a report say which is which."""
    run = uuid.uuid4().hex[:6]
    futures = []
    for k, batch in enumerate(batches(list(enumerate(prompts)), calls_per_task)):
        asked = client.submit(ask_batch, batch, s, limits, base_url, key=f"ask_batch-{k}-{run}")
        analysis = client.submit(analyse_batch, asked, iterations, key=f"analyse_batch-{k}-{run}")
        futures.append(analysis)
    return futures


def gather_in_order(futures: Iterable[Future], tracer: Tracer | None = None) -> list[CallRecord]:
    """Every record, in prompt order, as the tasks finish; their spans go into ``tracer``."""
    records: list[CallRecord] = []
    for future in as_completed(futures):
        done: Done = future.result()
        records += done.records
        if tracer is not None:
            tracer.spans.extend(done.spans)
    return sorted(records, key=lambda record: record.task)
