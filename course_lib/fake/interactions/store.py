"""The interactions the fake keeps (``store=true``, the default), by id, in bounded memory.

A stored interaction keeps what a later turn or a ``GET`` needs: its answer (steps and usage), the
function calls that wait for results, the tools, and the conversation's size in tokens. It does
not keep the conversation's text: the last prompt is kept as its first 200 characters (all an
answer's topic reads) and its hash, and the input itself only when it is small. The store holds
at most ``max_items`` interactions and about ``max_bytes``; past either, the oldest go first, and
asking for one then gets a 404, as for an interaction that has expired.

>>> store = Store(max_items=2)
>>> for n in range(3):
...     store.put(Stored(f"v1_{n}", "project", "m", {"status": "completed"}))
>>> store.get("v1_0", "project") is None, store.get("v1_2", "project").model
(True, 'm')
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

_KEEP_INPUT_BYTES = 8 * 1024  # an input larger than this is not kept for GET ?include_input=true
_TOPIC_CHARS = 200


@dataclass
class Stored:
    """One interaction as the store keeps it."""

    id: str
    project: str  # whose it is: another project's key gets a 404
    model: str
    body: dict[str, Any]  # the Interaction resource, completed (or failed, or cancelled)
    input_steps: list[dict[str, Any]] | None = None  # None: too large to keep
    pending: dict[str, str] = field(default_factory=dict)  # function call id -> name
    signatures: list[str] = field(default_factory=list)
    declarations: list[dict[str, Any]] | None = None
    context_tokens: int = 0  # the conversation so far, without its system instruction
    system_tokens: int = 0  # the system instruction in force, carried to the next turn
    topic: str = (
        ""  # the last prompt's first characters: what an answer after tool results is about
    )
    prompt_hash: str = ""
    ready_at: float = 0.0  # a background interaction completes then (the fake's clock)
    cancelled: bool = False
    size: int = 0  # bytes, roughly: what the store's budget counts

    def __post_init__(self) -> None:
        if self.input_steps is not None:
            kept = json.dumps(self.input_steps)
            self.input_steps = self.input_steps if len(kept) <= _KEEP_INPUT_BYTES else None
        self.size = len(json.dumps(self.body)) + len(json.dumps(self.declarations))
        self.size += len(json.dumps(self.input_steps)) + len(json.dumps(self.pending)) + 256

    def remember_prompt(self, prompt: str) -> None:
        """Keep ``prompt`` by its hash, and its opening as the topic of later answers."""
        self.topic = prompt[:_TOPIC_CHARS]
        self.prompt_hash = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()


class Store:
    """Interactions by id, oldest first out, within ``max_items`` and about ``max_bytes``."""

    def __init__(self, max_items: int = 10_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_items, self.max_bytes = max_items, max_bytes
        self._items: OrderedDict[str, Stored] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, stored: Stored) -> None:
        with self._lock:
            old = self._items.pop(stored.id, None)
            self._bytes -= old.size if old is not None else 0
            self._items[stored.id] = stored
            self._bytes += stored.size
            while self._items and (
                len(self._items) > self.max_items or self._bytes > self.max_bytes
            ):
                _, gone = self._items.popitem(last=False)
                self._bytes -= gone.size

    def get(self, interaction_id: str, project: str) -> Stored | None:
        with self._lock:
            stored = self._items.get(interaction_id)
        return stored if stored is not None and stored.project == project else None

    def delete(self, interaction_id: str, project: str) -> bool:
        with self._lock:
            stored = self._items.get(interaction_id)
            if stored is None or stored.project != project:
                return False
            del self._items[interaction_id]
            self._bytes -= stored.size
            return True

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes
