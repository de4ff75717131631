"""course_lib: the helper package of the LLM concurrency course."""

from .client import DEFAULT_MODEL, LiveBudgetSpent, gemini_client, live_status, offline, use_fake
from .fake_gemini import FakeGemini
from .fake_server import FakeServer
from .tracing import Span, Tracer, cpu_span, traced_cpu

__all__ = [
    "DEFAULT_MODEL",
    "FakeGemini",
    "FakeServer",
    "LiveBudgetSpent",
    "Span",
    "Tracer",
    "cpu_span",
    "gemini_client",
    "live_status",
    "offline",
    "traced_cpu",
    "use_fake",
]
