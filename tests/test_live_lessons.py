"""Lessons 01 and 02 with LIVE = True, against a stand-in for the real API on loopback: it checks
the key and allows 10 requests a minute, as a free key does. Both lessons run to the end: the cells
that go live pace themselves and stay within the budget; the others stay on the fake."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_lib.fake import FakeGemini, FakeServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "stand-in-key-for-tests"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", ["01_sequential", "02_concurrent"])
def test_a_lesson_runs_live_within_a_free_keys_limit(name, monkeypatch):
    api = FakeGemini(latency=0.3, rpm=10, keys=(KEY,))
    with FakeServer(api) as url:
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        monkeypatch.setenv("COURSE_LIVE_BASE_URL", url)  # where live clients send
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)  # where a plain genai.Client() sends
        notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        (setup,) = [c for c in notebook.cells if c.source.startswith("# Setup")]
        setup.source = setup.source.replace("LIVE = False", "LIVE = True")
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        ).execute()
    said = "".join(o.get("text", "") for o in setup.outputs)
    assert said.startswith("Live: the real Gemini API"), said
    statuses = [call.status for call in api.log if call.model]
    assert statuses and set(statuses) == {200}, statuses  # no 429, no refused key
    assert len(statuses) <= 10  # within a minute's limit, and within the budget of 20
