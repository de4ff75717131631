"""make figures (scripts/figures.py): a lesson's core path run alone, each figure it shows drawn
to a PNG in Chromium; the optional cells' figures left out."""

import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import figures  # noqa: E402

pytestmark = [
    pytest.mark.long_run,  # a kernel and a browser: it holds beside the lessons
    pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium (apt-get install)"),
]


def test_a_core_paths_figures_become_pictures_and_the_optional_ones_do_not(tmp_path):
    cells = [
        nbformat.v4.new_markdown_cell("# A lesson\n\n## The core picture"),
        nbformat.v4.new_code_cell(
            "import plotly.graph_objects as go\n"
            "go.Figure(go.Bar(y=[1, 2]), layout={'title': {'text': 'core'}})"
        ),
        nbformat.v4.new_markdown_cell("> **Optional**: another\n\n## An aside"),
        nbformat.v4.new_code_cell("go.Figure(go.Bar(y=[3]), layout={'title': {'text': 'aside'}})"),
    ]
    for cell, tag in zip(cells, ["core", "core", "optional", "optional"], strict=True):
        cell.metadata["tags"] = [tag]
    lesson = tmp_path / "09_lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), lesson)
    found = figures.figures_of(lesson)
    assert [(section, f["layout"]["title"]["text"]) for section, f in found] == [
        ("The core picture", "core")
    ]
    picture = tmp_path / "09-1.png"
    figures.draw([(picture, found[0][1])])
    assert picture.read_bytes().startswith(b"\x89PNG") and picture.stat().st_size > 5_000
