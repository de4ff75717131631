"""Titles that wrap instead of being cut off: plotly draws a title on one line, however long.

A run's title names everything that shapes it ("... limiter 60/min, retry: kit, 10 requests/min")
and the end, often the rate limit, is the part a cut would lose. ``wrap`` breaks it after a comma
so each line fits the narrowest slot a figure gets (a Colab pane, a split JupyterLab window).

>>> wrap("<b>rate-limited</b>: 10 requests, latency 0.5 s, limit 10, limiter 60/min", width=40)
'<b>rate-limited</b>: 10 requests, latency 0.5 s,<br>limit 10, limiter 60/min'
>>> wrap("one, two, three", width=9, first=4)
'one,<br>two,<br>three'
>>> lines("a<br>b<br><sup>c</sup>")
3
"""

from __future__ import annotations

import re

#: characters of a 15 px title that fit in a 700 px figure beside plotly's toolbar (~170 px)
TITLE_CHARS = 66
#: room kept on the first line for what the live timeline puts before a title ("Running… ",
#: "Stopped at 12.34 s: "), so that a live frame's title wraps as the final frame's does
STATUS_CHARS = 20
_TAG = re.compile(r"<[^>]+>")


def visible(text: str) -> int:
    """How many characters of ``text`` show: its HTML tags take no room."""
    return len(_TAG.sub("", text))


def wrap(text: str, width: int = TITLE_CHARS, first: int | None = None) -> str:
    """``text`` with a line break after the last comma that keeps each line under ``width``
    visible characters (the first line under ``first``, if given). Lines already broken with
    ``<br>`` are wrapped one by one."""
    out: list[str] = []
    for line in text.split("<br>"):
        parts, current = line.split(", "), ""
        for part in parts:
            candidate = f"{current}, {part}" if current else part
            room = first if first is not None and not out else width
            if current and visible(candidate) > room:
                out.append(current + ",")
                current = part
            else:
                current = candidate
        out.append(current)
    return "<br>".join(out)


def lines(text: str) -> int:
    """How many lines ``text`` takes: one more for each ``<br>``."""
    return text.count("<br>") + 1
