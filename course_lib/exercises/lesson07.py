"""Checks for lesson 07 (scaling): plan the capacity for a latency target, and compute a bill
with a response cache and routing that agrees with the simulator's.

Both use the first 20 minutes of the real trace (5,985 requests), so a check takes a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any

from course_lib.catalogue import CHEAP_MODEL, DEFAULT_MODEL
from course_lib.exercises.feedback import Feedback, right, wrong
from course_lib.scaling.costs import bill
from course_lib.scaling.simulation_settings import SimulationSettings
from course_lib.scaling.simulator import Simulated, simulate
from course_lib.scaling.traffic import Request, load_trace, slice_of

LIMITS = (120, 300, 360, 420, 600, 1200)  # requests a minute: the limits to choose from
IN_FLIGHT = (10, 20, 40, 80, 160)  # calls in flight to choose from
TARGET_P95_S = 6.0
#: the check asks for this target too, for the first OTHER_MINUTES of the trace: the plan there
#: is 40 in flight, not 20 (and five minutes simulate in a quarter of the time)
OTHER_TARGET_P95_S, OTHER_MINUTES = 5.5, 5
CHEAP_BELOW = 500  # prompts under this many tokens go to the cheap model in exercise 2
#: how far a bill may be from the simulator's: float sums in another order, nothing more
BILL_TOLERANCE = 1e-6


def first_20_minutes() -> list[Request]:
    """The requests of the trace's first 20 minutes."""
    return list(_first_minutes(20))


@cache
def _first_minutes(minutes: int) -> list[Request]:
    return slice_of(load_trace("conv"), 0.0, minutes * 60.0)


@cache
def _simulated(in_flight: int, rpm: int, minutes: int) -> Simulated:
    """The trace's first ``minutes`` simulated with these choices: the same every time (a
    virtual clock, no chance), so a second check of the same choices, or of a neighbour, does not
    wait again."""
    settings = SimulationSettings(concurrency=in_flight, rpm=rpm)
    return simulate(_first_minutes(minutes), settings)


def _meets(run: Simulated, target: float) -> bool:
    return run.failed == 0 and run.percentile("latency_s", 95) <= target


def check_plan(plan: Callable[[list[Request], float], Any]) -> Feedback:
    """``plan(requests, target_p95_s)`` returns ``(in_flight, rpm)``: the fewest calls in flight
    (from ``IN_FLIGHT``) and the lowest limit (from ``LIMITS``) with which every request of
    ``requests`` is answered and the p95 latency is at most ``target_p95_s``."""
    if not callable(plan):
        return wrong("pass the function itself: check_plan(plan).")
    requests = first_20_minutes()
    try:
        answer = plan(requests, TARGET_P95_S)
        in_flight, rpm = answer
    except (TypeError, ValueError):
        return wrong("return two numbers, (in_flight, rpm), e.g. return 40, 600.")
    except Exception as error:
        return wrong(f"plan raised {type(error).__name__}: {str(error)[:200]}")
    problem = _plan_problem(in_flight, rpm, TARGET_P95_S, 20)
    if problem is not None:
        return problem
    try:  # a second target: a plan written in for the first one is not a plan
        other = plan(_first_minutes(OTHER_MINUTES), OTHER_TARGET_P95_S)
        other_in_flight, other_rpm = other
    except (TypeError, ValueError):
        return wrong("return two numbers, (in_flight, rpm), for every target.")
    except Exception as error:
        return wrong(f"plan raised {type(error).__name__}: {str(error)[:200]}")
    problem = _plan_problem(other_in_flight, other_rpm, OTHER_TARGET_P95_S, OTHER_MINUTES)
    if problem is not None:
        return wrong(
            f"right for a p95 of {TARGET_P95_S:g} s, but asked for {OTHER_TARGET_P95_S:g} s on "
            f"the first {OTHER_MINUTES} minutes, it answered {tuple(other)}: {problem.message} "
            "Work it out from requests and target_p95_s, not for one case."
        )
    run = _simulated(in_flight, rpm, 20)
    mean_in_flight = len(requests) / 1200 * run.mean("latency_s")
    return right(
        f"{rpm}/min and {in_flight} in flight: p95 {run.percentile('latency_s', 95):.1f} s, "
        f"nothing failed. Little's law agrees: {len(requests) / 1200:.1f} requests a second × "
        f"{run.mean('latency_s'):.1f} s each ≈ {mean_in_flight:.0f} in flight on average, and "
        "the bursts need more."
    )


