"""The rate limiter is exact: in any window of ``period_s``, at most the limit, for requests and
for tokens, from asyncio tasks, threads and processes that share it; and it waits no longer
than it must. On virtual clocks that move only when every caller waits, so nothing really sleeps
(except across processes, where real time is the point)."""

import asyncio
import heapq
import itertools
import pickle
import random
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from course_lib import SettingError, Tracer
from course_lib.pool_tasks import limited_ask, take_turn
from course_lib.rate_limits import limiter as limiter_module
from course_lib.rate_limits.limiter import RateLimiter, installed, most_in_any_window
from course_lib.trace.spans import WAIT_RATE
from course_lib.trace.tasks import task_context

RPM, TPM, PERIOD = 7, 100, 10.0


class VirtualTime:
    """A clock for ``parties`` asyncio tasks: it jumps to the earliest wake-up once every task
    sleeps (or is done), so a run is exact, deterministic and instant."""

    def __init__(self, parties: int) -> None:
        self.now, self.running, self._wakes, self._order = 0.0, parties, [], itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            wake = asyncio.get_running_loop().create_future()
            heapq.heappush(self._wakes, (self.now + seconds, next(self._order), wake))
            self.done()
            await wake

    def done(self) -> None:
        self.running -= 1
        if self.running == 0 and self._wakes:
            self.now = self._wakes[0][0]
            while self._wakes and self._wakes[0][0] <= self.now:
                heapq.heappop(self._wakes)[2].set_result(None)
                self.running += 1


class ThreadTime:
    """The same for ``parties`` threads."""

    def __init__(self, parties: int) -> None:
        self.now, self.running, self._wakes = 0.0, parties, []
        self._moved = threading.Condition()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._moved:
                wake = self.now + seconds
                heapq.heappush(self._wakes, wake)
                self._idle()
                self._moved.wait_for(lambda: self.now >= wake)

    def done(self) -> None:
        with self._moved:
            self._idle()

    def _idle(self) -> None:
        self.running -= 1
        if self.running == 0 and self._wakes:
            self.now = self._wakes[0]
            while self._wakes and self._wakes[0] <= self.now:
                heapq.heappop(self._wakes)
                self.running += 1
            self._moved.notify_all()


