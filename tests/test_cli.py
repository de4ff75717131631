"""The command line: real runs as a learner types them, bad input handled in-process, the help
read from the table of limits, exit statuses, and Ctrl-C before a run has started."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_lib.cli import _OPTIONS, _all_failed, main
from course_lib.ranges import RANGES
from course_lib.run.registry import SCENARIOS
from course_lib.run.results import CallRecord, RunResult
from course_lib.run.runner import run_scenario_sync
from course_lib.run.settings import ScenarioSettings
from course_lib.values import SettingError


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
        (
            ["run", "concurrent", "--latency", "soon"],
            "a number of seconds, from 0 to 600 (got 'soon')",
        ),
        (["run", "concurrent", "--concurrency", "0"], "concurrency must be a whole number"),
        (["run", "parallel", "--processes", "x"], "a whole number, from 1 to 64 (got 'x')"),
        (["run", "parallel", "--processes", "2.5"], "a whole number, from 1 to 64 (got '2.5')"),
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
        # a value starting with "-" that is not a plain negative number: argparse took it for
        # an option ("expected one argument") until it was glued to its flag
        (
            ["run", "concurrent", "--latency", "-inf"],
            "latency must be a number of seconds, from 0 to 600 (got -inf)",
        ),
        (
            ["run", "concurrent", "--jitter", "-1e3"],
            "jitter must be a number of seconds, from 0 to 600 (got -1000)",
        ),
        (["run", "concurrent", "--latency", "-nan"], "(got nan)"),
        (["compare", "--cpu-work", "-inf"], "cpu_work must be a number of milliseconds, from 0"),
        (["run", "concurrent", "--prompts", "1000000"], "from 1 to 100000"),
        (["run", "parallel", "--processes", "500"], "processes must be a whole number"),
        (
            ["run", "concurrent", "--seed", "-1"],
            "seed must be a whole number, from 0 to 4294967295 (got -1)",
        ),
        (["run", "concurrent", "--seed", str(2**32)], "from 0 to 4294967295 (got 4294967296)"),
        (["run", "concurrent", "--attempts", "0"], "attempts must be a whole number"),
        (["run", "parallel", "--start-method", "teleport"], "start_method must be one of"),
        (
            ["run", "rate-limited", "--client-rpm", "200000"],
            "client_rpm must be a whole number of requests per minute, from 1 to 100000",
        ),
        (["run", "concurrent", "--model", "gpt-4"], "model must be one of gemini-3.6-flash"),
        (
            ["run", "concurrent", "--model", "gemini-2.5-flash"],
            "model 'gemini-2.5-flash' was shut down on 2026-12-01 (the API now answers it with "
            "gemini-3.5-flash-lite): use 'gemini-3.5-flash-lite' instead",
        ),
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


def test_a_setting_a_scenario_does_not_use_is_refused_alike_on_the_command_line_and_in_python(
    capsys,
):
    assert main(["run", "concurrent", "--processes", "3"]) == 2
    on_the_command_line = capsys.readouterr().err.strip()
    with pytest.raises(SettingError) as caught:
        run_scenario_sync("concurrent", processes=3)
    takes = "prompts, latency, jitter, tokens_per_s, cpu_work, rpm, tpm, window_s, "
    takes += "failure_rate, seed, attempts, model, concurrency"
    assert str(caught.value) == (
        f"processes does not apply to the concurrent scenario; it takes {takes}"
    )
    flags = ", ".join("--" + name.replace("_", "-") for name in takes.split(", "))
    assert on_the_command_line == (
        f"error: --processes does not apply to the concurrent scenario; it takes {flags}"
    )


def test_a_setting_given_at_its_default_changes_nothing_and_is_not_refused():
    result = run_scenario_sync("concurrent", prompts=2, latency=0.01, processes=2)  # 2: default
    assert len(result.outputs) == 2


def test_help_says_each_range_and_each_default_once(capsys):
    with pytest.raises(SystemExit):
        main(["run", "rate-limited", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "(default: None)" not in text and "(default: none)" not in text
    assert text.count("(default: ") == len(SCENARIOS["rate-limited"].settings)  # once each
    for said in (
        "--seed SEED seeds what is random (latencies, failures, answers): a whole number, from 0 "
        "to 4294967295 (default: 0)",
        "--rpm RPM the most requests in a window: a whole number of requests per "
        "minute, from 1 to 100000 (default: no limit)",
        "(default: a fixed latency)",
        "(default: forkserver where available, else spawn)",
        "(default: no client-side limiter)",
    ):
        assert said in text
    assert "e+0" not in text  # no number written as 4.29497e+09


@pytest.mark.parametrize("option", _OPTIONS)
def test_every_option_s_help_comes_from_the_table(option, capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    known = RANGES[option]
    assert f"{known.about}: {known.what} (default: " in text


def test_exit_1_and_one_line_when_every_call_failed(capsys):
    args = ["run", "concurrent", "--prompts", "3", "--latency", "0.01", "--attempts", "1"]
    assert main([*args, "--failure-rate", "1"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[1].split()[-1] == "3"  # the table, with its failed column
    assert err.splitlines() == [  # which error each call drew depends on the seed and model
        "error: all 3 calls failed (2 with 503 UNAVAILABLE, 1 with 500 INTERNAL)"
    ]


def test_exit_0_when_some_calls_failed_and_the_table_shows_them(capsys):
    args = ["run", "concurrent", "--prompts", "6", "--latency", "0.01", "--attempts", "1"]
    assert main([*args, "--failure-rate", "0.5", "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert 0 < int(out.splitlines()[1].split()[-1]) < 6


def test_every_call_failed_is_said_of_all_runs_together():
    def result(*errors):
        records = [CallRecord(i, "p", error=e) for i, e in enumerate(errors)]
        return RunResult("x", 1.0, ScenarioSettings(), [], records, 1.0, 0.0)

    assert _all_failed([result("503 UNAVAILABLE"), result(None)]) is None
    assert _all_failed([result()]) is None  # no calls: nothing failed
    both = _all_failed([result("503 UNAVAILABLE", "500 INTERNAL"), result("503 UNAVAILABLE")])
    assert both == "all 3 calls failed (2 with 503 UNAVAILABLE, 1 with 500 INTERNAL)"


def _loaded(pid, library):
    with open(f"/proc/{pid}/maps") as maps:
        return library in maps.read()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("after_s", [0.0, 0.3, 2.5])
def test_ctrl_c_in_the_first_seconds_is_one_line_and_status_130(after_s):
    """Ctrl-C while the kit loads (its first second: the SDK, httpx...), or as the run starts:
    one line, no traceback. Sent once asyncio is loaded, so the kit's code is running: the few
    milliseconds before, Python itself is starting and prints its own traceback."""
    command = subprocess.Popen(
        [sys.executable, "-m", "course_lib", "run", "concurrent", "--latency", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as a terminal starts it: a suite started in the background (`make test &`) has SIGINT
        # ignored, and a child would inherit that and never see the Ctrl-C sent to it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not _loaded(command.pid, "_asyncio") and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(after_s)
    command.send_signal(signal.SIGINT)
    out, err = command.communicate(timeout=60)
    assert command.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("interrupted: "), err
    assert out == ""


def test_each_scenario_takes_only_its_own_options(capsys):
    with pytest.raises(SystemExit):
        main(["run", "concurrent", "--help"])
    text = capsys.readouterr().out
    assert "--concurrency" in text and "--processes" not in text and "--start-method" not in text
    with pytest.raises(SystemExit):
        main(["run", "parallel", "--help"])
    text = capsys.readouterr().out
    assert "--processes" in text and "--concurrency" not in text
