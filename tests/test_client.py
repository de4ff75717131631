"""gemini_client(): offline unless asked and keyed; live calls are budgeted; the key never shown."""

import httpx
import pytest
import respx
from google.genai import errors

from course_lib import DEFAULT_MODEL, gemini_client, use_fake
from course_lib.client import LiveBudgetSpent, live_status
from course_lib.config import TRACE_HEADER

FAKE_KEY = "AIza-test-not-a-real-key-0123456789"  # shaped like a key, but not one
API = "https://generativelanguage.googleapis.com"
LIVE_URL = f"{API}/v1/models/{DEFAULT_MODEL}:generateContent"
MODELS_URL = f"{API}/v1/models"
SERVED = {"models": [{"name": f"models/{DEFAULT_MODEL}"}, {"name": "models/gemini-3.8-flash"}]}
OK = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "live!"}]},
            "finishReason": "STOP",
            "index": 0,
        }
    ]
}


def test_offline_by_default_even_with_a_key(monkeypatch, capsys):
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    client = gemini_client()
    assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text.startswith(
        "Hello!"
    )
    assert live_status().startswith("Offline")
    assert FAKE_KEY not in capsys.readouterr().out


def test_asking_for_live_without_a_key_stays_offline_and_says_why(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_LIVE", "1")
    client = gemini_client()
    assert "no key was found" in capsys.readouterr().out
    assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text


def test_live_mode_sends_to_gemini_and_counts_calls(monkeypatch, capsys, respx_mock):
    monkeypatch.setenv("COURSE_LIVE", "1")
    monkeypatch.setenv("GOOGLE_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COURSE_LIVE_BUDGET", "2")
    route = respx_mock.post(LIVE_URL).mock(return_value=httpx.Response(200, json=OK))
    client = gemini_client()
    for _ in range(2):
        assert client.models.generate_content(model=DEFAULT_MODEL, contents="Hi").text == "live!"
    request = route.calls.last.request
    assert request.headers["x-goog-api-key"] == FAKE_KEY
    assert TRACE_HEADER not in request.headers  # nothing of ours reaches the real API
    with pytest.raises(LiveBudgetSpent, match="budget of 2 calls is spent"):
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert route.call_count == 2
    status = live_status()
    assert status.startswith("Live") and "2 of 2" in status
    shown = capsys.readouterr()
    assert FAKE_KEY not in shown.out + shown.err + status + repr(client)


def test_live_errors_surface_as_the_sdks_errors(monkeypatch, respx_mock):
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    respx_mock.post(LIVE_URL).mock(
        return_value=httpx.Response(
            429, json={"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
        )
    )
    assert live_status().startswith("Offline")
    with pytest.raises(errors.ClientError) as caught:
        gemini_client(live=True).models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert caught.value.code == 429
    assert live_status().startswith("Live")  # asked for in code, not only through COURSE_LIVE


def test_a_zero_budget_refuses_before_sending(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COURSE_LIVE_BUDGET", "0")
    with respx.mock(assert_all_mocked=True) as mock:
        with pytest.raises(LiveBudgetSpent):
            gemini_client(live=True).models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        assert mock.calls.call_count == 0


def test_a_bad_budget_value_says_what_is_expected(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COURSE_LIVE_BUDGET", "lots")
    with pytest.raises(ValueError, match="COURSE_LIVE_BUDGET must be a whole number"):
        gemini_client(live=True)


def test_use_fake_changes_what_new_clients_talk_to():
    use_fake(latency=0.0, rpm=1)
    client = gemini_client()
    client.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model=DEFAULT_MODEL, contents="Hi")


def test_setup_is_offline_by_default_and_genai_client_reaches_the_fake(capsys):
    from google import genai

    from course_lib import setup

    assert setup().startswith("Offline")
    client = genai.Client()  # kept in a name: a temporary client is closed mid-call
    answer = client.models.generate_content(model=DEFAULT_MODEL, contents="Hello")
    assert answer.text.startswith("Hello!")  # an unchanged genai.Client() found the fake


def test_setup_live_after_offline_sends_to_the_real_api(monkeypatch, respx_mock):
    """offline() points the SDK's environment at the fake; a live client must not follow it."""
    from course_lib import setup

    setup()  # as if the learner ran the setup cell offline first
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    route = respx_mock.post(LIVE_URL).mock(return_value=httpx.Response(200, json=OK))
    respx_mock.get(MODELS_URL).mock(return_value=httpx.Response(200, json=SERVED))
    assert setup(live=True).startswith(f"Live: the real Gemini API ({DEFAULT_MODEL}), 0 of 20")
    assert gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi").text == (
        "live!"
    )
    assert route.call_count == 1
    assert setup().startswith("Offline")  # and back: new clients are offline again


def test_setup_live_without_a_key_says_so_and_stays_offline(capsys):
    from course_lib import setup

    status = setup(live=True)
    assert "no key was found" in status and "offline fake" in status
    assert gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi").text


def test_setup_live_checks_the_key_and_the_network_first(monkeypatch, respx_mock):
    from course_lib import setup

    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    respx_mock.get(MODELS_URL).mock(side_effect=httpx.ConnectError("no route to host"))
    said = setup(live=True)
    assert said.startswith("The Gemini API cannot be reached (ConnectError)") and "\n" not in said
    assert live_status().startswith("Offline")  # it stayed offline
    refused = {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID"}}
    respx_mock.get(MODELS_URL).mock(return_value=httpx.Response(400, json=refused))
    assert setup(live=True) == (
        "The Gemini API refused the key (400: API key not valid.); "
        "the offline fake answers instead."
    )
    assert FAKE_KEY not in said


@pytest.mark.parametrize(
    ("served", "said"),
    [
        (
            ["gemini-3.5-flash-lite", "gemini-3.8-flash"],
            f"The Gemini API does not serve {DEFAULT_MODEL} to this key: set "
            "COURSE_MODEL=gemini-3.8-flash (it does) and restart the kernel; the offline fake "
            "answers.",
        ),
        (
            ["gemini-3.5-flash-lite"],  # no Flash: a current model of another line
            f"The Gemini API does not serve {DEFAULT_MODEL} to this key: set "
            "COURSE_MODEL=gemini-3.5-flash-lite (it does) and restart the kernel; the offline "
            "fake answers.",
        ),
        (
            ["gemini-99-flash"],  # nothing the kit knows
            f"The Gemini API does not serve {DEFAULT_MODEL} to this key: update the course kit "
            "(pip install -U course-lib), which names a current model; the offline fake answers.",
        ),
    ],
)
def test_setup_live_says_which_model_to_set_when_the_key_lacks_the_default(
    served, said, monkeypatch, respx_mock
):
    from course_lib import setup

    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    models = {"models": [{"name": f"models/{name}"} for name in served]}
    listed = respx_mock.get(MODELS_URL).mock(return_value=httpx.Response(200, json=models))
    assert setup(live=True) == said
    assert listed.calls.last.request.url.params["pageSize"] == "1000"  # the whole list at once
    assert live_status().startswith("Offline")  # it stayed offline, with no traceback
    assert gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi").text


def test_setup_offline_never_asks_the_network(respx_mock):
    from course_lib import setup

    assert setup() == (
        f"Offline: the fake Gemini answers as {DEFAULT_MODEL} (no key needed, nothing leaves "
        "this machine)."
    )
    assert not respx_mock.calls  # no model list, no key check: nothing left the machine


def test_a_live_call_that_cannot_be_sent_says_so_in_one_line_and_costs_nothing(
    monkeypatch, respx_mock
):
    from course_lib.client import LiveUnreachable
    from course_lib.client.session import SESSION

    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COURSE_LIVE_BUDGET", "1")
    respx_mock.post(LIVE_URL).mock(side_effect=httpx.ConnectError("no network"))
    client = gemini_client(live=True)
    for _ in range(3):  # a budget of 1, and still not spent: nothing was sent
        with pytest.raises(LiveUnreachable) as caught:
            client.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        assert "cannot be reached" in str(caught.value)
    assert SESSION.live_budget.used == 0
    (line,) = caught.value._render_traceback_()
    assert line.startswith("LiveUnreachable: The Gemini API cannot be reached")


def test_one_live_budget_for_the_session_worker_processes_included(monkeypatch):
    """A spawned pool of 4 with a budget of 2 sends 2 calls in all, not 2 per process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from course_lib import pool_tasks, setup
    from course_lib.fake import FakeGemini, FakeServer

    stand_in = FakeGemini(latency=0.2)  # plays the real API, on loopback
    with FakeServer(stand_in) as url:
        monkeypatch.setenv("COURSE_LIVE_BASE_URL", url)
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
        monkeypatch.setenv("COURSE_LIVE_BUDGET", "2")
        assert setup(live=True).startswith("Live")
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(4, mp_context=spawn) as pool:
            futures = [pool.submit(pool_tasks.ask, f"question {i}") for i in range(8)]
            outcomes = [type(f.exception()).__name__ if f.exception() else "ok" for f in futures]
    assert outcomes.count("ok") == 2 and outcomes.count("LiveBudgetSpent") == 6
    assert len([call for call in stand_in.log if call.status == 200]) == 2


def test_live_calls_are_paced_to_the_keys_limit_on_one_shared_clock(tmp_path):
    from course_lib.client.live import LiveBudget

    now = [1000.0]
    budget = LiveBudget(str(tmp_path / "ledger.json"), clock=lambda: now[0])
    other_process = LiveBudget(str(tmp_path / "ledger.json"), clock=lambda: now[0])
    waits = []
    for i in range(4):
        now[0] = 1000.0 + i  # one call a second, 3 a minute allowed
        waits.append((budget if i % 2 else other_process).spend(limit=10, rpm=3))
    assert waits == [0.0, 0.0, 0.0, pytest.approx(57.0)]  # the 4th waits for the 1st to age out
    now[0] = 1060.0
    assert budget.spend(limit=10, rpm=3) == 0.0
    assert other_process.used == 4  # one record for both
