"""Lesson 00's first check, ``doctor()``: what ``python -m course_lib doctor`` checks, and one thing
only a notebook can: whether this page draws widgets (the panels and live timelines are widgets).

The widget check needs no round trip: a page that draws widgets runs the widget's JavaScript,
which writes the "ok" line; a page that cannot shows the widget's text instead, the "FIX" line
and what to do.
"""

from __future__ import annotations

import anywidget

from course_lib.preflight import run_checks

_ESM = """
export default {
  render({ model, el }) {
    el.style.cssText = "font-family: var(--jp-code-font-family, monospace); white-space: pre";
    el.textContent = "ok    this page draws widgets: the panels and live timelines will show";
  },
};
"""
NOT_DRAWN = (
    "FIX   this page does not draw widgets, so panels and live timelines will not show: open the "
    "notebook in JupyterLab, Notebook 7 or Colab (in VS Code, install the Jupyter extension), "
    "then run this cell again"
)


class WidgetCheck(anywidget.AnyWidget):
    """Draws the "ok" line where widgets render; elsewhere its text is the "FIX" line."""

    _esm = _ESM

    def __repr__(self) -> str:  # what a page that cannot draw widgets shows instead
        return NOT_DRAWN


def doctor(server: str | None = None, live: bool = False) -> WidgetCheck:
    """Print one line a check (as ``python -m course_lib doctor`` does), then show the widget
    check as the cell's result."""
    for check in run_checks(server, live):
        print(check.shown())
    return WidgetCheck()
