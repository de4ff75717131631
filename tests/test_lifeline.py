"""Nothing a learner does kills the kernel or leaves processes behind; one Ctrl-C stops any run.

The kernel tests drive a real ipykernel through jupyter_client, as JupyterLab does; the command
line tests start ``python -m course_lib`` in a session of its own and signal it. Each signal is
sent once a condition says the moment has come (the workers ignore SIGINT, the command handles
SIGTERM, a call or a second of CPU work is under way), read from ``/proc``: never after a fixed
sleep, which is too short on a loaded machine and wasted on an idle one.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from jupyter_client.manager import start_new_kernel

from course_lib.trace.spans import IN_FLIGHT
from tests.conftest import pool_helper

LONG_PARALLEL = "ScenarioSettings(prompts=50, latency=2.0, processes=2)"  # 50 s if nobody stops it

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads signal dispositions from /proc (Linux)"
)


def _signals(pid: int, field: str) -> int:
    """A mask from /proc/PID/status: SigIgn (ignored) or SigCgt (handled); bit n-1 is signal n."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1], 16)
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def attached_workers(owner: int, new_since: set[int] = frozenset()) -> list[psutil.Process]:
    """``owner``'s pool workers (not started before ``new_since``) that ignore SIGINT: they have
    run the kit's ``lifeline.attach`` and so watch their owner. (The fork server and the
    resource tracker ignore SIGINT too, but are not workers.)"""
    found = []
    for process in psutil.Process(owner).children(recursive=True):
        try:
            if process.pid in new_since or pool_helper(process, owner):
                continue
            if _signals(process.pid, "SigIgn") & 1 << signal.SIGINT - 1:
                found.append(process)
        except (OSError, psutil.Error):  # it ended meanwhile
            pass
    return found


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
        # After a cell's error (an interrupt included) ipykernel aborts the requests that reach
        # it before it has finished aborting its queue (stop_on_error; in ipykernel 7 a message
        # the shell channel thread posts): an "aborted" request never ran, so send it again.
        for _ in range(5):
            reply = client.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
            if reply["content"]["status"] != "aborted":
                break
            time.sleep(0.2)
        return reply["content"]

    assert run("from course_lib import *\nimport psutil")["status"] == "ok"
    yield manager, client, run
    if manager.is_alive():
        manager.shutdown_kernel(now=True)


@pytest.mark.timeout(180)
def test_one_interrupt_stops_a_cell_awaiting_a_dask_run_and_the_workers_live_on(kernel):
    """ipykernel schedules the cancel of an awaiting cell for when its loop next wakes: before
    setup() woke it five times a second, a cell awaiting a Dask run (a thread) ended only when
    the run did, a minute later, with the workers' KeyboardInterrupt tracebacks (they got the
    Ctrl-C too; the kit's worker plugin now makes them ignore it)."""
    manager, client, run = kernel
    pid = manager.provisioner.pid
    assert run("setup()\nfake = use_fake()")["status"] == "ok"
    # 60 calls of 2 s, 2 at a time: a minute if nobody stops it
    long_run = "ScenarioSettings(prompts=60, latency=2.0, processes=2, concurrency=2)"
    client.execute(f"r = await run_scenario('dask', {long_run})")
    wait_for(lambda: len(attached_workers(pid)) >= 2)  # the plugin ran: the workers ignore SIGINT
    manager.interrupt_kernel()
    interrupted = time.monotonic()
    reply = client.get_shell_msg(timeout=60)["content"]
    assert reply["ename"] in ("CancelledError", "KeyboardInterrupt")
    assert time.monotonic() - interrupted < 20  # a minute's run, stopped (0.5 s here, idle)
    outputs = []
    while client.iopub_channel.msg_ready():
        message = client.get_iopub_msg(timeout=1)
        if message["msg_type"] == "stream":
            outputs.append(message["content"]["text"])
    assert "KeyboardInterrupt" not in "".join(outputs)  # no worker died of it
    assert run("print(1 + 1)")["status"] == "ok"
    wait_for(lambda: not attached_workers(pid), seconds=60)  # and the cluster closes


