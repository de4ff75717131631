"""One create request of the Interactions API, checked: what its input holds and what the engine
needs to answer it, in generateContent's words (``fake.interactions.read`` fills it in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """A ``function_result`` step: where it is, which call it answers, and what it says."""

    where: str
    call_id: str
    name: str | None
    result: Any


@dataclass
class Turn:
    """One create request, checked: the new input and what the engine needs to answer it."""

    model: str
    texts: list[str] = field(default_factory=list)  # every text in the input (they are counted)
    prompt: str = ""  # the last user text: what the answer is about
    media: dict[str, int] = field(default_factory=dict)  # tokens of each kind of media (image...)
    results: list[Result] = field(default_factory=list)
    calls: dict[str, str] = field(default_factory=dict)  # function_call steps sent back: id -> name
    signatures: list[str] = field(default_factory=list)
    #: function_call steps sent back unsigned: (the step's position from 1, the function's name)
    unsigned: list[tuple[int, str]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)  # the input as steps, for GET
    system: str | None = None
    declarations: list[dict[str, Any]] | None = None  # tools, as functionDeclarations
    generation: dict[str, Any] = field(default_factory=dict)  # as generateContent's config
    tool_config: dict[str, Any] | None = None
    previous: str | None = None
    stream: bool = False
    background: bool = False
    store: bool = True
    service_tier: str | None = None
