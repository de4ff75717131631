"""The libraries lesson 05 shows, each run against the fake with its pitfall made visible.

One test per pitfall the lesson relies on, so that an upgrade that changes one fails here first:
aiolimiter starts full; pyrate-limiter's per-process buckets send four times the rate where its
``MultiprocessBucket`` holds four processes to one; one ``AsyncRetrying`` shared by many tasks
gives up early where ``copy()`` does not; ``wait_exception`` waits what RetryInfo asks;
``stop_after_delay`` reads the OS clock; stamina's ``on`` hook can return the server's delay while
its defaults are short; google-genai's own retries ignore RetryInfo; and a fixed cool-down after any
429 (the OpenAI cookbook's) idles where waiting what the server asks does not.

Windows are shortened (the fake's "minute" is ``window_s``) and the assertions are on counts, or on
times with wide margins, so a busy machine does not fail them.
"""

import asyncio
import inspect
import multiprocessing
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

import pytest
import stamina
from aiolimiter import AsyncLimiter
from google import genai
from google.genai import errors, types
from pyrate_limiter import InMemoryBucket, MultiprocessBucket, Rate, limiter_factory
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exception,
    wait_fixed,
)

from course_lib import DEFAULT_MODEL
from course_lib.client.session import SESSION
from course_lib.pool_tasks import ask_when_allowed
from course_lib.rate_limits import quota_violation
from course_lib.rate_limits.quota_errors import retry_wait, server_retry_delay


# -- what the notebook writes --------------------------------------------------------------------
def retry_delay(error: BaseException) -> float:
    """Seconds to wait before retrying a 429: what it asks, a little more (the kit reads the
    message's "Please retry in 0.786594262s": RetryInfo's "0s" rounds it down); 1 s if none."""
    violation = quota_violation(error)
    return violation.wait_s if violation and violation.wait_s is not None else 1.0


def retry_info_as_sent(error: BaseException) -> float:
    """RetryInfo's retryDelay, as the 429 sends it: whole seconds, rounded down."""
    return server_retry_delay(error) or 0.0


def is_429(error: BaseException) -> bool:
    return isinstance(error, errors.ClientError) and error.code == 429


# -- helpers -------------------------------------------------------------------------------------
@pytest.fixture
async def client():
    """A plain ``genai.Client()``: it reaches the fake that ``offline()`` serves on loopback."""
    SESSION.offline()
    plain = genai.Client()
    yield plain
    await plain.aio.aclose()
    plain.close()


def served(fake) -> Counter:
    return Counter(call.status for call in fake.log)


def most_in_any_window(times: Iterable[float], period_s: float) -> int:
    """The most of ``times`` that fall within any ``period_s`` seconds."""
    ordered, most, first = sorted(times), 0, 0
    for last, now in enumerate(ordered):
        while now - ordered[first] >= period_s:
            first += 1
        most = max(most, last - first + 1)
    return most


async def ask(client: genai.Client, prompt: str) -> None:
    await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)


# -- aiolimiter ----------------------------------------------------------------------------------
async def test_aiolimiter_starts_full_so_the_first_period_lets_more_than_the_limit_through():
    limiter, loop = AsyncLimiter(5, 0.5), asyncio.get_running_loop()  # "5 per 0.5 s"
    start, times = loop.time(), []

    async def take() -> None:
        async with limiter:
            times.append(loop.time() - start)

    await asyncio.gather(*(take() for _ in range(12)))
    assert sum(t < 0.5 for t in times) > 5  # 5 at once, then it leaks one every 0.1 s (9 here)


async def test_aiolimiter_at_the_fakes_limit_still_gets_429s_in_the_first_window(client):
    fake = SESSION.use_fake(rpm=5, window_s=0.5, latency=0.05)
    limiter = AsyncLimiter(5, 0.5)  # the fake's limit, on paper

    async def limited(i: int) -> None:
        async with limiter:
            try:
                await ask(client, f"Question {i}")
            except errors.ClientError as error:
                assert error.code == 429

    await asyncio.gather(*(limited(i) for i in range(10)))
    assert served(fake)[429] >= 1  # 4 of 10 here: the ones it leaked in the first window


