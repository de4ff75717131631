"""What this Python process knows about Gemini, in one object: the fake that offline clients talk
to, its loopback server, and the live mode's call budget.

The notebook-facing functions (``use_fake``, ``offline``, ``setup``, ``live_status``) act on the
one ``SESSION``; tests start each test from ``SESSION.reset()``.

>>> SESSION.live_status()
'Offline: the fake Gemini answers as gemini-3.6-flash (no key needed, nothing leaves this machine).'
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from course_lib import ranges, values
from course_lib.client.live import (
    NO_KEY,
    LiveBudget,
    budget_from_environment,
    check_live,
    check_model,
    find_key,
    live_rpm,
)
from course_lib.client.room import Room, join_room
from course_lib.config import (
    DEFAULT_MODEL,
    ENV_API_KEYS,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_LIVE_LEDGER,
    ENV_MODEL,
    ENV_NAME,
    ENV_OWNER,
    ENV_SERVER,
    OFFLINE_API_KEY,
)
from course_lib.fake.gemini import FakeGemini

if TYPE_CHECKING:
    from course_lib.fake.server import FakeServer


class Session:
    def __init__(self) -> None:
        self.fake: FakeGemini | None = None
        self.server: FakeServer | None = None
        self._budget: LiveBudget | None = None
        self.live_clients = 0  # live clients made, whether by COURSE_LIVE or live=True
        self.room: Room | None = None  # the room's server this session joined, if any

    @property
    def live_budget(self) -> LiveBudget:
        """The session's count of live calls, shared with its worker processes (they inherit
        COURSE_LIVE_LEDGER, the file that holds it)."""
        if self._budget is None:
            self._budget = LiveBudget()
            os.environ[ENV_LIVE_LEDGER] = self._budget.ledger
        return self._budget

    # -- the fake, in-process and on loopback ----------------------------------------------------
    def current_fake(self) -> FakeGemini:
        return self.fake or self.use_fake()

    def use_fake(self, **settings: Any) -> FakeGemini:
        """Replace the fake that offline clients talk to, e.g. ``use_fake(latency=3.0, rpm=10)``.

        Takes the arguments of ``FakeGemini``. Clients made earlier keep talking to the old fake,
        except through ``offline()``'s server, which always serves the current one.
        """
        values.known("use_fake", settings, (f.name for f in fields(FakeGemini) if f.init))
        self.fake = FakeGemini(**settings)
        if self.server is not None:
            self.server.fake = self.fake
        if self.room is not None:  # a lesson's own limits: the room's are the instructor's
            self.leave_room()  # every client, genai.Client() and worker processes: here now
            self.offline()
            print(
                "Your calls now go to a fake of this notebook's own, on this machine (the lesson "
                "sets its limits); print(setup(server=..., name=...)) joins the room again."
            )
        return self.fake

    def offline(self) -> str:
        """Serve the fake on loopback and point the SDK's environment at it; returns the URL.

        After this, code copied from the docs, ``genai.Client()`` with no arguments, reaches the
        fake too (the SDK reads GOOGLE_GEMINI_BASE_URL), and so do worker processes, which inherit
        the environment. A key already in the environment is left alone; the fake takes any key.
        """
        if self.server is None:
            from course_lib.fake.server import FakeServer  # aiohttp: only when serving

            self.server = FakeServer(self.current_fake())
        url = self.server.start()
        os.environ[ENV_BASE_URL] = url
        if not any(os.environ.get(name) for name in ENV_API_KEYS):
            os.environ["GEMINI_API_KEY"] = OFFLINE_API_KEY
        return url

    def fake_url(self) -> str:
        """The URL of the fake's loopback server, for a client that is told where to send (the
        old ``google-generativeai``'s ``api_endpoint``): started if it is not serving, live mode
        included, without changing where any other client sends."""
        if self.server is None:
            from course_lib.fake.server import FakeServer

            self.server = FakeServer(self.current_fake())
        return self.server.start()

    def stop_offline(self) -> None:
        """Stop the loopback server and forget the environment ``offline()`` set."""
        if self.server is not None:
            if os.environ.get(ENV_BASE_URL) == self.server.url:  # ours: not one set by hand
                os.environ.pop(ENV_BASE_URL, None)
            self.server.stop()
            self.server = None
        if os.environ.get("GEMINI_API_KEY") == OFFLINE_API_KEY:
            del os.environ["GEMINI_API_KEY"]

    # -- live mode -------------------------------------------------------------------------------
    def setup(
        self, live: bool = False, *, server: str | None = None, name: str | None = None
    ) -> str:
        """The setup cell's one call: returns one line saying which Gemini answers.

        Offline by default: the fake Gemini is served on loopback, so ``gemini_client()`` and even
        an unchanged ``genai.Client()`` reach it. With ``live=True`` and a key, ``gemini_client()``
        calls the real API, at most COURSE_LIVE_BUDGET calls; without a key it stays offline and
        says why. Live, it checks that the API serves the lessons' model (``DEFAULT_MODEL``, or
        COURSE_MODEL) to this key, and says which to set if it does not. The scenario runners
        and panels always use the fake: their latency is a setting.

        In a workshop, ``server`` (or COURSE_SERVER) is the room's fake Gemini, served by the
        instructor (``python -m course_lib serve``), and ``name`` (or COURSE_NAME) the key the
        room knows you by: ``gemini_client()``, an unchanged ``genai.Client()`` and worker
        processes then call it, and share its limits as the instructor set them.
        """
        ranges.check(ENV_MODEL, DEFAULT_MODEL)  # a retired or unknown COURSE_MODEL: one line
        if not isinstance(live, bool):
            return (
                f"setup(live=...) takes True or False, not {live!r}; to join a room: "
                'setup(server="http://ADDRESS:8765", name="ana")'
            )
        os.environ[ENV_OWNER] = str(os.getpid())  # worker processes end when this one does
        self.leave_room()
        server = server or os.environ.get(ENV_SERVER)
        unused = f" (live mode: the room's server at {server} is not used)" if server else ""
        if server and not live:
            self.stop_offline()
            self.room, said = join_room(server, name or os.environ.get(ENV_NAME))
            if self.room is not None:
                return said
            self.offline()
            return said
        key = find_key() if live else None
        problem = NO_KEY if live and key is None else None
        if key is not None:  # never asked offline: nothing leaves the machine
            problem, served = check_live(key)
            problem = problem or check_model(DEFAULT_MODEL, served)
        if live and problem is None:
            self.stop_offline()
            os.environ[ENV_LIVE] = "1"
            self.live_budget  # noqa: B018 (made now, so worker processes started later share it)
            return self.live_status() + unused
        os.environ.pop(ENV_LIVE, None)
        self.live_clients = 0  # clients made live earlier keep working; new ones are offline
        self.offline()
        return (problem or self.live_status()) + unused

    def leave_room(self) -> None:
        if self.room is not None:
            self.room.leave()
            self.room = None

    def live_status(self) -> str:
        """One line for the setup cell: which Gemini you are talking to. Never shows the key."""
        if self.room is not None:
            return self.room.status()
        if os.environ.get(ENV_LIVE) != "1" and not self.live_clients:
            return (
                f"Offline: the fake Gemini answers as {DEFAULT_MODEL} (no key needed, nothing "
                "leaves this machine)."
            )
        if find_key() is None:
            return NO_KEY
        return (
            f"Live: the real Gemini API ({DEFAULT_MODEL}), {self.live_budget.used} of "
            f"{budget_from_environment()} calls used this session, at most {live_rpm()} a minute."
        )

    def reset(self) -> None:
        """Back to a fresh session: no server, the default fake, no live calls counted."""
        self.leave_room()
        self.stop_offline()
        self.fake = None
        if self._budget is not None:
            with contextlib.suppress(OSError):
                os.remove(self._budget.ledger)
            os.environ.pop(ENV_LIVE_LEDGER, None)
        self._budget = None
        self.live_clients = 0


SESSION = Session()


def use_fake(**settings: Any) -> FakeGemini:
    return SESSION.use_fake(**settings)


use_fake.__doc__ = Session.use_fake.__doc__


def offline() -> str:
    return SESSION.offline()


offline.__doc__ = Session.offline.__doc__


def setup(live: bool = False, *, server: str | None = None, name: str | None = None) -> str:
    return SESSION.setup(live, server=server, name=name)


def fake_url() -> str:
    return SESSION.fake_url()


fake_url.__doc__ = Session.fake_url.__doc__


setup.__doc__ = Session.setup.__doc__


def live_status() -> str:
    return SESSION.live_status()


live_status.__doc__ = Session.live_status.__doc__
