"""A small ReAct-style agent: ask the model with a search tool declared, run the searches it asks
for, send back their results, and repeat until it answers. Lesson 06 builds the same loop in
the notebook; the ``agents`` scenario, its panel and the exercises' checks run this one.

Tool calls one after another is what the SDK's automatic function calling does when the model
asks for several in one turn; ``at_once=True`` runs them together with ``asyncio.gather``, so a
turn with three 1 s searches takes 1 s instead of 3 s.

>>> question_for(1, 2)
'Agent 1: what do the course notes say about "asyncio.gather" and "asyncio.TaskGroup"?'
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.genai import types

from course_lib.agents.search import SearchTool, corpus
from course_lib.config import DEFAULT_MODEL
from course_lib.ranges import nth_seed
from course_lib.rate_limits.retry import call_with_retries
from course_lib.trace.lanes import agent
from course_lib.trace.spans import now
from course_lib.trace.tasks import task_context

#: The search tool as the model sees it: a declaration, made by hand so no client is needed.
SEARCH_DECLARATION = types.FunctionDeclaration(
    name="search_docs",
    description="Search the course notes; returns the best notes (title, url, text), best first.",
    parameters_json_schema={
        "type": "object",
        "properties": {"query": {"type": "string", "description": "a few words to look for"}},
        "required": ["query"],
    },
)
#: Manual function calling: the SDK hands the calls back instead of running them itself.
MANUAL = types.AutomaticFunctionCallingConfig(disable=True)


def question_for(index: int, tools_per_turn: int) -> str:
    """Agent ``index``'s question: it quotes ``tools_per_turn`` topics of the notes, and the
    model asks for one search per topic, all in its first turn."""
    titles = [note["title"] for note in corpus()]
    topics = [f'"{titles[(index + k) % len(titles)]}"' for k in range(tools_per_turn)]
    listed = topics[0] if len(topics) == 1 else f"{', '.join(topics[:-1])} and {topics[-1]}"
    return f"Agent {index}: what do the course notes say about {listed}?"


@dataclass
class AgentRun:
    """What one agent did: its answer, how many model and tool calls it made, the tokens it
    spent (input and output, all turns) and when it started and ended."""

    index: int
    question: str
    answer: str = ""
    model_calls: int = 0
    tool_calls: int = 0
    tokens: int = 0
    started: float = 0.0
    ended: float = 0.0


async def run_tools(
    calls: list[types.FunctionCall],
    tools: Mapping[str, Callable[..., Awaitable[Any]]],
    at_once: bool = True,
) -> list[types.Part]:
    """Run the function calls of one model turn (``at_once``: together, else one after another,
    as automatic function calling does) and return their results as parts, in the calls' order."""

    async def one(call: types.FunctionCall) -> types.Part:
        name = call.name or ""  # the SDK types it optional; a model's call always has one
        result = await tools[name](**(call.args or {}))
        return types.Part.from_function_response(name=name, response={"result": result})

    if at_once:
        return list(await asyncio.gather(*(one(call) for call in calls)))
    return [await one(call) for call in calls]


async def react_agent(
    client: Any,
    question: str,
    docs: SearchTool,
    *,
    index: int = 1,
    name: str = "",
    at_once: bool = True,
    max_turns: int = 4,
    model: str = DEFAULT_MODEL,
    attempts: int = 1,
    seed: int = 0,
) -> AgentRun:
    """Run one agent on ``question`` until the model answers (at most ``max_turns`` model calls),
    on its own group of timeline rows (``agent(index, name)``). With ``attempts`` above 1, each
    model call is retried the kit's way (``call_with_retries``) when it fails; a call that fails
    every time raises its API error."""
    run = AgentRun(index, question, started=now())
    tools = {"search_docs": docs.search_docs}
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[SEARCH_DECLARATION])],
        automatic_function_calling=MANUAL,
    )
    contents: list[types.Content] = [types.UserContent(parts=[types.Part.from_text(text=question)])]
    with task_context(index, agent(index, name), question):
        for _ in range(max_turns):
            reply, _ = await call_with_retries(
                lambda: client.aio.models.generate_content(
                    model=model, contents=contents, config=config
                ),
                attempts=attempts,
                seed=nth_seed(seed, run.model_calls),
            )
            run.model_calls += 1
            run.tokens += (reply.usage_metadata and reply.usage_metadata.total_token_count) or 0
            calls = reply.function_calls or []
            if not calls:
                run.answer, run.ended = reply.text or "", now()
                return run
            contents.append(reply.candidates[0].content)  # the calls, signatures and all
            contents.append(types.UserContent(parts=await run_tools(calls, tools, at_once)))
            run.tool_calls += len(calls)
    raise RuntimeError(f"agent {index} did not answer within {max_turns} model calls")
