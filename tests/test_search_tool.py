"""The offline search tool agents call: ranking, its latency (on an injected sleep), its spans,
bad queries, and its use as a tool through the real SDK, sync and async."""

import pytest
from google.genai import types

from course_lib import DEFAULT_MODEL, Tracer, gemini_client
from course_lib.agents.search import SearchTool, corpus
from course_lib.fake import FakeGemini
from course_lib.trace.spans import TOOL

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


def test_the_corpus_ships_and_each_note_has_what_a_hit_shows():
    notes = corpus()
    assert len(notes) >= 20
    assert all(n["url"].startswith("kb://") and n["title"] and n["text"] for n in notes)


def test_best_matches_first_and_at_most_top_k():
    docs = SearchTool(latency_s=0.0)
    hits = docs.search_docs_sync("rate limits per project 429", top_k=2)
    assert [h["title"] for h in hits][0] == "Rate limits" and len(hits) == 2
    assert docs.search_docs_sync("zebra quantum lasagna") == []  # nothing shares a word: no hits
    with pytest.raises(ValueError, match="needs a query"):
        docs.search_docs_sync("   ")


async def test_each_search_waits_its_latency_and_is_a_tool_span():
    slept = []

    async def pretend(seconds):
        slept.append(seconds)

    docs = SearchTool(latency_s=0.4, sleep=slept.append, async_sleep=pretend)
    with Tracer() as tracer:
        docs.search_docs_sync("the GIL")
        await docs.search_docs("asyncio.gather")
    assert slept == [0.4, 0.4]
    assert [(s.phase, s.label) for s in tracer.spans] == [
        (TOOL, "search: the GIL"),
        (TOOL, "search: asyncio.gather"),
    ]


def test_the_sdk_calls_it_as_a_tool():
    docs = SearchTool(latency_s=0.0)
    client = gemini_client(live=False, fake=FakeGemini(latency=0.0))
    config = types.GenerateContentConfig(tools=[docs.search_docs_sync])
    reply = client.models.generate_content(
        model=DEFAULT_MODEL, contents="Search the docs: what is Little's law?", config=config
    )
    assert "search_docs_sync returned" in reply.text and "Little" in reply.text


async def test_the_sdk_calls_the_async_one_from_client_aio():
    docs = SearchTool(latency_s=0.0)
    client = gemini_client(live=False, fake=FakeGemini(latency=0.0))
    config = types.GenerateContentConfig(tools=[docs.search_docs])
    with Tracer() as tracer:
        reply = await client.aio.models.generate_content(
            model=DEFAULT_MODEL, contents="Search the docs about asyncio.TaskGroup", config=config
        )
    assert "search_docs returned" in reply.text
    phases = [s.phase for s in sorted(tracer.spans, key=lambda s: s.start)]
    assert phases == ["in_flight", TOOL, "in_flight"]  # model, tool, model: one after another