# -- pyrate-limiter ------------------------------------------------------------------------------
def test_pyrate_holds_four_processes_to_one_limit_only_with_a_multiprocess_bucket():
    SESSION.offline()  # worker processes reach it through the environment they inherit
    # spawn, as the lesson does: a forkserver started earlier in this session would hand its
    # workers the environment it had then, from before offline() named the fake's address
    context = multiprocessing.get_context("spawn")
    rates, sent = [Rate(5, 1020)], {}  # as the lesson: a window a hair longer than the API's
    with context.Manager() as manager:  # the lock and the list must come from the pool's context
        buckets = {  # (the bucket, how many calls: enough for a full second once all 4 are up)
            "own": (InMemoryBucket(rates), 40),  # pickled into each worker: a copy of its own
            "shared": (MultiprocessBucket(rates, manager.list(), context.RLock()), 12),
        }
        for name, (bucket, calls) in buckets.items():
            fake = SESSION.use_fake(rpm=5, window_s=1.0, latency=0.0)
            init = limiter_factory.init_global_limiter
            with ProcessPoolExecutor(4, context, init, (bucket,)) as pool:
                codes = Counter(pool.map(ask_when_allowed, [f"Question {i}" for i in range(calls)]))
            assert codes.total() == calls and set(codes) <= {200, 429}, (name, codes)
            # a little under a second: a process's first call is slower, so turns taken a second
            # apart can arrive a little closer (pyrate's buffer_ms covers that)
            sent[name] = most_in_any_window((c.start for c in fake.log), 0.8)
    assert sent["own"] >= 12, sent  # each of four processes sends its own 5 a second (20 here)
    assert sent["shared"] <= 8, sent  # 5 a second in all (5 or 6 here)


def test_a_pool_worker_without_a_limiter_says_how_to_give_it_one(monkeypatch):
    monkeypatch.setattr(limiter_factory, "LIMITER", None)
    with pytest.raises(RuntimeError, match="init_global_limiter"):
        ask_when_allowed("Hello")


# -- tenacity ------------------------------------------------------------------------------------
async def test_wait_exception_waits_exactly_what_retry_info_asks(client):
    fake = SESSION.use_fake(rpm=1, window_s=0.4, latency=0.0)
    waits = []  # (what tenacity slept, what the 429 asked)
    retrying = AsyncRetrying(
        retry=retry_if_exception(is_429),
        wait=wait_exception(retry_delay),
        stop=stop_after_attempt(4),
        before_sleep=lambda s: waits.append((s.next_action.sleep, s.outcome.exception())),
    )
    await ask(client, "first")  # uses the quota
    async for attempt in retrying:
        with attempt:
            await ask(client, "second")
    slept, error = waits[0]
    assert slept == retry_delay(error) == retry_wait(error)  # the kit's parser agrees
    assert 0 < slept <= 0.4 * 1.02 + 0.01
    assert served(fake)[429] == len(waits) <= 2  # the retry after the asked wait was admitted


async def test_waiting_retry_infos_rounded_down_delay_comes_too_early(client):
    """The pitfall lesson 05 shows: RetryInfo says "0s" for a wait under a second."""
    fake = SESSION.use_fake(rpm=1, window_s=0.4, latency=0.0)
    retrying = AsyncRetrying(
        retry=retry_if_exception(is_429),
        wait=wait_exception(retry_info_as_sent),
        stop=stop_after_attempt(4),
        reraise=True,
    )
    await ask(client, "first")
    with pytest.raises(errors.ClientError):
        async for attempt in retrying:
            with attempt:
                await ask(client, "second")
    assert served(fake)[429] == 4  # every retry came straight back: refused, four times


async def test_one_async_retrying_shared_by_many_tasks_gives_up_early_and_copies_do_not(client):
    retrying = AsyncRetrying(
        retry=retry_if_exception(is_429),
        wait=wait_exception(retry_delay),
        stop=stop_after_attempt(8),
    )

    async def asked(i: int, policy: AsyncRetrying) -> str:
        try:
            async for attempt in policy:
                with attempt:
                    await ask(client, f"Question {i}")
        except RetryError:
            return "gave up"
        return "ok"

    results = {}
    for name, policy_for in (("shared", lambda: retrying), ("copy", retrying.copy)):
        SESSION.use_fake(rpm=10, window_s=0.5, latency=0.05)
        results[name] = Counter(await asyncio.gather(*(asked(i, policy_for()) for i in range(30))))
    assert results["shared"]["gave up"] >= 10, results  # all 30 here: attempts counted together
    assert results["copy"] == {"ok": 30}, results


