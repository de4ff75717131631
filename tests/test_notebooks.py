"""Every lesson runs top to bottom on a fresh kernel, offline, and its exercise solutions pass.

Each lesson is executed once, as committed, with one extra cell after every hidden solution: the
solution's code, whose last line is its check, must give "Right". The suite runs under
``../shared/tools/nonet`` in CI, so a lesson that reached the network would fail here.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import navigation  # noqa: E402

LESSONS = navigation.lessons()
SOLUTION = re.compile(r"<summary>Solution</summary>.*?```python\n(.*?)```", re.S)


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
    assert "colab-badge.svg" in markdown and "mybinder.org/badge_logo.svg" in markdown
    assert "Predict, then run" in markdown
    assert "Panel(" in code or "WhatIf(" in code, "every lesson has a live control panel"
    assert re.search(r"\bcheck_\w+\(", code), "every lesson has exercises with checks"
    assert SOLUTION.search(markdown), "every exercise has a hidden solution"
    for kind, text in cells:
        headings = re.findall(r"^#{2,4} (.+)$", text, re.M) if kind == "markdown" else []
        for heading in headings:  # sentence case: no Capitalised Word after the first
            words = [w for w in heading.split()[1:] if w.isalpha() and len(w) > 3]
            assert not all(w[0].isupper() for w in words) or not words, heading


def with_solutions_checked(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            for solution in SOLUTION.findall(cell.source):
                *body, check = solution.strip().splitlines()
                code = "\n".join([*body, f"_feedback = {check}", "assert _feedback, _feedback"])
                cells.append(nbformat.v4.new_code_cell(code))
    notebook.cells = cells
    return notebook


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_runs_offline_and_its_solutions_pass(path, tmp_path, monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "COURSE_LIVE", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    notebook = with_solutions_checked(path)
    solutions = sum("_feedback = " in c.source for c in notebook.cells)
    assert solutions >= 2, "at least two exercises per lesson"
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()  # raises CellExecutionError, with the cell and the traceback, on any error
