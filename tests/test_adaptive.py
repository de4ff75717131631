"""AIMD: the limit rises by one per window of successes, halves on a 429 (once per burst), stays
between its bounds, and really caps the calls in flight. Asyncio tasks on the real loop, with
``asyncio.sleep(0)`` as the "network": no real waiting; the history's clock is a hand-set one."""

import asyncio

import pytest
from google.genai import errors

from course_lib.rate_limits.adaptive import AIMDLimiter
from course_lib.trace.spans import WAIT_SLOT, Tracer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def too_many() -> errors.ClientError:
    return errors.ClientError(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}})


async def succeed(aimd: AIMDLimiter, times: int = 1) -> None:
    for _ in range(times):
        async with aimd:
            pass


async def refused_together(aimd: AIMDLimiter, calls: int) -> None:
    """``calls`` calls sent at once, all answered 429."""
    started = asyncio.Event()

    async def call() -> None:
        async with aimd:
            await started.wait()
            raise too_many()

    tasks = [asyncio.create_task(call()) for _ in range(calls)]
    await asyncio.sleep(0)  # every task takes its slot
    started.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, errors.ClientError) for r in results)


async def test_the_limit_rises_by_one_after_each_window_of_successes_up_to_its_max():
    clock = Clock()
    aimd = AIMDLimiter(2, max_limit=4, clock=clock)
    await succeed(aimd, 1)
    assert aimd.limit == 2  # one success is not yet a full window of 2
    clock.now = 1.0
    await succeed(aimd, 1)
    assert aimd.limit == 3
    clock.now = 2.0
    await succeed(aimd, 3)
    assert aimd.limit == 4
    await succeed(aimd, 100)
    assert aimd.limit == 4  # never above the max
    assert aimd.history == [(0.0, 2), (1.0, 3), (2.0, 4)]


async def test_a_429_halves_the_limit():
    clock = Clock()
    aimd = AIMDLimiter(9, max_limit=16, clock=clock)
    clock.now = 5.0
    await refused_together(aimd, 1)
    assert aimd.limit == 4 and aimd.history == [(0.0, 9), (5.0, 4)]  # 9 // 2


async def test_a_burst_of_429s_cuts_once_and_the_next_round_trip_cuts_again():
    aimd = AIMDLimiter(8, max_limit=16, clock=Clock())
    await refused_together(aimd, 8)  # eight calls sent together, all refused
    assert (aimd.limit, aimd.cuts, aimd.ignored_429s) == (4, 1, 7)
    await refused_together(aimd, 4)  # sent after the cut: news, so one more cut
    assert (aimd.limit, aimd.cuts, aimd.ignored_429s) == (2, 2, 10)


async def test_the_limit_never_falls_below_one_nor_its_min():
    aimd = AIMDLimiter(2, clock=Clock())
    for _ in range(5):
        await refused_together(aimd, 1)
    assert aimd.limit == 1 and aimd.cuts == 5
    floor = AIMDLimiter(8, min_limit=3, clock=Clock())
    for _ in range(5):
        await refused_together(floor, 1)
    assert floor.limit == 3


async def test_a_cut_restarts_the_count_of_successes():
    aimd = AIMDLimiter(4, clock=Clock())
    await succeed(aimd, 3)
    await refused_together(aimd, 1)  # limit 2
    await succeed(aimd, 1)
    assert aimd.limit == 2  # the 3 successes before the cut do not count toward the new window
    await succeed(aimd, 1)
    assert aimd.limit == 3


async def test_other_errors_leave_the_limit_alone_but_free_the_slot():
    aimd = AIMDLimiter(2, clock=Clock())
    for error in (errors.ServerError(503, {"error": {}}), TimeoutError(), ValueError()):
        with pytest.raises(type(error)):
            async with aimd:
                raise error
    assert (aimd.limit, aimd.in_flight, aimd.history[1:]) == (2, 0, [])


async def test_the_outcome_can_be_reported_without_raising():
    aimd = AIMDLimiter(4, clock=Clock())
    async with aimd as slot:
        slot.throttled()  # e.g. a 429 caught and handled inside the block
    assert aimd.limit == 2
    with pytest.raises(ValueError):
        async with aimd as slot:
            slot.succeeded()  # the answer came; a later bug does not make it a failure
            raise ValueError("after the call")
    assert aimd._successes == 1


