"""Code shaped like google-gemini/cookbook's Interactions quickstarts (Asynchronous_requests,
Streaming, System_instructions, Function_calling, Error_handling, JSON_mode, Enum,
Counting_Tokens, as of its
commit f1e7e3de), and like the generateContent versions of the last three kept on its branch
``archive/generate-content-api`` (as of its commit 0ea7974e), written here, runs unchanged
against the fake: only the client's creation differs (``offline()`` points a plain
``genai.Client()`` at the fake's loopback server, as a learner's copied code would be).

Each test does what the notebook does, in its style (prints included), then checks the outcome:
the answers, the calls made, and that each function-calling loop ends; for structured output,
that the text parses and fits the schema (pydantic, enum values); for tokens, that the counts add
up as the notebook's prints imply. What needs a download, an upload or a Colab secret is left out
or replaced with small local bytes.
"""

import asyncio
import base64
import enum
import io
import json
import re
import time
import wave

import pytest
import typing_extensions as typing
from google import genai
from google.genai import types
from PIL import Image
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from course_lib import offline, use_fake
from course_lib.client.session import SESSION

MODEL_ID = "gemini-3-flash-preview"  # one of the cookbook's choices; a Gemini 3 model signs calls


@pytest.fixture
def client():
    use_fake(latency=0.2)
    offline()
    return genai.Client()  # the one line that differs: no key from Colab's secrets


# -- Asynchronous_requests: images described concurrently ----------------------------------------
async def fetch_image(name: str) -> str:
    """Stands in for the notebook's aiohttp download: base64 bytes, after a moment."""
    await asyncio.sleep(0.05)
    return base64.b64encode(f"JPEG bytes of {name}".encode()).decode()


async def test_asynchronous_requests(client, capsys):
    prompt = "Describe this image in just 3 words."
    names = ["firefighter.jpg", "elephants.jpeg", "jetpack.jpg"]

    async def process_image(img_future) -> str:
        img_b64 = await img_future
        interaction = await client.aio.interactions.create(
            model=MODEL_ID,
            input=[
                {"type": "image", "data": img_b64, "mime_type": "image/jpeg"},
                {"type": "text", "text": prompt},
            ],
        )
        return interaction.steps[-1].content[0].text

    async def download_and_describe():
        futures = [process_image(fetch_image(name)) for name in names]
        print(f"Download and content generation queued for {len(futures)} images.")
        for response in asyncio.as_completed(futures):
            print()
            print(await response)

    await process_image(fetch_image("warm-up.jpg"))  # the SDK's first call builds its types
    start = time.perf_counter()
    await download_and_describe()
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert out.startswith("Download and content generation queued for 3 images.\n\n")
    answers = out.split("\n\n")[1:]  # three answers, each printed, each in 3 words as asked
    assert len(answers) == 3 and all(len(a.split()) == 3 for a in answers), answers
    calls = [call for call in SESSION.current_fake().log if call.prompt == prompt]
    assert [call.status for call in calls] == [200] * 4  # the warm-up and the three images
    assert elapsed < 3 * 0.2  # the three calls overlapped


# -- Streaming: sync and async ---------------------------------------------------------------------
async def test_streaming(client, capsys):
    response = client.interactions.create(
        model=MODEL_ID,
        input="Tell me a story in 100 words about a clock that runs backwards.",
        stream=True,
    )
    for event in response:
        if hasattr(event, "delta") and hasattr(event.delta, "text") and event.delta.text:
            print(event.delta.text, end="")
    story = capsys.readouterr().out

    async def get_response():
        response = await client.aio.interactions.create(
            model=MODEL_ID, input="Write a short story about a lighthouse in 80 words", stream=True
        )
        async for event in response:
            if hasattr(event, "delta") and hasattr(event.delta, "text") and event.delta.text:
                print(event.delta.text, end="")

    await get_response()
    other = capsys.readouterr().out
    assert len(story.split()) >= 60 and len(other.split()) >= 40 and story != other


