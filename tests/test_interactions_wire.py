"""The Interactions API on the wire: what the SDK (google-genai 3.6.1) sends, what the fake
answers, and what the SDK makes of it; bad requests answered with a 400 that names the field.

Shapes checked against: the SDK's own types (``google/genai/_gaos/types/interactions``), its
tests (python-genai ``tests/interactions/test_integration.py``: ``v1_`` ids, ``function_call``
steps with ``id``, ``name``, ``arguments``), the docs' streaming example (``event:`` and ``data:``
lines, ``object: "interaction"``, ai.google.dev/gemini-api/docs/interactions/streaming) and the
docs' error bodies (``{"error": {"code": "invalid_request", "message": ...}}``).
"""

import base64
import json

import httpx
import pytest
from google.genai import _interactions, errors
from google.genai._gaos.types.interactions import (
    functioncallstep,
    modeloutputstep,
    thoughtstep,
)

from course_lib import DEFAULT_MODEL, gemini_client
from course_lib.fake import FakeGemini
from course_lib.fake.answers import count_tokens
from course_lib.fake.transport import FAKE_BASE_URL, fake_router

pytestmark = pytest.mark.beside_lessons  # no timing: every fake answers at once

IMAGE = base64.b64encode(b"\xff\xd8\xff\xe0 a tiny stand-in for a JPEG").decode()
TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    }
]


def client_for(**settings):
    return gemini_client(fake=FakeGemini(**{"latency": 0.0, "error_latency_s": 0.0, **settings}))


def post(fake, body, path="/v1/interactions", key="k", method="POST"):
    """One raw request to the fake, as the SDK would send it: (status, parsed JSON)."""
    with httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler)) as http:
        headers = {"x-goog-api-key": key} if key else {}
        content = None if body is None else json.dumps(body)  # ASCII: a lone surrogate survives
        reply = http.request(method, FAKE_BASE_URL + path, content=content, headers=headers)
    return reply.status_code, reply.json() if reply.content else None


def test_an_interaction_is_the_same_engines_answer_as_generate_content():
    client = client_for()
    prompt = "Explain AI in 50 words"
    interaction = client.interactions.create(model=DEFAULT_MODEL, input=prompt)
    answer = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
    assert interaction.status == "completed" and interaction.id.startswith("v1_")
    assert isinstance(interaction.steps[-1], modeloutputstep.ModelOutputStep)
    assert interaction.steps[-1].content[0].text == interaction.output_text == answer.text
    usage = interaction.usage
    assert (
        usage.total_input_tokens == count_tokens(prompt) == answer.usage_metadata.prompt_token_count
    )
    assert usage.total_output_tokens == count_tokens(answer.text)
    # 3.6 Flash thinks by default (MEDIUM): its thought tokens count in the total, as in
    # generateContent's usage (how many is drawn per call), and come as a thought step first
    assert usage.total_thought_tokens > 0 and answer.usage_metadata.thoughts_token_count > 0
    assert usage.total_tokens == (
        usage.total_input_tokens + usage.total_output_tokens + usage.total_thought_tokens
    )
    assert [(m.modality, m.tokens) for m in usage.input_tokens_by_modality] == [
        ("text", count_tokens(prompt))
    ]
    assert interaction.service_tier == "standard"


def test_the_raw_answer_has_the_resource_fields_and_only_output_steps():
    status, body = post(FakeGemini(latency=0.0), {"model": DEFAULT_MODEL, "input": "Hello"})
    assert status == 200
    assert {"id", "status", "object", "model", "created", "updated", "steps", "usage"} <= set(body)
    assert body["object"] == "interaction" and body["model"] == DEFAULT_MODEL
    # no user_input echo; a thinking model's thought step (its signature) before the answer
    assert [step["type"] for step in body["steps"]] == ["thought", "model_output"]
    assert body["steps"][0]["signature"]


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_both_api_versions_are_served(version):
    status, body = post(
        FakeGemini(latency=0.0), {"model": DEFAULT_MODEL, "input": "Hi"}, f"/{version}/interactions"
    )
    assert status == 200 and body["status"] == "completed"


