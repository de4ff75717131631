"""scripts/navigation.py: the generated cells are up to date, and running it twice is a no-op."""

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import navigation  # noqa: E402

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


def test_committed_lessons_are_up_to_date():
    assert navigation.run(check=True) == [], "run: python scripts/navigation.py"


def test_it_is_idempotent_and_links_neighbours(tmp_path):
    for path in navigation.lessons():
        shutil.copy(path, tmp_path / path.name)
    first = tmp_path / "00_concurrency_vs_parallelism.ipynb"
    notebook = json.loads(first.read_text())
    notebook["cells"] = [c for c in notebook["cells"] if c["id"] != "navigation-top"]
    setup = next(c for c in notebook["cells"] if "".join(c["source"]).startswith("# Setup"))
    setup["source"] = ["# Setup\n", "print('old')"]
    first.write_text(json.dumps(notebook))
    assert navigation.run(check=False, folder=tmp_path) == [first.name]
    assert navigation.run(check=False, folder=tmp_path) == []  # the second run changes nothing
    cells = json.loads(first.read_text())["cells"]
    top = "".join(cells[1]["source"])
    assert "colab.research.google.com/github/" in top and "[Contents](README.md)" in top
    assert "01_sequential.ipynb" in top and "←" not in top  # the first lesson has no previous
    setup = next(c for c in cells if "".join(c["source"]).startswith("# Setup"))
    assert "setup(live=LIVE)" in "".join(setup["source"])
    assert "".join(cells[-1]["source"]).endswith(top.split("\n")[-1])  # same links at the end


def test_the_repository_comes_from_pyproject(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project.urls]\nRepository = "https://github.com/someone/course"\n')
    assert navigation.repository(pyproject) == "someone/course"
    pyproject.write_text('[project.urls]\nRepository = "https://example.com/x"\n')
    try:
        navigation.repository(pyproject)
    except SystemExit as error:
        assert "https://github.com/OWNER/NAME" in str(error)
    else:
        raise AssertionError("a non-GitHub address should be refused with a message")
