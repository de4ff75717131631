"""A plotly figure the page redraws from the widget's state: the live timeline's one figure.

>>> figure = PageFigure()                                   # doctest: +SKIP
>>> figure.show(go.Figure(go.Bar(x=[1, 2])))                # doctest: +SKIP

Why not plotly's own ``go.FigureWidget``: it is an anywidget whose JavaScript carries all of
plotly.js (5 MB), and anywidget gives a model 2 seconds to load its JavaScript. Loading plotly's
takes 1.5-2 s in Chromium on a quiet 2-core machine, more on a busy one; a model that misses the
deadline drops every later message from Python, so the page kept showing the first frame while
the kernel sent fifty more (the browser test saw it under load). Its updates are also a stream of
edits, so one lost edit spoils every frame after it.

Here the page's plotly.js comes once, from a ``PlotlyOnPage`` model that starts loading it without
making anywidget wait, and a ``PageFigure`` holds the whole figure as its state: each view draws
that state with ``Plotly.react`` whenever it changes. plotly.js travels in a message of its own,
not in the widget's state: a reloaded page asks the kernel for every widget's state with a 4 s
timeout (ipywidgets #3633), and 4.6 MB of state could miss it on a busy machine ("Error
displaying widget: model not found"); the state is a few bytes, and the page asks for plotly.js
once the models are back. A frame sent while plotly.js was loading is
drawn when it is ready; a reloaded page draws the last frame; nothing depends on an earlier
message having arrived. A frame costs its figure's JSON (kilobytes for a lesson's run); plotly's
template, the same every frame, goes once.
"""

from __future__ import annotations

import math
import time
from functools import cache
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import plotly
import plotly.graph_objects as go
import traitlets

_ESM = Path(__file__).with_name("page_figure.js")
_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class PlotlyOnPage(anywidget.AnyWidget):
    """plotly.js, for every PageFigure on the page. Never displayed: when it is made it sends
    plotly.js to the page in a message (a binary buffer), and a page that makes its model anew
    (a reload, a second tab) asks for it with ``{"want": "plotly.js"}``."""

    _esm = _ESM
    library = traitlets.Bool(True).tag(sync=True)  # tells the page's code which widget this is

    # A page asks again every few seconds until plotly.js is there; one that was just sent (and is
    # still on its way over a slow network) is not sent again before this many seconds.
    RESEND_AFTER_S = 8.0

    def __init__(self) -> None:
        super().__init__()
        self._sent_at = -math.inf
        self.on_msg(self._answer)
        self.send_plotly()

    def send_plotly(self) -> None:
        """Send plotly.min.js to every page that shows this kernel's widgets."""
        self._sent_at = time.monotonic()
        self.send({"plotly.js": len(_plotly_js())}, buffers=[_plotly_js()])

    def _answer(self, _widget: object, content: object, _buffers: object) -> None:
        asked = isinstance(content, dict) and content.get("want") == "plotly.js"
        if asked and time.monotonic() - self._sent_at >= self.RESEND_AFTER_S:
            self.send_plotly()


_library: PlotlyOnPage | None = None


@cache
def _plotly_js() -> bytes:
    """plotly.min.js as bytes, read once."""
    return _PLOTLY_JS.read_bytes()


def plotly_on_page() -> PlotlyOnPage:
    """The one PlotlyOnPage of this kernel, made the first time a figure needs it."""
    global _library
    if _library is None or _library.comm is None:  # never made, or closed since
        _library = PlotlyOnPage()
    return _library


class PageFigure(anywidget.AnyWidget):
    """A figure the page draws from ``figure`` (data and layout, no template) and ``template``:
    ``show(fig)`` replaces what it shows. ``own_plotly``: bring plotly.js along instead of
    counting on PlotlyOnPage, where each output is a page of its own (Colab's output frames)."""

    _esm = _ESM
    figure = traitlets.Dict().tag(sync=True)
    template = traitlets.Dict().tag(sync=True)
    source = traitlets.Unicode().tag(sync=True)  # plotly.js, if own_plotly

    def __init__(self, figure: go.Figure | None = None, own_plotly: bool = False) -> None:
        if own_plotly:
            super().__init__(source=_PLOTLY_JS.read_text(encoding="utf-8"))
        else:
            plotly_on_page()  # before this widget, so the page starts loading plotly.js first
            super().__init__()
        if figure is not None:
            self.show(figure)

    def show(self, figure: go.Figure) -> None:
        """Draw ``figure`` instead of what is drawn."""
        whole = plain(figure.to_plotly_json())
        self.show_data(whole, template=whole["layout"].pop("template", {}))

    def show_data(self, figure: dict, template: dict | None = None) -> None:
        """Draw ``figure`` (``data`` and ``layout`` as JSON has them) instead of what is drawn,
        with ``template`` (None: the one drawn so far)."""
        with self.hold_sync():  # one message: the page never draws a frame with a stale template
            if template is not None and template != self.template:
                self.template = template
            self.figure = figure


def plain(value: Any) -> Any:
    """``value`` with numpy arrays and numbers made JSON's lists and numbers, as a widget's state
    must be.

    >>> plain({"x": np.array([1.5, 2.0]), "y": (np.int64(3), "a")})
    {'x': [1.5, 2.0], 'y': [3, 'a']}
    """
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value