def test_typed_parts_an_image_counts_258_tokens_and_a_uri_is_never_fetched():
    client = client_for()
    text = "Describe this image in three words."
    by_data = client.interactions.create(
        model=DEFAULT_MODEL,
        input=[
            {"type": "image", "data": IMAGE, "mime_type": "image/jpeg"},
            {"type": "text", "text": text},
        ],
    )
    by_uri = client.interactions.create(
        model=DEFAULT_MODEL,
        input=[
            {"type": "text", "text": text},
            {"type": "image", "uri": "https://example.invalid/x.jpg"},
        ],
    )
    for interaction in (by_data, by_uri):
        usage = interaction.usage
        assert usage.total_input_tokens == count_tokens(text) + 258
        modalities = {m.modality: m.tokens for m in usage.input_tokens_by_modality}
        assert modalities == {"text": count_tokens(text), "image": 258}
        assert interaction.steps[-1].content[0].text


def test_a_system_instruction_is_counted_and_carried_to_the_next_turn():
    client = client_for()
    system = "You are a cat. Your name is Neko."
    first = client.interactions.create(
        model=DEFAULT_MODEL, input="Good morning!", system_instruction=system
    )
    assert first.usage.total_input_tokens == count_tokens("Good morning!") + count_tokens(system)
    second = client.interactions.create(
        model=DEFAULT_MODEL, input="How is your boat?", previous_interaction_id=first.id
    )
    so_far = first.usage.total_input_tokens + first.usage.total_output_tokens
    assert second.usage.total_input_tokens == so_far + count_tokens("How is your boat?")
    assert second.previous_interaction_id == first.id


def test_generation_config_reaches_the_engine():
    client = client_for()
    cut = client.interactions.create(
        model=DEFAULT_MODEL,
        input="Summarize quantum computing",
        generation_config={"max_output_tokens": 12},
    )
    assert cut.status == "incomplete" and cut.usage.total_output_tokens <= 12
    fixed = [
        client.interactions.create(
            model=DEFAULT_MODEL,
            input="How do vector databases work?",
            generation_config={"temperature": 0},
        ).output_text
        for _ in range(2)
    ]
    assert fixed[0] == fixed[1]


def test_thinking_level_structured_output_and_tool_choice_are_accepted_in_their_shapes():
    client = client_for(flex_minute_s=0.0, flex_shed_rate=0.0)  # Flex, without its queue
    interaction = client.interactions.create(
        model=DEFAULT_MODEL,
        input="Pick one",
        generation_config={
            "thinking_level": "low",
            "thinking_summaries": "auto",
            "stop_sequences": ["\n6"],
        },
        response_format={
            "type": "text",
            "mime_type": "application/json",
            "schema": {"type": "string", "enum": ["A", "B"]},
        },
        service_tier="flex",
    )
    assert interaction.status == "completed" and interaction.service_tier == "flex"
    # the engine behind generateContent answers: JSON that fits the schema, thoughts counted
    assert json.loads(interaction.output_text) in ("A", "B")
    assert interaction.usage.total_thought_tokens > 0
    assert [step.type for step in interaction.steps][-2:] == ["thought", "model_output"]
    quick = client.interactions.create(
        model=DEFAULT_MODEL, input="Pick one", generation_config={"thinking_level": "minimal"}
    )
    assert quick.usage.total_thought_tokens < interaction.usage.total_thought_tokens
    chosen = client.interactions.create(
        model=DEFAULT_MODEL,
        input="What is the weather in Paris?",
        tools=TOOLS,
        generation_config={
            "tool_choice": {"allowed_tools": {"mode": "any", "tools": ["get_weather"]}}
        },
    )
    assert chosen.status == "requires_action"


def test_function_calls_are_steps_with_ids_and_typed_arguments():
    client = client_for()
    interaction = client.interactions.create(
        model=DEFAULT_MODEL, input="What is the weather in Paris?", tools=TOOLS
    )
    calls = [step for step in interaction.steps if step.type == "function_call"]
    assert len(calls) == 1 and isinstance(calls[0], functioncallstep.FunctionCallStep)
    assert calls[0].name == "get_weather" and calls[0].id
    assert isinstance(calls[0].arguments["city"], str) and isinstance(
        calls[0].arguments["days"], int
    )
    assert interaction.status == "requires_action" and not interaction.output_text
    answer = client.interactions.create(
        model=DEFAULT_MODEL,
        previous_interaction_id=interaction.id,
        input=[
            {
                "type": "function_result",
                "name": "get_weather",
                "call_id": calls[0].id,
                "result": "sunny",
            }
        ],
        tools=TOOLS,
    )
    assert answer.status == "completed" and "sunny" in answer.output_text