# -- System_instructions: a persona, carried through a conversation ------------------------------
def test_system_instructions(client, capsys):
    system_prompt = "You are a friendly pirate. Speak like one."
    turn_1 = client.interactions.create(
        model=MODEL_ID, input="Good day fine chatbot", system_instruction=system_prompt
    )
    print(turn_1.steps[-1].content[0].text)
    turn_2 = client.interactions.create(
        model=MODEL_ID, input="How's your boat doing?", previous_interaction_id=turn_1.id
    )
    print(turn_2.steps[-1].content[0].text)
    html = client.interactions.create(
        model=MODEL_ID,
        input="A flexbox with a logo on the left and links on the right.",
        system_instruction="Return only HTML with inline CSS.",
    )
    rendered = html.steps[-1].content[0].text.strip().removeprefix("```html").removesuffix("```")
    printed = capsys.readouterr().out
    assert printed.count("\n") >= 2 and rendered
    first = turn_1.usage
    assert turn_2.usage.total_input_tokens > first.total_input_tokens + first.total_output_tokens


# -- Function_calling: declare tools, run the calls, send the results back until none remain ----
def enable_lights():
    """Turn on the lighting system."""
    print("LIGHTBOT: Lights enabled.")
    return "done"


def set_light_color(rgb_hex: str):
    """Set the light color."""
    print(f"LIGHTBOT: Lights set to {rgb_hex}.")
    return "done"


def stop_lights():
    """Stop flashing lights."""
    print("LIGHTBOT: Lights turned off.")
    return "done"


def power_disco_ball(power: bool) -> bool:
    print(f"Disco ball is {'spinning!' if power else 'stopped.'}")
    return True


def start_music(energetic: bool, loud: bool, bpm: int) -> str:
    print(f"Starting music! {energetic=} {loud=}, {bpm=}")
    return "Never gonna give you up."


def dim_lights(brightness: float) -> bool:
    print(f"Lights are now set to {brightness:.0%}")
    return True


def declare(name, said, /, **properties):
    return {
        "type": "function",
        "name": name,
        "description": said,
        "parameters": {"type": "object", "properties": properties, "required": list(properties)},
    }


LIGHTS = {
    "enable_lights": enable_lights,
    "set_light_color": set_light_color,
    "stop_lights": stop_lights,
}
LIGHT_TOOLS = [
    declare("enable_lights", "Turn on the lighting system."),
    declare(
        "set_light_color",
        "Set the light color. Lights must be enabled for this to work.",
        rgb_hex={"type": "string", "description": "The color as an RGB hex string"},
    ),
    declare("stop_lights", "Stop flashing lights."),
]
HOUSE = {"power_disco_ball": power_disco_ball, "start_music": start_music, "dim_lights": dim_lights}
HOUSE_TOOLS = [
    declare("power_disco_ball", "Powers the spinning disco ball.", power={"type": "boolean"}),
    declare(
        "start_music",
        "Play some music matching the specified parameters.",
        energetic={"type": "boolean"},
        loud={"type": "boolean"},
        bpm={"type": "integer"},
    ),
    declare("dim_lights", "Dim the lights.", brightness={"type": "number"}),
]


def run_until_answered(client, prompt, tools, functions, system_instruction=None):
    """The notebook's loop: run every function_call step, send the results back with
    previous_interaction_id, until an interaction has no function_call step. Returns the last
    interaction and the number of round trips (the loop must end: at most 10 here)."""
    extra = {"system_instruction": system_instruction} if system_instruction else {}
    interaction = client.interactions.create(model=MODEL_ID, input=prompt, tools=tools, **extra)
    prev_id, rounds = interaction.id, 0
    while any(s.type == "function_call" for s in interaction.steps):
        rounds += 1
        assert rounds <= 10, "the function-calling loop does not end"
        results = []
        for step in interaction.steps:
            if step.type == "function_call":
                print(f"Calling: {step.name}({step.arguments})")
                fn = functions[step.name]
                result = fn(**step.arguments) if step.arguments else fn()
                results.append(
                    {
                        "type": "function_result",
                        "name": step.name,
                        "call_id": step.id,
                        "result": str(result),
                    }
                )
        interaction = client.interactions.create(
            model=MODEL_ID, input=results, previous_interaction_id=prev_id, tools=tools
        )
        prev_id = interaction.id
    for step in interaction.steps:
        if step.type == "model_output":
            print(f"Model: {step.content[0].text}")
    return interaction, rounds


