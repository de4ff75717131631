"""The model catalogue, through the fake and the real SDK: every name Google's cookbook uses is
answered (or refused) as the API does, ``models.get`` and ``models.list`` give the catalogue's
limits, and the kit's own model settings refuse a retired name with what to use instead."""

import re

import pytest
from google import genai
from google.genai import errors, types

from course_lib import DEFAULT_MODEL, ScenarioSettings, catalogue, gemini_client
from course_lib.fake import FakeGemini, FakeServer
from course_lib.scaling import SimulationSettings, price_table
from course_lib.values import SettingError

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

GONE = (
    "This model models/{} is no longer available. Please update your code to use a newer model "
    "for the latest features and improvements."
)
UNKNOWN = (
    "models/{} is not found for API version {}, or is not supported for {}. Call ListModels to "
    "see the list of available models and their supported methods."
)

#: (name, API version, the model that answers it, or None: the 404's message)
NAMES = [
    # the cookbook's MODEL_ID and its dropdown (google-gemini/cookbook, 2026-08-07), and newer
    ("gemini-3.6-flash", "v1", "gemini-3.6-flash"),
    ("gemini-3.8-flash", "v1", "gemini-3.8-flash"),
    ("gemini-3.7-flash", "v1", "gemini-3.7-flash"),
    ("gemini-3.5-flash-lite", "v1", "gemini-3.5-flash-lite"),
    ("gemini-3.1-flash-lite", "v1", "gemini-3.1-flash-lite"),
    ("gemini-3.1-pro-preview", "v1", "gemini-3.1-pro-preview"),
    ("gemini-3-flash-preview", "v1", "gemini-3-flash-preview"),
    ("gemini-2.5-flash-lite", "v1", "gemini-2.5-flash-lite"),
    # aliases: only on v1beta
    ("gemini-flash-latest", "v1beta", "gemini-3.8-flash"),
    ("gemini-flash-lite-latest", "v1beta", "gemini-3.5-flash-lite"),
    ("gemini-pro-latest", "v1beta", "gemini-3.1-pro-preview"),
    ("gemini-flash-latest", "v1", None),
    # retired names the API still answers, with another model
    ("gemini-3.5-flash", "v1", "gemini-3.6-flash"),
    ("gemini-2.5-flash", "v1", "gemini-3.5-flash-lite"),
    ("gemini-2.5-pro", "v1beta", "gemini-3.8-flash"),
    ("gemini-3-pro-preview", "v1", "gemini-3.1-pro-preview"),
    # shut down, and names that never existed or went long ago
    ("gemini-2.0-flash", "v1", None),
    ("gemini-2.0-flash-lite", "v1beta", None),
    ("gemini-1.5-flash", "v1beta", None),
    ("gemini-pro", "v1", None),
]


@pytest.fixture(scope="module")
def url():
    with FakeServer(FakeGemini(latency=0.0, error_latency_s=0.0)) as served_at:
        yield served_at


CLIENTS: list[genai.Client] = []  # kept: a client collected mid-call closes (FACTS)


def client_for(url: str, version: str) -> genai.Client:
    """A plain SDK client on the loopback fake, calling API ``version``."""
    options = types.HttpOptions(base_url=url, api_version=version)
    CLIENTS.append(genai.Client(api_key="k", http_options=options))
    return CLIENTS[-1]


def expected_404(name: str, version: str, method: str) -> str:
    if name in catalogue.RETIRED:
        return GONE.format(name)
    return UNKNOWN.format(name, version, method)


@pytest.mark.parametrize(("name", "version", "answering"), NAMES, ids=lambda v: str(v))
def test_a_cookbook_model_name_is_answered_or_refused_as_the_api_does(
    name, version, answering, url
):
    client = client_for(url, version)
    if answering is None:
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model=name, contents="Hello")
        assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
        assert caught.value.message == expected_404(name, version, "generateContent")
        with pytest.raises(errors.ClientError) as caught:
            client.models.count_tokens(model=name, contents="Hello")
        assert caught.value.message == expected_404(name, version, "countTokens")
        return
    reply = client.models.generate_content(model=name, contents="Hello")
    assert reply.text and reply.model_version.startswith(answering)
    streamed = "".join(
        c.text or "" for c in client.models.generate_content_stream(model=name, contents="Hi")
    )
    assert streamed
    assert client.models.count_tokens(model=name, contents="Hello there!").total_tokens == 3


