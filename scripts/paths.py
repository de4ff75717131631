"""The lessons' two paths: every cell is tagged ``core`` or ``optional``; the core path alone
keeps every result its later cells need, and each lesson's minutes on each path are estimated.

    python scripts/paths.py            # each lesson's minutes, core and in all
    python scripts/paths.py --check    # exit 1 and say where if a cell is untagged, or a core
                                       # cell needs a name only an optional cell defines
    python scripts/paths.py --write    # docs/instructor/solutions.md: every exercise's solution,
                                       # and the guide's minutes table counted again

A section that is optional begins with a markdown cell whose first line is the banner
``> **Optional**: ...`` (JupyterLab does not show tags; the banner shows), and every cell up to the
next heading of its level or above is optional too. The tests run the check on every lesson.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import re
import sys
from pathlib import Path

import nbformat

LESSONS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("0*.ipynb"))
CORE, OPTIONAL = "core", "optional"
BANNER = re.compile(r"\A> \*\*Optional\*\*")
#: reading speed for technical prose with numbers in it, words a minute, and a cell's minimum:
#: reading its code, running it, looking at what it shows
READ_WPM, CELL_MIN = 130, 1.0
#: minutes a learner spends on an exercise: reading, writing, checking, once or twice
EXERCISE_MIN = 12.0
SOLUTION = re.compile(r"<details>\s*<summary>Solution</summary>.*?</details>", re.S)


def path_of(cell: nbformat.NotebookNode) -> str | None:
    tags = set(cell.get("metadata", {}).get("tags", []))
    found = tags & {CORE, OPTIONAL}
    return found.pop() if len(found) == 1 else None


def _code(source: str) -> str:
    """A cell's Python: IPython's magics and shell lines blanked (they are not Python)."""
    lines = source.splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds anywhere, names it reads anywhere)."""
    try:
        tree = ast.parse(_code(source))
    except SyntaxError:  # an exercise's "your code here" may not parse: it binds nothing
        return set(), set()
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, read


def problems(path: Path) -> list[str]:
    """Untagged cells, and core cells that read a name only optional cells before them bind."""
    notebook = nbformat.read(path, as_version=4)
    found: list[str] = []
    core_bound: set[str] = set(dir(builtins)) | {"display", "get_ipython", "_"}
    optional_bound: dict[str, int] = {}
    before = CORE
    for number, cell in enumerate(notebook.cells):
        kind = path_of(cell)
        if kind is None:
            found.append(f"{path.stem} cell {number}: tag it 'core' or 'optional' (one of them)")
            continue
        starts = kind == OPTIONAL and before == CORE
        if starts and not (cell.cell_type == "markdown" and BANNER.match(cell.source)):
            found.append(
                f"{path.stem} cell {number} begins an optional section: make it a markdown cell "
                "whose first line is the banner '> **Optional** ...'"
            )
        before = kind
        if cell.cell_type != "code":
            continue
        bound, read = _names(cell.source)
        if kind == CORE:
            for name in sorted(read - bound - core_bound):
                if name in optional_bound:
                    found.append(
                        f"{path.stem} cell {number} (core) reads {name!r}, which only optional "
                        f"cell {optional_bound[name]} defines: make that cell core, or define "
                        "it in a core cell"
                    )
            core_bound |= bound
        else:
            for name in bound - core_bound:
                optional_bound.setdefault(name, number)
    return found


def minutes(path: Path) -> dict[str, float]:
    """Estimated minutes on each path: reading at READ_WPM (solutions not counted), at least
    CELL_MIN a code cell, EXERCISE_MIN an exercise (a cell that calls a check_...)."""
    notebook = nbformat.read(path, as_version=4)
    spent = {CORE: 0.0, OPTIONAL: 0.0}
    for cell in notebook.cells:
        kind = path_of(cell) or CORE
        if cell.cell_type == "markdown":
            spent[kind] += len(SOLUTION.sub("", cell.source).split()) / READ_WPM
        else:
            exercise = re.search(r"^(await )?check_\w+\(", cell.source, re.M)
            spent[kind] += EXERCISE_MIN if exercise else CELL_MIN
    return spent


SOLUTIONS = LESSONS[0].parent.parent / "docs" / "instructor" / "solutions.md"
_IN_ORDER = re.compile(r"^#{2,4} (?P<exercise>Exercise [^\n]+)$|" + SOLUTION.pattern, re.M | re.S)


GUIDE = SOLUTIONS.parent / "README.md"
_ROW = re.compile(r"^\| (?P<n>\d\d) (?P<title>[^|]+)\| \d+ \| \d+ \|", re.M)
_ALL = re.compile(r"^\| all \| \d+ \([\d.]+ h\) \| \d+ \([\d.]+ h\) \|", re.M)


def with_minutes(guide: str) -> str:
    """The instructor's guide with its minutes table's numbers counted again."""
    spent = {lesson.stem[:2]: minutes(lesson) for lesson in LESSONS}

    def row(found: re.Match[str]) -> str:
        core, every = spent[found["n"]][CORE], sum(spent[found["n"]].values())
        return f"| {found['n']} {found['title']}| {core:.0f} | {every:.0f} |"

    guide = _ROW.sub(row, guide)
    core = sum(m[CORE] for m in spent.values())
    every = sum(sum(m.values()) for m in spent.values())
    total = f"| all | {core:.0f} ({core / 60:.1f} h) | {every:.0f} ({every / 60:.1f} h) |"
    return _ALL.sub(total, guide)


def solutions() -> str:
    """Every exercise's hidden solution, lesson by lesson, for the instructor's guide."""
    out = [
        "# Solutions, in one place\n",
        "Written by `python scripts/paths.py --write` from the lessons' hidden solutions (a test "
        "fails when this file is out of date). Each is one right answer; the checks accept "
        "others.\n",
    ]
    for lesson in LESSONS:
        notebook = nbformat.read(lesson, as_version=4)
        title = notebook.cells[0].source.splitlines()[0].lstrip("# ")
        out.append(f"## {lesson.stem[:2]}: {title}\n")
        exercise = asked = ""
        for cell in notebook.cells:
            if cell.cell_type != "markdown":
                continue
            for found in _IN_ORDER.finditer(cell.source):  # a solution is its last exercise's
                if found.group("exercise"):
                    exercise = found.group("exercise")
                    asked = cell.source[found.end() :].split("<details>")[0].strip()
                    continue
                body = re.sub(r"</?details>|<summary>Solution</summary>", "", found.group())
                out.append(f"### {exercise}\n\n{asked}\n\n{body.strip()}\n")
                asked = ""
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="check the tags; exit 1 on a problem")
    parser.add_argument("--write", action="store_true", help=f"write {SOLUTIONS.name}")
    args = parser.parse_args()
    if args.write:
        SOLUTIONS.parent.mkdir(parents=True, exist_ok=True)
        SOLUTIONS.write_text(solutions(), encoding="utf-8")
        GUIDE.write_text(with_minutes(GUIDE.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if args.check:
        found = [problem for lesson in LESSONS for problem in problems(lesson)]
        print("\n".join(found) or "every cell tagged; the core paths stand on their own")
        return 1 if found else 0
    for lesson in LESSONS:
        spent = minutes(lesson)
        print(f"{lesson.stem:36} core {spent[CORE]:4.0f} min, all {sum(spent.values()):4.0f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
