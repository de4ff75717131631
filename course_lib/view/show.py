"""Putting a figure or a widget into an ``ipywidgets.Output``, safely from any task.

>>> show_in  # doctest: +ELLIPSIS
<function show_in at ...>
"""

from __future__ import annotations

import sys
from typing import Any

import plotly.graph_objects as go


def show_in(output: Any, obj: Any) -> None:
    """Make ``output`` show ``obj`` instead of what it showed.

    Sets the Output's contents directly, so it is safe from a Run button's background task. Both
    ``with output: display(obj)`` and ``output.append_display_data(obj)`` can go astray there:
    the first routes by whichever message is being handled at that moment, and the second lets
    plotly's ``_ipython_display_`` print into the current cell instead.
    """
    if isinstance(obj, go.Figure) and "google.colab" in sys.modules:
        obj = _for_colab(output, obj)
        if obj is None:  # the figure this Output shows was redrawn in place
            return
    if isinstance(obj, dict):  # a display's data, made here
        data, metadata = obj, {}
    elif hasattr(obj, "_repr_mimebundle_"):
        bundle = obj._repr_mimebundle_()
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
    else:  # ipywidgets 7 widgets only have _ipython_display_
        data = {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": obj.model_id,
            }
        }
        metadata = {}
    if not data and isinstance(obj, go.Figure):  # no renderer configured (outside a notebook)
        data = {"application/vnd.plotly.v1+json": obj.to_plotly_json()}
    data.setdefault("text/plain", f"<{type(obj).__name__}>")
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)


def _for_colab(output: Any, figure: go.Figure) -> Any:
    """What an Output shows of ``figure`` on Colab, where each output is a page of its own
    with no plotly.js in it, and a plotly figure in an Output fails ("Plotly is not defined":
    colabtools #5889, open): a PageFigure that brings plotly.js along, one per Output, redrawn
    in place (None: redrawn); without anywidget, HTML that carries plotly.js itself (4.6 MB)."""
    try:
        from course_lib.view.page_figure import PageFigure  # needs anywidget
    except ImportError:
        return {"text/html": figure.to_html(include_plotlyjs=True, full_html=False)}
    mine: PageFigure | None = getattr(output, "_course_figure", None)
    shown = output.outputs[0]["data"].get(_WIDGET, {}) if output.outputs else {}
    if mine is not None and shown.get("model_id") == mine.model_id:
        mine.show(figure)
        return None
    output._course_figure = PageFigure(figure, own_plotly=True)
    return output._course_figure


_WIDGET = "application/vnd.jupyter.widget-view+json"


def placeholder(text: str, height: int, layout: dict | None = None) -> go.Figure:
    """A figure that only says ``text`` (what to do before there is anything to draw), instead
    of empty axes; ``layout`` adds to its layout (a title, say)."""
    figure = go.Figure(layout=layout)
    figure.update_layout(
        height=height,
        xaxis_visible=False,
        yaxis_visible=False,
        showlegend=False,
        plot_bgcolor="#FFFFFF",
        margin=dict(t=40 if layout else 10, b=10),
        annotations=[
            dict(
                text=text,
                showarrow=False,
                x=0.5,
                y=0.5,
                xref="paper",
                yref="paper",
                font=dict(size=14, color="#555555"),
            )
        ],
    )
    return figure
