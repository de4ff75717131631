"""Service tiers and the Batch API, as google-gemini/cookbook's Inference_tiers and Batch_mode
quickstarts use them (main at f1e7e3de; Inference_tiers also on its archive/generate-content-api
branch, which calls ``models.generate_content``), written here in their shape: the calls are
theirs, unchanged; only the client's creation differs (``genai.Client()`` reaches the fake's
loopback server after ``offline()``). Then what the docs say each tier does, checked at the
fake: Flex's queue and shedding, Priority's own limit and its downgrade, the Batch API's limits.
"""

import json
import time

import pytest
from google import genai
from google.genai import errors, types

from course_lib import DEFAULT_MODEL, offline, use_fake
from course_lib.fake.gemini import FakeGemini
from course_lib.fake.tiers import TIER_HEADER
from course_lib.fake.wire import Caller

MODEL_ID = "gemini-3.6-flash"  # the cookbook's choice in both notebooks
FLEX_MINUTE_S = 0.01  # Flex's 1-15 minutes become 10-150 ms


@pytest.fixture
def client():
    use_fake(latency=0.05, flex_minute_s=FLEX_MINUTE_S, flex_shed_rate=0.0)
    offline()
    return genai.Client()  # the one line that differs: no key from Colab's secrets


def generate(fake: FakeGemini, prompt: str, tier: str | None, key: str = "k"):
    body: dict = {"contents": [{"parts": [{"text": prompt}]}]}
    if tier is not None:
        body["serviceTier"] = tier
    return fake.generate("v1", DEFAULT_MODEL, json.dumps(body).encode(), Caller(key))


