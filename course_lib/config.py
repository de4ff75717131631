"""Settings every module shares: the model the lessons call, and environment names.

Model names get retired: the models, their limits and prices are in ``course_lib.catalogue``,
which names the default; COURSE_MODEL, read once at import, names another of its models.
"""

from __future__ import annotations

import os

from course_lib import catalogue

ENV_MODEL = "COURSE_MODEL"  # another model for every lesson (live mode says when one is needed)


def model_from_environment() -> str:
    """The model the lessons call: COURSE_MODEL if set, else the catalogue's default."""
    return os.environ.get(ENV_MODEL) or catalogue.DEFAULT_MODEL


DEFAULT_MODEL = model_from_environment()

#: Environment variables the kit reads. The SDK itself reads the first three.
ENV_API_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
ENV_BASE_URL = "GOOGLE_GEMINI_BASE_URL"
LIVE_BASE_URL = "https://generativelanguage.googleapis.com/"  # the real Gemini API
ENV_LIVE = "COURSE_LIVE"  # "1" opts in to the real Gemini API (a key is needed too)
ENV_LIVE_BUDGET = "COURSE_LIVE_BUDGET"  # calls allowed per session in live mode
ENV_LIVE_RPM = "COURSE_LIVE_RPM"  # live calls are paced to this many requests a minute
ENV_LIVE_LEDGER = "COURSE_LIVE_LEDGER"  # the file that counts a session's live calls
ENV_LIVE_BASE_URL = "COURSE_LIVE_BASE_URL"  # a stand-in for the real API (tests)
ENV_OWNER = "COURSE_OWNER_PID"  # the process (a kernel) whose worker processes end with it
ENV_SERVER = "COURSE_SERVER"  # a room's fake Gemini (python -m course_lib serve) to join
ENV_NAME = "COURSE_NAME"  # the name a student joins the room with (it is their key there)
ENV_ROOM_KEY = "COURSE_ROOM_KEY"  # the key the room knows this student by, once joined

DEFAULT_LIVE_BUDGET = 20
DEFAULT_LIVE_RPM = 10

#: The key the offline fake is called with. It is not a secret and matches no real key format.
OFFLINE_API_KEY = "offline-fake-key"

#: Set by the kit's traced transports on offline calls, so the fake can tell the kit's traced calls
#: from a learner's plain ones (it logs both). Never sent to the real API.
TRACE_HEADER = "x-course-span"
