"""Nothing a learner does kills the kernel or leaves processes behind; one Ctrl-C stops any run.

The kernel tests drive a real ipykernel through jupyter_client, as JupyterLab does; the command
line tests start ``python -m course_lib`` in a session of its own and signal it.
"""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from jupyter_client.manager import start_new_kernel

LONG_PARALLEL = "ScenarioSettings(prompts=50, latency=2.0, processes=2)"  # 50 s if nobody stops it


def session_members(sid: int, but: int) -> list[psutil.Process]:
    """Live processes of session ``sid`` (the processes a command or kernel started)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == sid and process.pid != but:
                if process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
        except (ProcessLookupError, PermissionError, psutil.NoSuchProcess):
            pass
    return found


def wait_until_gone(sid: int, but: int, seconds: float = 15.0) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := session_members(sid, but)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for process in left:  # do not leak them into the rest of the suite
        process.kill()
    return left


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")

    def run(code: str) -> dict:
        reply = client.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
        return reply["content"]

    assert run("from course_lib import *\nimport psutil")["status"] == "ok"
    yield manager, client, run
    if manager.is_alive():
        manager.shutdown_kernel(now=True)


def workers_running(run, at_least: int) -> bool:
    code = f"assert len(psutil.Process().children(recursive=True)) >= {at_least + 2}"
    return run(code)["status"] == "ok"  # + the fork server and the resource tracker


@pytest.mark.timeout(180)
def test_interrupting_a_cell_then_a_panel_run_leaves_the_kernel_alive(kernel):
    manager, client, run = kernel
    client.execute(f"r = await run_scenario('parallel', {LONG_PARALLEL})")
    time.sleep(1)
    wait_for(lambda: len(psutil.Process(manager.provisioner.pid).children(recursive=True)) >= 4)
    manager.interrupt_kernel()
    # ipykernel 7 cancels an async cell; ipykernel 6 raises KeyboardInterrupt in it
    assert client.get_shell_msg(timeout=60)["content"]["ename"] in (
        "CancelledError",
        "KeyboardInterrupt",
    )
    assert (
        run(f"panel = Panel('parallel', settings={LONG_PARALLEL})\ntask = panel.run()")["status"]
        == "ok"
    )
    wait_for(lambda: workers_running(run, 2))
    time.sleep(1)  # no cell running: the interrupt reaches only the run's processes
    manager.interrupt_kernel()  # it used to end the kernel, silently, with status 0
    time.sleep(3)
    assert manager.is_alive()
    assert run("assert not task.done()\npanel.stop()")["status"] == "ok"
    wait_for(lambda: run("assert task.done()")["status"] == "ok")
    assert run("assert 'Stopped' in panel.status.value\nprint(1 + 1)")["status"] == "ok"


@pytest.mark.timeout(180)
def test_a_kernel_killed_during_a_panel_run_leaves_no_process_behind(kernel):
    manager, client, run = kernel
    assert (
        run(f"panel = Panel('parallel', settings={LONG_PARALLEL})\ntask = panel.run()")["status"]
        == "ok"
    )
    wait_for(lambda: workers_running(run, 2))
    pid = manager.provisioner.pid
    sid = os.getsid(pid)
    assert len(session_members(sid, but=pid)) >= 4
    os.kill(pid, signal.SIGKILL)
    assert wait_until_gone(sid, but=pid) == []


def start_command(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course_lib", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_workers(command: subprocess.Popen, at_least: int) -> None:
    wait_for(lambda: len(session_members(command.pid, but=command.pid)) >= at_least)
    time.sleep(1.0)  # the run is under way


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_command_killed_outright_leaves_no_process_behind(sig):
    command = start_command(
        "run", "parallel", "--prompts", "50", "--latency", "2", "--processes", "4"
    )
    wait_for_workers(command, at_least=5)
    command.send_signal(sig)
    command.communicate(timeout=60)
    assert wait_until_gone(command.pid, but=command.pid) == []
    if sig == signal.SIGTERM:
        assert command.returncode == 143


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "args",
    [
        ["run", "concurrent", "--prompts", "4", "--latency", "0.1", "--cpu-work", "30000"],
        ["run", "sequential", "--prompts", "4", "--latency", "0.1", "--cpu-work", "30000"],
        ["run", "threads", "--prompts", "4", "--latency", "0.1", "--cpu-work", "30000"],
        ["run", "parallel", "--prompts", "8", "--latency", "0.1", "--cpu-work", "30000"],
        ["run", "hybrid-pipelined", "--prompts", "8", "--latency", "0.1", "--cpu-work", "30000"],
    ],
    ids=lambda args: args[1],
)
def test_one_ctrl_c_stops_a_long_cpu_run_with_one_line(args):
    """Each run would compute for two minutes; Ctrl-C (SIGINT to the terminal's process group)
    stops it at once, with one line and no traceback from any process."""
    command = start_command(*args)
    wait_for_workers(command, at_least=1 if args[1] in ("parallel", "hybrid-pipelined") else 0)
    time.sleep(2)
    stopped = time.monotonic()
    os.killpg(command.pid, signal.SIGINT)
    out, err = command.communicate(timeout=60)
    assert time.monotonic() - stopped < 15  # against two minutes of work: it stopped
    assert command.returncode == 130
    assert err.strip().splitlines() == [
        "interrupted: the run was stopped and its worker processes with it"
    ]
    assert wait_until_gone(command.pid, but=command.pid) == []


@pytest.mark.timeout(180)
def test_workers_killed_under_a_panel_run_leave_the_kernel_alive_and_the_panel_says_so(kernel):
    manager, client, run = kernel
    client.execute(f"r = await run_scenario('parallel', {LONG_PARALLEL})")
    wait_for(lambda: len(psutil.Process(manager.provisioner.pid).children(recursive=True)) >= 4)
    manager.interrupt_kernel()  # as in the learner's session: an interrupted cell first
    client.get_shell_msg(timeout=60)
    assert (
        run(f"panel = Panel('parallel', settings={LONG_PARALLEL})\ntask = panel.run()")["status"]
        == "ok"
    )
    wait_for(lambda: workers_running(run, 2))
    code = (  # the workers: the fork server's children (the fork server is the kernel's)
        "import os, signal\n"
        "me = os.getpid()\n"
        "for p in psutil.Process().children(recursive=True):\n"
        "    if p.ppid() != me:\n"
        "        os.kill(p.pid, signal.SIGTERM)"
    )
    assert run(code)["status"] == "ok"
    wait_for(lambda: run("assert task.done()")["status"] == "ok")
    assert manager.is_alive()
    assert run("assert 'failed' in panel.status.value, panel.status.value")["status"] == "ok"
    assert run("print(1 + 1)")["status"] == "ok"
