"""The fake under bad requests, both ways in: the real API's 400, 405 and 500 shapes in JSON,
nothing printed, answers of a model's size, and connections that hang are closed."""

import gc
import json
import socket
import time
import tracemalloc

import pytest
from google.genai import errors, types

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini, FakeServer
from course_lib.fake.answers import topic_of
from course_lib.fake.request import MAX_BODY_BYTES
from course_lib.fake.wire import Caller
from course_lib.rate_limits.retry import call_with_retries_sync
from tests.conftest import http_to

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

GENERATE = f"/v1/models/{DEFAULT_MODEL}:generateContent"
KEY = {"x-goog-api-key": "k"}
OK_PART = '{"contents": [{"parts": [{"text": "hi"}]}]'
TYPES = "type.googleapis.com/google.ai.generativelanguage.v1beta."
DECLARATION = "tools[0].function_declarations[0]"


def with_tool(parameters: dict, key: str = "parameters") -> bytes:
    """A body declaring one function ``f`` whose parameters are ``parameters``."""
    tool = {"functionDeclarations": [{"name": "f", key: parameters}]}
    return json.dumps({"contents": [{"parts": [{"text": "hi"}]}], "tools": [tool]}).encode()


def nested(depth: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"inner": schema}}
    return schema


# What the JSON parser refuses: (body, what the message says, the fieldViolation's field). The
# wording is the recorded one (see course_lib/fake/bad_request.py for the issues it comes from).
PARSER_REFUSES = {
    "null": (b"null", "Root element must be a message.", ""),
    "an array": (b"[]", "Root element must be a message.", ""),
    "a string": (b'"hi"', "Root element must be a message.", ""),
    "not JSON": (b"{nope", "Invalid JSON payload received. Unexpected token.", ""),
    "nested 100,000 deep": (
        b'{"contents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "Invalid JSON payload received. Message too deep",
        "",
    ),
    "an unknown field": (
        b'{"contents": [], "thinking": {}}',
        'Invalid JSON payload received. Unknown name "thinking": Cannot find field.',
        "",
    ),
    "a misspelt config field": (
        (OK_PART + ', "generationConfig": {"temprature": 1}}').encode(),
        "Unknown name \"temprature\" at 'generation_config': Cannot find field.",
        "generation_config",
    ),
    "contents a string": (b'{"contents": "hi"}', "Expected a list at 'contents'", "contents"),
    "contents an object": (b'{"contents": {"parts": []}}', "a list at 'contents'", "contents"),
    "a content a string": (
        b'{"contents": ["hi"]}',
        f"Invalid value at 'contents[0]' ({TYPES}Content), \"hi\"",
        "contents[0]",
    ),
    "parts a string": (
        b'{"contents": [{"parts": "hi"}]}',
        "Expected a list at 'contents[0].parts'",
        "contents[0].parts",
    ),
    "a part a string": (
        b'{"contents": [{"parts": ["hi"]}]}',
        f"Invalid value at 'contents[0].parts[0]' ({TYPES}Part)",
        "contents[0].parts[0]",
    ),
    "text a number": (
        b'{"contents": [{"parts": [{"text": 5}]}]}',
        "Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 5",
        "contents[0].parts[0].text",
    ),
    "text with a lone surrogate": (
        b'{"contents": [{"parts": [{"text": "hi \\ud800"}]}]}',
        "Invalid value at 'contents[0].parts[0].text' (TYPE_STRING)",
        "contents[0].parts[0].text",
    ),
    "role a number": (
        b'{"contents": [{"role": 1, "parts": [{"text": "hi"}]}]}',
        "Invalid value at 'contents[0].role' (TYPE_STRING), 1",
        "contents[0].role",
    ),
    "image data not base64": (
        b'{"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "n*t"}}]}]}',
        '(TYPE_BYTES), Base64 decoding failed for "n*t"',
        "contents[0].parts[0].inline_data.data",
    ),
    "temperature a string": (
        (OK_PART + ', "generationConfig": {"temperature": "hot"}}').encode(),
        "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\"",
        "generation_config.temperature",
    ),
    "maxOutputTokens a word": (
        (OK_PART + ', "generationConfig": {"maxOutputTokens": "nine"}}').encode(),
        "'generation_config.max_output_tokens' (TYPE_INT32)",
        "generation_config.max_output_tokens",
    ),
    "config a list": (
        (OK_PART + ', "generationConfig": []}').encode(),
        'Unknown name "generationConfig": Proto field is not repeating, cannot start list.',
        "",
    ),
    "system a string": (
        (OK_PART + ', "systemInstruction": "be kind"}').encode(),
        f"Invalid value at 'system_instruction' ({TYPES}Content)",
        "system_instruction",
    ),
    "a thinking level that does not exist": (
        (
            OK_PART + ', "generationConfig": {"thinkingConfig": {"thinking_level": "LOTS"}}}'
        ).encode(),
        f'({TYPES}ThinkingConfig.ThinkingLevel), "LOTS"',
        "generation_config.thinking_config.thinking_level",
    ),
    "a function mode that does not exist": (
        (OK_PART + ', "toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}}').encode(),
        f'({TYPES}FunctionCallingConfig.Mode), "SOMETIMES"',
        "tool_config.function_calling_config.mode",
    ),
    "parameters' properties a list": (
        with_tool({"type": "OBJECT", "properties": [{"city": {"type": "STRING"}}]}),
        f"Unknown name \"properties\" at '{DECLARATION}.parameters': Proto field is not "
        "repeating, cannot start list.",
        f"{DECLARATION}.parameters",
    ),
    "parameters' required a string": (
        with_tool({"type": "OBJECT", "properties": {"city": {}}, "required": "city"}),
        f"Expected a list at '{DECLARATION}.parameters.required'",
        f"{DECLARATION}.parameters.required",
    ),
    "parameters' items a string": (
        with_tool({"type": "OBJECT", "properties": {"xs": {"type": "ARRAY", "items": "string"}}}),
        f"Invalid value at '{DECLARATION}.parameters.properties[0].value.items' ({TYPES}Schema), "
        '"string"',
        f"{DECLARATION}.parameters.properties[0].value.items",
    ),
    "a JSON Schema keyword in parameters": (
        with_tool({"type": "OBJECT", "additionalProperties": False}),
        f"Unknown name \"additionalProperties\" at '{DECLARATION}.parameters': Cannot find field.",
        f"{DECLARATION}.parameters",
    ),
    "a type that does not exist": (
        with_tool({"type": "OBJECT", "properties": {"n": {"type": "FLOAT"}}}),
        f"Invalid value at '{DECLARATION}.parameters.properties[0].value.type' ({TYPES}Type), "
        '"FLOAT"',
        f"{DECLARATION}.parameters.properties[0].value.type",
    ),
}

