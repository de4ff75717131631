"""Lessons 00, 03 and 04 on one busy core: every printed verdict agrees with its numbers.

Each lesson runs pinned to one core (``taskset -c 0``) while another process keeps that core
busy, as on a shared Binder or Colab machine. Every line with "→" is a verdict the lesson computed
from its own measurements; this test reads its numbers back and checks its words.
"""

import multiprocessing
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
COMPARE = re.compile(
    r"→ (?P<a>.+?) took (?P<x>[\d.]+) s, (?P<b>.+?) (?P<y>[\d.]+) s: (?P<says>.+?)\.$"
)
CORES = re.compile(
    r"→ (?P<n>\d+) processes did (?P<work>[\d.]+) s of CPU work in (?P<wall>[\d.]+) s: "
    r"about (?P<worth>[\d.]+) cores' worth"
)
SHARE = re.compile(r"→ the call computed (?P<call>\d+)% of its time; burn (?P<burn>\d+)%\.")


def check(line: str) -> str:
    """Checks one verdict line; returns which kind it was."""
    if match := COMPARE.search(line):
        x, y, says = float(match["x"]), float(match["y"]), match["says"]
        ratio = max(x, y) / min(x, y)
        if says.startswith("about the same"):
            assert ratio < 1.1 + 0.01, line
        else:
            faster, factor = re.fullmatch(r"(.+) (?:was|were) ([\d.]+)x faster", says).groups()
            assert faster == (match["a"] if x <= y else match["b"]), line
            assert abs(float(factor) - ratio) <= 0.051 + 0.01 * ratio, line  # rounding
            assert ratio >= 1.1 - 0.01, line
        return "compare"
    if match := CORES.search(line):
        worth = float(match["work"]) / float(match["wall"])
        assert abs(float(match["worth"]) - worth) <= 0.051 + 0.01 * worth, line
        return "cores"
    if match := SHARE.search(line):
        assert 0 <= int(match["call"]) <= 100 and 0 <= int(match["burn"]) <= 105, line
        return "share"
    raise AssertionError(f"a verdict this test cannot read: {line!r}")


def test_the_checker_catches_a_verdict_that_contradicts_its_numbers():
    with pytest.raises(AssertionError):
        check("→ threads took 0.85 s, processes 1.37 s: processes were 1.6x faster.")
    with pytest.raises(AssertionError):
        check(
            "→ 2 processes took 0.55 s, one after the other 0.41 s: about the same (within 10 %)."
        )
    assert check("→ a took 1.00 s, b 2.00 s: a was 2.0x faster.") == "compare"


def _hog():
    while True:
        pass


@pytest.mark.timeout(900)
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux's CPU affinity")
@pytest.mark.parametrize(
    "name", ["00_concurrency_vs_parallelism", "03_parallel", "04_hybrid"], ids=lambda n: n[:2]
)
def test_verdicts_hold_on_one_busy_core(name, monkeypatch):
    """As ``taskset -c 0`` would: the kernel (and its workers) inherit this process's one core."""
    for variable in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "COURSE_LIVE", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    allowed = os.sched_getaffinity(0)
    hog = multiprocessing.get_context("spawn").Process(target=_hog, daemon=True)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        hog.start()  # on the same core: a busy shared machine
        notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        ).execute()
    finally:
        hog.kill()
        os.sched_setaffinity(0, allowed)
    verdicts = [
        line
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
        for line in output["text"].splitlines()
        if "→" in line
    ]
    kinds = [check(line) for line in verdicts]
    assert kinds and "compare" in kinds, verdicts
    print("\n".join(verdicts), file=sys.stderr)