@pytest.mark.timeout(180)
def test_an_awaiting_cell_stops_at_once_after_setup(kernel):
    manager, client, run = kernel
    assert run("setup()\nimport asyncio")["status"] == "ok"
    client.execute("await asyncio.sleep(60)")
    time.sleep(1)  # the cell is awaiting (a sleep is all it does)
    manager.interrupt_kernel()
    interrupted = time.monotonic()
    assert client.get_shell_msg(timeout=90)["content"]["ename"] == "CancelledError"
    assert time.monotonic() - interrupted < 20  # not the rest of the minute (ipykernel #881)


@pytest.mark.timeout(180)
def test_interrupting_a_cell_then_a_panel_run_leaves_the_kernel_alive(kernel):
    manager, client, run = kernel
    pid = manager.provisioner.pid
    client.execute(f"r = await run_scenario('parallel', {LONG_PARALLEL})")
    wait_for(lambda: len(attached_workers(pid)) >= 2)
    manager.interrupt_kernel()
    # ipykernel 7 cancels an async cell; ipykernel 6 raises KeyboardInterrupt in it
    assert client.get_shell_msg(timeout=60)["content"]["ename"] in (
        "CancelledError",
        "KeyboardInterrupt",
    )
    cell_run = {p.pid for p in psutil.Process(pid).children(recursive=True)}
    assert (
        run(f"panel = Panel('parallel', settings={LONG_PARALLEL})\ntask = panel.run()")["status"]
        == "ok"
    )
    wait_for(lambda: len(attached_workers(pid, new_since=cell_run)) >= 2)
    manager.interrupt_kernel()  # no cell running: it used to end the kernel, with status 0
    interrupted = time.perf_counter()  # the clock spans use, the same in every process
    # Both workers answer a call after the interrupt (it reached them: they ignored it), and
    # the kernel, which died within moments of it before, is there to say so.
    survivors = (
        f"done = {{s.pid for s in panel.tracer.spans if s.phase == {IN_FLIGHT!r}\n"
        f"        and s.outcome == 'ok' and s.end > {interrupted!r}}}\n"
        "assert len(done) >= 2, done"
    )
    wait_for(lambda: run(survivors)["status"] == "ok")
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
    pid = manager.provisioner.pid
    wait_for(lambda: len(attached_workers(pid)) >= 2)
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
        # as a terminal starts it: a suite started in the background (`make test &`) has SIGINT
        # ignored, and a child would inherit that and never see the Ctrl-C sent to it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,
    )


def tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a process and every process it started."""
    total = 0.0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:  # it ended meanwhile
            pass
    return total


def wait_until_under_way(command: subprocess.Popen, workers: int, computing_s: float = 0) -> None:
    """Until the command has started its run: it handles SIGTERM (so its imports are done),
    ``workers`` of its pool workers ignore SIGINT (each has started its first task), and then
    it has used ``computing_s`` more seconds of CPU (the run's work, whatever the machine's
    load)."""
    wait_for(lambda: _signals(command.pid, "SigCgt") & 1 << signal.SIGTERM - 1)
    wait_for(lambda: len(attached_workers(command.pid)) >= workers)
    ready = tree_cpu_s(command.pid)
    wait_for(lambda: tree_cpu_s(command.pid) >= ready + computing_s)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_command_killed_outright_leaves_no_process_behind(sig):
    command = start_command(
        "run", "parallel", "--prompts", "50", "--latency", "2", "--processes", "4"
    )
    wait_until_under_way(command, workers=4)
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
    pool = args[1] in ("parallel", "hybrid-pipelined")
    wait_until_under_way(command, workers=1 if pool else 0, computing_s=1.0)
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
    pid = manager.provisioner.pid
    client.execute(f"r = await run_scenario('parallel', {LONG_PARALLEL})")
    wait_for(lambda: len(attached_workers(pid)) >= 2)
    manager.interrupt_kernel()  # as in the learner's session: an interrupted cell first
    client.get_shell_msg(timeout=60)
    cell_run = {p.pid for p in psutil.Process(pid).children(recursive=True)}
    assert (
        run(f"panel = Panel('parallel', settings={LONG_PARALLEL})\ntask = panel.run()")["status"]
        == "ok"
    )
    wait_for(lambda: len(attached_workers(pid, new_since=cell_run)) >= 2)
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