def test_function_calling_a_party(client, capsys):
    interaction, rounds = run_until_answered(
        client, "Turn this place into a party: music and dim the lights!", HOUSE_TOOLS, HOUSE
    )
    printed = capsys.readouterr().out
    assert rounds == 1 and interaction.status == "completed"
    assert "Calling: start_music(" in printed and "Calling: dim_lights(" in printed
    assert "Starting music! energetic=True loud=True, bpm=" in printed  # the schema's own types
    assert "Lights are now set to" in printed and "Model: From the tools:" in printed


def test_function_calling_lights_with_a_system_instruction(client, capsys):
    instruction = (
        "You are a helpful lighting system bot. You can turn lights on and set their color."
    )
    interaction, rounds = run_until_answered(
        client, "Make this place PURPLE!", LIGHT_TOOLS, LIGHTS, instruction
    )
    printed = capsys.readouterr().out
    assert rounds == 1 and "LIGHTBOT: Lights set to PURPLE." in printed, printed
    assert interaction.output_text.startswith("From the tools: set_light_color returned")
    # the notebook's "auto" cell: two functions have "lights" in their names; the one whose
    # description the prompt echoes ("Turn on the lighting system.") is the one called
    run_until_answered(client, "Turn on the lights!", LIGHT_TOOLS, LIGHTS, instruction)
    printed = capsys.readouterr().out
    assert "Calling: enable_lights({})" in printed and "stop_lights" not in printed, printed


def test_function_calling_movies_from_a_prompt_of_several_lines(client, capsys):
    def find_movies(description: str, location: str):
        return ["Barbie", "Oppenheimer"]

    def find_theaters(location: str, movie: str):
        return ["Googleplex 16", "Android Theatre"]

    def get_showtimes(location: str, movie: str, theater: str, date: str):
        return ["10:00", "11:00"]

    functions = {f.__name__: f for f in (find_movies, find_theaters, get_showtimes)}
    text = {"type": "string"}
    tools = [
        declare(
            "find_movies",
            "find movie titles currently playing in theaters based on any description, genre, "
            "title words, etc.",
            **{"description": text, "location": text},
        ),
        declare(
            "find_theaters",
            "Find theaters based on location and movie title.",
            location=text,
            movie=text,
        ),
        declare(
            "get_showtimes",
            "Find the start times for movies playing in a specific theater.",
            location=text,
            movie=text,
            theater=text,
            date=text,
        ),
    ]
    prompt = """
    Find comedy movies playing in Mountain View, CA on 01/01/2025.
    First, find the movie titles.
    Then, find the theaters showing those movies.
    Finally, find the showtimes for each movie at each theater.
"""
    run_until_answered(client, prompt, tools, functions)
    printed = capsys.readouterr().out
    calls = [line for line in printed.splitlines() if line.startswith("Calling: ")]
    assert [c.split("(")[0] for c in calls] == [
        "Calling: find_movies",
        "Calling: find_theaters",
        "Calling: get_showtimes",
    ], printed
    assert all("'location': 'Mountain View, CA'" in c for c in calls), calls
    assert "'date': '01/01/2025'" in calls[2], calls
    for word in ("'Find'", "'First'", "'Then'", "'Finally'"):  # a line's first word is no name
        assert word not in printed, printed