# What the API's own checks refuse: (body, what the message says). Recorded bodies of these carry
# the field in the message and no details.
API_REFUSES = {
    "no contents": (b'{"contents": []}', "* GenerateContentRequest.contents: contents is not"),
    "a required property that is not declared": (
        with_tool({"type": "OBJECT", "properties": {}, "required": ["city"]}),
        f"* GenerateContentRequest.{DECLARATION}.parameters.required[0]: property is not defined",
    ),
    "an array without items": (
        with_tool({"type": "OBJECT", "properties": {"xs": {"type": "ARRAY"}}}),
        f"{DECLARATION}.parameters.properties[xs].items: missing field.",
    ),
    "absurd nesting": (
        with_tool(nested(200), "parametersJsonSchema"),
        "FunctionDeclaration 'f' in the request exceeds the maximum allowed nesting depth.",
    ),
    "absurd nesting (Schema)": (
        with_tool(nested(60)),
        "FunctionDeclaration 'f' in the request exceeds the maximum allowed nesting depth.",
    ),
    "JSON Schema properties a list": (
        with_tool({"type": "object", "properties": [{"city": {}}]}, "parameters_json_schema"),
        f"{DECLARATION}.parameters_json_schema.properties: must be an object, not a list",
    ),
    "JSON Schema required a string": (
        with_tool(
            {"type": "object", "properties": {"city": {}}, "required": "city"},
            "parametersJsonSchema",
        ),
        f"{DECLARATION}.parameters_json_schema.required: must be a list of property names",
    ),
    "JSON Schema items a string": (
        with_tool(
            {"type": "object", "properties": {"xs": {"type": "array", "items": "string"}}},
            "parametersJsonSchema",
        ),
        "parameters_json_schema.properties.xs.items: must be a schema (an object), not a string",
    ),
    "a $ref to nowhere": (
        (OK_PART + ', "generationConfig": {"responseMimeType": "application/json", '
         '"responseJsonSchema": {"$ref": "#/$defs/Nope"}}}').encode(),
        "generation_config.response_json_schema.$ref: cannot resolve",
    ),
    "a MIME type the API does not answer in": (
        (OK_PART + ', "generationConfig": {"responseMimeType": "text/html"}}').encode(),
        "generation_config.response_mime_type: allowed mimetypes are `text/plain`",
    ),
    "temperature out of range": (
        (OK_PART + ', "generationConfig": {"temperature": 5}}').encode(),
        "generation_config.temperature: must be in [0.0, 2.0]",
    ),
}  # fmt: skip


@pytest.fixture(params=["in-process", "loopback"])
def http(request):
    """An httpx client and the fake's base URL, one way in or the other."""
    with http_to(FakeGemini(latency=0.0), request.param) as way_in:
        yield way_in


@pytest.mark.parametrize("case", PARSER_REFUSES, ids=list(PARSER_REFUSES))
def test_what_the_parser_refuses_is_a_400_with_a_field_violation(http, case, capfd):
    client, base = http
    body, says, where = PARSER_REFUSES[case]
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and says in error["message"]
    [detail] = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    first = detail["fieldViolations"][0]
    assert first.get("field", "") == where and says in first["description"]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


@pytest.mark.parametrize("case", API_REFUSES, ids=list(API_REFUSES))
def test_what_the_api_checks_is_a_400_naming_the_field(http, case, capfd):
    client, base = http
    body, says = API_REFUSES[case]
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and says in error["message"], error["message"]
    assert "details" not in error  # as recorded for these
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "GET"])
def test_other_methods_on_an_endpoint_get_405(http, method):
    client, base = http
    reply = client.request(method, base + GENERATE, headers=KEY)
    assert reply.status_code == 405 and reply.json()["error"]["code"] == 405
    assert client.request(method, base + "/v1/nowhere", headers=KEY).status_code == 404


def test_a_body_over_the_api_limit_is_refused(http):
    client, base = http
    prompt = "x" * (MAX_BODY_BYTES + 10)
    body = json.dumps({"contents": [{"parts": [{"text": prompt}]}]}).encode()
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 400 and "payload size exceeds" in reply.json()["error"]["message"]


def test_a_huge_prompt_gets_an_answer_of_a_models_size(http):
    client, base = http
    prompt = "Explain " + "the event loop and the GIL " * 150_000  # about 4 MB
    body = json.dumps({"contents": [{"parts": [{"text": prompt}]}]}).encode()
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 200
    answer = reply.json()["candidates"][0]["content"]["parts"][0]["text"]
    assert len(answer) < 5_000  # a few hundred words, never an echo of the prompt
    assert 1_000_000 < reply.json()["usageMetadata"]["promptTokenCount"] <= 1_048_576


def test_a_prompt_over_the_models_input_limit_is_refused_as_the_api_does(http):
    client, base = http
    prompt = "x" * (4 * 1_048_576 + 1)  # one token over the model's input limit
    body = json.dumps({"contents": [{"parts": [{"text": prompt}]}]}).encode()
    reply = client.post(base + GENERATE, content=body, headers=KEY)
    assert reply.status_code == 400 and reply.json()["error"] == {
        "code": 400,
        "message": "The input token count exceeds the maximum number of tokens allowed (1048576).",
        "status": "INVALID_ARGUMENT",
    }


def test_the_topic_of_any_prompt_is_read_from_its_start_only():
    # the work is bounded by what is read, not by the prompt's length (see bench/fake_limits.py)
    assert topic_of("Explain caching in 50 words\n" + " x" * 1_000_000) == "caching"
    assert topic_of("How do queues " + "  " * 500_000 + "work") == "queues"
    assert len(topic_of("a " * 3_000_000).split()) == 8


def test_the_fakes_own_failure_is_a_500_in_json_and_prints_nothing(http, capfd, monkeypatch):
    client, base = http

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the fake")

    monkeypatch.setattr(FakeGemini, "generate", broken)
    reply = client.post(base + GENERATE, content=b'{"contents": []}', headers=KEY)
    assert reply.status_code == 500 and reply.json()["error"]["status"] == "INTERNAL"
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "ZeroDivisionError" in reply.text


def test_a_connection_that_sends_half_a_header_is_closed():
    with FakeServer(FakeGemini(latency=0.0), idle_timeout_s=0.5) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as half:
            half.sendall(b"POST " + GENERATE.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            assert half.recv(1024) in (b"", b"HTTP/1.1 400 Bad Request\r\n")  # then closed
            assert time.monotonic() - started < 9  # the timeout, not the socket's 10 s


def test_the_fake_remembers_prompts_by_a_digest_not_their_text(http):
    """Nothing grows with the prompts' size: the fake counts how often each prompt was asked (a
    digest of it), and the in-process router keeps only its last few requests. 30 prompts of
    1 MB kept whole would be 30 MB; the budget below is a tenth of that."""
    client, base = http

    def ask(i: int) -> None:
        body = json.dumps({"contents": [{"parts": [{"text": f"{i} " + "x" * 1_000_000}]}]})
        assert client.post(base + GENERATE, content=body, headers=KEY).status_code == 200

    tracemalloc.start()  # it counts what is allocated from now on, and freed
    try:
        for i in range(25):  # warm up: caches, connection pools, the router's short record
            ask(-i - 1)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(30):
            ask(i)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 3_000_000, f"the fake kept {grown / 1e6:.1f} MB of 30 MB of prompts"


def test_a_malformed_schema_through_the_sdk_is_a_400_the_kits_retries_do_not_repeat():
    fake = FakeGemini(latency=0.0)
    client = gemini_client(fake=fake)
    bad = types.FunctionDeclaration(
        name="get_weather",
        parameters_json_schema={"type": "object", "properties": {"city": {}}, "required": "city"},
    )
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[bad])])

    def ask():
        return client.models.generate_content(model=DEFAULT_MODEL, contents="Hi", config=config)

    with pytest.raises(errors.ClientError) as refused:
        call_with_retries_sync(ask, attempts=4, sleep=lambda s: None)
    assert refused.value.code == 400
    assert "function_declarations[0].parameters_json_schema.required" in refused.value.message
    assert len(fake.log) == 1  # a 400 is not retried (a 500 would have been, 4 times)


def test_every_field_the_sdk_sends_is_one_the_fake_knows():
    """No false 'Unknown name' 400: a config with (nearly) every option the SDK can send."""
    client = gemini_client(fake=FakeGemini(latency=0.0))
    config = types.GenerateContentConfig(
        system_instruction="Be brief.",
        temperature=0.5,
        top_p=0.9,
        top_k=20,
        candidate_count=1,
        max_output_tokens=200,
        stop_sequences=["\n\n\n"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.1,
        response_mime_type="text/plain",
        safety_settings=[
            types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")
        ],
        tools=[types.Tool(google_search=types.GoogleSearch()), types.Tool(url_context={})],
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(mode="AUTO")
        ),
        thinking_config=types.ThinkingConfig(thinking_budget=512, include_thoughts=True),
        media_resolution="MEDIA_RESOLUTION_LOW",
        labels={"course": "lesson"},
        service_tier="standard",
    )
    reply = client.models.generate_content(model=DEFAULT_MODEL, contents="Hello", config=config)
    assert reply.text


RICH = {  # a body with most of what a request may hold
    "contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}, {"inlineData": {
            "mimeType": "image/png", "data": "iVBORw0KGgo="}}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather",
                                                      "args": {"city": "Paris"}},
                                     "thoughtSignature": "c2ln"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
                                                         "response": {"sky": "sun"}}}]},
    ],
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather.",
        "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"},
                       "days": {"type": "ARRAY", "items": {"type": "INTEGER"}}},
                       "required": ["city"]}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO", "allowedFunctionNames": []}},
    "generationConfig": {"temperature": 0.5, "maxOutputTokens": 100,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": {"answer": {"type": "string"}}},
        "thinkingConfig": {"thinkingBudget": 512, "includeThoughts": True}},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    "serviceTier": "standard",
}  # fmt: skip
ODD_VALUES = [None, 5, -1, 1.5, "x", "\ud800", True, [], [1, "a"], {}, {"zz": 1}]


def paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, (*path, i))


def replaced(value, path, new):
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return copy


@pytest.mark.parametrize("model", [DEFAULT_MODEL, "gemini-3-flash-preview"])
def test_any_value_anywhere_is_answered_or_refused_never_a_500(model):
    """Every field of a rich body, swapped for each of a set of odd values: a 200 or a 4xx in
    the API's JSON shape, never the fake's own 500 (which every retry policy would retry)."""
    fake = FakeGemini(latency=0.0)
    assert fake.generate("v1beta", model, json.dumps(RICH).encode(), Caller("k")).status == 200
    statuses = set()
    for path in list(paths(RICH))[1:]:
        for odd in ODD_VALUES:
            body = json.dumps(replaced(RICH, path, odd)).encode()
            for reply in (
                fake.generate("v1beta", model, body, Caller("k")),
                fake.generate("v1beta", model, body, Caller("k"), stream=True, sse=False),
                fake.count_tokens("v1beta", model, body, Caller("k")),
            ):
                statuses.add(reply.status)
                assert reply.status in (200, 400), (path, odd, reply.chunks[0][1][:300])
                if reply.status == 400:
                    error = json.loads(reply.chunks[0][1])["error"]
                    assert error["status"] == "INVALID_ARGUMENT" and error["message"]
    assert statuses == {200, 400}
