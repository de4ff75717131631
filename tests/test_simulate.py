"""The simulator: the kit's client code and the fake's quota on a virtual clock. A known case
exactly, queueing theory (Little's law, Erlang C), the same answer for the same inputs, the
client's CPU, a client-side limiter, and the real trace."""

import asyncio
import heapq
import math

import pytest

from course_lib.data_files import data_file
from course_lib.rate_limits.limiter import most_in_any_window
from course_lib.rate_limits.quota_errors import RETRY_MARGIN
from course_lib.rate_limits.retry import ASKED_JITTER
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.simulator import simulate
from course_lib.scaling.traffic import Request, load_trace, poisson, slice_of
from course_lib.scaling.virtual_clock import run_virtual
from course_lib.values import SettingError

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

BARE = dict(client_cpu_ms=0, error_latency_s=0.0)


def test_the_virtual_clock_skips_the_waiting_and_keeps_the_order():
    async def story() -> list[tuple[str, float]]:
        loop, said = asyncio.get_running_loop(), []

        async def say(word: str, after: float) -> None:
            await asyncio.sleep(after)
            said.append((word, loop.time()))

        async with asyncio.timeout(3000):  # timeouts follow the virtual clock too
            await asyncio.gather(say("hour", 3600 - 1000), say("second", 1), say("day", 2000))
        return said

    assert run_virtual(story()) == [("second", 1.0), ("day", 2000.0), ("hour", 2600.0)]


def test_a_stuck_simulation_says_so_instead_of_hanging():
    async def forever() -> None:
        await asyncio.Event().wait()

    with pytest.raises(RuntimeError, match="stuck"):
        run_virtual(forever())


def test_a_known_case_exactly_queue_429s_and_retries_that_wait_as_asked():
    # 2 slots; a limit of 2 requests per 10 s; four 1 s requests at 0 s and one at 0.5 s
    requests = [Request(0.0, service_s=1.0)] * 4 + [Request(0.5, service_s=1.0)]
    run = simulate(requests, SimulationSettings(concurrency=2, rpm=2, window_s=10.0, **BARE))
    stories = [(s.started_s, s.done_s, s.attempts, s.refused) for s in run.served]
    assert stories[:2] == [(0.0, 1.0, 1, 0), (0.0, 1.0, 1, 0)]  # the first two go at once
    # the next two take the slots at 1 s, are refused (the window is full until 10 s), wait
    # what RetryInfo says (9 s), the kit's margin (rate_limits.retry_wait) and up to a tenth more
    # at random (ASKED_JITTER), and are answered a second after their retry; the last waits for
    # a slot till the first of them is answered
    waited = 9.0 * (1 + RETRY_MARGIN)
    for started, done, attempts, refused in stories[2:4]:
        assert (started, attempts, refused) == (1.0, 2, 1)
        assert 1.0 + waited + 1.0 <= done <= 1.0 + waited * (1 + ASKED_JITTER) + 1.0 + 1e-9
    assert stories[2][1] != stories[3][1]  # jittered: not back at one instant
    started, done, attempts, refused = stories[4]
    assert started == pytest.approx(min(stories[2][1], stories[3][1]), abs=1e-9)
    assert (attempts, refused) == (2, 1)
    # the first retry opened a window a second before that, full for 10 s: asked 9 s too
    assert started + waited + 1.0 <= done <= started + waited * (1 + ASKED_JITTER) + 1.0 + 1e-9
    assert run.refused == 3 and run.failed == 0


def test_without_retries_a_429_is_a_failed_request():
    requests = [Request(0.0, service_s=1.0)] * 3
    run = simulate(
        requests, SimulationSettings(concurrency=3, rpm=2, window_s=10.0, retry="none", **BARE)
    )
    assert [s.failed for s in run.served] == [False, False, True] and run.refused == 1
    assert math.isnan(run.served[2].first_token_s)


@pytest.mark.parametrize(
    ("projects", "refused"),
    [(1, [False] * 2 + [True] * 5), (3, [False] * 6 + [True]), (4, [False] * 7)],
)
def test_projects_take_the_requests_in_turn_each_with_its_own_limit(projects, refused):
    # a limit of 2 a window per project; request i goes to project i % projects
    requests = [Request(0.0, service_s=1.0)] * 7
    settings = SimulationSettings(
        concurrency=7, rpm=2, window_s=10.0, projects=projects, retry="none", **BARE
    )
    run = simulate(requests, settings)
    assert [s.failed for s in run.served] == refused and run.refused == sum(refused)


def test_the_same_inputs_give_the_same_answer():
    requests = poisson(4.0, 2000, 1.0, seed=7)
    settings = SimulationSettings(concurrency=3, rpm=200, window_s=60.0)
    first, second = simulate(requests, settings), simulate(requests, settings)
    assert first.served == second.served and first.samples == second.samples


def test_latency_comes_from_the_tokens():
    run = simulate(
        [Request(0.0, 1000, 300)], SimulationSettings(ttft_s=0.4, tokens_per_s=100, **BARE)
    )
    (story,) = run.served
    assert story.ttft_latency_s == pytest.approx(0.4) and story.latency_s == pytest.approx(3.4)


@pytest.mark.parametrize(("processes", "seconds"), [(1, 10.0), (2, 5.0), (4, 2.5)])
def test_the_client_cpu_per_call_is_shared_by_the_processes_event_loops(processes, seconds):
    requests = [Request(0.0, service_s=0.0)] * 1000  # 10 ms of SDK work each, nothing else
    settings = SimulationSettings(concurrency=1000, processes=processes, client_cpu_ms=10.0)
    assert simulate(requests, settings).span_s == pytest.approx(seconds)