def test_without_tools_the_model_just_answers(client, capsys):
    interaction = client.interactions.create(
        model=MODEL_ID,
        input="Hello light-bot, what can you do?",
        system_instruction="You are a light bot.",
    )
    for step in interaction.steps:
        if step.type == "model_output":
            print(f"Model: {step.content[0].text}")
    assert capsys.readouterr().out.startswith("Model: ")
    assert [s.type for s in interaction.steps if s.type == "function_call"] == []


# -- JSON_mode: the schema said in the prompt, then given as a pydantic model's JSON Schema ------
def test_json_mode_with_the_schema_in_the_prompt(client, capsys):
    prompt = """
    List a few popular cookie recipes using this JSON schema:

    Recipe = {'recipe_name': str}
    Return: list[Recipe]
"""
    raw_interaction = client.interactions.create(
        model=MODEL_ID,
        input=prompt,
        response_format={"type": "text", "mime_type": "application/json"},
    )
    response = json.loads(raw_interaction.steps[-1].content[0].text)
    print(response)
    print(json.dumps(response, indent=4))
    assert capsys.readouterr().out.startswith("[{'recipe_name': ")
    assert isinstance(response, list) and response  # list[Recipe], as the prompt says
    assert all(list(recipe) == ["recipe_name"] for recipe in response)
    assert all(isinstance(recipe["recipe_name"], str) for recipe in response)


class Ingredient(BaseModel):
    """A single ingredient in a recipe."""

    name: str = Field(description="Name of the ingredient.")
    quantity: str = Field(description="Quantity of the ingredient, including units.")


class Recipe(BaseModel):
    """A recipe with name, description, ingredients, and instructions."""

    recipe_name: str = Field(description="The name of the recipe.")
    recipe_description: str = Field(description="A one-sentence description of the recipe.")
    ingredients: list[Ingredient]


def test_json_mode_with_a_pydantic_schema(client, capsys):
    print(json.dumps(Recipe.model_json_schema(), indent=2))  # $defs and $ref, as pydantic writes
    result = client.interactions.create(
        model=MODEL_ID,
        input="List a few imaginative cookie recipes along with a one-sentence description as if"
        " you were a gourmet restaurant and their main ingredients",
        response_format={
            "type": "text",
            "mime_type": "application/json",
            "schema": Recipe.model_json_schema(),
        },
    )
    recipes = json.loads(result.steps[-1].content[0].text)
    print(json.dumps(recipes, indent=4))
    # The notebook's markdown says model_validate_json(); its next cell validates list[Recipe],
    # which the schema it sent (one Recipe, an object) cannot give: its printed list is the
    # output of an older version of the cell that sent list[Recipe]. The answer fits the schema.
    recipe = Recipe.model_validate_json(result.steps[-1].content[0].text)
    print(f"🍪 {recipe.recipe_name}: {recipe.recipe_description}")
    for ing in recipe.ingredients:
        print(f"   - {ing.quantity} {ing.name}")
    assert isinstance(recipes, dict) and set(recipes) == set(Recipe.model_fields)
    assert isinstance(recipe, Recipe) and recipe.recipe_name and recipe.recipe_description
    assert recipe.ingredients and all(isinstance(i, Ingredient) for i in recipe.ingredients)
    for ing in recipe.ingredients:  # "including units": "2 cups", not the prompt's words
        assert re.fullmatch(r"\d \w+", ing.quantity), ing.quantity
    with pytest.raises(ValidationError):
        TypeAdapter(list[Recipe]).validate_json(result.steps[-1].content[0].text)
    assert "🍪 " in capsys.readouterr().out


class ArchivedRecipe(typing.TypedDict):  # the archived notebook's Recipe
    recipe_name: str
    recipe_description: str
    recipe_ingredients: list[str]