# -- Inference_tiers (main): the Interactions API ------------------------------------------------
def test_inference_tiers_with_interactions(client, capsys):
    interaction = client.interactions.create(
        model=MODEL_ID, input="Why is the sky blue?", service_tier="priority"
    )
    print(interaction.service_tier)
    print(interaction.steps[-1].content[0].text)
    interaction = client.interactions.create(
        model=MODEL_ID, input="Why is the sky blue?", service_tier="flex"
    )
    print(interaction.service_tier)
    client.interactions.create(
        model=MODEL_ID, input="why is the sky blue?", service_tier="flex", timeout=900
    )
    response = client.interactions.create(
        model=MODEL_ID, input="List 5 ideas for a sci-fi movie.", service_tier="flex", stream=True
    )
    streamed = ""
    for event in response:
        if hasattr(event, "delta") and hasattr(event.delta, "text") and event.delta.text:
            streamed += event.delta.text
    patient = genai.Client(http_options=types.HttpOptions(timeout=120000))
    summary = patient.interactions.create(
        model=MODEL_ID,
        input="Summarize the history of AI development since 2000.",
        service_tier="flex",
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "priority" and lines[-1] == "flex" and len(" ".join(lines[1:-1])) > 50
    assert len(streamed.split()) > 10 and summary.service_tier == "flex"


# -- Inference_tiers (archive/generate-content-api): generate_content and its header ---------------
def test_inference_tiers_with_generate_content(client, capsys):
    response = client.models.generate_content(
        model=MODEL_ID, contents="Why is the sky blue?", config={"service_tier": "priority"}
    )
    if response.sdk_http_response.headers.get("x-gemini-service-tier") == "standard":
        print("Warning: Priority limit exceeded, processed at Standard tier.")
    print(response.sdk_http_response.headers.get("x-gemini-service-tier"))
    response = client.models.generate_content(
        model=MODEL_ID, contents="Why is the sky blue?", config={"service_tier": "flex"}
    )
    print(response.sdk_http_response.headers.get("x-gemini-service-tier"))
    client.models.generate_content(
        model=MODEL_ID,
        contents="why is the sky blue?",
        config={"service_tier": "flex", "http_options": {"timeout": 900000}},
    )
    chunks = client.models.generate_content_stream(
        model=MODEL_ID,
        contents=["List 5 ideas for a sci-fi movie."],
        config={"service_tier": "flex", "http_options": {"timeout": 60000}},
    )
    streamed = "".join(chunk.text or "" for chunk in chunks)
    assert capsys.readouterr().out == "priority\nflex\n"
    assert len(streamed.split()) > 10


def test_the_cookbooks_retry_falls_back_to_standard_when_flex_is_shed(capsys):
    use_fake(latency=0.01, flex_minute_s=0.001, flex_shed_rate=1.0)  # every Flex call shed
    offline()
    client = genai.Client()

    def call_with_retry(max_retries=3, base_delay=0.01):  # the notebook's, its delay shortened
        for attempt in range(max_retries):
            try:
                if attempt == max_retries - 1:  # the last attempt: Standard
                    return client.models.generate_content(
                        model=MODEL_ID, contents="Provide a very brief definition of ML."
                    )
                return client.models.generate_content(
                    model=MODEL_ID,
                    contents="Provide a very brief definition of ML.",
                    config={"service_tier": "flex"},
                )
            except errors.APIError as e:
                print(f"Attempt {attempt + 1} failed: {e.code}")
                time.sleep(base_delay * (2**attempt))

    response = call_with_retry()
    assert capsys.readouterr().out == "Attempt 1 failed: 503\nAttempt 2 failed: 503\n"
    assert response.sdk_http_response.headers.get(TIER_HEADER) == "standard" and response.text


# -- what each tier does, at the fake -------------------------------------------------------------
def test_flex_waits_one_to_fifteen_of_its_minutes_and_standard_does_not():
    fake = FakeGemini(latency=0.5, flex_minute_s=60.0, flex_shed_rate=0.0)
    flex = [generate(fake, f"question {i}", "flex").duration for i in range(40)]
    standard = [generate(fake, f"question {i}", None).duration for i in range(40)]
    assert all(60 <= s - 0.5 <= 15 * 60 for s in flex), (min(flex), max(flex))
    assert max(flex) - min(flex) > 5 * 60  # spread over the target, not one fixed wait
    assert all(s < 5 for s in standard)


def test_flex_sheds_the_share_asked_with_a_503_and_never_moves_calls_to_standard():
    fake = FakeGemini(latency=0.0, flex_minute_s=0.0, flex_shed_rate=0.3)
    replies = [generate(fake, f"question {i}", "flex") for i in range(200)]
    shed = [r for r in replies if r.status == 503]
    assert 0.2 < len(shed) / len(replies) < 0.4
    body = json.loads(shed[0].chunks[0][1])["error"]
    assert body["status"] == "UNAVAILABLE" and "high demand" in body["message"]
    served = {r.headers[TIER_HEADER] for r in replies if r.status == 200}
    assert served == {"flex"}
    again = FakeGemini(latency=0.0, flex_minute_s=0.0, flex_shed_rate=0.3)
    assert [generate(again, f"question {i}", "flex").status for i in range(200)] == [
        r.status for r in replies
    ]  # chance made repeatable, as every other draw of the fake


def test_priority_has_a_limit_of_its_own_and_past_it_is_served_at_standard():
    fake = FakeGemini(latency=0.0, rpm=20, window_s=60.0)
    tiers = [generate(fake, f"ticket {i}", "priority").headers[TIER_HEADER] for i in range(10)]
    assert tiers == ["priority"] * 6 + ["standard"] * 4  # 0.3 x 20 a minute, then downgraded
    other = generate(fake, "ticket", "priority", key="another project")
    assert other.headers[TIER_HEADER] == "priority"  # one limit per project
    over = [generate(fake, f"more {i}", "priority").status for i in range(12)]
    assert over == [200] * 10 + [429] * 2  # the Standard limit still holds for everyone


def test_priority_is_not_shed_when_standard_calls_get_503s():
    fake = FakeGemini(latency=0.0, failure_rate=1.0)
    standard = {generate(fake, f"q{i}", None).status for i in range(40)}
    priority = {generate(fake, f"q{i}", "priority").status for i in range(40)}
    assert standard == {500, 503} and priority == {200, 500}  # answered where others were shed


def test_the_served_tier_is_in_the_header_the_usage_and_the_interaction(client):
    fake = use_fake(latency=0.0, rpm=10)
    reply = generate(fake, "Hi", "FLEX")  # the enum's name, in any case
    usage = json.loads(reply.chunks[0][1])["usageMetadata"]
    assert reply.headers[TIER_HEADER] == usage["serviceTier"] == "flex"
    assert generate(fake, "Hi", None).headers[TIER_HEADER] == "standard"
    served = [
        client.interactions.create(model=MODEL_ID, input=f"Hi {i}", service_tier="priority")
        for i in range(4)
    ]
    assert [i.service_tier for i in served] == ["priority"] * 3 + ["standard"]


def test_a_tier_the_api_does_not_have_is_a_400_naming_the_field(client):
    with pytest.warns(UserWarning), pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(
            model=MODEL_ID, contents="Hi", config={"service_tier": "gold"}
        )
    assert refused.value.code == 400 and "'service_tier'" in refused.value.message
    fake = FakeGemini(latency=0.0)
    for tier in (3, "deferred", ""):  # "deferred" is a tier of Vertex AI's, not this API's
        reply = generate(fake, "Hi", tier)
        assert reply.status == 400 and b"'service_tier'" in reply.chunks[0][1], tier


# -- Batch_mode: inline requests -----------------------------------------------------------------
def test_batch_mode_with_inline_requests(capsys):
    use_fake(latency=0.05, batch_turnaround_s=0.6)
    offline()
    client = genai.Client()
    inline_requests_list = [
        {"contents": [{"parts": [{"text": "Write a short poem about a cloud."}]}]},
        {"contents": [{"parts": [{"text": "Write a short poem about a cat."}]}]},
    ]
    batch_job_inline = client.batches.create(
        model=MODEL_ID,
        src=inline_requests_list,
        config={"display_name": "my-batch-job-inline-example"},
    )
    job_name = batch_job_inline.name
    print(f"Created batch job from inline requests: {job_name}")
    states = []
    while True:
        batch_job_inline = client.batches.get(name=job_name)
        states.append(batch_job_inline.state.name)
        if batch_job_inline.state.name in (
            "JOB_STATE_SUCCEEDED",
            "JOB_STATE_FAILED",
            "JOB_STATE_CANCELLED",
        ):
            break
        time.sleep(0.1)  # the notebook's 30 s, for a turnaround of 0.6 s
    answers = []
    for inline_response in batch_job_inline.dest.inlined_responses:
        if inline_response.response:
            answers.append(inline_response.response.text)
        elif inline_response.error:
            print(f"Error: {inline_response.error}")
    batches = client.batches.list(config={"page_size": 10})
    for b in batches.page:
        print(f"{b.display_name} {b.state.name} {b.create_time.strftime('%Y-%m-%d %H:%M:%S')}")
        assert b.dest is None  # the list leaves out the responses, as the notebook says
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Created batch job from inline requests: batches/")
    assert lines[1].startswith("my-batch-job-inline-example JOB_STATE_SUCCEEDED 20")
    assert states[0] in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING") and "RUNNING" in states[-2]
    assert len(answers) == 2 and "cloud" in answers[0] and "cat" in answers[1]


def test_a_batch_job_can_be_cancelled_and_deleted_and_is_its_projects_alone():
    fake = use_fake(latency=0.0, batch_turnaround_s=60.0)
    client = genai.Client(api_key="k", http_options=_fake_options())
    job = client.batches.create(model=MODEL_ID, src=[{"contents": "a poem"}])
    assert job.state.name == "JOB_STATE_PENDING"
    client.batches.cancel(name=job.name)
    assert client.batches.get(name=job.name).state.name == "JOB_STATE_CANCELLED"
    with pytest.raises(errors.ClientError) as ended:
        client.batches.cancel(name=job.name)
    assert ended.value.code == 400 and "cannot be cancelled" in ended.value.message
    stranger = genai.Client(api_key="another project", http_options=_fake_options())
    with pytest.raises(errors.ClientError) as hidden:
        stranger.batches.get(name=job.name)
    assert hidden.value.code == 404
    client.batches.delete(name=job.name)
    with pytest.raises(errors.ClientError) as gone:
        client.batches.get(name=job.name)
    assert gone.value.code == 404 and len(fake.batches._jobs) == 0


def test_the_list_pages_through_every_job_newest_first(client):
    use_fake(latency=0.0, batch_turnaround_s=0.0)
    offline()
    names = [
        client.batches.create(model=MODEL_ID, src=[{"contents": f"job {i}"}]).name for i in range(5)
    ]
    listed = [job.name for job in client.batches.list(config={"page_size": 2})]
    assert listed == names[::-1]


def test_batch_requests_skip_the_minutes_limits_and_meet_their_own(client):
    fake = use_fake(latency=0.0, rpm=1, batch_turnaround_s=60.0, batch_tokens=3_000)
    offline()
    many = [{"contents": f"question {i}"} for i in range(5)]
    job = client.batches.create(model=MODEL_ID, src=many)  # 5 requests past an rpm of 1
    fake.clock = lambda: time.perf_counter() + 61.0
    results = client.batches.get(name=job.name).dest.inlined_responses
    assert [bool(r.response and r.response.text) for r in results] == [True] * 5
    fake.clock = time.perf_counter
    long = [{"contents": "word " * 2_000}]  # about 2,500 tokens: over 3,000 with the first job
    client.batches.create(model=MODEL_ID, src=long)
    with pytest.raises(errors.ClientError) as over:
        client.batches.create(model=MODEL_ID, src=long)
    assert over.value.code == 429 and "Enqueued tokens limit exceeded" in over.value.message


def test_a_bad_request_in_a_batch_is_a_400_naming_which_one(client):
    good = {"contents": "fine"}
    bad = {"contents": "x", "config": {"temperature": 5}}
    with pytest.raises(errors.ClientError) as refused:
        client.batches.create(model=MODEL_ID, src=[good, good, bad])
    assert refused.value.code == 400
    assert "batch.input_config.requests.requests[2].request.generation_config" in (
        refused.value.message
    )
    fake = use_fake(latency=0.0)
    unknown = b'{"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "Hi"}]}], "thinking": 1}}]}}}}'  # noqa: E501
    reply = fake.batches.create("v1", MODEL_ID, unknown, Caller("k"))
    message = json.loads(reply.chunks[0][1])["error"]["message"]
    assert reply.status == 400
    assert message == (
        'Invalid JSON payload received. Unknown name "thinking" at '
        "'batch.input_config.requests.requests[0].request': Cannot find field."
    )
    assert fake.batches.create("v1", "gemini-2.0-flash", unknown, Caller("k")).status == 404


def test_the_fake_forgets_the_oldest_finished_jobs_past_its_bound(monkeypatch):
    monkeypatch.setattr("course_lib.fake.batches.MAX_KEPT", 3)
    fake = FakeGemini(latency=0.0, batch_turnaround_s=0.0)
    body = b'{"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": [{"parts": [{"text": "Hi"}]}]}}]}}}}'  # noqa: E501
    ids = [
        json.loads(fake.batches.create("v1", MODEL_ID, body, Caller("k")).chunks[0][1])["name"]
        for _ in range(5)
    ]
    assert [f"batches/{i}" for i in fake.batches._jobs] == ids[2:]


def _fake_options() -> types.HttpOptions:
    from course_lib.client.session import SESSION

    return types.HttpOptions(base_url=SESSION.offline())
