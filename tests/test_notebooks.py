"""Every lesson runs top to bottom on a fresh kernel, offline, and its exercise solutions pass;
lessons 00, 03 and 04 print verdicts that agree with their numbers, on one busy core too; lessons
01 and 02 run live within a free key's limit.

Each lesson executes once per environment (``tests/helpers_lessons.py`` says how), and every
check of it reads that one execution:

- the main suite (``make test``): 00, 03 and 04 pinned to one core beside a CPU hog (on Linux),
  the others offline;
- the Colab-like one (``make test-colab``, ``--colab``): 01 and 02 live against a loopback
  stand-in, the others offline.

So in CI every lesson runs offline top to bottom (the main suite runs 01 and 02 offline, pinned
runs are offline runs too), every hidden solution passes in both environments, and every verdict
is checked on a busy core. The suite runs under ``../shared/tools/nonet``: a lesson that reached
the network would fail here.
"""

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_lib.fake import FakeGemini, FakeServer
from tests.helpers_lessons import (
    NOTEBOOKS,
    SOLUTION,
    check_verdict,
    execute,
    on_one_busy_core,
    printed_lines,
    solutions_in,
    watched_solutions,
    with_solutions_checked,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import navigation  # noqa: E402

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

LESSONS = navigation.lessons()
WITH_VERDICTS = ("00_concurrency_vs_parallelism", "03_parallel", "04_hybrid")
LIVE_IN_COLAB = ("01_sequential", "02_concurrent")
# Seconds each took offline on a 2-core machine: the longest start first, so that two test
# workers finish together. Only an order, never a limit.
SECONDS = {"04": 60, "08": 58, "05": 53, "07": 51, "06": 38, "03": 26, "01": 19, "00": 14, "02": 14}
KEY = "stand-in-key-for-tests"
COURSE_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "COURSE_LIVE", "GOOGLE_GEMINI_BASE_URL")


def test_the_course_has_its_six_first_lessons():
    names = [p.stem for p in LESSONS]
    assert names[:6] == [
        "00_concurrency_vs_parallelism",
        "01_sequential",
        "02_concurrent",
        "03_parallel",
        "04_hybrid",
        "05_rate_limits_and_failures",
    ]
    assert set(WITH_VERDICTS) | set(LIVE_IN_COLAB) <= set(names)
    assert {p.stem[:2] for p in LESSONS} == set(SECONDS)


