"""One fake Gemini for a classroom: ``python -m course_lib serve`` starts it, each student's
setup cell joins it (``setup(server=URL, name=...)``), and ``/dashboard`` shows the room."""

from course_lib.room.server import RoomServer, read_keys
from course_lib.room.stats import RoomStats

__all__ = ["RoomServer", "RoomStats", "read_keys"]
