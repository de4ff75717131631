"""Checks for lesson 08 (Dask): grow a cluster and keep one limit for all of it, and batch calls
per task. Each check starts a small cluster of its own, on a fake of its own, and stops it after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from distributed import Future, get_task_stream

from course_lib.cluster import clusters, tasks
from course_lib.config import DEFAULT_MODEL
from course_lib.exercises.feedback import Feedback, expected_answers, right, wrong
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.server import FakeServer
from course_lib.fake.wire import ServedCall
from course_lib.rate_limits.limiter import most_in_any_window
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.overlap import most_at_once

QUOTA_RPM, QUOTA_WINDOW_S = 12, 2.0  # exercise 1: the project's limit (a "minute" of 2 s)
CAP = 4  # exercise 1: calls in flight across the whole cluster
WORKERS = 3  # exercise 1: the cluster grows from 2 workers to this many
#: exercise 1: prompts (batches of 4, the last of 2); the quota lets them go in about 4.3 s, and
#: sending slower than SLOW_S means the limit's window was not the API's
ADDED_PROMPTS, SLOW_S = 26, 20.0
#: exercise 2: prompts and batch size (the last batch smaller, as the exercise allows)
BATCHED_PROMPTS, BATCH_SIZE = 18, 4


@contextlib.contextmanager
def _cluster(fake: FakeGemini, workers: int = 2) -> Iterator[tuple[Any, Any, str]]:
    """A LocalCluster of ``workers`` one-thread workers, ready to call ``fake``."""
    with FakeServer(fake) as url:
        started = clusters.local_cluster(workers, 1)
        with started.cluster, started.client as client:
            client.register_plugin(tasks.EachWorker(url, DEFAULT_MODEL))
            yield started.cluster, client, url


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def _calls(fake: FakeGemini) -> list[ServedCall]:
    return [call for call in fake.log if call.prompt]  # generateContent (countTokens has none)


def served_at_once(calls: list[ServedCall]) -> int:
    """The most calls the fake was serving at one moment."""
    return most_at_once([(call.start, call.end) for call in calls])


def _answers_problem(records: Any, prompts: list[str]) -> str | None:
    if not isinstance(records, list) or not all(hasattr(r, "answer") for r in records):
        return "return the list of CallRecords, e.g. gather_in_order(futures)."
    if [r.prompt for r in records] != prompts:
        return f"expected {len(prompts)} records, one per prompt, in the prompts' order."
    if [r.answer for r in records] != expected_answers(prompts):
        failed = sum(r.answer is None for r in records)
        return f"{failed} prompts got no answer (refused too often?): every one should."
    return None


def check_add_a_worker(ask_on_more_workers: Callable[..., Any]) -> Feedback:
    """``ask_on_more_workers(cluster, client, prompts, base_url)`` adds a worker to the cluster
    (2 workers to 3), then asks every prompt with ``course_lib.cluster.tasks.ask_batch`` under
    ONE limit for the whole cluster: at most ``CAP`` calls in flight and ``QUOTA_RPM`` requests per
    ``QUOTA_WINDOW_S`` seconds; returns the records in the prompts' order."""
    if not callable(ask_on_more_workers):
        return wrong("pass the function itself: check_add_a_worker(ask_on_more_workers).")
    prompts = ScenarioSettings(prompts=ADDED_PROMPTS).prompt_list()
    fake = FakeGemini(latency=0.3, rpm=QUOTA_RPM, window_s=QUOTA_WINDOW_S)
    with _cluster(fake) as (local, client, url):
        try:
            with get_task_stream(client=client) as stream:
                records = ask_on_more_workers(local, client, prompts, url)
        except Exception as error:
            return wrong(f"it raised {type(error).__name__}: {str(error)[:200]}")
        workers = len(client.scheduler_info()["workers"])
    calls = _calls(fake)
    refused = sum(call.status == 429 for call in calls)
    if workers != WORKERS:
        return wrong(f"the cluster has {workers} workers: scale it to {WORKERS} (cluster.scale).")
    answered = sum(call.status == 200 for call in calls)
    if answered < len(prompts):
        failed = (
            [r for r in records if getattr(r, "error", None)] if isinstance(records, list) else []
        )
        if failed:  # asked, and the call failed: say how, not "ask every one"
            first = failed[0]
            return wrong(
                f"the fake answered {answered} of the {len(prompts)} prompts; {len(failed)} "
                f"failed, the first ({first.prompt!r}) with {first.error} after "
                f"{first.attempts} attempt{'s' * (first.attempts != 1)}. Was the limit the one "
                "asked for? If it was, the machine may have been too busy: run the check again."
            )
        return wrong(
            f"the fake answered {answered} of the {len(prompts)} prompts: ask every one "
            "with ask_batch tasks on the cluster (client.submit), through base_url."
        )
    tasks_run = {str(task["key"]) for task in stream.data}
    if len(tasks_run) < WORKERS:
        return wrong(
            f"{len(prompts)} prompts went in {_tasks(len(tasks_run))}, so at most "
            f"{len(tasks_run)} of the {WORKERS} workers could help: submit one ask_batch task per "
            "4 prompts (batches(list(enumerate(prompts)), 4))."
        )
    if served_at_once(calls) > CAP:
        return wrong(
            f"{served_at_once(calls)} calls were in flight at once, over the cap of {CAP}: give "
            "every task the same ClusterLimits (one made outside the loop)."
        )
    if refused:
        return wrong(
            f"the API refused {refused} requests (429): the cluster's rate went over "
            f"{QUOTA_RPM} per {QUOTA_WINDOW_S:g} s. rpm counts requests per window_s: "
            f"ClusterLimits(in_flight={CAP}, rpm={QUOTA_RPM}, window_s={QUOTA_WINDOW_S:g})."
        )
    problem = _answers_problem(records, prompts)
    if problem:
        return wrong(problem)
    sent = sorted(call.start for call in calls)
    if sent[-1] - sent[0] > SLOW_S:
        return wrong(
            f"no 429 and every answer, but sending took {sent[-1] - sent[0]:.0f} s where the "
            f"quota allowed it in about {QUOTA_WINDOW_S * len(prompts) / QUOTA_RPM:.1f} s: rpm "
            f"counts requests per window_s, and this API's window is {QUOTA_WINDOW_S:g} s: "
            f"ClusterLimits(in_flight={CAP}, rpm={QUOTA_RPM}, window_s={QUOTA_WINDOW_S:g})."
        )
    return right(
        f"{len(prompts)} answers from {WORKERS} workers, at most {served_at_once(calls)} at once "
        f"and {most_in_any_window(sent, QUOTA_WINDOW_S)} in any {QUOTA_WINDOW_S:g} s window, "
        "no 429: one limit, however many workers."
    )