def test_a_client_side_limiter_keeps_every_window_within_the_limit():
    requests = [Request(k * 0.01, service_s=0.2) for k in range(60)]
    settings = SimulationSettings(concurrency=60, rpm=5, window_s=1.0, client_rpm=5, **BARE)
    run = simulate(requests, settings)
    assert run.refused == 0 and run.failed == 0  # the API, counting, refused none
    sent = [s.first_token_s - 0.2 for s in run.served]  # service_s: first token = answer
    assert most_in_any_window(sent, 0.999) == 5  # a window ends as the next one opens


def test_littles_law_holds_on_the_real_hour():
    run = simulate(load_trace("conv"), SimulationSettings(concurrency=100, sample_s=1.0))
    arrivals = [s.arrival_s for s in run.served]
    rate = len(arrivals) / (arrivals[-1] - arrivals[0])
    in_system = sum(sample[1] for sample in run.samples) / len(run.samples)  # L, sampled
    assert in_system == pytest.approx(rate * run.mean("latency_s"), rel=0.02)  # L = lambda W


def erlang_c(servers: int, load: float) -> float:
    """The chance that an arrival waits, in an M/M/c queue with offered ``load`` (lambda/mu)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


def first_come_first_served(requests: list[Request], servers: int) -> list[float]:
    """Each request's wait in a queue of ``servers`` that serve in order of arrival: it starts
    when it arrives or when the first server frees up, whichever is later (Kiefer-Wolfowitz)."""
    free, waits = [0.0] * servers, []
    for r in requests:
        start = max(r.arrival_s, heapq.heappop(free))
        waits.append(start - r.arrival_s)
        heapq.heappush(free, start + r.service_s)
    return waits


@pytest.mark.parametrize(
    ("rate", "servers", "seed"),
    [(1.0, 2, 0), (2.0, 4, 1), (1.8, 2, 2)],
    ids=["2 servers at load 0.5", "4 servers at load 0.5", "2 servers at load 0.9"],
)
def test_the_mean_wait_matches_erlang_c(rate, servers, seed):
    """Two steps, each exact or sized to its noise. The simulator is a first-come-first-served
    queue of ``servers``: every request waits exactly as long as the recursion says (5,000
    requests, at a load of 0.5 and 0.9). That queue's mean wait is Erlang C's: on 400,000
    requests (the recursion is fast) the sample mean's spread, over 12 seeds, was 0.9 % with 2
    servers and 1.5 % with 4, so 5 % is more than 3 standard deviations. (The simulator alone on
    100,000 requests took 8 s a case, with a spread of 1.7 % and 2.8 %: 5 % was luck's margin.)"""
    hard = rate / servers > 0.8  # near full load the mean converges slowly: the exact check only
    requests = poisson(rate, 5_000 if hard else 400_000, 1.0, seed)
    first = requests[:5_000]
    settings = SimulationSettings(concurrency=servers, retry="none", sample_s=10.0, **BARE)
    simulated = sorted((s.arrival_s, s.queue_s) for s in simulate(first, settings).served)
    assert [wait for _, wait in simulated] == pytest.approx(
        first_come_first_served(first, servers), abs=1e-9
    )
    if hard:
        return
    # the theory for the traffic this sample has: its own arrival rate and mean service time
    rate_seen = len(requests) / requests[-1].arrival_s
    service = sum(r.service_s for r in requests) / len(requests)
    expected = erlang_c(servers, rate_seen * service) / (servers / service - rate_seen)
    waits = first_come_first_served(requests, servers)
    assert sum(waits) / len(waits) == pytest.approx(expected, rel=0.05)


def test_the_trace_ships_with_its_licence_and_slices_count_from_their_start():
    hour = load_trace("conv")
    assert len(hour) == 19_366 and len(load_trace("code")) == 8_819
    minute = slice_of(hour, 60.0, 120.0)
    assert minute and 0.0 <= minute[0].arrival_s < 60.0 > minute[-1].arrival_s
    readme = data_file("azure_llm_trace_2023", "README.md").read_text(encoding="utf-8")
    assert "CC-BY 4.0" in readme and "Splitwise" in readme and "AzurePublicDataset" in readme


def test_bad_settings_get_one_clear_line():
    with pytest.raises(SettingError, match="concurrency must be a whole number"):
        SimulationSettings(concurrency=0)
    with pytest.raises(SettingError, match="trace must be one of conv, code"):
        load_trace("chat")
    with pytest.raises(ValueError, match="at least one request"):
        simulate([])


async def test_it_runs_from_a_thread_that_runs_a_loop_already_as_a_notebook_does():
    run = simulate([Request(0.0, service_s=2.0)], SimulationSettings(**BARE))
    assert run.served[0].done_s == 2.0


def test_a_request_that_raises_what_no_retry_handles_stops_the_run_at_once(monkeypatch):
    """A bug in the client code (here: the response cache's lookup) is raised as soon as it
    happens, not after the rest of the hour has been replayed."""
    from course_lib.scaling import simulator

    def broken(i, rate):
        if i == 3:
            raise RuntimeError("the cache's lookup broke")
        return False

    monkeypatch.setattr(simulator, "is_cache_hit", broken)
    hour = [Request(float(n), service_s=1.0) for n in range(3600)]
    seen = []
    with pytest.raises(RuntimeError, match="lookup broke"):
        simulate(hour, SimulationSettings(concurrency=10), progress=seen.append)
    assert max(seen) < 60, max(seen)  # simulated seconds: it stopped near request 3
