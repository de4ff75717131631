"""Structured output and thinking through the real SDK, unchanged code against the fake.

The first tests are shaped like google-gemini/cookbook's JSON_mode and Enum notebooks (branch
``archive/generate-content-api``, the generateContent versions), written here: a learner who
copies them gets ``json.loads(response.text)`` and ``response.parsed`` working offline.
"""

import enum
import json
import time

import pytest
import typing_extensions as typing
from google.genai import errors, types
from pydantic import BaseModel

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini, TokenRate
from course_lib.fake.structured import value_for_schema

MODELS = (DEFAULT_MODEL, "gemini-3.6-flash", "gemini-3.8-flash", "gemini-2.5-pro")


@pytest.fixture
def client():
    return gemini_client(fake=FakeGemini(latency=0.0, models=MODELS))


# -- shaped like the cookbook's JSON_mode notebook ---------------------------------------------
def test_json_mode_with_the_schema_in_the_prompt(client):
    prompt = """
      List a few popular cookie recipes using this JSON schema:

      Recipe = {'recipe_name': str}
      Return: list[Recipe]
    """
    raw = client.models.generate_content(
        model=DEFAULT_MODEL, contents=prompt, config={"response_mime_type": "application/json"}
    )
    recipes = json.loads(raw.text)
    assert isinstance(recipes, list) and 3 <= len(recipes) <= 5
    assert all(set(r) == {"recipe_name"} for r in recipes)
    assert recipes[0]["recipe_name"] == "Chocolate Chip Cookies"  # "popular": the classics first


class Recipe(typing.TypedDict):
    recipe_name: str
    recipe_description: str
    recipe_ingredients: list[str]


def test_json_mode_with_a_list_of_typed_dicts(client):
    result = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="List a few imaginative cookie recipes along with a one-sentence description "
        "as if you were a gourmet restaurant and their main ingredients",
        config={"response_mime_type": "application/json", "response_schema": list[Recipe]},
    )
    recipes = json.loads(result.text)
    assert recipes and all(
        set(r) == {"recipe_name", "recipe_description", "recipe_ingredients"} for r in recipes
    )
    assert all("Cookie" in r["recipe_name"] or r["recipe_name"] in COOKIES for r in recipes)
    assert all(r["recipe_description"].endswith(".") for r in recipes)
    assert all(
        r["recipe_ingredients"] and isinstance(r["recipe_ingredients"][0], str) for r in recipes
    )
    assert len({r["recipe_name"] for r in recipes}) == len(recipes)  # no two alike


COOKIES = {"Snickerdoodles", "Almond Biscotti"}


# -- shaped like the cookbook's Enum notebook --------------------------------------------------
class InstrumentClass(enum.Enum):
    PERCUSSION = "Percussion"
    STRING = "String"
    WOODWIND = "Woodwind"
    BRASS = "Brass"
    KEYBOARD = "Keyboard"


INSTRUMENT = types.Part.from_bytes(data=b"\xff\xd8\xff\xe0" + bytes(64), mime_type="image/jpeg")


def test_an_enum_as_text_x_enum_and_as_json(client):
    as_enum = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents=[INSTRUMENT, "what is the category of this instrument?"],
        config=types.GenerateContentConfig(
            response_mime_type="text/x.enum", response_schema=InstrumentClass
        ),
    )
    assert as_enum.text in {i.value for i in InstrumentClass}  # bare: Brass
    assert as_enum.parsed == InstrumentClass(as_enum.text)
    as_json = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents=[INSTRUMENT, "what category of instrument is this?"],
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=InstrumentClass
        ),
    )
    assert as_json.text.startswith('"') and json.loads(as_json.text) in {
        i.value for i in InstrumentClass
    }
    assert isinstance(as_json.parsed, InstrumentClass)


def test_an_enum_the_prompt_names_is_the_one_chosen(client):
    said = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="A trumpet is made of brass. Which class is it?",
        config=types.GenerateContentConfig(
            response_mime_type="text/x.enum", response_schema=InstrumentClass
        ),
    )
    assert said.parsed is InstrumentClass.BRASS


class Grade(enum.Enum):
    A_PLUS = "a+"
    A = "a"
    B = "b"
    C = "c"
    D = "d"
    F = "f"


class GradedRecipe(typing.TypedDict):
    recipe_name: str
    grade: Grade


def test_a_list_of_objects_with_an_enum_field_of_the_size_asked(client):
    result = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="List about 10 cookie recipes, grade them based on popularity",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=list[GradedRecipe]
        ),
    )
    graded = json.loads(result.text)
    assert len(graded) == 10
    assert all(r["grade"] in {g.value for g in Grade} for r in graded)


# -- pydantic models and JSON Schema -----------------------------------------------------------
class Ingredient(BaseModel):
    name: str
    quantity: float
    unit: str


class FullRecipe(BaseModel):
    recipe_name: str
    ingredients: list[Ingredient]
    prep_minutes: int
    vegetarian: bool
    rating: float | None = None


def test_a_pydantic_model_is_parsed_into_an_instance(client):
    reply = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="Give me a recipe for cookies",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=FullRecipe
        ),
    )
    assert isinstance(reply.parsed, FullRecipe)
    assert reply.parsed.ingredients and reply.parsed.ingredients[0].name in INGREDIENTS


INGREDIENTS = {"flour", "butter", "sugar", "brown sugar", "eggs", "vanilla extract", "baking soda"}
INGREDIENTS |= {"salt", "chocolate chips", "rolled oats", "raisins", "peanut butter", "cinnamon"}
INGREDIENTS |= {"ground ginger", "molasses", "lemon zest", "almonds"}


