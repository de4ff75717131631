"""A plotly layout as dotted paths to its values: what a live frame compares with the last one's,
to change only what moved.

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