def test_json_mode_with_generate_content(client, capsys):
    prompt = """
  List a few popular cookie recipes using this JSON schema:

  Recipe = {'recipe_name': str}
  Return: list[Recipe]
"""
    raw_response = client.models.generate_content(
        model=MODEL_ID,
        contents=prompt,
        config={"response_mime_type": "application/json"},
    )
    response = json.loads(raw_response.text)
    print(response)
    print(json.dumps(response, indent=4))
    result = client.models.generate_content(
        model=MODEL_ID,
        contents="List a few imaginative cookie recipes along with a one-sentence description as"
        " if you were a gourmet restaurant and their main ingredients",
        config={
            "response_mime_type": "application/json",
            "response_schema": list[ArchivedRecipe],
        },
    )
    print(json.dumps(json.loads(result.text), indent=4))
    assert capsys.readouterr().out.startswith("[{'recipe_name': ")
    assert response and all(list(recipe) == ["recipe_name"] for recipe in response)
    recipes = json.loads(result.text)
    assert isinstance(recipes, list) and recipes and result.parsed == recipes
    for recipe in recipes:
        assert set(recipe) == {"recipe_name", "recipe_description", "recipe_ingredients"}
        assert isinstance(recipe["recipe_name"], str) and recipe["recipe_description"]
        ingredients = recipe["recipe_ingredients"]
        assert ingredients and all(isinstance(i, str) for i in ingredients)


