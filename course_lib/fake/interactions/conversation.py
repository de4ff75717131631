"""From an Interactions turn to the request the engine answers: the same ``Prompt`` that
generateContent's reader makes, so both APIs get one engine's text, calls, tokens and latency.

The settings go through generateContent's own reader (``fake.request.read_prompt``), so whatever
it learns to check or carry (thinking, a response schema, tool modes) reaches Interactions too.
The input's texts, the stored conversation and the function results are put in by hand: a stored
conversation is kept as its token count, not as its text (see ``fake.interactions.store``).

>>> from course_lib.fake.interactions.read import read_create
>>> request = engine_request(read_create(b'{"model": "m", "input": "Hi"}'), None)
>>> request.prompt, request.tokens
('Hi', 1)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from course_lib.fake.bad_request import Refused as BadRequest
from course_lib.fake.interactions.turn import Turn
from course_lib.fake.interactions.values import Refused
from course_lib.fake.request import Prompt, read_prompt

if TYPE_CHECKING:
    from course_lib.fake.interactions.store import Stored


@dataclass
class TurnPrompt(Prompt):
    """A ``Prompt`` with tokens its texts do not show: the stored conversation, the media."""

    earlier_tokens: int = 0

    @property
    def tokens(self) -> int:
        return super().tokens + self.earlier_tokens


def engine_request(turn: Turn, previous: Stored | None) -> TurnPrompt:
    """What the engine answers for ``turn``, carrying on from ``previous``; or raise the 400."""
    declarations = turn.declarations
    if declarations is None and previous is not None:
        declarations = previous.declarations  # tools carry over when a turn gives none
    pending = dict(previous.pending) if previous is not None else {}
    pending.update(turn.calls)
    results = []
    for result in turn.results:
        name = pending.get(result.call_id)
        if name is None:
            raise Refused(
                f"Invalid value at '{result.where}.call_id': no function call "
                f"'{result.call_id}' waits for a result in this conversation."
            )
        if result.name is not None and result.name != name:
            raise Refused(
                f"Invalid value at '{result.where}.name': call '{result.call_id}' is to "
                f"'{name}', not '{result.name}'."
            )
        results.append((name, result.result))
    settings: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": "."}]}],  # the input is added below
        "generationConfig": turn.generation,
        "tools": declarations or [],
    }
    if turn.tool_config is not None:
        settings["toolConfig"] = turn.tool_config
    if turn.service_tier is not None:  # HOOK: service tiers read generateContent's serviceTier
        settings["serviceTier"] = turn.service_tier
    read = read_prompt(json.dumps(settings).encode())
    if isinstance(read, BadRequest):
        raise Refused(_in_interaction_words(read.message))
    earlier = 0
    if previous is not None:  # the conversation so far, and its system instruction if kept
        earlier = previous.context_tokens + (previous.system_tokens if turn.system is None else 0)
    earlier += sum(turn.media.values())
    own = {f.name: getattr(read, f.name) for f in fields(read) if f.init}
    own.update(
        texts=turn.texts + ([turn.system] if turn.system else []),
        prompt=turn.prompt or (previous.topic if previous is not None else ""),
        tools=replace(  # what the reader found in the tools (and tool config), and the turn's
            read.tools,
            results=results,
            signatures=(previous.signatures if previous is not None else []) + turn.signatures,
            unsigned=list(turn.unsigned),
        ),
    )
    return TurnPrompt(**own, earlier_tokens=earlier)


_DECLARATION = re.compile(r"tools\[(\d+)\]\.function_declarations\[0\]")


def _in_interaction_words(message: str) -> str:
    """generateContent's reader names ``tools[i].function_declarations[0]``: here ``tools[i]``."""
    message = _DECLARATION.sub(r"tools[\1]", message)
    return message.replace("GenerateContentRequest.", "")
