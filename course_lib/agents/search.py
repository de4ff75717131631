"""An offline search tool for agents: a small corpus of course notes, ranked by the words a query
shares with each note, answered after a latency of its own (a real search API takes a while).

Its two methods are plain typed functions with docstrings, so the SDK can use them as tools
(``tools=[docs.search_docs_sync]``, or ``docs.search_docs`` with ``client.aio``), and every
search shows on timelines as a ``tool`` span.

>>> docs = SearchTool(latency_s=0.0)
>>> [hit["title"] for hit in docs.search_docs_sync("what does the GIL stop threads from doing", 2)]
['The GIL', 'Process pools']
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from course_lib import ranges
from course_lib.data_files import data_file
from course_lib.trace.spans import TOOL, span

_WORD = re.compile(r"[a-z0-9_]+")
_COMMON = {"the", "a", "an", "of", "to", "in", "is", "and", "or", "what", "how", "does", "do"}


@cache
def corpus() -> tuple[dict[str, str], ...]:
    """The notes: id, title, url (``kb://...``: nothing leaves the machine) and text."""
    place = data_file("fake_gemini", "search.json")
    return tuple(json.loads(place.read_text(encoding="utf-8"))["documents"])


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _COMMON}


class SearchTool:
    """Search the course notes, after ``latency_s`` seconds (inject ``sleep``/``async_sleep`` to
    test without waiting). ``down=True``: every search fails after its latency with a
    ``ConnectionError``, as a search service that is down would (lesson 06 breaks an agent so)."""

    def __init__(
        self,
        latency_s: float = 0.3,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        down: bool = False,
    ) -> None:
        self.latency_s: float = ranges.check("latency_s", latency_s)
        ranges.check("down", down)
        self.sleep, self.async_sleep, self.down = sleep, async_sleep, down

    def _results(self, query: str, top_k: int) -> list[dict[str, Any]]:
        if self.down:
            raise ConnectionError("the search service is down (SearchTool(down=True))")
        return self._ranked(query, top_k)

    def _ranked(self, query: str, top_k: int) -> list[dict[str, Any]]:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("search_docs needs a query: a few words to look for")
        asked = _words(query)
        scored = [
            (len(asked & _words(d["title"])) * 2 + len(asked & _words(d["text"])), -i, d)
            for i, d in enumerate(corpus())
        ]
        best = sorted((s for s in scored if s[0] > 0), key=lambda s: s[:2], reverse=True)
        return [{"title": d["title"], "url": d["url"], "text": d["text"]} for *_, d in best[:top_k]]

    def search_docs_sync(self, query: str, top_k: int = 3) -> list[dict[str, Any]]:
        """Search the course notes for ``query``; returns the best ``top_k`` notes (title, url,
        text), best first."""
        with span(TOOL, label=f"search: {query[:40]}"):
            self.sleep(self.latency_s)
            return self._results(query, top_k)

    async def search_docs(self, query: str, top_k: int = 3) -> list[dict[str, Any]]:
        """Search the course notes for ``query``, without blocking the event loop; returns the
        best ``top_k`` notes (title, url, text), best first."""
        with span(TOOL, label=f"search: {query[:40]}"):
            await self.async_sleep(self.latency_s)
            return self._results(query, top_k)