def test_a_gemini_3_model_signs_its_calls_in_a_thought_step_before_them():
    client = client_for()
    interaction = client.interactions.create(
        model="gemini-3-flash-preview", input="What is the weather in Paris?", tools=TOOLS
    )
    kinds = [step.type for step in interaction.steps]
    assert kinds == ["thought", "function_call"]
    assert (
        isinstance(interaction.steps[0], thoughtstep.ThoughtStep) and interaction.steps[0].signature
    )


def test_stateless_history_must_send_the_signature_back():
    fake = FakeGemini(latency=0.0)
    call = {
        "type": "function_call",
        "id": "c1",
        "name": "get_weather",
        "arguments": {"city": "Paris", "days": 1},
    }
    result = {"type": "function_result", "call_id": "c1", "result": "sunny"}
    history = [{"type": "user_input", "content": [{"type": "text", "text": "Weather in Paris?"}]}]
    body = {"model": "gemini-3-flash-preview", "tools": TOOLS, "store": False}
    signed = history + [{"type": "thought", "signature": "c2lnMQ=="}, call, result]
    status, answer = post(fake, {**body, "input": signed})
    assert status == 200 and "sunny" in answer["steps"][-1]["content"][0]["text"]
    status, refused = post(fake, {**body, "input": history + [call, result]})
    assert status == 400 and "thought_signature" in refused["error"]["message"]
    assert "`default_api:get_weather` , position 2" in refused["error"]["message"]


def test_get_delete_and_an_unknown_id():
    client = client_for()
    interaction = client.interactions.create(model=DEFAULT_MODEL, input="Keep me")
    fetched = client.interactions.get(interaction.id)
    assert fetched.output_text == interaction.output_text and fetched.status == "completed"
    with_input = client.interactions.get(interaction.id, include_input=True)
    assert [step.type for step in with_input.steps] == ["user_input", "thought", "model_output"]
    assert client.interactions.delete(interaction.id) is None
    with pytest.raises(_interactions.NotFoundError) as caught:
        client.interactions.get(interaction.id)
    assert caught.value.body["error"]["code"] == "not_found"
    with pytest.raises(_interactions.NotFoundError):
        client.interactions.create(
            model=DEFAULT_MODEL, input="Hi", previous_interaction_id="v1_nope"
        )


def test_another_projects_interactions_are_not_found():
    fake = FakeGemini(latency=0.0)
    status, mine = post(fake, {"model": DEFAULT_MODEL, "input": "Mine"}, key="alice")
    assert status == 200
    assert post(fake, None, f"/v1/interactions/{mine['id']}", key="bob", method="GET")[0] == 404
    assert post(fake, None, f"/v1/interactions/{mine['id']}", key="alice", method="GET")[0] == 200


def test_store_false_keeps_nothing():
    client = client_for()
    interaction = client.interactions.create(model=DEFAULT_MODEL, input="Forget me", store=False)
    with pytest.raises(_interactions.NotFoundError):
        client.interactions.get(interaction.id)


def test_background_runs_on_the_fakes_clock_and_can_be_cancelled():
    now = [0.0]
    client = client_for(latency=2.0, clock=lambda: now[0])
    job = client.interactions.create(model=DEFAULT_MODEL, input="A long job", background=True)
    assert job.status == "in_progress" and not job.steps  # answered at once
    assert client.interactions.get(job.id).status == "in_progress"
    now[0] = 2.0
    done = client.interactions.get(job.id)
    assert done.status == "completed" and done.output_text
    other = client.interactions.create(model=DEFAULT_MODEL, input="Another job", background=True)
    assert client.interactions.cancel(other.id).status == "cancelled"
    assert client.interactions.get(other.id).status == "cancelled"
    with pytest.raises(_interactions.BadRequestError) as caught:
        client.interactions.cancel(job.id)  # finished: nothing to cancel
    assert caught.value.body["error"]["code"] == "failed_precondition"


