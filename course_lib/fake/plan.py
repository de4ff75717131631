"""What chance decides about one call, before any of it is said: whether it fails (an injected
500 or 503, a shed Flex call), what the model answers, how long it thinks, queues and takes.

Everything is drawn from one hash of the seed, the model, the prompt and how often that prompt
was asked (``fake.draws``), so a run gives the same answers however its calls interleave, in any
process. ``FakeGemini`` plans each call here, with its own settings (``Odds``).

>>> from course_lib.fake.gemini import FakeGemini
>>> from course_lib.fake.request import Prompt
>>> plan = plan_call(FakeGemini(latency=0.5), "gemini-3.6-flash", Prompt(["Hi"], "Hi"), 0)
>>> plan.turn is not None, plan.total
(True, 0.5)
"""

from __future__ import annotations

from typing import Protocol

from course_lib import catalogue
from course_lib.fake.draws import seed_of, uniforms
from course_lib.fake.latency import LatencyModel
from course_lib.fake.request import Prompt
from course_lib.fake.thinking import configured, held_back
from course_lib.fake.tiers import SHED, Tiers
from course_lib.fake.turn import Plan, model_turn, prose

INTERNAL = (500, "INTERNAL", "An internal error has occurred.")
OVERLOADED = (503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


class Odds(Protocol):
    """The fake's settings that chance reads (``FakeGemini`` has them)."""

    @property
    def seed(self) -> int: ...

    @property
    def failure_rate(self) -> float: ...

    @property
    def hang_rate(self) -> float: ...

    @property
    def hang_s(self) -> float: ...

    @property
    def tiers(self) -> Tiers: ...

    @property
    def latency_model(self) -> LatencyModel: ...


def plan_call(odds: Odds, model: str, request: Prompt, asked: int, tier: str = "standard") -> Plan:
    """Everything chance decides about the ``asked``-th asking of ``request`` served at
    ``tier``: failure, what the model says, how long it thinks, queues and takes."""
    prompt, config = request.key, request.config
    draws, response_id = uniforms(odds.seed, model, prompt, asked)
    queued = 0.0
    if tier == "flex":  # draws of its own: a Flex call leaves the others' as they were
        flex_draws = uniforms(odds.seed, model, prompt, asked, tier)[0]
        shed, queued = odds.tiers.flex_queue(flex_draws[0], flex_draws[1])
        if shed:
            return Plan(None, queued, queued, response_id, SHED)
    # an injected failure: a 500, or a 503 (never to Priority: it is not shed)
    if draws[0] < odds.failure_rate and not (tier == "priority" and draws[2] >= 0.5):
        _, seconds = odds.latency_model.draw(draws[1], 0)
        error = INTERNAL if draws[2] < 0.5 else OVERLOADED
        return Plan(None, seconds, seconds, response_id, error)
    variant = 0 if config.get("temperature") == 0 else asked  # else a repeat may vary
    seed = seed_of(odds.seed, model, prompt, variant)
    text, finish = prose(request, seed)
    thinking = configured(model, config, draws[2])
    turn = model_turn(model, request, text, finish, thinking, seed)
    first, total = held_back(*odds.latency_model.draw(draws[1], turn.tokens), thinking.scale)
    if draws[3] < odds.hang_rate:
        first = total = odds.hang_s
    return Plan(turn, queued + first, queued + total, response_id)


def too_long(model: str, request: Prompt) -> str | None:
    """The 400's message for a prompt longer than ``model`` takes (as recorded from Gemini 3)."""
    limit = catalogue.answering(model).input_token_limit
    if request.tokens <= limit:
        return None
    return f"The input token count exceeds the maximum number of tokens allowed ({limit})."
