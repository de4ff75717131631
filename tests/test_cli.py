"""The command line, run as a learner would: python -m course_lib ..."""

import json
import subprocess
import sys

import pytest

from course_lib.run.settings import SCENARIOS


def course(*args):
    return subprocess.run(
        [sys.executable, "-m", "course_lib", *args], capture_output=True, text=True, timeout=300
    )


def test_run_prints_one_json_object():
    done = course(
        "run", "concurrent", "--prompts", "6", "--latency", "0.1", "--concurrency", "3", "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["scenario"] == "concurrent" and len(data["outputs"]) == 6
    assert data["params"]["concurrency"] == 3
    assert {s["phase"] for s in data["spans"]} >= {"in_flight"}
    assert (
        0.2 <= data["wall_s"] < 1.0
    )  # two rounds of 0.1 s calls, plus whatever a busy machine adds


def test_compare_prints_a_table_of_every_scenario():
    done = course("compare", "--prompts", "4", "--latency", "0.1", "--processes", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].split() == ["scenario", "wall", "(s)", "speedup", "ideal", "(s)", "failed"]
    assert [line.split()[0] for line in lines[1:]] == list(SCENARIOS)
    assert lines[1].split()[2] == "1.00x"


@pytest.mark.parametrize(
    "args",
    [
        ["run", "turbo"],
        ["run", "concurrent", "--prompts", "0"],
        ["run", "concurrent", "--prompts", "-4"],
        ["run", "concurrent", "--latency", "soon"],
        ["run", "concurrent", "--concurrency", "0"],
        ["run", "parallel", "--processes", "x"],
        ["run", "concurrent", "--failure-rate", "1.5"],
        ["run", "concurrent", "--rpm", "0"],
        ["compare", "--cpu-work", "-1"],
        ["fly"],
        [],
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(args):
    done = course(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