def test_a_json_schema_with_refs_gives_a_dict_that_validates(client):
    schema = FullRecipe.model_json_schema()  # $defs and $ref for Ingredient, anyOf for rating
    reply = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="Give me a recipe for dinner",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_json_schema=schema
        ),
    )
    assert isinstance(reply.parsed, dict)
    assert FullRecipe.model_validate(reply.parsed).ingredients


SCHEMAS = {
    "nested object, required, propertyOrdering": (
        {"type": "OBJECT", "properties": {"b": {"type": "INTEGER"}, "a": {"type": "STRING"}},
         "propertyOrdering": ["a", "b"], "required": ["a"]},
        lambda v: list(v) == ["a", "b"] and isinstance(v["b"], int),
    ),
    "bounds on numbers and arrays": (
        {"type": "array", "minItems": 7, "maxItems": 7,
         "items": {"type": "integer", "minimum": 40, "maximum": 42}},
        lambda v: len(v) == 7 and all(40 <= n <= 42 for n in v),
    ),
    "const, type lists, nullable anyOf": (
        {"type": "object", "properties": {"kind": {"const": "cat"},
         "age": {"type": ["integer", "null"]},
         "name": {"anyOf": [{"type": "null"}, {"type": "string"}]}}},
        lambda v: v["kind"] == "cat" and isinstance(v["age"], int) and isinstance(v["name"], str),
    ),
    "a recursive $ref ends": (
        {"$defs": {"Node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            "required": ["name"]}}, "$ref": "#/$defs/Node"},
        lambda v: isinstance(v["name"], str) and isinstance(v["children"], list),
    ),
    "allOf merges": (
        {"allOf": [{"type": "object", "properties": {"x": {"type": "number"}}},
                   {"properties": {"y": {"type": "boolean"}}}]},
        lambda v: isinstance(v["x"], float | int) and isinstance(v["y"], bool),
    ),
    "formats": (
        {"type": "object", "properties": {"when": {"type": "string", "format": "date"},
         "id": {"type": "string", "format": "uuid"},
         "contact": {"type": "string", "format": "email"}}},
        lambda v: len(v["when"]) == 10 and len(v["id"]) == 36 and "@" in v["contact"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", SCHEMAS, ids=list(SCHEMAS))
def test_the_value_fits_the_schema_and_is_the_same_for_the_same_prompt_and_seed(case):
    schema, fits = SCHEMAS[case]
    value = value_for_schema(schema, "Anything at all", seed=3)
    assert fits(value), value
    assert value_for_schema(schema, "Anything at all", seed=3) == value  # a pure function
    assert json.loads(json.dumps(value)) == value


# -- thinking ----------------------------------------------------------------------------------
def thinking(level=None, budget=None, include=None):
    return types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(
            thinking_level=level, thinking_budget=budget, include_thoughts=include
        )
    )


def test_thinking_more_costs_more_tokens_and_holds_the_first_token_back():
    fake = FakeGemini(latency=TokenRate(first_token_s=0.2, tokens_per_s=2000), models=MODELS)
    client = gemini_client(fake=fake)
    prompt = "Why is the sky blue?"

    def first_token(config):
        start = time.perf_counter()
        stream = client.models.generate_content_stream(
            model="gemini-3.6-flash", contents=prompt, config=config
        )
        chunks = iter(stream)
        first = next(chunks)
        took = time.perf_counter() - start
        *_, last = [first, *chunks]
        return took, last.usage_metadata.thoughts_token_count or 0

    low_s, low_thoughts = first_token(thinking("LOW"))
    default_s, default_thoughts = first_token(None)
    high_s, high_thoughts = first_token(thinking("HIGH"))
    assert low_thoughts < default_thoughts < high_thoughts
    assert low_s < default_s < high_s  # 0.11 s, 0.2 s, 0.39 s planned
    assert high_s - default_s > 0.1


def test_thought_summaries_are_left_out_of_text_and_parsed():
    client = gemini_client(fake=FakeGemini(latency=0.0, models=MODELS))
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(include_thoughts=True),
        response_mime_type="application/json",
        response_schema=InstrumentClass,
    )
    reply = client.models.generate_content(model="gemini-3.6-flash", contents="Hi", config=config)
    assert reply.candidates[0].content.parts[0].thought is True
    assert isinstance(reply.parsed, InstrumentClass)


REFUSED = {
    # (model, config, what the 400 says)
    "a level 3.8 Flash does not take": ("gemini-3.8-flash", thinking("MINIMAL"), "MINIMAL"),
    "both a level and a budget": ("gemini-3.6-flash", thinking("LOW", 1024), "only set one of"),
    # Gemini 3 takes a budget still, but cannot turn thinking off (2.5 Flash could: shut down)
    "turning thinking off": ("gemini-3.6-flash", thinking(budget=0), "thinking_budget to 0"),
    "a budget out of range": ("gemini-3.6-flash", thinking(budget=52428), "budget (52428) is"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_thinking_settings_the_api_refuses_are_a_400(client, case):
    model, config, says = REFUSED[case]
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=model, contents="Hi", config=config)
    assert refused.value.code == 400 and says in refused.value.message


def test_thinking_settings_the_api_takes_are_answered(client):
    for model, config in [
        (DEFAULT_MODEL, thinking(budget=1024)),  # a budget, as Gemini 2.5 took them
        (DEFAULT_MODEL, thinking(budget=-1)),  # dynamic
        ("gemini-3.6-flash", thinking("MINIMAL")),
        ("gemini-3.8-flash", thinking("high", include=True)),
    ]:
        usage = client.models.generate_content(
            model=model, contents="Hi", config=config
        ).usage_metadata
        assert usage.total_token_count == (
            usage.prompt_token_count
            + usage.candidates_token_count
            + (usage.thoughts_token_count or 0)
        )