# -- Enum: one choice of an enum, and an enum inside a JSON schema -------------------------------
def instrument_jpeg(size=(96, 64)) -> bytes:
    """Stands in for the notebook's instrument.jpg (a download): a small local JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, "goldenrod").save(out, format="JPEG")
    return out.getvalue()


class InstrumentClass(enum.Enum):
    PERCUSSION = "Percussion"
    STRING = "String"
    WOODWIND = "Woodwind"
    BRASS = "Brass"
    KEYBOARD = "Keyboard"


class Grade(enum.Enum):
    A_PLUS = "a+"
    A = "a"
    B = "b"
    C = "c"
    D = "d"
    F = "f"


def test_enum_picks_one_instrument_class(client, capsys):
    instrument_data = base64.b64encode(instrument_jpeg()).decode("utf-8")
    interaction = client.interactions.create(
        model=MODEL_ID,
        input=[
            {"type": "image", "data": instrument_data, "mime_type": "image/jpeg"},
            {"type": "text", "text": "what is the category of this instrument?"},
        ],
        response_format={
            "type": "text",
            "mime_type": "application/json",
            "schema": {
                "type": "string",
                "enum": [e.value for e in InstrumentClass],
            },
        },
    )
    print(interaction.steps[-1].content[0].text)
    first = interaction
    interaction = client.interactions.create(
        model=MODEL_ID,
        input=[
            {"type": "image", "data": instrument_data, "mime_type": "image/jpeg"},
            {"type": "text", "text": "what category of instrument is this?"},
        ],
        response_format={
            "type": "text",
            "mime_type": "application/json",
            "schema": {
                "type": "string",
                "enum": [e.value for e in InstrumentClass],
            },
        },
    )
    print(interaction.steps[-1].content[0].text)
    answers = [i.steps[-1].content[0].text for i in (first, interaction)]
    assert capsys.readouterr().out == f"{answers[0]}\n{answers[1]}\n"
    for answer in answers:  # a JSON string: the value in quotes, as the notebook prints it
        assert answer.startswith('"') and json.loads(answer) in [e.value for e in InstrumentClass]
        assert isinstance(InstrumentClass(json.loads(answer)), InstrumentClass)
    # the image counts in the input: the text's tokens and the image's, by modality
    by_modality = {m.modality: m.tokens for m in interaction.usage.input_tokens_by_modality}
    assert set(by_modality) == {"text", "image"} and all(n > 0 for n in by_modality.values())
    assert sum(by_modality.values()) == interaction.usage.total_input_tokens


def test_enum_in_a_json_schema(client, capsys):
    result = client.interactions.create(
        model=MODEL_ID,
        input="List about 10 cookie recipes, grade them based on popularity",
        response_format={
            "type": "text",
            "mime_type": "application/json",
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "recipe_name": {"type": "string"},
                        "grade": {
                            "type": "string",
                            "enum": [e.value for e in Grade],
                        },
                    },
                    "required": ["recipe_name", "grade"],
                },
            },
        },
    )
    response = json.loads(result.steps[-1].content[0].text)
    print(json.dumps(response, indent=4))
    assert capsys.readouterr().out.startswith("[\n    {\n")
    assert isinstance(response, list) and 8 <= len(response) <= 12  # "about 10"
    for recipe in response:
        assert set(recipe) == {"recipe_name", "grade"} and isinstance(recipe["recipe_name"], str)
        assert recipe["grade"] in [e.value for e in Grade]


class GradedRecipe(typing.TypedDict):  # the notebook's Recipe (a name taken above)
    recipe_name: str
    grade: Grade


def test_enum_with_generate_content(client, capsys):
    instrument = Image.open(io.BytesIO(instrument_jpeg()))  # the notebook's Image.open(...)
    response = client.models.generate_content(
        model=MODEL_ID,
        contents=[instrument, "what is the category of this instrument?"],
        config=types.GenerateContentConfig(
            response_mime_type="text/x.enum", response_schema=InstrumentClass
        ),
    )
    print(response.text)
    bare = response
    response = client.models.generate_content(
        model=MODEL_ID,
        contents=[instrument, "what category of instrument is this?"],
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=InstrumentClass
        ),
    )
    print(response.text)
    result = client.models.generate_content(
        model=MODEL_ID,
        contents="List about 10 cookie recipes, grade them based on popularity",
        config=types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=list[GradedRecipe],
            http_options=types.HttpOptions(timeout=60000),
        ),
    )
    recipes = json.loads(result.text)
    print(json.dumps(recipes, indent=4))
    printed = capsys.readouterr().out.splitlines()
    values = [e.value for e in InstrumentClass]
    assert printed[0] in values  # text/x.enum: the bare value
    assert printed[1].startswith('"') and json.loads(printed[1]) in values  # JSON: in quotes
    assert isinstance(bare.parsed, InstrumentClass) and bare.parsed.value == bare.text
    assert isinstance(response.parsed, InstrumentClass)
    assert response.parsed.value == json.loads(response.text)
    assert 8 <= len(recipes) <= 12 and len(result.parsed) == len(recipes)
    for recipe, parsed in zip(recipes, result.parsed, strict=True):
        assert set(recipe) == {"recipe_name", "grade"} and recipe["grade"] in [
            e.value for e in Grade
        ]
        assert isinstance(parsed["grade"], Grade) and parsed["grade"].value == recipe["grade"]


# -- Counting_Tokens: context windows, counts before a call, usage after it ----------------------
ORGAN_URL = "https://storage.googleapis.com/generativeai-downloads/images/organ.jpg"


def test_counting_tokens(client, capsys):
    model_info = client.models.get(model=MODEL_ID)
    print("Context window:", model_info.input_token_limit, "tokens")
    print("Max output window:", model_info.output_token_limit, "tokens")
    response = client.models.count_tokens(
        model=MODEL_ID,
        contents="What's the highest mountain in Africa?",
    )
    print("Prompt tokens:", response.total_tokens)
    interaction = client.interactions.create(
        model=MODEL_ID, input="The quick brown fox jumps over the lazy dog."
    )
    print(interaction.steps[-1].content[0].text)
    print(interaction.usage)
    printed = capsys.readouterr().out
    assert printed.startswith("Context window: 1048576 tokens\nMax output window: 65536 tokens\n")
    assert "Prompt tokens: 10\n" in printed  # the notebook's output
    usage = interaction.usage
    assert usage.total_input_tokens == 11  # the notebook's output: total_input_tokens=11
    assert [(m.modality, m.tokens) for m in usage.input_tokens_by_modality] == [("text", 11)]
    assert usage.total_cached_tokens == 0 and usage.total_tool_use_tokens == 0
    parts = [usage.total_input_tokens, usage.total_output_tokens, usage.total_thought_tokens]
    assert all(isinstance(n, int) and n > 0 for n in parts)  # a Gemini 3 model thinks
    assert usage.total_tokens == sum(parts)  # 553 = 11 + 160 + 382 in the notebook
    # "You pass the same arguments as you would to interactions.create" (the notebook); the
    # docs' interactions/tokens page counts a prompt before sending it, then reads the usage
    before = client.models.count_tokens(
        model=MODEL_ID, contents="The quick brown fox jumps over the lazy dog."
    )
    assert before.total_tokens == usage.total_input_tokens


def test_counting_tokens_of_images(client, capsys):
    response = client.models.count_tokens(
        model=MODEL_ID,
        contents=[
            types.Part(
                file_data=types.FileData(
                    file_uri=ORGAN_URL,
                    mime_type="image/jpeg",
                )
            )
        ],
    )
    print("Prompt with image tokens:", response.total_tokens)
    by_uri = response.total_tokens
    response = client.models.count_tokens(
        model=MODEL_ID,
        contents=types.Part.from_uri(
            file_uri=ORGAN_URL,
            mime_type="image/jpeg",
        ),
    )
    print("Prompt with image tokens:", response.total_tokens)
    # "You can try with different images and should always get the same number of tokens":
    # two small local ones, of other sizes (both within 384 px a side, one tile on any model)
    others = [
        client.models.count_tokens(
            model=MODEL_ID,
            contents=types.Part.from_bytes(data=instrument_jpeg(size), mime_type="image/jpeg"),
        ).total_tokens
        for size in [(96, 64), (384, 200)]
    ]
    assert capsys.readouterr().out.count("Prompt with image tokens: ") == 2
    assert isinstance(by_uri, int) and by_uri > 0
    assert response.total_tokens == by_uri and others == [by_uri, by_uri]


def local_audio(seconds: int) -> bytes:
    """Stands in for the notebook's State of the Union mp3 (a download): silence, as a WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * 8000 * seconds)
    return out.getvalue()