async def test_stop_after_delay_reads_the_os_clock_not_the_sleep_it_is_given():
    slept = []

    async def pretend_sleep(seconds: float) -> None:  # a test's clock: moves, takes no time
        slept.append(seconds)

    async def always_fails() -> None:
        raise errors.ServerError(503, {"error": {"code": 503, "status": "UNAVAILABLE"}})

    retrying = AsyncRetrying(
        sleep=pretend_sleep,
        wait=wait_fixed(1.0),
        stop=stop_after_delay(5.0) | stop_after_attempt(20),
        reraise=True,
    )
    with pytest.raises(errors.ServerError):
        await retrying(always_fails)
    assert sum(slept) == 19.0  # "5 s" never passed on the OS clock: only the 20 attempts stopped it


# -- stamina -------------------------------------------------------------------------------------
def test_stamina_defaults_wait_seconds_and_give_up_before_a_per_minute_429_would_let_you_in():
    defaults = {k: p.default for k, p in inspect.signature(stamina.retry).parameters.items()}
    assert defaults["attempts"] == 10 and defaults["timeout"] == 45.0
    assert defaults["wait_initial"] == 0.1 and defaults["wait_max"] == 5.0  # a 429 asks ~45-60 s


async def test_stamina_on_hook_can_wait_the_servers_delay_and_testing_mode_skips_it(client):
    def on_429(error: Exception) -> bool | float:
        return retry_delay(error) if is_429(error) else False

    @stamina.retry(on=on_429, attempts=4)
    async def asked(prompt: str) -> None:
        await ask(client, prompt)

    retries = []
    stamina.instrumentation.set_on_retry_hooks([retries.append])
    try:
        fake = SESSION.use_fake(rpm=1, window_s=0.4, latency=0.0)
        await asked("first")
        await asked("second")
        first = retries[0]
        assert first.wait_for == retry_delay(first.caused_by) > 0  # not stamina's own backoff
        assert served(fake)[200] == 2
        retries.clear()
        with stamina.set_testing(True, attempts=2):
            SESSION.use_fake(rpm=1, window_s=60.0, latency=0.0)
            await asked("first")
            with pytest.raises(errors.ClientError):
                await asked("second")  # two attempts, no waiting, though the server asked ~60 s
        assert [r.wait_for for r in retries] == [0.0]
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)


# -- google-genai's own retries ------------------------------------------------------------------
async def test_the_sdks_retries_ignore_retry_info(client):
    fake = SESSION.use_fake(rpm=1, window_s=6.0, latency=0.0)
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.2, jitter=0)
    retrying = genai.Client(http_options=types.HttpOptions(retry_options=retry))
    await ask(retrying, "first")
    with pytest.raises(errors.ClientError) as raised:
        await ask(retrying, "second")
    await retrying.aio.aclose()
    tries = [c.start for c in fake.log if c.prompt == "second"]
    gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)]
    asked = retry_delay(raised.value) + sum(gaps)  # what the first 429 asked (~6 s)
    assert len(tries) == 3 and all(g < asked / 3 for g in gaps), (
        gaps,
        asked,
    )  # ~0.2 s and ~0.4 s here
    with pytest.raises(errors.ClientError):
        await ask(client, "third")  # no retry_options: one attempt
    assert sum(c.prompt == "third" for c in fake.log) == 1


# -- the OpenAI cookbook's fixed cool-down, against waiting what the server asks ------------------
async def test_a_fixed_cool_down_after_any_429_idles_where_the_asked_wait_does_not(client):
    cool_down_s, window_s = 1.5, 0.5
    gate, last_429 = asyncio.Semaphore(10), [-1e9]

    async def cookbook(prompt: str) -> None:
        async with gate:
            while True:
                await asyncio.sleep(last_429[0] + cool_down_s - time.monotonic())
                try:
                    return await ask(client, prompt)
                except errors.ClientError as error:
                    assert error.code == 429
                    last_429[0] = time.monotonic()

    async def as_asked(prompt: str) -> None:
        async with gate:
            while True:
                try:
                    return await ask(client, prompt)
                except errors.ClientError as error:
                    await asyncio.sleep(retry_delay(error))

    took, refused = {}, {}
    for name, way in (("cookbook", cookbook), ("as asked", as_asked)):
        fake = SESSION.use_fake(rpm=10, window_s=window_s, latency=0.05)
        start = time.perf_counter()
        await asyncio.gather(*(way(f"Question {i}") for i in range(30)))
        took[name], refused[name] = time.perf_counter() - start, served(fake)[429]
        assert served(fake)[200] == 30
    assert refused["cookbook"] >= 10, refused  # a round of 429s, then all pause 1.5 s (20 here)
    assert took["cookbook"] >= cool_down_s, took
    assert took["as asked"] < took["cookbook"], took  # ~1.1 s against ~3.2 s here
