"""The data files are found in one place, from a source checkout and from an installed wheel."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from course_lib.agents.search import corpus
from course_lib.data_files import IN_PACKAGE, data_file
from course_lib.fake.answers import known_prompts
from course_lib.scaling.costs import price_table
from course_lib.scaling.traffic import TRACES, load_trace

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

ROOT = Path(__file__).resolve().parent.parent

#: One file of each kind the course reads, and the licence that must ship with the trace.
KINDS = {
    "answers": ("fake_gemini", "answers.json"),
    "search corpus": ("fake_gemini", "search.json"),
    "traffic trace": ("azure_llm_trace_2023", TRACES["code"]),
    "the trace's licence": ("azure_llm_trace_2023", "README.md"),
}

LOAD_ALL = """
import json
from course_lib.agents.search import corpus
from course_lib.data_files import data_file
from course_lib.fake.answers import known_prompts
from course_lib.scaling.costs import price_table
from course_lib.scaling.traffic import load_trace

print(json.dumps({
    "paths": [str(data_file(folder, name)) for folder, name in %r],
    "sizes": [len(known_prompts()), len(corpus()), len(load_trace("code")),
              price_table()["as_of"]],
}))
"""


def sizes() -> list:
    return [len(known_prompts()), len(corpus()), len(load_trace("code")), price_table()["as_of"]]


def test_a_checkout_reads_every_kind_from_data():
    for folder, name in KINDS.values():
        assert data_file(folder, name) == ROOT / "data" / folder / name
    assert sizes()[2] == 8819


def test_the_wheel_carries_the_folders_the_module_looks_in():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert shipped == {f"data/{d}": f"course_lib/{p}" for d, p in IN_PACKAGE.items()}


def test_a_missing_file_says_which_in_one_line():
    with pytest.raises(FileNotFoundError) as missing:
        data_file("fake_gemini", "answers_1999-01.json")
    message = str(missing.value)
    assert "data/fake_gemini/answers_1999-01.json is missing" in message and "\n" not in message
    with pytest.raises(ValueError, match="no data folder 'nope'; there are fake_gemini"):
        data_file("nope", "x.json")


@pytest.mark.timeout(120)
def test_an_installed_wheel_reads_every_kind_from_inside_the_package(tmp_path):
    """Build the wheel as pip would (offline, with the build backend the dev install has), install
    it into an empty venv and load each kind there, away from the checkout."""
    pytest.importorskip("hatchling", reason="the dev install has hatchling to build the wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    dist, venv = tmp_path / "dist", tmp_path / "venv"
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), str(ROOT)]
    subprocess.run([*pip, *build], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    wheel = str(next(dist.glob("course_lib-*.whl")))
    install = ["--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index"]
    subprocess.run([*pip, *install, wheel], check=True, capture_output=True)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = LOAD_ALL % (list(KINDS.values()),)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    site = next((venv / "lib").glob("python3*/site-packages")) / "course_lib"
    for path, (folder, name) in zip(found["paths"], KINDS.values(), strict=True):
        assert Path(path) == site / IN_PACKAGE[folder] / name
    assert found["sizes"] == sizes()
    # the live figure's JavaScript, beside its module (view/page_figure.py reads it from there)
    assert (site / "view" / "page_figure.js").read_text() == (
        ROOT / "course_lib" / "view" / "page_figure.js"
    ).read_text()