def sources(path: Path) -> list[tuple[str, str]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"])) for c in notebook["cells"]]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_the_course_skeleton(path):
    cells = sources(path)
    markdown = "\n".join(text for kind, text in cells if kind == "markdown")
    code = "\n".join(text for kind, text in cells if kind == "code")
    assert cells[0][1].startswith("# "), "the first cell is the title"
    for heading in ("## What you'll learn", "## Summary", "## Next"):
        assert heading in markdown, f"missing {heading!r}"
    # where to open it (badges once the course has an address: tests/test_navigation.py)
    assert "[Contents](README.md)" in markdown and "make lab" in markdown
    assert "Predict, then run" in markdown
    assert "Panel(" in code or "WhatIf(" in code, "every lesson has a live control panel"
    assert re.search(r"\bcheck_\w+\(", code), "every lesson has exercises with checks"
    assert SOLUTION.search(markdown), "every exercise has a hidden solution"
    for kind, text in cells:
        headings = re.findall(r"^#{2,4} (.+)$", text, re.M) if kind == "markdown" else []
        for heading in headings:  # sentence case: no Capitalised Word after the first
            words = [w for w in heading.split()[1:] if w.isalpha() and len(w) > 3]
            assert not all(w[0].isupper() for w in words) or not words, heading


@dataclass(frozen=True)
class LessonRun:
    name: str
    how: str  # "offline", "pinned" (offline, on one busy core) or "live"

    def __str__(self) -> str:
        return f"{self.name}-{self.how}"


def lesson_runs(colab: bool) -> list[LessonRun]:
    """Each lesson once, the way this environment runs it, the longest first."""
    pinned = not colab and hasattr(os, "sched_setaffinity")  # Linux's CPU affinity
    runs = []
    for path in sorted(LESSONS, key=lambda p: -SECONDS[p.stem[:2]]):
        if colab and path.stem in LIVE_IN_COLAB:
            runs.append(LessonRun(path.stem, "live"))
        elif pinned and path.stem in WITH_VERDICTS:
            runs.append(LessonRun(path.stem, "pinned"))
        else:
            runs.append(LessonRun(path.stem, "offline"))
    return runs


def pytest_generate_tests(metafunc):
    if "lesson" in metafunc.fixturenames:
        runs = lesson_runs(metafunc.config.getoption("colab"))
        metafunc.parametrize(
            "lesson",
            [
                pytest.param(
                    run,
                    id=str(run),
                    # one worker runs the pinned lessons one after the other, beside the rest
                    marks=[pytest.mark.xdist_group("one-busy-core")] if run.how == "pinned" else [],
                )
                for run in runs
            ],
        )


def test_every_lesson_runs_in_both_environments_and_pinned_ones_print_verdicts():
    main, colab = lesson_runs(colab=False), lesson_runs(colab=True)
    names = [p.stem for p in LESSONS]
    assert sorted(r.name for r in main) == sorted(r.name for r in colab) == names
    offline = {r.name for r in main + colab if r.how in ("offline", "pinned")}
    assert offline == set(names), "every lesson runs offline somewhere"
    if hasattr(os, "sched_setaffinity"):
        assert {r.name for r in main if r.how == "pinned"} == set(WITH_VERDICTS)
    assert {r.name for r in colab if r.how == "live"} == set(LIVE_IN_COLAB)


@pytest.mark.long_run
@pytest.mark.timeout(1200)
def test_the_lesson_runs_once_and_everything_it_shows_holds(lesson, monkeypatch, tmp_path_factory):
    for name in COURSE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    notebook = with_solutions_checked(NOTEBOOKS / f"{lesson.name}.ipynb")
    assert solutions_in(notebook) >= 2, "at least two exercises per lesson"
    # Each way raises CellExecutionError, naming the cell and its traceback, at the first error:
    # a hidden solution whose check does not say "Right" is one.
    if lesson.how == "live":
        check_live_run(notebook, monkeypatch)
    elif lesson.how == "pinned":
        with on_one_busy_core(session_folder(tmp_path_factory) / "one-busy-core.lock"):
            execute(notebook)
    else:
        execute(notebook)
    for watched in watched_solutions(notebook):  # %%timeline on an answer saw the check's calls
        assert re.match(r"→ \d+ calls?, ", watched), watched
    if lesson.name in WITH_VERDICTS:
        verdicts = [line for line in printed_lines(notebook) if "→" in line]
        kinds = [check_verdict(line) for line in verdicts]
        assert kinds and "compare" in kinds, verdicts
        print("\n".join(verdicts), file=sys.stderr)


def session_folder(tmp_path_factory) -> Path:
    """A folder that every test worker of this session sees (and no other session)."""
    ours = tmp_path_factory.getbasetemp()
    return ours.parent if os.environ.get("PYTEST_XDIST_WORKER") else ours  # .../popen-gw0


def check_live_run(notebook, monkeypatch) -> None:
    """LIVE = True against a stand-in for the real API on loopback: it checks the key and allows
    10 requests a minute, as a free key does. The lesson runs to the end: the cells that go live
    pace themselves and stay within the budget; the others (and every check) stay on the fake."""
    api = FakeGemini(latency=0.3, rpm=10, keys=(KEY,))
    (setup,) = [c for c in notebook.cells if c.source.startswith("# Setup")]
    assert "LIVE = False" in setup.source
    setup.source = setup.source.replace("LIVE = False", "LIVE = True")
    with FakeServer(api) as url:
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        monkeypatch.setenv("COURSE_LIVE_BASE_URL", url)  # where live clients send
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)  # where a plain genai.Client() sends
        execute(notebook)
    said = "".join(o.get("text", "") for o in setup.outputs)
    assert said.startswith("Live: the real Gemini API"), said
    statuses = [call.status for call in api.log if call.model]
    assert statuses and set(statuses) == {200}, statuses  # no 429, no refused key
    assert len(statuses) <= 10  # within a minute's limit, and within the budget of 20


@pytest.mark.long_run
@pytest.mark.timeout(600)
def test_your_own_code_draws_a_pasted_script_and_a_script_in_processes(monkeypatch):
    """The "bring your own code" notebook: a tutorial's script pasted under %%timeline, and an
    older blog post's script (the deprecated SDK, process pool and all) run as a script of its
    own, whose calls reach the timeline through the fake's server."""
    import nbformat

    for name in COURSE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    notebook = nbformat.read(NOTEBOOKS / "your_own_code.ipynb", as_version=4)
    try:
        execute(notebook)
    finally:
        (NOTEBOOKS / "old_style_blog.py").unlink(missing_ok=True)  # what the notebook wrote
    printed = printed_lines(notebook)
    verdicts = [line for line in printed if line.startswith("→")]
    assert verdicts[0].startswith("→ 4 calls, up to 4 in flight at once"), verdicts
    assert verdicts[1].startswith("→ 15 calls, up to 5 in flight at once"), verdicts
    assert "15 of the calls came from 6 other processes (the fake's server saw them)." in printed
    assert [line.split(":")[0] for line in printed if " answers in " in line] == [
        "sequential",
        "concurrent",
        "parallel",
    ]