def check_batches(submit_batched: Callable[..., Any]) -> Feedback:
    """``submit_batched(client, prompts, size, base_url)`` submits one
    ``course_lib.cluster.tasks.ask_batch`` task per ``size`` prompts (the last batch may be
    smaller) and returns their futures, in order. The check runs it with 18 prompts, ``size``
    4 (a last batch of 2), on 2 workers of one thread each."""
    if not callable(submit_batched):
        return wrong("pass the function itself: check_batches(submit_batched).")
    prompts, size = ScenarioSettings(prompts=BATCHED_PROMPTS).prompt_list(), BATCH_SIZE
    fake = FakeGemini(latency=0.5)
    with _cluster(fake) as (_, client, url):
        try:
            futures = submit_batched(client, prompts, size, url)
        except Exception as error:
            return wrong(f"it raised {type(error).__name__}: {str(error)[:200]}")
        if not isinstance(futures, list) or not all(isinstance(f, Future) for f in futures):
            return wrong(
                "return the list of futures, one per batch (what client.submit returns), "
                "not their results."
            )
        if len(futures) == len(prompts) // size:
            return wrong(
                f"{_tasks(len(futures))} for {len(prompts)} prompts in batches of size={size}: the "
                f"last {len(prompts) % size} prompts are missing. The last batch may be smaller: "
                "keep it (numbered[k : k + size] for k in range(0, len(numbered), size))."
            )
        if len(futures) != -(-len(prompts) // size):
            return wrong(
                f"{_tasks(len(futures))} for {len(prompts)} prompts in batches of size={size}: "
                f"expected {-(-len(prompts) // size)}; cut the prompts with the size given."
            )
        try:
            records = tasks.gather_in_order(futures)
        except ValueError:
            return wrong("each item of a batch is (index, prompt): use list(enumerate(prompts)).")
        except Exception as error:
            return wrong(f"a task raised {type(error).__name__}: {str(error)[:200]}")
    calls = _calls(fake)
    if len(calls) != len(prompts):
        return wrong(
            f"the fake was asked {len(calls)} times for {len(prompts)} prompts, not once each."
        )
    problem = _answers_problem(records, prompts)
    if problem:
        return wrong(problem)
    at_once = served_at_once(calls)
    return right(
        f"{at_once} calls at once on 2 one-thread workers (one call per task allows 2): each "
        "task's calls overlap on its worker's event loop."
    )