def test_counting_tokens_of_audio_by_the_second(client, capsys):
    audio = local_audio(3)
    with wave.open(io.BytesIO(audio)) as read:  # the notebook asks ffprobe for the duration
        duration = read.getnframes() / read.getframerate()
    response = client.models.count_tokens(
        model=MODEL_ID,
        contents=types.Part.from_bytes(data=audio, mime_type="audio/wav"),
    )
    print("Prompt with audio tokens:", response.total_tokens)
    print("Tokens per second:", response.total_tokens / duration)
    assert capsys.readouterr().out.startswith("Prompt with audio tokens: ")
    assert 30 <= response.total_tokens / duration <= 34  # "about 32 tokens per second of audio"


def test_counting_tokens_with_generate_content(client, capsys):
    model_info = client.models.get(model=MODEL_ID)
    print("Context window:", model_info.input_token_limit, "tokens")
    print("Max output window:", model_info.output_token_limit, "tokens")
    response = client.models.count_tokens(
        model=MODEL_ID,
        contents="What's the highest mountain in Africa?",
    )
    print("Prompt tokens:", response.total_tokens)
    counted = response.total_tokens
    response = client.models.generate_content(
        model=MODEL_ID, contents="The quick brown fox jumps over the lazy dog."
    )
    print(response.text)
    print("Prompt tokens:\t ", response.usage_metadata.prompt_token_count)
    print("Thinking tokens:", response.usage_metadata.thoughts_token_count)
    print("Output tokens:\t ", response.usage_metadata.candidates_token_count)
    print("--------------")
    print("Total tokens:\t", response.usage_metadata.total_token_count)
    usage = response.usage_metadata
    organ = Image.open(io.BytesIO(instrument_jpeg((300, 200))))  # for the organ.jpg download
    image_tokens = client.models.count_tokens(model=MODEL_ID, contents=[organ]).total_tokens
    print("Prompt with image tokens:", image_tokens)
    printed = capsys.readouterr().out
    assert printed.startswith("Context window: 1048576 tokens\nMax output window: 65536 tokens\n")
    assert counted == 10 and usage.prompt_token_count == 11  # the notebook's outputs
    parts = [usage.prompt_token_count, usage.thoughts_token_count, usage.candidates_token_count]
    assert all(isinstance(n, int) and n > 0 for n in parts)
    assert usage.total_token_count == sum(parts)  # 811 = 11 + 751 + 49 in the notebook
    assert f"Total tokens:\t {sum(parts)}\n" in printed
    before = client.models.count_tokens(
        model=MODEL_ID, contents="The quick brown fox jumps over the lazy dog."
    )
    assert before.total_tokens == usage.prompt_token_count
    assert isinstance(image_tokens, int) and image_tokens > 0


