"""How a lesson is executed in the tests, once per environment, and how its outputs are read.

A lesson runs top to bottom on a fresh kernel with one extra cell after every hidden solution
(tagged ``hidden-solution``): the solution's code, whose last line is its check, must give
"Right". Everything a test checks in a lesson (the solutions, the verdict lines, what it said it
did) is read from that one execution. It runs in one of three ways:

- offline, as a learner's first run is;
- pinned to one core beside a process that keeps that core busy (``taskset -c 0`` on a shared
  Binder or Colab machine): the verdicts must still agree with their numbers;
- live, against a stand-in for the real API on loopback that checks the key and allows 10
  requests a minute, as a free key does.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTION = re.compile(r"<summary>Solution</summary>.*?```python\n(.*?)```", re.S)
HIDDEN_SOLUTION = "hidden-solution"
CELL_TIMEOUT_S = 600  # a cell on one busy core, beside the other test worker, can take minutes


def with_solutions_checked(path: Path) -> nbformat.NotebookNode:
    """The lesson, with each hidden solution run (and its check asserted) after its cell; where
    the exercise invites ``%%timeline`` on the answer, the solution runs under it, as a learner
    would run theirs (``watched_solutions`` finds what it printed)."""
    notebook = nbformat.read(path, as_version=4)
    cells = []
    invited = False  # the markdown before a solution invites %%timeline on the answer's cell
    for cell in notebook.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            for solution in SOLUTION.findall(cell.source):
                *body, check = solution.strip().splitlines()
                watch = ["%%timeline"] if invited else []
                code = "\n".join(
                    [*watch, *body, f"_feedback = {check}", "assert _feedback, _feedback"]
                )
                cells.append(nbformat.v4.new_code_cell(code, metadata={"tags": [HIDDEN_SOLUTION]}))
            invited = "`%%timeline`" in cell.source.split("<summary>Solution</summary>")[-1]
    notebook.cells = cells
    return notebook


def watched_solutions(notebook: nbformat.NotebookNode) -> list[str]:
    """The verdict line each hidden solution run under ``%%timeline`` printed ("" if none)."""
    return [
        next((line for line in _stdout(cell).splitlines() if line.startswith("→")), "")
        for cell in notebook.cells
        if HIDDEN_SOLUTION in cell.metadata.get("tags", ()) and cell.source.startswith("%%timeline")
    ]


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def solutions_in(notebook: nbformat.NotebookNode) -> int:
    return sum(HIDDEN_SOLUTION in c.metadata.get("tags", ()) for c in notebook.cells)


#: Kernel starts tried when one dies before it answers: jupyter_client picks free TCP ports,
#: then the kernel binds them, and a kernel started at the same moment by another test worker
#: can take one in between ("Address already in use"; seen once in a CI run of five workers).
#: jupyter_client says so in one of two ways: the kernel died, or it never answered.
KERNEL_STARTS = 3
_NEVER_STARTED = ("before replying to kernel_info", "Kernel didn't respond in")


def execute(notebook: nbformat.NotebookNode) -> None:
    """Run every cell in order on a fresh kernel; raises CellExecutionError, naming the cell and
    its traceback, at the first error (a failed solution check is one). A kernel that dies
    before it answers (no cell has run) is started again, up to ``KERNEL_STARTS`` times."""
    for start in range(1, KERNEL_STARTS + 1):
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS)}},
        )
        try:
            client.execute()
            return
        except RuntimeError as error:
            never_started = any(said in str(error) for said in _NEVER_STARTED)
            if not never_started or start == KERNEL_STARTS:
                raise


def printed_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """What the lesson's own cells printed (the hidden solutions' cells left out)."""
    return [
        line
        for cell in notebook.cells
        if cell.cell_type == "code" and HIDDEN_SOLUTION not in cell.metadata.get("tags", ())
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
        for line in output["text"].splitlines()
    ]


def _hog() -> None:
    while True:
        pass


@contextlib.contextmanager
def on_one_busy_core(lock: Path) -> Iterator[None]:
    """As ``taskset -c 0`` would: a kernel started inside (and its workers) inherits this
    thread's one core, which a CPU hog keeps busy. ``lock``, a file every test worker of the
    session sees, keeps two such runs from sharing the core (each has a hog of its own)."""
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        allowed = os.sched_getaffinity(0)
        hog = multiprocessing.get_context("spawn").Process(target=_hog, daemon=True)
        os.sched_setaffinity(0, {min(allowed)})
        try:
            hog.start()  # on the same core: a busy shared machine
            yield
        finally:
            hog.kill()
            hog.join()
            os.sched_setaffinity(0, allowed)


COMPARE = re.compile(
    r"→ (?P<a>.+?) took (?P<x>[\d.]+) s, (?P<b>.+?) (?P<y>[\d.]+) s: (?P<says>.+?)\.$"
)
CORES = re.compile(
    r"→ (?P<n>\d+) processes did (?P<work>[\d.]+) s of CPU work in (?P<wall>[\d.]+) s: "
    r"about (?P<worth>[\d.]+) cores' worth"
)
SHARE = re.compile(r"→ the call computed (?P<call>\d+)% of its time; burn (?P<burn>\d+)%\.")


def check_verdict(line: str) -> str:
    """Checks one verdict line (a line with "→" that a lesson computed from its own
    measurements) against its own numbers; returns which kind it was."""
    if match := COMPARE.search(line):
        # the line prints times to 0.01 s and the ratio of the unrounded ones to 0.1: read back,
        # the ratio can be anything the printed times allow, give or take those roundings
        x, y, says = float(match["x"]), float(match["y"]), match["says"]
        fast, slow = min(x, y), max(x, y)
        low, high = (slow - 0.005) / (fast + 0.005), (slow + 0.005) / max(fast - 0.005, 1e-9)
        if says.startswith("about the same"):
            assert low < 1.1, line
        else:
            faster, factor = re.fullmatch(r"(.+) (?:was|were) ([\d.]+)x faster", says).groups()
            if x != y:  # printed equal, either may have been the faster
                assert faster == (match["a"] if x < y else match["b"]), line
            assert low - 0.051 <= float(factor) <= high + 0.051, line
            assert high >= 1.1, line
        return "compare"
    if match := CORES.search(line):
        # the line prints work and wall to 0.01 s and the ratio of the unrounded ones to 0.1:
        # what the printed work and wall allow, give or take those roundings
        work, wall = float(match["work"]), float(match["wall"])
        low, high = (work - 0.005) / (wall + 0.005), (work + 0.005) / max(wall - 0.005, 1e-9)
        assert low - 0.051 <= float(match["worth"]) <= high + 0.051, line
        return "cores"
    if match := SHARE.search(line):
        assert 0 <= int(match["call"]) <= 100 and 0 <= int(match["burn"]) <= 105, line
        return "share"
    raise AssertionError(f"a verdict this test cannot read: {line!r}")
