"""What a notebook cell gets: ``setup()`` (the setup cell's one call) and ``%%timeline`` (any
cell's Gemini calls on a live timeline).

- ``watch``: a live timeline around any code, then its picture and verdict (``watching``)
- ``magic``: ``%%timeline`` and ``%timeline``, in IPython 7.34 to 9
- ``setup_cell``: ``setup()``: the session's Gemini, tracing every client, the magic loaded
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "setup": "setup_cell",
    "watching": "watch",
    "Watch": "watch",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