@pytest.mark.parametrize("model_id", sorted({n for n, v, a in NAMES if a and v == "v1"}))
def test_counting_tokens_reads_the_limits_of_each_cookbook_model(model_id, monkeypatch):
    """Shaped like the cookbook's Counting_Tokens quickstart (cells 12-20), run unchanged
    against the fake: a plain genai.Client, models.get, then count_tokens and a call."""
    from course_lib import setup

    setup()  # what a lesson's setup cell does: the fake on loopback, the SDK pointed at it
    client = genai.Client(api_key="GEMINI_API_KEY from Colab's secrets")
    MODEL_ID = model_id  # noqa: N806 (the cookbook's name)

    model_info = client.models.get(model=MODEL_ID)
    print("Context window:", model_info.input_token_limit, "tokens")
    print("Max output window:", model_info.output_token_limit, "tokens")
    response = client.models.count_tokens(
        model=MODEL_ID, contents="What's the highest mountain in Africa?"
    )
    print("Prompt tokens:", response.total_tokens)
    answer = client.models.generate_content(
        model=MODEL_ID, contents="The quick brown fox jumps over the lazy dog."
    )

    answering = catalogue.MODELS[catalogue.served(model_id, "v1")]
    assert model_info.name == f"models/{model_id}"
    assert (model_info.input_token_limit, model_info.output_token_limit) == (
        answering.input_token_limit,
        answering.output_token_limit,
    )
    assert model_info.input_token_limit == 1_048_576 and model_info.output_token_limit == 65_536
    assert {"generateContent", "countTokens"} <= set(model_info.supported_actions)
    assert response.total_tokens == 10 and answer.text
    assert answer.usage_metadata.prompt_token_count == 11


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_the_model_list_is_the_catalogue_s_for_that_version(version, url):
    listed = {m.name.removeprefix("models/"): m for m in client_for(url, version).models.list()}
    expected = {n for n in catalogue.ANSWERED if catalogue.served(n, version) is not None}
    assert set(listed) == expected
    assert ("gemini-flash-latest" in listed) == (version == "v1beta")
    assert "gemini-2.0-flash" not in listed and DEFAULT_MODEL in listed
    for name, model in listed.items():
        own = catalogue.answering(name)
        assert (model.input_token_limit, model.output_token_limit) == (
            own.input_token_limit,
            own.output_token_limit,
        ), name


def test_models_get_of_a_shut_down_model_is_the_api_s_404(url):
    with pytest.raises(errors.ClientError) as caught:
        client_for(url, "v1beta").models.get(model="gemini-2.0-flash")
    assert caught.value.code == 404 and caught.value.message == GONE.format("gemini-2.0-flash")


def test_a_fake_told_to_serve_fewer_models_refuses_the_others():
    fake = FakeGemini(latency=0.0, models=(DEFAULT_MODEL,))
    client = gemini_client(fake=fake)
    assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hi").text
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gemini-3.8-flash", contents="Hi")
    assert caught.value.message == UNKNOWN.format("gemini-3.8-flash", "v1", "generateContent")
    assert [m.name for m in client.models.list()] == [f"models/{DEFAULT_MODEL}"]


# -- the kit's own model settings ----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(catalogue.RETIRED))
def test_the_kit_refuses_a_retired_model_with_what_to_use_instead(name):
    retired = catalogue.RETIRED[name]
    for make, setting in [
        (lambda m: ScenarioSettings(model=m), "model"),
        (lambda m: SimulationSettings(cheap_model=m), "cheap_model"),
    ]:
        with pytest.raises(SettingError) as caught:
            make(name)
        said = str(caught.value)
        assert said.startswith(f"{setting} {name!r} ") and "\n" not in said
        assert said.endswith(f"use {retired.use!r} instead")
        assert (retired.since in said) and (str(retired.answered_by) in said) == bool(
            retired.answered_by
        )


# -- the catalogue itself ------------------------------------------------------------------------
DATE = re.compile(r"^20\d\d-\d\d-\d\d$")


@pytest.mark.parametrize("model", catalogue.MODELS.values(), ids=lambda m: m.name)
def test_every_current_model_is_dated_sourced_and_sized(model):
    assert DATE.match(model.released) and model.limits_source
    assert model.input_token_limit > 0 and model.output_token_limit > 0
    if model.price is not None:
        assert model.price.source and 0 < model.price.input < model.price.output
        assert model.price.intro is None or DATE.match(model.price.intro[2])


def test_every_name_the_catalogue_points_to_is_a_current_model():
    current = set(catalogue.CURRENT)
    assert {a.target for a in catalogue.ALIASES.values()} <= current
    for retired in catalogue.RETIRED.values():
        assert retired.use in current and retired.source, retired.name
        assert retired.answered_by in current | {None}, retired.name
        assert retired.since == "" or DATE.match(retired.since), retired.name
    assert not current & set(catalogue.RETIRED) and not current & set(catalogue.ALIASES)


def test_the_default_and_the_cheap_model_are_current_flash_models_with_prices():
    assert catalogue.DEFAULT_MODEL == DEFAULT_MODEL == catalogue.CURRENT[0]
    for name, line in [(catalogue.DEFAULT_MODEL, "flash"), (catalogue.CHEAP_MODEL, "flash-lite")]:
        assert name.endswith(line) and not catalogue.MODELS[name].preview
        assert name in price_table()["models"]


def test_the_tiers_scale_the_price_as_the_pricing_page_says():
    assert dict(catalogue.TIER_FACTORS) == {
        "standard": 1.0,
        "priority": 1.75,
        "flex": 0.5,
        "batch": 0.5,
    }
    assert catalogue.CACHED_INPUT_FACTOR == 0.1


def test_a_cookbook_call_with_a_config_on_an_alias_through_v1beta(url):
    """The generate-content variant of the cookbook's quickstarts, on the v1beta alias."""
    client = client_for(url, "v1beta")
    config = types.GenerateContentConfig(max_output_tokens=20)
    reply = client.models.generate_content(
        model="gemini-flash-latest", contents="Write a story about a magic backpack.", config=config
    )
    assert reply.model_version.startswith("gemini-3.8-flash") and reply.text
