"""Lesson 06, agents and workflows.

- ``react``: ``react_agent``, a ReAct loop with manual function calling whose tool calls run at
  once or one by one; ``question_for``, the questions the agents scenario asks
- ``search``: ``SearchTool``, an offline search of the course notes with a latency of its own,
  usable as an SDK tool
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "react_agent": "react",
    "question_for": "react",
    "AgentRun": "react",
    "SearchTool": "search",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
