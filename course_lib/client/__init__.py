"""The client side of the course: ``gemini_client()`` (a real ``google.genai.Client``, wired to the
fake offline or to the real API on a budget), the session that holds the fake and the budget
(``setup``, ``offline``, ``use_fake``, ``live_status``), and live mode's key and budget."""

from course_lib._lazy import lazy_names

_WHERE = {
    "gemini_client": "factory",
    "setup": "session",
    "offline": "session",
    "use_fake": "session",
    "live_status": "session",
    "LiveBudgetSpent": "live",
    "LiveUnreachable": "live",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
