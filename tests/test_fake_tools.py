"""Function calling in the fake, through the real SDK: automatic (sync and async) and manual,
several calls in one turn, every spelling of a declaration's schema, and the API's 400s."""

import json

import pytest
from google.genai import errors, types

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini
from course_lib.fake.wire import Caller

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

TOLD: list[tuple[str, str]] = []

OLDER_MODEL = "gemini-2.5-flash-lite"  # not a Gemini 3 model: it neither signs nor asks


def get_weather(city: str) -> dict:
    """The weather in a city now."""
    TOLD.append(("get_weather", city))
    return {"city": city, "sky": "sunny", "celsius": 21}


def get_time(city: str) -> str:
    """The local time in a city."""
    TOLD.append(("get_time", city))
    return "14:05"


@pytest.fixture
def client():
    TOLD.clear()
    return gemini_client(live=False, fake=FakeGemini(latency=0.0))


def test_automatic_function_calling_runs_every_call_the_model_asks_for(client):
    config = types.GenerateContentConfig(tools=[get_weather, get_time])
    prompt = "What is the weather and the time in Paris?"
    reply = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt, config=config)
    assert TOLD == [("get_weather", "Paris"), ("get_time", "Paris")]  # one turn, two calls
    assert "sunny" in reply.text and "14:05" in reply.text  # the answer uses the results
    history = reply.automatic_function_calling_history
    assert [p.function_call.name for p in history[1].parts] == ["get_weather", "get_time"]


async def test_automatic_function_calling_with_async_tools(client):
    async def get_weather_soon(city: str) -> dict:
        """The weather in a city, asked asynchronously."""
        return {"city": city, "sky": "rain"}

    config = types.GenerateContentConfig(tools=[get_weather_soon])
    reply = await client.aio.models.generate_content(
        model=DEFAULT_MODEL, contents="Is it raining in Oslo?", config=config
    )
    assert "rain" in reply.text and "Oslo" in reply.text


def test_manual_function_calling_gets_calls_whose_arguments_fit_the_schema(client):
    off = types.AutomaticFunctionCallingConfig(disable=True)
    config = types.GenerateContentConfig(
        tools=[get_weather, get_time], automatic_function_calling=off
    )
    reply = client.models.generate_content(
        model=DEFAULT_MODEL, contents="What is the weather in Rome?", config=config
    )
    assert [(c.name, c.args) for c in reply.function_calls] == [("get_weather", {"city": "Rome"})]
    assert TOLD == []  # nothing ran: calling the tools is the caller's job now
    again = client.models.generate_content(
        model=DEFAULT_MODEL, contents="What is the weather in Rome?", config=config
    )
    assert again.function_calls[0].args == reply.function_calls[0].args  # the same, every time


def test_both_spellings_of_a_schema_and_a_streamed_call():
    fake = FakeGemini(latency=0.0)
    for key in ("parameters", "parametersJsonSchema", "parameters_json_schema"):
        schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
        body = {
            "contents": [{"role": "user", "parts": [{"text": "Roll the dice"}]}],
            "tools": [{"functionDeclarations": [{"name": "roll", key: schema}]}],
        }
        reply = fake.generate("v1beta", OLDER_MODEL, json.dumps(body).encode(), Caller("k"))
        parts = json.loads(reply.chunks[0][1])["candidates"][0]["content"]["parts"]
        assert parts == [{"functionCall": {"name": "roll", "args": {"n": 3}}}], key
    streamed = fake.generate("v1beta", OLDER_MODEL, json.dumps(body).encode(), Caller("k"), True)
    assert streamed.status == 200 and b'"functionCall"' in streamed.chunks[0][1]


def test_a_result_for_a_function_never_declared_is_a_400(client):
    turns = [
        types.Content(role="user", parts=[types.Part(text="Hi")]),
        types.Content(
            role="model", parts=[types.Part(function_call=types.FunctionCall(name="nope", args={}))]
        ),
        types.Content(
            role="user",
            parts=[types.Part(function_response=types.FunctionResponse(name="nope", response={}))],
        ),
    ]
    config = types.GenerateContentConfig(tools=[get_weather])
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=DEFAULT_MODEL, contents=turns, config=config)
    assert refused.value.code == 400 and "'nope'" in refused.value.message


def test_a_bad_function_name_is_a_400():
    fake = FakeGemini(latency=0.0)
    body = {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "tools": [{"functionDeclarations": [{"name": "no spaces allowed"}]}],
    }
    reply = fake.generate("v1beta", DEFAULT_MODEL, json.dumps(body).encode(), Caller("k"))
    assert reply.status == 400 and b"Invalid function name" in reply.chunks[0][1]