def _plan_problem(in_flight: Any, rpm: Any, target: float, minutes: int) -> Feedback | None:
    """What is wrong with ``(in_flight, rpm)`` as the plan for ``target`` on the trace's first
    ``minutes``, or None."""
    if rpm not in LIMITS or in_flight not in IN_FLIGHT:
        return wrong(f"choose rpm from LIMITS {LIMITS} and in_flight from IN_FLIGHT {IN_FLIGHT}.")
    run = _simulated(in_flight, rpm, minutes)
    if not _meets(run, target):
        return wrong(
            f"with {in_flight} in flight and {rpm}/min, p95 is "
            f"{run.percentile('latency_s', 95):.1f} s and {run.failed} requests failed: aim for "
            f"p95 ≤ {target:g} s with none failed."
        )
    smaller = LIMITS[LIMITS.index(rpm) - 1] if rpm != LIMITS[0] else None
    if smaller and _meets(_simulated(in_flight, smaller, minutes), target):
        return wrong(f"{rpm}/min works, and so does {smaller}/min: pick the lowest that does.")
    fewer = IN_FLIGHT[IN_FLIGHT.index(in_flight) - 1] if in_flight != IN_FLIGHT[0] else None
    if fewer and _meets(_simulated(fewer, rpm, minutes), target):
        return wrong(f"{in_flight} in flight works, and so does {fewer}: pick the fewest.")
    return None


def check_bill(hour_cost: Callable[[list[Request]], float]) -> Feedback:
    """``hour_cost(requests)``: the dollars for ``requests`` on the default model, standard tier,
    with a response cache answering request ``i`` when ``is_cache_hit(i, 0.2)`` (never sent,
    free) and prompts under ``CHEAP_BELOW`` tokens sent to the catalogue's cheap model. The check
    compares it with what the simulator billed for the same settings."""
    if not callable(hour_cost):
        return wrong("pass the function itself: check_bill(hour_cost).")
    settings = SimulationSettings(
        model=DEFAULT_MODEL,
        cache_hit_rate=0.2,
        cheap_model=CHEAP_MODEL,
        route_below_tokens=CHEAP_BELOW,
    )
    # The first 20 minutes, then the next 20: a number written in, or a bill guessed (a flat
    # 20 % off, cache hits drawn at random), cannot agree with the simulator on both.
    bills = []
    for part, requests in enumerate((first_20_minutes(), _next_20_minutes())):
        try:
            answer = hour_cost(requests)
        except Exception as error:
            return wrong(f"hour_cost raised {type(error).__name__}: {str(error)[:200]}")
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            return wrong(f"return the dollars, a number (hour_cost returned {answer!r:.60}).")
        dollars = float(answer)
        expected = simulate(requests, settings).dollars()
        if abs(dollars - expected) > BILL_TOLERANCE * expected:
            if part == 0 and round(dollars, 2) == round(expected, 2):
                return wrong(
                    f"${dollars:.4f}, where the simulator billed ${expected:.4f}: only rounding "
                    "apart; return the sum itself, unrounded."
                )
            if part == 0:
                return wrong(
                    f"${dollars:.2f}, where the simulator billed ${expected:.2f}: {_why(dollars)}"
                )
            return wrong(
                f"right for the first 20 minutes, but ${dollars:.2f} for the next 20, where the "
                f"simulator billed ${expected:.2f}: bill the requests you are given, each by "
                "its own tokens, and skip exactly the requests i with is_cache_hit(i, 0.2)."
            )
        bills.append(expected)
    return right(
        f"${bills[0]:.2f} for the first 20 minutes and ${bills[1]:.2f} for the next 20: the "
        "simulator billed the same."
    )


def _next_20_minutes() -> list[Request]:
    """The requests of the trace's minutes 20 to 40, counted from minute 20."""
    return slice_of(load_trace("conv"), 1200.0, 2400.0)


def _why(dollars: float) -> str:
    """Which common slip gives ``dollars`` for the first 20 minutes, if one does."""
    requests = first_20_minutes()
    flash, lite = DEFAULT_MODEL, CHEAP_MODEL
    routed = partial(bill, cheap_model=lite, route_below_tokens=CHEAP_BELOW)
    no_answers = [Request(r.arrival_s, r.prompt_tokens, 0) for r in requests]
    slips = {
        "the cache hits were billed: skip request i when is_cache_hit(i, 0.2)": routed(
            requests, flash
        ).dollars,
        f"every prompt went to Flash: those under {CHEAP_BELOW} tokens go to Flash-Lite": bill(
            requests, flash, cache_hit_rate=0.2
        ).dollars,
        "the answers are missing: add output_tokens at the output price": routed(
            no_answers, flash, cache_hit_rate=0.2
        ).dollars,
    }
    right_bill = routed(requests, flash, cache_hit_rate=0.2).dollars
    slips["prices are per 1,000,000 tokens: divide by 1e6"] = right_bill * 1000
    flat = (
        "20 % off the whole bill is not what the cache does: skip exactly the requests i for "
        "which is_cache_hit(i, 0.2) is true (which requests they are changes the bill)"
    )
    slips[flat] = routed(requests, flash).dollars * 0.8
    slips[f"{flat}, and send prompts under {CHEAP_BELOW} tokens to Flash-Lite"] = (
        bill(requests, flash).dollars * 0.8
    )
    for slip, wrong_dollars in slips.items():
        near = abs(dollars - wrong_dollars)
        if near <= 0.01 * wrong_dollars and near < abs(dollars - right_bill):
            return slip + "."
    return "check the cache hits (free), the routing, and both prices per 1M tokens."
