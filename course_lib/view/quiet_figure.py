"""A plotly FigureWidget that does not echo the page's own news back to it.

After each redraw the page tells the kernel what plotly filled in (``_js2py_layoutDelta``,
``_js2py_traceDeltas``: the whole computed layout, often kilobytes). ipywidgets 8 then sends each
such message back to the page ("echo_update", for other views of the widget) and plotly's reset
of it too: about 15 KB a frame that no view needs. Traits tagged ``echo_update=False`` are not
echoed (ipywidgets' documented switch); this widget tags those two, and nothing else changes.

>>> QuietFigureWidget.class_traits()["_js2py_layoutDelta"].metadata["echo_update"]
False
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from traitlets import Dict


def _quiet(name: str) -> Any:
    """The FigureWidget's trait ``name``, tagged not to be echoed."""
    metadata = go.FigureWidget.class_traits()[name].metadata
    return Dict(allow_none=True).tag(**{**metadata, "echo_update": False})


class QuietFigureWidget(go.FigureWidget):
    """``go.FigureWidget``, minus the echo of what the page reports after each redraw."""

    _js2py_layoutDelta = _quiet("_js2py_layoutDelta")
    _js2py_traceDeltas = _quiet("_js2py_traceDeltas")
