"""What differs between two plotly layouts, as dotted paths: what a live frame must send, and
what the page must unset when a run replaces the last one's layout (a relayout only sets).

>>> flatten({"title": {"text": "Running…"}}) == {"title.text": "Running…"}
True
"""

from __future__ import annotations

from typing import Any


def flatten(layout: dict, prefix: str = "") -> dict[str, Any]:
    """``layout`` as dotted paths to its values (lists stay whole), to compare two of them.

    >>> flatten({"height": 300, "yaxis": {"domain": [0, 1], "title": None}})
    {'height': 300, 'yaxis.domain': [0, 1], 'yaxis.title': None}
    """
    flat: dict[str, Any] = {}
    for key, value in layout.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


def removed_paths(old: dict, new: dict, prefix: str = "") -> list[str]:
    """The dotted paths of ``old``'s settings that ``new`` lacks (inside objects, not lists).

    >>> removed_paths({"yaxis": {"domain": [0.3, 1], "title": None}, "yaxis2": {}}, {"yaxis": {}})
    ['yaxis.domain', 'yaxis.title', 'yaxis2']
    """
    gone = []
    for key, value in old.items():
        if key not in new:
            gone.append(prefix + key)
        elif isinstance(value, dict) and isinstance(new[key], dict):
            gone += removed_paths(value, new[key], f"{prefix}{key}.")
    return gone
