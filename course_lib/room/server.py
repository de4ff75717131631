"""One fake Gemini for a room: the instructor serves it (``python -m course_lib serve``), each
student's setup cell joins it (``setup(server=URL, name="ana")``), and 429s land as they would on
real projects: keys belong to projects as the instructor decides (one each, or the room spread over
N), and every project has the limits given. ``/dashboard`` shows the room live in a browser.

>>> room = RoomServer(FakeGemini(latency=0.0, rpm=2), projects=1)
>>> url = room.start()
>>> import httpx
>>> ask = f"{url}/v1/models/gemini-3.6-flash:generateContent"
>>> body = {"contents": [{"parts": [{"text": "Hi"}]}]}
>>> [httpx.post(ask, json=body, headers={"x-goog-api-key": k}).status_code for k in "abc"]
[200, 200, 429]
>>> [s["project"] for s in httpx.get(f"{url}/dashboard/state").json()["students"]]
['project-1', 'project-1', 'project-1']
>>> room.stop()
"""

from __future__ import annotations

import json
import threading
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from course_lib.fake.gemini import FakeGemini
from course_lib.fake.server import FakeServer
from course_lib.ranges import check
from course_lib.room.stats import MAX_STUDENTS, RoomStats
from course_lib.values import SettingError

MAX_KEYS = 2 * MAX_STUDENTS  # keys whose project is remembered
#: requests a dashboard counts: the calls that spend a quota (not model lists, not the page)
_CALLS = (":generateContent", ":streamGenerateContent", "/interactions", ":batchGenerateContent")


class RoomServer(FakeServer):
    """``FakeServer`` for a room. ``projects``: None for one project per key (the API's default
    for keys of separate projects), or N to spread the keys, in the order they are first seen,
    over N projects (1: the whole room on one project's limits). ``keys``: key -> (project or
    None, name or None), the only keys accepted (None: any non-empty key)."""

    def __init__(
        self,
        fake: FakeGemini,
        host: str = "127.0.0.1",
        port: int = 0,
        projects: int | None = None,
        keys: dict[str, tuple[str | None, str | None]] | None = None,
    ) -> None:
        super().__init__(fake, host=host, port=port)
        if projects is not None:  # None: one project per key
            check("projects", projects)
        self.projects = projects
        self.stats = RoomStats()
        self._assigning = threading.Lock()
        self._turns = 0  # keys given a project in turn so far
        fake.project_of = dict(fake.project_of or {})
        if keys is not None:
            fake.keys = tuple(keys)
            for key, (project, name) in keys.items():
                if project:
                    fake.project_of[key] = project
                if name:
                    self.stats.names[key] = name

    def project_for(self, key: str) -> str:
        """The project a key's calls count against, decided when it is first seen (the first
        MAX_KEYS keys in turn; any more, a room's worth of mistakes or a script of random keys,
        by their hash, remembered nowhere: memory stays bounded)."""
        project_of = self.fake.project_of if self.fake.project_of is not None else {}
        with self._assigning:
            if key in project_of or self.projects is None:
                project = project_of.get(key, key)
            elif self._turns < MAX_KEYS:
                project = project_of[key] = f"project-{self._turns % self.projects + 1}"
                self._turns += 1
            else:
                project = f"project-{zlib.crc32(key.encode()) % self.projects + 1}"
            if key in self.stats.projects or len(self.stats.projects) < MAX_KEYS:
                self.stats.projects[key] = project
            return project

    def middlewares(self) -> list[Any]:
        return [self._tally]

    @web.middleware
    async def _tally(self, request: web.Request, handler: Any) -> web.StreamResponse:
        key = request.headers.get("x-goog-api-key") or request.query.get("key", "")
        if not key or request.method != "POST" or not request.path.endswith(_CALLS):
            return await handler(request)
        self.project_for(key)
        self.stats.started(key)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            self.stats.ended(key, status)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/dashboard", self._page)
        app.router.add_get("/dashboard/state", self._state)

    async def _page(self, request: web.Request) -> web.Response:
        page = resources.files("course_lib.room").joinpath("dashboard.html").read_text("utf-8")
        return web.Response(text=page, content_type="text/html")

    async def _state(self, request: web.Request) -> web.Response:
        fake = self.fake
        state = {
            "room": {
                "rpm": fake.rpm,
                "tpm": fake.tpm,
                "rpd": fake.rpd,
                "window_s": fake.window_s,
                "projects": "one per student" if self.projects is None else self.projects,
            },
            **self.stats.snapshot(),
        }
        return web.Response(text=json.dumps(state), content_type="application/json")


def read_keys(path: Path) -> dict[str, tuple[str | None, str | None]]:
    """A key list: one key a line, then optionally its project and the name to show
    (``k-3f9a room-1 Ana``); blank lines and lines starting with # are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SettingError(f"cannot read the key list {path}: {error.strerror}") from None
    keys: dict[str, tuple[str | None, str | None]] = {}
    for line in lines:
        words = line.split(maxsplit=2)
        if words and not words[0].startswith("#"):
            keys[words[0]] = (
                words[1] if len(words) > 1 else None,
                words[2] if len(words) > 2 else None,
            )
    if not keys:
        raise SettingError(f"the key list {path} has no key: one key a line")
    return keys
