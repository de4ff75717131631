"""Which task a span belongs to, and what it is about: the context a runner sets around each
prompt's work (``with task_context(3, lane, "the prompt"):``), which the tracer reads when a span
opens, and agents' own groups of rows (``as_agent``).

>>> with task_context(7, label="Hi"):
...     current_task(), current_label()
(7, 'Hi')
"""

from __future__ import annotations

from contextvars import ContextVar

from course_lib.trace.lanes import Lane, agent, chosen_lane

_task: ContextVar[int | str | None] = ContextVar("course_task", default=None)
_label: ContextVar[str] = ContextVar("course_label", default="")


def current_task() -> int | str | None:
    """The task a runner said the code running now belongs to, if it did."""
    return _task.get()


def current_label() -> str:
    """What the task in progress is about (its prompt), if a runner said so."""
    return _label.get()


class task_context:  # noqa: N801 (used like a function: ``with task_context(3):``)
    """Spans recorded inside belong to ``task`` (on ``lane``, about ``label``, if given).

    A small class rather than a generator: a thousand calls in flight hold a thousand of these.
    """

    __slots__ = ("_values", "_tokens")

    def __init__(self, task: int | str, lane: Lane | None = None, label: str = "") -> None:
        self._values = (task, lane, label)

    def __enter__(self) -> None:
        task, lane, label = self._values
        self._tokens = (
            _task.set(task),
            None if lane is None else chosen_lane.set(lane),
            _label.set(label) if label else None,
        )

    def __exit__(self, *exc: object) -> None:
        task_token, lane_token, label_token = self._tokens
        if label_token is not None:
            _label.reset(label_token)
        if lane_token is not None:
            chosen_lane.reset(lane_token)
        _task.reset(task_token)


def as_agent(index: int, name: str = "") -> task_context:
    """``with as_agent(2, "router"):`` the calls and tools inside belong to agent ``index``: its
    own group of rows on a timeline (model calls, tools), and its own critical path."""
    return task_context(index, agent(index, name), name or f"agent {index}")
