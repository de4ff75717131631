"""What a batch of requests costs on the Gemini API, from the dated prices of
``course_lib.catalogue`` (each with its source): per model, input and output tokens; cached input
at a tenth; service tiers (priority, flex) and the Batch API as factors.

Three ways to pay less, each a parameter here and in the simulator (``SimulationSettings``):

- an exact-match response cache: a share of requests is answered from it and never sent;
- implicit context caching: a share of each prompt's tokens (a repeated prefix: the system
  prompt, the conversation so far) is billed at a tenth, for prompts long enough to be cached;
- routing: prompts shorter than a threshold go to a cheaper model.

>>> from course_lib.scaling.traffic import Request
>>> ten = [Request(0.0, 1000, 100)] * 10
>>> bill(ten, "gemini-3.6-flash").dollars  # 10 x (1000 x 1.50 + 100 x 7.50) / 1e6
0.0225
>>> bill(ten, "gemini-3.6-flash", cache_hit_rate=0.5).sent
5
>>> bill(ten, "gemini-3.6-flash", cached_input_share=0.5).cached_tokens  # too short to cache
0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from course_lib import catalogue, ranges
from course_lib.scaling.traffic import Request
from course_lib.values import SettingError

#: Where routing sends short prompts in lesson 07: the catalogue's cheap model.
CHEAP_MODEL = catalogue.CHEAP_MODEL
_GOLDEN = 0.6180339887498949
_LONG_PROMPT = 200_000  # longer prompts cost more on models priced "over_200k"
_TIERS = {  # what each tier is for; its price factor is the catalogue's
    "standard": ("seconds", "the default"),
    "priority": (
        "seconds, served first under load",
        "75-100 % more; billed here at 1.75x, the low end",
    ),
    "flex": (
        "minutes (1-15, the target)",
        "half price; the call waits for its answer, which may take minutes, and may be refused "
        "(503) when capacity is short",
    ),
    "batch": ("up to 24 hours (the target)", "half price; the Batch API, answers within 24 h"),
}


@cache
def price_table() -> dict[str, Any]:
    """The prices as a table: ``models`` (input and output dollars per 1M tokens, from which
    prompt length implicit caching applies, a ``note`` and the ``source`` of each), the cached
    input factor, the tiers (price factor, latency, note), and where and when the prices were
    read (``source``, ``as_of``: the newest reading). Only models with an official price."""
    models: dict[str, dict[str, Any]] = {}
    for model in catalogue.MODELS.values():
        if (price := model.price) is None:
            continue
        entry = models[model.name] = {
            "input": price.input,
            "output": price.output,
            "cache_min_tokens": model.cache_min_tokens,
            "source": price.source,
            "note": "",
        }
        if price.over_200k:
            entry["over_200k"] = price.over_200k
            entry["note"] = "prompts over 200k tokens: ${:.2f} in, ${:.2f} out".format(
                *price.over_200k
            )
        if price.intro:
            launch = "billed at its regular price; launch price ${:.2f} in, ${:.2f} out until {}"
            entry["note"] = launch.format(*price.intro)
    return {
        "source": catalogue.PRICING_PAGE,
        "as_of": catalogue.PRICES_READ,
        "models": models,
        "cached_input_factor": catalogue.CACHED_INPUT_FACTOR,
        "tiers": {
            tier: {"price_factor": factor, "latency": _TIERS[tier][0], "note": _TIERS[tier][1]}
            for tier, factor in catalogue.TIER_FACTORS.items()
        },
    }


def is_cache_hit(index: int, rate: float) -> bool:
    """Whether request ``index`` is answered from the response cache, for a hit ``rate``: spread
    evenly (a golden-ratio sequence), so any stretch of requests has that share of hits, and the
    simulator and the bill agree on which ones."""
    return rate > 0 and (index * _GOLDEN) % 1.0 < rate


def model_for(request: Request, model: str, cheap_model: str | None, below: int | None) -> str:
    """Routing: a prompt shorter than ``below`` tokens goes to ``cheap_model``."""
    if cheap_model is not None and below is not None and request.prompt_tokens < below:
        return cheap_model
    return model


def request_dollars(request: Request, model: str, cached_input_share: float = 0.0) -> float:
    """What one request sent to ``model`` costs at the standard tier, with that share of its
    prompt billed as cached input."""
    table = price_table()
    price = table["models"][model]
    reused = cached_tokens(request, model, cached_input_share)
    tokens_in, tokens_out = price["input"], price["output"]
    if request.prompt_tokens > _LONG_PROMPT and "over_200k" in price:
        tokens_in, tokens_out = price["over_200k"]
    return (
        (request.prompt_tokens - reused) * tokens_in
        + reused * tokens_in * table["cached_input_factor"]
        + request.output_tokens * tokens_out
    ) / 1e6


def cached_tokens(request: Request, model: str, cached_input_share: float) -> int:
    """The prompt tokens billed as cached input: that share of the prompt, for prompts long
    enough for implicit caching on ``model`` (its ``cache_min_tokens``); none for shorter ones."""
    if request.prompt_tokens < price_table()["models"][model].get("cache_min_tokens", 0):
        return 0
    return round(request.prompt_tokens * cached_input_share)


def tier_factor(tier: str) -> float:
    """How a service tier (or the Batch API) scales the standard price."""
    return price_table()["tiers"][ranges.check("tier", tier)]["price_factor"]


def check_priced(name: str, model: str | None) -> None:
    """``model`` (None aside) must be a model the kit knows (the table's check) and one the price
    table prices: a simulation or a bill of any other would fail half-way with a KeyError."""
    priced = price_table()["models"]
    if ranges.check(name, model) is not None and model not in priced:
        raise SettingError(
            f"{name} must be a model with a price in course_lib.catalogue: {', '.join(priced)} "
            f"(got {model!r})"
        )


@dataclass(frozen=True)
class Bill:
    """What a batch cost: requests in all and those sent (the rest came from the cache), tokens
    by kind, the dollars, and how many requests each model served."""

    requests: int
    sent: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    dollars: float
    by_model: tuple[tuple[str, int], ...]

    @property
    def per_1000(self) -> float:
        """Dollars per 1,000 requests."""
        return self.dollars / self.requests * 1000 if self.requests else 0.0


def bill(
    requests: Sequence[Request],
    model: str = catalogue.DEFAULT_MODEL,
    *,
    tier: str = "standard",
    cache_hit_rate: float = 0.0,
    cached_input_share: float = 0.0,
    cheap_model: str | None = None,
    route_below_tokens: int | None = None,
) -> Bill:
    """The bill for ``requests``: see the module's docstring for the three ways to pay less."""
    factor = tier_factor(tier)
    ranges.check("cache_hit_rate", cache_hit_rate)
    ranges.check("cached_input_share", cached_input_share)
    check_priced("model", model)
    check_priced("cheap_model", cheap_model)
    ranges.check("route_below_tokens", route_below_tokens)
    dollars, sent, tokens_in, cached, tokens_out = 0.0, 0, 0, 0, 0
    served: dict[str, int] = {}
    for i, request in enumerate(requests):
        if is_cache_hit(i, cache_hit_rate):
            continue
        chosen = model_for(request, model, cheap_model, route_below_tokens)
        reused = cached_tokens(request, chosen, cached_input_share)
        dollars += request_dollars(request, chosen, cached_input_share)
        sent += 1
        tokens_in, cached, tokens_out = (
            tokens_in + request.prompt_tokens,
            cached + reused,
            tokens_out + request.output_tokens,
        )
        served[chosen] = served.get(chosen, 0) + 1
    return Bill(
        len(requests),
        sent,
        tokens_in,
        cached,
        tokens_out,
        round(dollars * factor, 10),
        tuple(sorted(served.items())),
    )