# -- Error_handling: the SDK's retries, a longer timeout, api_core's Retry on transient errors --
def test_error_handling(capsys):
    from google.api_core import retry
    from google.genai import errors

    fake = use_fake(latency=0.05, failure_rate=0.5, seed=2)  # every other call a 500 or 503
    offline()
    client = genai.Client()
    GEMINI_API_KEY = "stand-in"  # noqa: N806 (the notebook's name: Colab's secret)
    MODEL_ID = "gemini-3.6-flash"  # noqa: N806
    prompt = "Write a story about a magic backpack."
    retry_options = types.HttpRetryOptions(
        attempts=5,
        initial_delay=0.02,  # the notebook's 2 s, shortened
        max_delay=30.0,
        http_status_codes=[408, 429, 500, 502, 503, 504],
    )
    custom_client = genai.Client(
        api_key=GEMINI_API_KEY, http_options=types.HttpOptions(retry_options=retry_options)
    )
    story = custom_client.interactions.create(model=MODEL_ID, input=prompt).steps[-1]
    assert story.content[0].text
    custom_client = genai.Client(
        api_key=GEMINI_API_KEY, http_options=types.HttpOptions(timeout=15 * 60 * 1000)
    )
    custom_client.interactions.create(model=MODEL_ID, input=prompt)  # the client retries 5xx

    def if_genai_transient_error(exception):
        return isinstance(exception, errors.APIError) and exception.code in {
            408, 429, 500, 502, 503, 504,
        }  # fmt: skip

    @retry.Retry(
        predicate=if_genai_transient_error, initial=0.02, maximum=0.64, multiplier=2.0, timeout=60
    )  # the notebook's 2 s to 64 s, shortened a hundred times
    def generate_content_first_fail(prompt):
        if not hasattr(generate_content_first_fail, "call_counter"):
            generate_content_first_fail.call_counter = 0
        generate_content_first_fail.call_counter += 1
        try:
            if generate_content_first_fail.call_counter == 1:
                raise errors.ServerError(
                    503,
                    {
                        "error": {
                            "code": 503,
                            "message": "Service Unavailable",
                            "status": "UNAVAILABLE",
                        }
                    },
                    None,
                )
            interaction = client.interactions.create(model=MODEL_ID, input=prompt)
            return interaction.steps[-1].content[0].text
        except errors.ServerError as e:
            print(f"Error: {e}")
            raise

    text = generate_content_first_fail(prompt="Write a one-liner advertisement for magic backpack.")
    assert text and capsys.readouterr().out.startswith("Error: 503 UNAVAILABLE.")
    statuses = [call.status for call in fake.log]
    assert 200 in statuses and set(statuses) - {200} in ({500}, {503}, {500, 503})  # met, retried
