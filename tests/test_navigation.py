"""scripts/navigation.py: the generated cells are up to date, and running it twice is a no-op."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import navigation  # noqa: E402
import paths  # noqa: E402

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
    assert navigation.LOCALLY in top and "[Contents](README.md)" in top  # no address yet
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


def test_no_link_points_at_a_page_that_does_not_exist_until_the_address_is_set(tmp_path):
    for kept in ("scripts", "notebooks"):
        shutil.copytree(ROOT / kept, tmp_path / kept)
    for kept in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / kept, tmp_path / kept)
    shown = [*(tmp_path / "notebooks").glob("*.ipynb"), *tmp_path.glob("**/README.md")]
    assert not [p.name for p in shown if "OWNER/REPO" in p.read_text(encoding="utf-8")]
    setup = json.loads((tmp_path / "notebooks" / "01_sequential.ipynb").read_text())["cells"][2]
    assert "Colab cannot install the course kit yet" in "".join(setup["source"])
    # whoever publishes it sets the address once, everywhere
    script = tmp_path / "scripts" / "navigation.py"
    url = "https://github.com/acme/llm-course"
    done = subprocess.run([sys.executable, script, "--repository", url], capture_output=True)
    assert done.returncode == 0, done.stderr
    for path in shown:
        text = path.read_text(encoding="utf-8")
        assert "OWNER/REPO" not in text and "acme/llm-course" in text, path.name
    assert (
        'Repository = "https://github.com/acme/llm-course"'
        in (tmp_path / "pyproject.toml").read_text()
    )
    setup = json.loads((tmp_path / "notebooks" / "01_sequential.ipynb").read_text())["cells"][2]
    assert 'git+https://github.com/acme/llm-course"' in "".join(setup["source"])
    again = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert again.returncode == 0, again.stdout
    bad = subprocess.run(
        [sys.executable, script, "--repository", "acme"], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "must be https://github.com/OWNER/NAME" in bad.stderr


# -- the two paths through each lesson (scripts/paths.py) ------------------------------------------
@pytest.mark.parametrize("lesson", paths.LESSONS, ids=lambda p: p.stem)
def test_every_cell_is_on_a_path_and_the_core_path_stands_alone(lesson):
    assert paths.problems(lesson) == []


def test_lessons_05_and_06_have_a_core_path_of_35_to_40_minutes():
    for lesson in paths.LESSONS:
        core = paths.minutes(lesson)[paths.CORE]
        if lesson.stem[:2] in ("05", "06"):
            assert 33 <= core <= 42, (lesson.stem, core)


def test_the_instructors_solutions_and_minutes_are_the_lessons_own():
    assert paths.SOLUTIONS.read_text(encoding="utf-8") == paths.solutions(), (
        "run python scripts/paths.py --write"
    )
    guide = paths.GUIDE.read_text(encoding="utf-8")
    assert guide == paths.with_minutes(guide), "run python scripts/paths.py --write"
    assert len(paths._ROW.findall(guide)) == len(paths.LESSONS) and paths._ALL.search(guide)


def test_the_path_check_finds_an_optional_cell_a_core_cell_needs(tmp_path):
    import nbformat

    cells = [
        nbformat.v4.new_markdown_cell("# A lesson"),
        nbformat.v4.new_markdown_cell("## Aside"),  # optional, but no banner
        nbformat.v4.new_code_cell("helper = 42"),
        nbformat.v4.new_code_cell("print(helper)"),
        nbformat.v4.new_code_cell("untagged = 1"),
    ]
    for cell, tag in zip(cells, ["core", "optional", "optional", "core", None], strict=True):
        cell.metadata["tags"] = [tag] if tag else []
    lesson = tmp_path / "09_lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), lesson)
    found = paths.problems(lesson)
    assert len(found) == 3, found
    assert "banner" in found[0] and "reads 'helper'" in found[1] and "tag it" in found[2]