def test_gemini_3_signs_its_calls_and_wants_the_signature_back(client):
    model = "gemini-3-flash-preview"
    config = types.GenerateContentConfig(tools=[get_weather])
    reply = client.models.generate_content(
        model=model, contents="What is the weather in Lima?", config=config
    )
    assert "sunny" in reply.text  # the SDK sent the model's signed call back, as it should
    call = reply.automatic_function_calling_history[1].parts[0]
    assert call.function_call.name == "get_weather" and call.thought_signature
    unsigned = unsigned_history()
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model=model, contents=unsigned, config=config)
    assert refused.value.code == 400 and "thought_signature" in refused.value.message
    # older models neither sign nor ask
    assert client.models.generate_content(model=OLDER_MODEL, contents=unsigned, config=config)


def test_quoted_phrases_ask_for_one_call_each_in_one_turn(client):
    off = types.AutomaticFunctionCallingConfig(disable=True)
    config = types.GenerateContentConfig(tools=[get_weather], automatic_function_calling=off)
    prompt = 'Compare the weather in "Paris", "Oslo" and "Rome"'
    reply = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt, config=config)
    assert [(c.name, c.args) for c in reply.function_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Oslo"}),
        ("get_weather", {"city": "Rome"}),
    ]


def test_automatic_function_calling_runs_parallel_calls_one_after_another(client):
    config = types.GenerateContentConfig(tools=[get_weather])
    prompt = 'Compare the weather in "Paris" and "Oslo"'
    reply = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt, config=config)
    assert TOLD == [("get_weather", "Paris"), ("get_weather", "Oslo")]
    assert "Paris" in reply.text and "Oslo" in reply.text


@pytest.mark.parametrize(("limit", "runs"), [(1, 0), (2, 1)])
def test_automatic_function_calling_honours_its_limit_on_remote_calls(client, limit, runs):
    afc = types.AutomaticFunctionCallingConfig(maximum_remote_calls=limit)
    config = types.GenerateContentConfig(tools=[get_weather], automatic_function_calling=afc)
    prompt = "What is the weather in Paris?"
    reply = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt, config=config)
    assert len(TOLD) == runs  # at its limit the SDK stops and hands the calls back
    if runs:
        assert "sunny" in reply.text
    else:
        assert [call.name for call in reply.function_calls] == ["get_weather"]


# -- tool_config -------------------------------------------------------------------------------
def calling(mode, allowed=None):
    return types.ToolConfig(
        function_calling_config=types.FunctionCallingConfig(
            mode=mode, allowed_function_names=allowed
        )
    )


def manual(tool_config=None):
    return types.GenerateContentConfig(
        tools=[get_weather, get_time],
        tool_config=tool_config,
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )


def test_mode_none_never_calls_a_function(client):
    reply = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="What is the weather in Paris?",
        config=manual(calling("NONE")),
    )
    assert reply.function_calls is None and reply.text


@pytest.mark.parametrize("mode", ["ANY", "VALIDATED"])
def test_allowed_function_names_limit_the_calls_in_any_and_validated(client, mode):
    reply = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="What is the weather in Paris?",  # names the weather, but only time is allowed
        config=manual(calling(mode, ["get_time"])),
    )
    assert [(c.name, c.args) for c in reply.function_calls] == [("get_time", {"city": "Paris"})]


def test_mode_any_calls_even_after_the_results_came_back(client):
    question = types.Content(role="user", parts=[types.Part(text="Weather in Lima?")])
    asked = client.models.generate_content(
        model=DEFAULT_MODEL, contents=[question], config=manual(calling("ANY"))
    )
    call = asked.function_calls[0]
    turns = [
        question,
        asked.candidates[0].content,  # the model's turn as it came: its call signed
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name=call.name, response={"sky": "sun"})],
        ),
    ]
    forced = client.models.generate_content(
        model=DEFAULT_MODEL, contents=turns, config=manual(calling("ANY"))
    )
    assert forced.function_calls  # ANY: a call every turn
    auto = client.models.generate_content(
        model=DEFAULT_MODEL, contents=turns, config=manual(calling("AUTO"))
    )
    assert auto.function_calls is None and "sun" in auto.text


def test_an_allowed_name_that_is_not_declared_is_a_400(client):
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(
            model=DEFAULT_MODEL, contents="Hi", config=manual(calling("ANY", ["get_news"]))
        )
    assert refused.value.code == 400
    assert "function_calling_config.allowed_function_names[0]" in refused.value.message


# -- arguments from what the prompt says (a function-calling walk-through, written here) -------
def add(a: float, b: float) -> float:
    """returns a + b."""
    return a + b


def subtract(a: float, b: float) -> float:
    """returns a - b."""
    return a - b


def multiply(a: float, b: float) -> float:
    """returns a * b."""
    return a * b


def divide(a: float, b: float) -> float:
    """returns a / b."""
    return a / b


