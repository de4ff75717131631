"""The Gemini models the kit knows, in one dated table: each current model's token limits and
price, the ``-latest`` aliases, and the retired names with what the API does with them now.

The fake serves this table (``models.get``, ``models.list``, its 404s), the kit's ``model``
settings take their names from it, and lesson 07 bills with its prices. Every entry names its
source and when it was read; Google retires names often (the deprecations page), so when one
moves, change it here and nowhere else. Rate limits are not in it: Google publishes no free-tier
numbers (AI Studio shows a project's own), so the fake's are settings (``use_fake(rpm=...)``),
one budget per project and answering model: an alias, or a name the API routes to another
model, counts against the model that answers it (the fake's choice; unverified).

>>> served("gemini-flash-latest", "v1beta"), served("gemini-flash-latest", "v1")
('gemini-3.8-flash', None)
>>> served("gemini-2.5-flash", "v1")  # shut down on 2026-12-01: the API answers with another
'gemini-3.5-flash-lite'
>>> refusal("gemini-2.0-flash", "v1", "generateContent")[:44]
'This model models/gemini-2.0-flash is no lon'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

PRICING_PAGE = "https://ai.google.dev/gemini-api/docs/pricing"
PRICES_READ = "2026-12-05"  # the newest reading behind the prices below
# Where each fact was read. "docs corpus" copies were read on 2026-12-05; their pages give no
# crawl date of their own, so that is the date we vouch for.
_PRICES_1007 = f"{PRICING_PAGE}, transcribed 2026-10-07 (api-evangelist/deepmind, verbatim)"
_PRICES_0920 = f"{PRICING_PAGE}, September 2026 (the kit's earlier table)"
_WHATS_NEW_36 = "ai.google.dev/gemini-api/docs/whats-new-gemini-3.6, read 2026-12-05"
_MODEL_PAGE = "ai.google.dev/gemini-api/docs/models/{}, read 2026-12-05"
_GUIDE_38 = (
    "docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/gemini-3-8-flash "
    "(3.8 Flash, 3.7 Flash, 3.1 Pro), read 2026-12-05"
)
_THIRD_PARTY = "models.dev (anomalyco/models.dev), third-party, read 2026-12-05"


@dataclass(frozen=True)
class Price:
    """US dollars per 1M tokens, paid tier, Standard, text: ``input`` and ``output`` (thinking
    tokens are billed as output). ``over_200k``: (input, output) for prompts over 200k tokens;
    ``intro``: (input, output, last day) of a launch price that ends."""

    input: float
    output: float
    source: str
    over_200k: tuple[float, float] | None = None
    intro: tuple[float, float, str] | None = None


@dataclass(frozen=True)
class Model:
    """A model the API serves under its own name, on v1 and v1beta."""

    name: str
    title: str
    released: str
    input_token_limit: int
    output_token_limit: int
    limits_source: str
    price: Price | None = None  # None: no official price found, so the kit bills none
    preview: bool = False
    cache_min_tokens: int = 4_096  # implicit caching starts here (caching page, October 2026)


@dataclass(frozen=True)
class Alias:
    """A ``-latest`` name: only on v1beta (google-genai 3.0.0's release notes), answered by
    ``target``, which Google moves to each new release."""

    name: str
    target: str
    source: str


@dataclass(frozen=True)
class Retired:
    """A name Google retired: since ``since`` (empty: deprecated, date not found), the API
    answers it with ``answered_by`` (for 2.5 Flash and Pro, Google says, at that model's rates)
    or, when that is None, refuses it with a 404. ``use`` is the replacement Google names."""

    name: str
    since: str
    answered_by: str | None
    use: str
    source: str


# Release dates: the deprecations page (ai.google.dev/gemini-api/docs/deprecations, copies of 2026).
_MIB = 1_048_576  # every current model's input limit; output limits are 65,536
_FLASH_LITE_35 = "gemini-3.5-flash-lite"
_FLASH_38 = "gemini-3.8-flash"
_MODELS = (
    Model(
        "gemini-3.6-flash", "Gemini 3.6 Flash", "2026-07-21", _MIB, 65_536,
        _MODEL_PAGE.format("gemini-3.6-flash"), Price(1.50, 7.50, _WHATS_NEW_36),
    ),
    Model(
        "gemini-3.8-flash", "Gemini 3.8 Flash", "2026-09-02", _MIB, 65_536, _GUIDE_38,
        Price(1.50, 7.50, _PRICES_1007, intro=(0.75, 3.75, "2026-12-31")),
    ),
    Model("gemini-3.7-flash", "Gemini 3.7 Flash", "2026-08-13", _MIB, 65_536, _GUIDE_38),
    Model(
        _FLASH_LITE_35, "Gemini 3.5 Flash-Lite", "2026-07-21", _MIB, 65_536,
        _MODEL_PAGE.format(_FLASH_LITE_35), Price(0.30, 2.50, f"{_PRICES_1007}; {_WHATS_NEW_36}"),
    ),
    Model(
        "gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite", "2026-05-07", _MIB, 65_536, _THIRD_PARTY
    ),
    Model(
        "gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", "2026-02-19", _MIB, 65_536, _GUIDE_38,
        Price(2.00, 12.00, _PRICES_1007, over_200k=(4.00, 18.00)), preview=True,
    ),
    Model(
        "gemini-3-flash-preview", "Gemini 3 Flash Preview", "2025-12-17", _MIB, 65_536,
        "docs.cloud.google.com/gemini-enterprise-agent-platform/models/gemini/3-flash, read "
        "2026-12-05",
        Price(0.50, 3.00, f"{PRICING_PAGE}, as quoted verbatim by factquire.com on 2026-07-04"),
        preview=True,
    ),
    Model(
        "gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "2025-07-22", _MIB, 65_536, _THIRD_PARTY,
        Price(0.10, 0.40, f"{_PRICES_0920}; output also in {_PRICES_1007}"),
        cache_min_tokens=2_048,  # not in the caching page's table: what the API was reported to use
    ),
)  # fmt: skip

_INFERRED = "target inferred: the newest release of its line in this table (unverified)"
_ALIASES = (
    Alias("gemini-flash-latest", "gemini-3.8-flash", _INFERRED),
    Alias("gemini-flash-lite-latest", _FLASH_LITE_35, _INFERRED),
    Alias("gemini-pro-latest", "gemini-3.1-pro-preview", _INFERRED),
)

_ROUTED_2026_12 = "dev.to/aideprecations, citing the deprecations page read 2026-11-10"
_GONE_2026_06 = "404 wording: google/adk-docs#1840 (2026-06-14); replacement: Google's e-mail"
_RETIRED = (
    Retired("gemini-2.5-flash", "2026-12-01", _FLASH_LITE_35, _FLASH_LITE_35, _ROUTED_2026_12),
    Retired("gemini-2.5-pro", "2026-12-01", _FLASH_38, _FLASH_38, _ROUTED_2026_12),
    Retired(
        "gemini-3.5-flash", "", "gemini-3.6-flash", "gemini-3.6-flash",
        _MODEL_PAGE.format("gemini-3.5-flash") + ' ("Deprecated ... automatically routed to '
        'gemini-3.6-flash"; no date given there or in the changelog)',
    ),
    Retired(
        "gemini-3-pro-preview", "2026-03-09", "gemini-3.1-pro-preview", "gemini-3.1-pro-preview",
        "enricoros/big-AGI#1082 (2026-04-24): still listed, answered by 3.1 Pro (one report)",
    ),
    *(
        Retired(name, "2026-06-01", None, "gemini-3.1-flash-lite", _GONE_2026_06)
        for name in (
            "gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-lite",
            "gemini-2.0-flash-lite-001",
        )
    ),
)  # fmt: skip

MODELS = MappingProxyType({m.name: m for m in _MODELS})
ALIASES = MappingProxyType({a.name: a for a in _ALIASES})
RETIRED = MappingProxyType({r.name: r for r in _RETIRED})

#: The model the lessons call: a current Flash model. gemini-3.6-flash because it is GA
#: (2026-07-21) with no shutdown date announced; it is the default MODEL_ID of Google's cookbook
#: (30 quickstarts, commit 1cbaa8d2, 2026-07-21), so code copied from there names the same model;
#: the API now answers gemini-3.5-flash with it. Not gemini-3.8-flash, the newest Flash: its
#: $0.75/$3.75 is a launch price that ends 2026-12-31 (then $1.50/$7.50, as 3.6 Flash), a free
#: key was reported to get 25 of its requests a day against 100 for older Flash models
#: (iBUHub/AIStudioToAPI#257), and it refuses thinking_level "minimal" (Vertex 3.8 Flash page).
#: Not gemini-flash-latest: the aliases exist only on v1beta (the SDK calls v1) and move.
DEFAULT_MODEL = "gemini-3.6-flash"
#: Where lessons send cheap work (routing in lessons 06 and 07): a current Flash-Lite model.
CHEAP_MODEL = _FLASH_LITE_35
#: The names the kit's ``model`` settings take: current models, the default first.
CURRENT: tuple[str, ...] = tuple(MODELS)
#: Every name the fake answers: current models, aliases and the names the API routes.
ANSWERED: tuple[str, ...] = (
    *CURRENT,
    *ALIASES,
    *(r.name for r in _RETIRED if r.answered_by is not None),
)
#: Cached input tokens cost this share of the input price (the caching page, October 2026: "90 %
#: less"), for prompts of at least a model's ``cache_min_tokens``.
CACHED_INPUT_FACTOR = 0.1
#: How each service tier, and the Batch API, scales the Standard price: Batch "50% cost
#: reduction" (pricing page, 2026-10-07); Flex half price (its docs page, 2026); Priority "75-100 %
#: more" (pricing page, September 2026; 1.75 is the lower bound).
TIER_FACTORS = MappingProxyType({"standard": 1.0, "priority": 1.75, "flex": 0.5, "batch": 0.5})
#: What the API's Model resource lists as a model's methods (the fake serves the first two;
#: the list is the one real ListModels answers gave for Gemini 2.5 and 3 models).
ACTIONS = ("generateContent", "countTokens", "createCachedContent", "batchGenerateContent")


def served(name: str, version: str) -> str | None:
    """The model that answers ``name`` on API ``version`` (v1 or v1beta), or None if none does."""
    if name in MODELS:
        return name
    if name in ALIASES:
        return ALIASES[name].target if version == "v1beta" else None
    retired = RETIRED.get(name)
    return retired.answered_by if retired is not None else None


def refusal(name: str, version: str, method: str) -> str | None:
    """The message of the API's 404 for ``name``, or None when the API answers it."""
    if served(name, version) is not None:
        return None
    if name in RETIRED:  # shut down: the API's own wording, not "not found"
        return (
            f"This model models/{name} is no longer available. Please update your code to use "
            "a newer model for the latest features and improvements."
        )
    return not_found(name, version, method)


def not_found(name: str, version: str, method: str) -> str:
    """The API's 404 for a name it does not know (seen for generateContent, countTokens and
    streamGenerateContent in recorded answers)."""
    return (
        f"models/{name} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported "
        "methods."
    )


def advice(name: str) -> str | None:
    """For a retired name, one clause saying what happened and what to use instead."""
    retired = RETIRED.get(name)
    if retired is None:
        return None
    when = f"was shut down on {retired.since}" if retired.since else "is deprecated"
    if retired.answered_by is not None:
        when += f" (the API now answers it with {retired.answered_by})"
    return f"{when}: use {retired.use!r} instead"


def answering(name: str) -> Model:
    """The model whose limits apply to ``name``: itself, the model that answers it, or (a name
    the table lacks) the default."""
    return MODELS.get(name) or MODELS.get(served(name, "v1beta") or "") or MODELS[DEFAULT_MODEL]


def resource(name: str) -> dict:
    """``name``'s Model resource, as ``GET models/{name}`` gives it (``client.models.get``):
    the answering model's limits; a name the table lacks gets the default model's."""
    model = answering(name)
    own = name == model.name
    return {
        "name": f"models/{name}",
        "version": "fake-001",
        "displayName": model.title if own else name,
        "description": f"{model.title}, released {model.released}"
        + ("." if own else f"; it answers {name}."),
        "inputTokenLimit": model.input_token_limit,
        "outputTokenLimit": model.output_token_limit,
        "supportedGenerationMethods": list(ACTIONS),
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
        "thinking": True,
    }


def instead(model: str, available: Iterable[str]) -> str | None:
    """A current model of the table that ``available`` (a key's list of models) has, to use
    when ``model`` is not there: one of the same line (Flash, Flash-Lite, Pro) first."""
    names = {a.removeprefix("models/") for a in available}
    usable = [m for m in CURRENT if m in names and m != model]
    same = [m for m in usable if _line(m) == _line(model)]
    return next(iter(same or usable), None)


def _line(name: str) -> str:
    return "lite" if "-lite" in name else "pro" if "-pro" in name else "flash"
