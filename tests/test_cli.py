"""The command line: two real runs as a learner types them, and bad input handled in-process."""

import json
import subprocess
import sys

import pytest

from course_lib.cli import main
from course_lib.run.registry import SCENARIOS


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
    assert {s["lane"] for s in data["spans"]} == {f"coroutine {i}" for i in range(1, 7)}
    first = data["outputs"][0]
    assert first["outcome"] == "ok" and first["output_tokens"] > 0 and first["attempts"] == 1
    assert 0 <= first["sent"] < first["answered"] <= first["done"] <= data["wall_s"]
    # two rounds of 0.1 s calls, plus whatever a busy machine adds
    assert 0.2 <= data["wall_s"] < 1.0


def test_compare_prints_a_table_of_every_scenario():
    done = course("compare", "--prompts", "4", "--latency", "0.1", "--processes", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].split() == ["scenario", "wall", "(s)", "speedup", "ideal", "(s)", "failed"]
    assert [line.split()[0] for line in lines[1:]] == list(SCENARIOS)
    assert lines[1].split()[2] == "1.00x"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["run", "turbo"], "unknown scenario 'turbo'; choose one of sequential"),
        (["run", "concurrent", "--prompts", "0"], "prompts must be a whole number, from 1 to"),
        (["run", "concurrent", "--prompts", "-4"], "(got -4)"),
        (["run", "concurrent", "--latency", "soon"], "a number of seconds (got 'soon')"),
        (["run", "concurrent", "--concurrency", "0"], "concurrency must be a whole number"),
        (["run", "parallel", "--processes", "x"], "a whole number (got 'x')"),
        (
            ["run", "concurrent", "--failure-rate", "1.5"],
            "failure_rate must be a number, from 0 to 1",
        ),
        (["run", "concurrent", "--rpm", "0"], "rpm must be a whole number of requests per minute"),
        (["run", "concurrent", "--processes", "2"], "--processes does not apply to the concurrent"),
        (["run", "sequential", "--concurrency=3"], "--concurrency does not apply"),
        (["compare", "--cpu-work", "-1"], "cpu_work must be a number of milliseconds, from 0 to"),
        (["run", "sequential", "--latency", "1e10"], "latency must be a number of seconds"),
        (["run", "sequential", "--latency", "1e9"], "from 0 to 600 (got 1e+09)"),
        (["run", "threads", "--cpu-work", "1e9"], "cpu_work must be a number of milliseconds"),
        (["run", "concurrent", "--latency", "nan"], "(got nan)"),
        (["run", "concurrent", "--latency", "inf"], "(got inf)"),
        (["run", "concurrent", "--prompts", "1000000"], "from 1 to 100000"),
        (["run", "parallel", "--processes", "500"], "processes must be a whole number"),
        (["run", "concurrent", "--seed", "-1"], "seed must be a whole number"),
        (["run", "concurrent", "--attempts", "0"], "attempts must be a whole number"),
        (["run", "parallel", "--start-method", "teleport"], "start_method must be one of"),
        (["fly"], "invalid choice: 'fly'"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(args, said, capsys):
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert said in err and err.startswith("error: ")


def test_each_scenario_takes_only_its_own_options(capsys):
    with pytest.raises(SystemExit):
        main(["run", "concurrent", "--help"])
    text = capsys.readouterr().out
    assert "--concurrency" in text and "--processes" not in text and "--start-method" not in text
    with pytest.raises(SystemExit):
        main(["run", "parallel", "--help"])
    text = capsys.readouterr().out
    assert "--processes" in text and "--concurrency" not in text