def test_a_stream_and_a_replayed_stream_parse_into_the_sdks_events():
    client = client_for()
    events = list(
        client.interactions.create(
            model=DEFAULT_MODEL, input="Describe neural networks", stream=True
        )
    )
    kinds = [event.event_type for event in events]
    assert kinds[:3] == ["interaction.created", "interaction.status_update", "step.start"]
    assert kinds[-2:] == ["step.stop", "interaction.completed"]
    text = "".join(e.delta.text for e in events if e.event_type == "step.delta" and is_text(e))
    interaction_id = events[0].interaction.id
    assert text == client.interactions.get(interaction_id).output_text
    assert events[-1].interaction.usage.total_output_tokens == count_tokens(text)
    replayed = list(client.interactions.get(interaction_id, stream=True))
    assert (
        "".join(e.delta.text for e in replayed if e.event_type == "step.delta" and is_text(e))
        == text
    )
    resumed = list(
        client.interactions.get(interaction_id, stream=True, last_event_id=replayed[2].event_id)
    )
    assert [e.event_id for e in resumed] == [e.event_id for e in replayed[3:]]


def test_streamed_function_calls_come_as_whole_steps_with_their_arguments():
    client = client_for()
    events = list(
        client.interactions.create(
            model=DEFAULT_MODEL, input="What is the weather in Paris?", tools=TOOLS, stream=True
        )
    )
    started = [e.step.type for e in events if e.event_type == "step.start"]
    # a Gemini 3 model (the default) signs its call: a thought step with the signature first
    assert started == ["thought", "function_call"]
    deltas = [e.delta for e in events if e.event_type == "step.delta"]
    arguments = [d.arguments for d in deltas if getattr(d, "arguments", None)]
    assert json.loads(arguments[0])["city"] == "Paris"
    assert events[-1].interaction.status == "requires_action"


# -- bad requests: a 400 that names the field, never a 500 ---------------------------------------
BAD = [
    ({"input": "Hi"}, "'model' is required"),
    ({"model": DEFAULT_MODEL}, "'input' is required"),
    ({"model": DEFAULT_MODEL, "input": 5}, "'input'"),
    ({"model": DEFAULT_MODEL, "input": "Hi", "config": {}}, "Unknown parameter 'config'"),
    (
        {
            "model": DEFAULT_MODEL,
            "input": [{"type": "image", "data": "!!", "mime_type": "image/png"}],
        },
        "input[0].data",
    ),
    (
        {"model": DEFAULT_MODEL, "input": [{"type": "image", "data": IMAGE}]},
        "input[0].mime_type",
    ),
    (
        {
            "model": DEFAULT_MODEL,
            "input": [{"type": "image", "data": IMAGE, "mime_type": "audio/mp3"}],
        },
        "mime_type",
    ),
    ({"model": DEFAULT_MODEL, "input": [{"type": "text", "text": 3}]}, "input[0].text"),
    ({"model": DEFAULT_MODEL, "input": "\ud800"}, "at 'input': the text is not valid Unicode"),
    (
        {
            "model": DEFAULT_MODEL,
            "input": {"type": "function_result", "call_id": "c", "result": "x"},
        },
        "as a list",
    ),
    (
        {
            "model": DEFAULT_MODEL,
            "input": [{"type": "function_result", "call_id": "nope", "result": "x"}],
        },
        "input[0].call_id",
    ),
    (
        {"model": DEFAULT_MODEL, "input": [{"type": "function_call", "id": "c", "name": "f"}]},
        "input[0].arguments",
    ),
    ({"model": DEFAULT_MODEL, "input": [{"type": "mystery_step"}]}, "'type' at 'input[0]'"),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "generation_config": {"temperature": 3}},
        "generation_config.temperature",
    ),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "generation_config": {"temperature": "hot"}},
        "generation_config.temperature",
    ),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "generation_config": {"max_output_tokens": 0}},
        "generation_config.max_output_tokens",
    ),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "generation_config": {"thinking_level": "warm"}},
        "'thinking_level' at 'generation_config'",
    ),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "generation_config": {"thinking_budget": 9}},
        "generation_config.thinking_budget",
    ),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "generation_config": {"tool_choice": "sometimes"}},
        "'tool_choice'",
    ),
    (
        {
            "model": DEFAULT_MODEL,
            "input": "Hi",
            "response_format": {"type": "text", "mime_type": "text/plain", "schema": {}},
        },
        "response_format.schema",
    ),
    (
        {
            "model": DEFAULT_MODEL,
            "input": "Hi",
            "response_format": {"type": "text", "schema": "a string"},
        },
        "response_format.schema",
    ),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "response_format": {"type": "image"}},
        "response_format.type",
    ),
    ({"model": DEFAULT_MODEL, "input": "Hi", "tools": [{"type": "google_search"}]}, "tools[0]"),
    ({"model": DEFAULT_MODEL, "input": "Hi", "tools": [{"type": "function"}]}, "tools[0].name"),
    (
        {
            "model": DEFAULT_MODEL,
            "input": "Hi",
            "tools": [{"type": "function", "name": "f", "parameters": []}],
        },
        "tools[0].parameters",
    ),
    (
        {
            "model": DEFAULT_MODEL,
            "input": "Hi",
            "tools": [{"type": "function", "name": "no spaces"}],
        },
        "tools[0]",
    ),
    ({"model": DEFAULT_MODEL, "input": "Hi", "service_tier": "gold"}, "'service_tier'"),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "background": True, "store": False},
        "'background' needs 'store'",
    ),
    ({"model": DEFAULT_MODEL, "input": "Hi", "stream": "yes"}, "'stream'"),
    (
        {"model": DEFAULT_MODEL, "input": "Hi", "agent": "deep-research-pro-preview-12-2025"},
        "agents",
    ),
]