def arrivals(seed: int, n: int = 150) -> list[tuple[float, int]]:
    """(gap since the one before, tokens): bursts of simultaneous requests, quiet spells, and
    requests that weigh the whole token limit."""
    rng = random.Random(seed)
    return [
        (
            rng.choice([0.0, 0.0, rng.expovariate(1.0), rng.uniform(0, 3 * PERIOD)]),
            rng.choice([0, rng.randint(1, TPM // 2), TPM]),
        )
        for _ in range(n)
    ]


def most_in_a_window(booked: list[tuple[float, int]]) -> tuple[int, int]:
    """By brute force: the most requests, and the most tokens, in any [t, t + PERIOD)."""
    windows = [[(s, w) for s, w in booked if t <= s < t + PERIOD] for t, _ in booked]
    return max(len(w) for w in windows), max(sum(t for _, t in w) for w in windows)


def reference(requests: list[tuple[float, int]]) -> list[float]:
    """The specification, written plainly: first come, first served, each request goes at the
    earliest moment the window ending then has room for it (rooms only grow as requests leave,
    so that moment is when it asks, when the one before goes, or when an earlier one leaves)."""
    booked: list[tuple[float, int]] = []
    for asked, tokens in requests:
        floor = max([asked] + [t for t, _ in booked[-1:]])
        recent = [(t, w) for t, w in booked if t + PERIOD > floor]
        for moment in sorted({floor} | {t + PERIOD for t, _ in recent}):
            live = [w for t, w in recent if t + PERIOD > moment]
            if len(live) < RPM and sum(live) + tokens <= TPM:
                break
        booked.append((moment, tokens))
    return [t for t, _ in booked]


@pytest.mark.parametrize("seed", range(4))
async def test_asyncio_tasks_get_exactly_the_limits_in_every_window(seed):
    plan = arrivals(seed)
    clock = VirtualTime(len(plan))
    limiter = RateLimiter(RPM, TPM, period_s=PERIOD, clock=clock, async_sleep=clock.sleep)
    asked, let_through = [], {}

    async def request(i: int, at: float, tokens: int) -> None:
        await clock.sleep(at)
        asked.append((i, clock(), tokens))  # in booking order: nothing runs in between
        let_through[i] = await limiter.acquire(tokens=tokens)
        assert clock() == let_through[i]  # it went when it was let through
        clock.done()

    starts = itertools.accumulate(gap for gap, _ in plan)
    await asyncio.gather(
        *(request(i, at, t) for i, (at, (_, t)) in enumerate(zip(starts, plan, strict=True)))
    )
    booked = [(let_through[i], tokens) for i, _, tokens in asked]
    requests, tokens = most_in_a_window(booked)
    assert requests <= RPM and tokens <= TPM
    # and no longer than it must: exactly when the specification says
    assert [t for t, _ in booked] == reference([(when, tokens) for _, when, tokens in asked])


@pytest.mark.parametrize("seed", range(2))
def test_threads_get_at_most_the_limits_in_every_window(seed):
    plans = [arrivals(seed * 10 + k, n=40) for k in range(4)]
    clock = ThreadTime(len(plans))
    limiter = RateLimiter(RPM, TPM, period_s=PERIOD, clock=clock, sleep=clock.sleep)
    asked, booked = [], []

    def requests(plan):
        for gap, tokens in plan:
            clock.sleep(gap)
            asked.append(clock())
            booked.append((limiter.acquire_sync(tokens), tokens))
        clock.done()

    threads = [threading.Thread(target=requests, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(booked) == 160
    requests, tokens = most_in_a_window(booked)
    assert requests <= RPM and tokens == TPM  # some requests weigh the whole limit
    # and no longer than it must: each went when it asked, with the one before, or as one left
    moments = set(asked) | {t for t, _ in booked} | {t + PERIOD for t, _ in booked}
    assert {t for t, _ in booked} <= moments


async def test_the_first_window_does_not_burst_beyond_the_limit():
    clock = VirtualTime(30)  # 30 requests at once, 10 a minute
    limiter = RateLimiter(10, clock=clock, async_sleep=clock.sleep)

    async def request():
        let_through = await limiter.acquire()
        clock.done()
        return let_through

    let_through = await asyncio.gather(*(request() for _ in range(30)))
    assert let_through == [0.0] * 10 + [60.0] * 10 + [120.0] * 10
    assert most_in_any_window(let_through, 60.0) == 10  # aiolimiter starts full: 19


def test_delay_and_available_book_nothing():
    t = [0.0]
    limiter = RateLimiter(2, 50, period_s=1.0, clock=lambda: t[0])
    assert limiter.available() == (2, 50) and limiter.delay(50) == 0.0
    limiter.acquire_sync(tokens=40)
    assert limiter.available() == (1, 10) and limiter.delay(tokens=11) == 1.0
    assert limiter.delay(tokens=10) == 0.0 and limiter.available() == (1, 10)
    assert limiter.available(now=1.0) == (2, 50)
    t[0] = 0.5
    assert limiter.delay(tokens=11, now=0.75) == 0.25
    assert RateLimiter(3).available() == (3, None)


def test_a_request_heavier_than_the_token_limit_is_refused_at_once():
    limiter = RateLimiter(5, tpm=1000, clock=lambda: 0.0)
    with pytest.raises(ValueError, match="^a request of 1001 tokens can never fit in 1000 tok"):
        limiter.acquire_sync(tokens=1001)
    with pytest.raises(SettingError):
        limiter.acquire(tokens=1001)  # at once, not when awaited
    assert limiter.available() == (5, 1000)  # nothing was booked


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rpm": 0}, "rpm must be a whole number of requests per minute, from 1 to 100000, or "),
        ({"rpm": -5}, "rpm must be a whole number of requests per minute, from 1 to 100000, or "),
        ({"rpm": "15"}, "rpm must be a whole number of requests per minute, from 1 to 100000, or "),
        ({"rpm": None}, "RateLimiter needs rpm: a whole number of requests per minute, from 1"),
        ({"rpm": 2.5}, "rpm must be a whole number"),
        ({"rpm": True}, "rpm must be a whole number"),
        (
            {"rpm": 5, "tpm": 0},
            "tpm must be a whole number of tokens per minute, from 1 to 1000000000",
        ),
        ({"rpm": 5, "period_s": 0}, "period_s must be a number of seconds, more than 0"),
        ({"rpm": 5, "period_s": "1"}, "period_s must be a number of seconds"),
        ({"rpm": 5, "period_s": float("nan")}, "period_s must be a number of seconds"),
    ],
)
def test_bad_arguments_get_one_clear_line(arguments, message):
    with pytest.raises(SettingError) as caught:
        RateLimiter(**arguments)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


@pytest.mark.parametrize("tokens", [-1, 1.5, "3", None])
def test_bad_token_counts_are_refused(tokens):
    with pytest.raises(SettingError, match="^tokens must be a whole number of tokens, 0 or more"):
        RateLimiter(5).acquire_sync(tokens)


def test_only_real_waits_are_traced_as_wait_rate_spans():
    t = [0.0]

    def sleep(seconds):
        t[0] += seconds

    limiter = RateLimiter(1, period_s=2.0, clock=lambda: t[0], sleep=sleep)
    with Tracer() as tracer, task_context(7, label="Write a haiku"):
        limiter.acquire_sync()  # goes at once
        assert limiter.acquire_sync() == 2.0  # waits
        limiter.acquire_sync(label="third")  # waits
    assert [(s.phase, s.task, s.label) for s in tracer.spans] == [
        (WAIT_RATE, 7, "Write a haiku"),
        (WAIT_RATE, 7, "third"),
    ]
    assert t[0] == 4.0


async def test_asyncio_waits_are_traced_and_async_with_works():
    clock = VirtualTime(3)
    limiter = RateLimiter(1, period_s=2.0, clock=clock, async_sleep=clock.sleep)

    async def request(i):
        with task_context(i, label=f"prompt {i}"):
            async with limiter.acquire(tokens=1) as let_through:
                assert let_through == clock() == 2.0 * i
        clock.done()

    with Tracer() as tracer:
        await asyncio.gather(*(request(i) for i in range(3)))
    assert sorted((s.task, s.label) for s in tracer.spans if s.phase == WAIT_RATE) == [
        (1, "prompt 1"),
        (2, "prompt 2"),
    ]


@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_four_processes_share_one_budget(start_method):
    limit, period = 5, 1.0
    limiter = RateLimiter.shared(limit, period_s=period, start_method=start_method)
    with ProcessPoolExecutor(4, **limiter.pool_options()) as pool:
        passed = list(pool.map(take_turn, [0] * 16))
    assert len({p.pid for p in passed}) == 4
    allowed = [p.allowed for p in passed]
    assert most_in_any_window(allowed, period) == limit  # not 4 x 5
    assert max(allowed) - min(allowed) >= 3 * period  # 16 requests, 5 a second
    # When they really went: later by at most `late`, so in any window `late` shorter, the limit.
    late = max(p.went - p.allowed for p in passed)
    assert 0 <= min(p.went - p.allowed for p in passed) and late < period / 2
    assert most_in_any_window([p.went for p in passed], period - late) <= limit


def test_lesson_workers_ask_within_one_budget_through_the_offline_server():
    from course_lib import setup, use_fake
    from course_lib.client.session import SESSION

    fake = use_fake(latency=0.0)
    # spawn: a fork server started by an earlier test would hand workers its old environment,
    # without the address setup() gives them
    limiter = RateLimiter.shared(2, period_s=0.5, start_method="spawn")
    try:
        setup()
        with ProcessPoolExecutor(2, **limiter.pool_options()) as pool:
            started = time.perf_counter()
            answers = list(pool.map(limited_ask, ["Hello"] * 5))
            took = time.perf_counter() - started
    finally:
        SESSION.stop_offline()
    assert all(a.startswith("Hello!") for a in answers) and len(fake.log) == 5
    assert took >= 1.0  # 2, 2, then 1, half a second apart


def test_a_limiter_of_one_process_says_how_to_share_one():
    local = RateLimiter(5)
    with pytest.raises(TypeError, match=r"RateLimiter.shared\(...\)"):
        pickle.dumps(local)
    with pytest.raises(TypeError, match="pool_options"):
        local.pool_options()
    assert repr(local) == "<RateLimiter rpm=5 per 60 s>"
    shared = RateLimiter.shared(5, 1000, period_s=1, start_method="spawn")
    assert repr(shared) == "<shared RateLimiter rpm=5, tpm=1000 per 1 s>"
    assert shared.pool_options()["mp_context"].get_start_method() == "spawn"


def test_a_worker_without_a_limiter_is_told_how_to_get_one(monkeypatch):
    monkeypatch.setattr(limiter_module, "_installed", None)
    with pytest.raises(RuntimeError, match=r"\*\*limiter.pool_options\(\)"):
        installed()