@pytest.mark.parametrize(
    ("prompt", "called", "answer"),
    [
        (
            "I have 57 cats, each owns 44 mittens, how many mittens is that in total?",
            "multiply",
            2508,
        ),
        ("What is 57 x 44?", "multiply", 2508),
        ("I had 57 mittens and lost 44. How many are left?", "subtract", 13),
        ("Split 57 cookies between 3 friends", "divide", 19),
        ("What do 57 and 44 make altogether?", "add", 101),
    ],
)
def test_a_chat_with_arithmetic_tools_calls_the_right_one_with_the_prompts_numbers(
    client, prompt, called, answer
):
    chat = client.chats.create(
        model=DEFAULT_MODEL, config={"tools": [add, subtract, multiply, divide]}
    )
    reply = chat.send_message(prompt)
    model_turn = chat.get_history()[1]
    [call] = [part.function_call for part in model_turn.parts if part.function_call]
    assert call.name == called
    assert str(answer) in reply.text


def find_movies(description: str, location: str) -> list[str]:
    """Find movies playing in theaters."""
    return ["Barbie", "Oppenheimer"]


def find_theaters(location: str, movie: str) -> list[str]:
    """Find theaters based on location and optionally movie title."""
    return ["Googleplex 16", "Android Theatre"]


def test_string_arguments_take_the_place_and_the_name_the_prompt_gives(client):
    reply = client.models.generate_content(
        model=DEFAULT_MODEL,
        contents="Which theaters in Mountain View, CA show the Barbie movie?",
        config={
            "tools": [find_movies, find_theaters],
            "automatic_function_calling": {"disable": True},
        },
    )
    [call] = reply.function_calls
    assert (call.name, call.args) == (
        "find_theaters",
        {"location": "Mountain View, CA", "movie": "Barbie"},
    )


def test_arguments_are_typed_by_the_declared_schema():
    fake = FakeGemini(latency=0.0)
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "loud": {"type": "boolean"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["count", "ratio", "loud", "unit", "tags"],
    }
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [{"text": "Play 3 songs at 1.5 speed in fahrenheit, not loud, in Oslo"}],
            }
        ],
        "tools": [{"functionDeclarations": [{"name": "play", "parametersJsonSchema": schema}]}],
    }
    reply = fake.generate("v1beta", DEFAULT_MODEL, json.dumps(body).encode(), Caller("k"))
    args = json.loads(reply.chunks[0][1])["candidates"][0]["content"]["parts"][0]["functionCall"][
        "args"
    ]
    assert args == {"count": 3, "ratio": 1.5, "loud": False, "unit": "fahrenheit", "tags": ["Oslo"]}


# -- thought signatures as Gemini 3 places them ------------------------------------------------
def test_gemini_3_signs_only_the_first_call_of_a_parallel_turn_and_gets_them_back(client):
    model = "gemini-3-flash-preview"
    prompt = 'Compare the weather in "Paris" and "Oslo"'
    reply = client.models.generate_content(model=model, contents=prompt, config=manual())
    parts = reply.candidates[0].content.parts
    assert [p.function_call.name for p in parts] == ["get_weather", "get_weather"]
    assert parts[0].thought_signature and parts[1].thought_signature is None
    TOLD.clear()
    done = client.models.generate_content(
        model=model, contents=prompt, config=types.GenerateContentConfig(tools=[get_weather])
    )  # automatic function calling sends the turn back as it came: accepted
    assert TOLD == [("get_weather", "Paris"), ("get_weather", "Oslo")] and "sunny" in done.text


def unsigned_history() -> list[types.Content]:
    """A weather question, the model's call and its result, rebuilt by hand: no signature."""
    return [
        types.Content(role="user", parts=[types.Part(text="What is the weather in Lima?")]),
        types.Content(
            role="model",
            parts=[types.Part(function_call=types.FunctionCall(name="get_weather", args={}))],
        ),
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="get_weather", response={})],
        ),
    ]


def test_a_dropped_signature_gets_the_recorded_400(client):
    unsigned = unsigned_history()
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(
            model="gemini-3-flash-preview", contents=unsigned, config=manual()
        )
    assert refused.value.message == (
        "Function call is missing a thought_signature in functionCall parts. This is required "
        "for tools to work correctly, and missing thought_signature may lead to degraded model "
        "performance. Additional data, function call `default_api:get_weather` , position 2. "
        "Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
    )
    # only the current turn is checked: the same call in an earlier turn is fine
    earlier = [*unsigned, types.Content(role="model", parts=[types.Part(text="Sunny.")])]
    earlier.append(types.Content(role="user", parts=[types.Part(text="Thanks! And tomorrow?")]))
    assert client.models.generate_content(
        model="gemini-3-flash-preview", contents=earlier, config=manual()
    ).function_calls
