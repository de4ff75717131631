"""A student's side of a room's fake Gemini (``python -m course_lib serve``): joining points this
process, an unchanged ``genai.Client()`` and worker processes at the room's server, with the
student's name as their key there. A real key in the environment is put aside while in the room
(it would otherwise be sent to the instructor's machine) and put back on leaving.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import httpx

from course_lib.config import DEFAULT_MODEL, ENV_API_KEYS, ENV_BASE_URL, ENV_ROOM_KEY
from course_lib.machine import fresh_forkserver

#: what serve's join line says to replace: a room where everyone pasted it is one student
PLACEHOLDERS = {"their own name", "their name", "your name", "name"}


@dataclass
class Room:
    url: str
    key: str
    put_aside: dict[str, str] = field(default_factory=dict)  # the environment's own keys

    def status(self) -> str:
        return (
            f"Room: the class's fake Gemini at {self.url} answers as {DEFAULT_MODEL}; you are "
            f"{self.key!r} there (its limits are the instructor's)."
        )

    def leave(self) -> None:
        """Point nothing at the room any more, and put the environment's own keys back."""
        for name in (ENV_BASE_URL, ENV_ROOM_KEY, *ENV_API_KEYS):
            if name == ENV_BASE_URL and os.environ.get(name) != self.url:
                continue  # set by hand since: not ours to remove
            os.environ.pop(name, None)
        os.environ.update(self.put_aside)
        fresh_forkserver()


def join_room(server: str, name: str | None) -> tuple[Room | None, str]:
    """(the room, the setup cell's line) if the server answers, else (None, why, in one line)."""
    url = server.strip().rstrip("/").removesuffix("/dashboard")  # the dashboard's address pasted
    if not url.startswith(("http://", "https://")):
        return None, (
            f"server must be the address your instructor gave, like http://192.168.1.20:8765 "
            f"(got {server!r}); working alone on this machine's fake meanwhile."
        )
    key = (name or "").strip()
    if not key or key.lower() in PLACEHOLDERS:
        return None, (
            'setup(server=..., name="ana"), with your own name: the room tells students apart by '
            "it; working alone on this machine's fake meanwhile."
        )
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", key):
        return None, (
            f"name must be plain letters, digits, '-', '_' or '.' (it is your key on the room's "
            f"server), like 'zoe' or 'k-3f9a', not {key!r}; working alone on this machine's fake "
            "meanwhile."
        )
    try:
        reply = httpx.get(f"{url}/v1/models", headers={"x-goog-api-key": key}, timeout=5.0)
    except httpx.HTTPError as error:
        return None, (
            f"The room's server at {url} does not answer ({type(error).__name__}): check the "
            "address with your instructor; working alone on this machine's fake meanwhile."
        )
    if reply.status_code == 404:
        return None, (
            f"{url} is not the room's server's address (404): use the one `serve` printed; "
            "working alone on this machine's fake meanwhile."
        )
    if reply.status_code != 200:
        return None, (
            f"The room's server at {url} refused {key!r} ({reply.status_code}): ask your "
            "instructor for your key; working alone on this machine's fake meanwhile."
        )
    room = Room(url, key)
    for variable in ENV_API_KEYS:  # a real key is never sent to the room
        if variable in os.environ:
            room.put_aside[variable] = os.environ.pop(variable)
    os.environ.update({ENV_BASE_URL: url, ENV_ROOM_KEY: key, "GEMINI_API_KEY": key})
    fresh_forkserver()
    return room, room.status()