@pytest.mark.parametrize(("body", "names"), BAD, ids=[names for _, names in BAD])
def test_a_bad_request_is_a_400_naming_the_field(body, names):
    status, answer = post(FakeGemini(latency=0.0), body)
    assert status == 400, answer
    assert set(answer["error"]) == {"code", "message"}
    assert answer["error"]["code"] in ("invalid_request", "parameter_unknown")
    assert names in answer["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"model": "m", "input": [[[]]]}',
        b'{"model": {}, "input": "x"}',
        b"[" * 5000,
    ],
)
def test_nonsense_is_refused_with_a_4xx_never_a_500(body):
    with httpx.Client(transport=httpx.MockTransport(fake_router(FakeGemini()).handler)) as http:
        reply = http.post(
            FAKE_BASE_URL + "/v1/interactions", content=body, headers={"x-goog-api-key": "k"}
        )
    assert 400 <= reply.status_code < 500 and reply.json()["error"]["message"]


def test_errors_come_as_the_interactions_clients_own_exceptions():
    client = client_for()
    with pytest.raises(_interactions.NotFoundError) as missing:
        client.interactions.create(model="gemini-0-nonexistent", input="Hi")
    assert missing.value.status_code == 404 and missing.value.body["error"]["code"] == "not_found"
    assert not isinstance(missing.value, errors.APIError)  # the models.* errors are another family
    with pytest.raises(_interactions.BadRequestError) as bad:
        client.interactions.create(
            model=DEFAULT_MODEL, input="Hi", generation_config={"temperature": 9}
        )
    assert bad.value.status_code == 400 and "temperature" in bad.value.message


def test_a_missing_key_is_refused_before_anything_else():
    status, answer = post(FakeGemini(latency=0.0), {"model": DEFAULT_MODEL, "input": 5}, key="")
    assert status == 403 and answer["error"]["code"] == "permission_denied"


def test_the_store_keeps_no_long_prompt_and_stays_within_its_bounds():
    fake = FakeGemini(latency=0.0)
    store = fake.interactions.store
    store.max_items, store.max_bytes = 5, 200_000
    long_prompt = "Tell me about rivers. " + "x" * 1_000_000  # 1 MB
    first = None
    for i in range(8):
        status, body = post(fake, {"model": DEFAULT_MODEL, "input": f"{i} {long_prompt}"})
        assert status == 200
        first = first or body["id"]
    assert len(store) == 5 and store.bytes <= store.max_bytes
    kept = [store.get(i, "k") for i in list(store._items)]
    assert all(
        len(s.topic) <= 200 and s.input_steps is None and len(s.prompt_hash) == 64 for s in kept
    )
    assert all("x" * 1000 not in json.dumps(s.body) for s in kept)
    later = {"model": DEFAULT_MODEL, "input": "And then?", "previous_interaction_id": first}
    assert post(fake, later)[0] == 404  # the oldest went first, as an expired one does


def is_text(event) -> bool:
    """A step.delta that carries answer text (a thinking model's stream also has its thought
    signature as a delta)."""
    return event.delta.type == "text"
