"""``%%timeline`` and ``%timeline``: any cell's Gemini calls on a live timeline, then the picture,
the wall time, the ideal bounds and a verdict printed from the measurement (``notebook.watch``).

    %%timeline a plain loop
    for question in questions:
        print(client.models.generate_content(model=MODEL, contents=question).text[:60])

    %timeline answers = await asyncio.gather(*(ask(q) for q in questions))

``setup()`` loads it; ``%load_ext course_lib.notebook.magic`` does too.

How it runs the cell (IPython 7.34, Colab's, to 9): a magic gets its cell as a string and would
have to run it itself, where top-level ``await`` fails (the kernel's event loop is already
running) and an exception is either shown twice or swallowed. So the cell is not handed to a
magic at all: an input transformer (IPython's public ``input_transformers_cleanup``) rewrites its
first line, ``%%timeline title``, into a call that starts the watch, and leaves every other line
as it was; the cell then runs as any cell does, ``await``, last value, output, traceback and line
numbers included, and the ``post_run_cell`` event, which IPython sends after every cell, however
it ended, finishes the watch. ``%timeline code`` at the start of a line becomes ``with`` a watch
around that line. Registered magics of the same names do the same where no transformer ran
(``get_ipython().run_cell_magic("timeline", ...)``), by running the code with ``run_cell``.
"""

from __future__ import annotations

import ast
import asyncio
import sys
from typing import Any

from course_lib.notebook.watch import Watch

#: How a rewritten line reaches this module: a name IPython's user namespace holds, hidden from
#: ``%who`` as ``get_ipython`` is (a traceback shows the line: it should read well), or, if the
#: namespace was reset, an import.
_SHORT = "_timeline"
_LONG = "__import__('course_lib.notebook.magic', fromlist=['begin'])"


def _me() -> str:
    try:
        from IPython import get_ipython
    except ImportError:
        return _LONG
    shell = get_ipython()
    return _SHORT if shell is not None and _SHORT in shell.user_ns else _LONG


#: the watch a ``%%timeline`` cell started, finished when the cell ends
_active: list[Watch] = []


def _in_a_kernel() -> bool:
    """Whether pictures can show: IPython in a Jupyter kernel, not a terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# -- the cell's first line and a line's own watch --------------------------------------------------
def begin(title: str = "") -> None:
    """Called by a ``%%timeline`` cell's first line: watch until the cell ends."""
    if _active:  # a %%timeline cell run inside another's: the outer one sees its calls
        return
    watch = Watch(title, show=_in_a_kernel())
    watch.start()
    _active.append(watch)


def after_cell(result: Any = None) -> None:
    """IPython's ``post_run_cell``: finish the cell's watch, if it started one, and print what
    it saw (after the cell's own output and traceback, if it raised)."""
    if not _active:
        return
    watch = _active.pop()
    error = getattr(result, "error_in_exec", None)
    for line in watch.finish(error):
        print(line)


class line_watch:  # noqa: N801 (used like a function: ``with line_watch(): ...``)
    """``%timeline code``: a watch around one line; an expression's value is shown after the
    verdict when the line ends its cell, as IPython would show it."""

    def __init__(self, last: bool = False) -> None:
        self.last, self.value = last, None
        self.watch = None if _active else Watch(show=_in_a_kernel())

    def __enter__(self) -> line_watch:
        if self.watch is not None:
            self.watch.start()
        _lines.append(self)
        return self

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        _lines.remove(self)
        if self.watch is not None:
            for line in self.watch.finish(error):
                print(line)
        if error is None and self.last and self.value is not None:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None:
                shell.displayhook(self.value)


_lines: list[line_watch] = []  # the %timeline lines running (one, unless one awaits another)


def keep(value: Any) -> None:
    """A ``%timeline`` line's value, kept to be shown when the line is done."""
    if _lines:
        _lines[-1].value = value


def hint(text: str) -> None:
    print(text)