async def test_it_caps_the_calls_in_flight_as_the_limit_rises():
    aimd = AIMDLimiter(2, max_limit=5, clock=Clock())
    in_flight, seen = 0, []

    async def call() -> None:
        nonlocal in_flight
        async with aimd:
            in_flight += 1
            seen.append((in_flight, aimd.limit))
            for _ in range(3):  # a few turns of the loop "on the network"
                await asyncio.sleep(0)
            in_flight -= 1

    await asyncio.gather(*(call() for _ in range(80)))
    assert all(now <= limit for now, limit in seen)  # never more in flight than the limit
    assert max(now for now, _ in seen) == 5  # and it used the room it gained, up to the max
    assert [limit for _, limit in aimd.history] == [2, 3, 4, 5]
    assert aimd.in_flight == 0


async def test_after_a_cut_no_call_starts_until_the_flight_fits_the_new_limit():
    aimd = AIMDLimiter(4, clock=Clock())
    answer = [asyncio.Event() for _ in range(4)]
    started = []

    async def call(i: int) -> None:
        async with aimd:
            started.append(i)
            if i < 4:
                await answer[i].wait()
                if i == 0:
                    raise too_many()
                raise errors.ServerError(503, {"error": {}})  # neutral: the limit stays put

    tasks = [asyncio.create_task(call(i)) for i in range(6)]
    await asyncio.sleep(0)
    assert started == [0, 1, 2, 3]  # calls 4 and 5 wait
    answer[0].set()  # a 429: the limit is cut to 2, three calls still in flight
    await asyncio.sleep(0)
    assert aimd.limit == 2 and aimd.in_flight == 3
    answer[1].set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert started == [0, 1, 2, 3]  # two in flight: still not below the limit of 2
    answer[2].set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert started == [0, 1, 2, 3, 4]  # one in flight: room for exactly one more
    answer[3].set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert started == [0, 1, 2, 3, 4, 5] and aimd.in_flight == 0


async def test_waiting_is_first_come_first_served_and_traced():
    aimd = AIMDLimiter(1, clock=Clock())
    order = []

    async def call(i: int) -> None:
        async with aimd:
            order.append(i)
            await asyncio.sleep(0)

    with Tracer() as tracer:
        await asyncio.gather(*(call(i) for i in range(4)))
    assert order[:4] == [0, 1, 2, 3]
    waits = [s for s in tracer.spans if s.phase == WAIT_SLOT]
    assert len(waits) == 3  # the first call found a free slot: no span for it
    assert all(s.outcome == "ok" for s in waits)


async def test_a_cancelled_waiter_does_not_leak_its_slot():
    aimd = AIMDLimiter(1, clock=Clock())
    release = asyncio.Event()

    async def hold() -> None:
        async with aimd:
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(succeed(aimd))
    await asyncio.sleep(0)
    assert aimd.in_flight == 1 and len(aimd._waiters) == 1
    waiter.cancel()
    await asyncio.sleep(0)
    assert len(aimd._waiters) == 0
    release.set()
    await holder
    assert aimd.in_flight == 0
    await asyncio.wait_for(succeed(aimd), 1)  # the slot is free again


async def test_a_waiter_woken_and_cancelled_at_once_passes_its_slot_on():
    aimd = AIMDLimiter(1, clock=Clock())
    slot = await aimd.acquire()
    woken = asyncio.create_task(succeed(aimd))
    await asyncio.sleep(0)
    after = asyncio.create_task(succeed(aimd))
    await asyncio.sleep(0)
    aimd.release(slot)  # hands the slot to `woken`...
    woken.cancel()  # ...which is cancelled before it runs
    await asyncio.wait_for(after, 1)  # so the slot goes on to the next in line
    assert woken.cancelled() and aimd.in_flight == 0


async def test_two_limiters_nest_in_one_task():
    outer, inner = AIMDLimiter(2, clock=Clock()), AIMDLimiter(4, clock=Clock())
    async with outer:
        with pytest.raises(errors.ClientError):
            async with inner:
                raise too_many()
    assert (outer.limit, inner.limit) == (2, 2)
    assert outer._successes == 1


@pytest.mark.parametrize(
    "args",
    [
        {"limit": 0},
        {"limit": 10, "max_limit": 5},
        {"limit": 2, "min_limit": 3},
        {"factor": 1.0},
        {"factor": 0},
        {"limit": 2.5},
    ],
)
def test_nonsense_settings_are_refused(args):
    with pytest.raises(ValueError):
        AIMDLimiter(**args)
