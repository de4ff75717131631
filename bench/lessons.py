"""How long each lesson takes to run top to bottom on a fresh kernel, against its 1-minute budget.

The budget is the issue's promise to learners: with default settings, offline, a lesson runs in
under a minute. Much of each lesson is deliberate waiting (fake calls of 0.5 s, the classic
comparison's 3 s calls), so the numbers are mostly set by the lessons' settings; the machine adds
kernel start-up, process pools and CPU work. Reported as a share of the budget.

Run: .venv/bin/python bench/lessons.py [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 60.0


def run(path: Path) -> tuple[float, list[tuple[float, int]]]:
    """Seconds for the whole notebook (kernel start included) and the three slowest cells."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    total = time.perf_counter() - start
    cells = []
    for index, cell in enumerate(notebook.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            began = _seconds(timing["iopub.execute_input"])
            ended = _seconds(timing["shell.execute_reply"])
            cells.append((ended - began, index))
    return total, sorted(cells, reverse=True)[:3]


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"| lesson | seconds | share of the {BUDGET_S:.0f} s budget | slowest cells (s) |")
    print("|---|---|---|---|")
    for path in paths:
        total, slowest = run(path)
        cells = ", ".join(f"#{i}: {s:.1f}" for s, i in slowest)
        print(f"| {path.stem} | {total:.1f} | {total / BUDGET_S:.2f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