NEEDS_CODE = (
    "%timeline needs code after it on the same line (%timeline await main()); "
    "for a whole cell, put %%timeline on its first line."
)
ONE_LINE = (
    "%timeline takes one line of simple statements; for a loop or a block, "
    "put %%timeline on the cell's first line."
)


# -- the transformer -------------------------------------------------------------------------------
def rewrite(lines: list[str]) -> list[str]:
    """IPython's cleanup transformer: ``%%timeline title`` on a cell's first line becomes a call
    that starts its watch; ``%timeline code`` at the start of a line, ``code`` inside one.
    Every other line stays as it is, on the same line number.

    >>> rewrite(["%%timeline my loop\\n", "x = 1\\n"])[0].split(".begin")[1]
    "('my loop')  # %%timeline my loop\\n"
    >>> rewrite(["%timeline await f()\\n"])[0].startswith("with ")
    True
    """
    if not lines:
        return lines
    first = lines[0]
    if first.startswith("%%timeline") and first[10:11] in ("", " ", "\t", "\n", "\r"):
        title = first[10:].strip()
        said = f"  # %%timeline {title}".rstrip()
        return [f"{_me()}.begin({title!r}){said}\n", *lines[1:]]
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    return [
        _line(line, i == last) if line.startswith("%timeline") else line
        for i, line in enumerate(lines)
    ]


def _line(line: str, last: bool) -> str:
    if line[9:10] not in ("", " ", "\t", "\n", "\r"):
        return line  # %timelinex: another magic's name
    code, me = line[9:].strip(), _me()
    if not code:
        return f"{me}.hint({NEEDS_CODE!r})\n"
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return line[1:]  # as written: Python's own message says what is wrong with it
    if any(not isinstance(node, _SIMPLE) for node in body):
        return f"{me}.hint({ONE_LINE!r})\n"
    if len(body) == 1 and isinstance(body[0], ast.Expr):
        return f"with {me}.line_watch({last}): {me}.keep(({code}))\n"
    return f"with {me}.line_watch(): {code}\n"


_SIMPLE = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Pass,
    ast.Delete,
    ast.Import,
    ast.ImportFrom,
    ast.Assert,
    ast.Raise,
    ast.Global,
    ast.Nonlocal,
)


# -- where no transformer ran ----------------------------------------------------------------------
def timeline(line: str, cell: str | None = None) -> None:
    """%%timeline [title]: the cell's Gemini calls on a live timeline, then the picture, the
    wall time, the ideal bounds and a verdict. %timeline code: the same for one line."""
    from IPython import get_ipython

    shell = get_ipython()
    title, code = (line, cell) if cell is not None else ("", line)
    if _awaits(code) and _loop_running():
        print(
            "This %timeline cannot await here: put %%timeline on the first line of the cell "
            "(course_lib's setup() makes it work with await there)."
        )
        return
    watch = Watch(title.strip(), show=_in_a_kernel())
    watch.start()
    result = shell.run_cell(code, store_history=False)
    for said in watch.finish(result.error_in_exec):
        print(said)
    result.raise_error()


def _awaits(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith) for node in ast.walk(tree)
    )


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# -- loading ---------------------------------------------------------------------------------------
def load_ipython_extension(shell: Any) -> None:
    """Install the transformer, the end-of-cell hook and the magics (once)."""
    cleanup = shell.input_transformers_cleanup
    if not any(
        getattr(t, "__name__", "") == "rewrite" and t.__module__ == __name__ for t in cleanup
    ):
        cleanup.append(rewrite)
    try:
        shell.events.unregister("post_run_cell", after_cell)
    except ValueError:
        pass
    shell.events.register("post_run_cell", after_cell)
    shell.register_magic_function(timeline, "line_cell", "timeline")
    shell.push({_SHORT: sys.modules[__name__]}, interactive=False)  # hidden, as get_ipython


def unload_ipython_extension(shell: Any) -> None:
    cleanup = shell.input_transformers_cleanup
    cleanup[:] = [t for t in cleanup if t is not rewrite]
    try:
        shell.events.unregister("post_run_cell", after_cell)
    except ValueError:
        pass
