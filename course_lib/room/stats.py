"""What a room's server counts for its dashboard: per student (an API key), the calls made, in
flight now, refused (429) and failed; for the room, each second's answers, refusals and calls in
flight. Bounded for a long day: at most ``MAX_STUDENTS`` keys are told apart (the rest are counted
as "others") and the last ``SECONDS_KEPT`` seconds are kept.

>>> stats = RoomStats(clock=lambda: 10.0)
>>> stats.started("ana"); stats.ended("ana", 429)
>>> stats.snapshot()["students"][0]["refused"]
1
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_STUDENTS = 500
SECONDS_KEPT = 600
OTHERS = "others"


@dataclass
class Student:
    name: str
    project: str
    calls: int = 0
    in_flight: int = 0
    refused: int = 0
    failed: int = 0
    last_s: float = 0.0


class RoomStats:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.students: dict[str, Student] = {}
        self.names: dict[str, str] = {}  # key -> the name to show (a key list's third column)
        self.projects: dict[str, str] = {}  # key -> project, as the room's server decided
        # each second: [second, answered, refused, failed, most in flight]
        self.seconds: deque[list[int]] = deque(maxlen=SECONDS_KEPT)
        self._lock = threading.Lock()

    def _student(self, key: str) -> Student:
        if key not in self.students and len(self.students) >= MAX_STUDENTS:
            key = OTHERS
        if key not in self.students:
            name = self.names.get(key) or (key if key == OTHERS else shown_key(key))
            self.students[key] = Student(name, self.projects.get(key, key))
        return self.students[key]

    def _second(self) -> list[int]:
        now = int(self.clock())
        if not self.seconds or self.seconds[-1][0] != now:
            self.seconds.append([now, 0, 0, 0, self.in_flight()])
        return self.seconds[-1]

    def in_flight(self) -> int:
        return sum(s.in_flight for s in self.students.values())

    def started(self, key: str) -> None:
        with self._lock:
            student = self._student(key)
            student.calls += 1
            student.in_flight += 1
            student.last_s = self.clock()
            second = self._second()
            second[4] = max(second[4], self.in_flight())

    def ended(self, key: str, status: int) -> None:
        with self._lock:
            student = self._student(key)
            student.in_flight = max(0, student.in_flight - 1)
            second = self._second()
            if status == 429:
                student.refused += 1
                second[2] += 1
            elif status >= 400:
                student.failed += 1
                second[3] += 1
            else:
                second[1] += 1

    def snapshot(self) -> dict[str, Any]:
        """The dashboard's state, as plain values (it is sent as JSON)."""
        with self._lock:
            now = self.clock()
            students = [
                {
                    "name": s.name,
                    "project": s.project,
                    "calls": s.calls,
                    "in_flight": s.in_flight,
                    "refused": s.refused,
                    "failed": s.failed,
                    "idle_s": round(now - s.last_s, 1),
                }
                for s in sorted(self.students.values(), key=lambda s: s.name)
            ]
            series = [list(second) for second in self.seconds]
        return {"now": int(now), "students": students, "seconds": series}


def shown_key(key: str) -> str:
    """A key as the dashboard shows it: a name typed as a key in full, a long key cut short."""
    return key if len(key) <= 16 else key[:6] + "…" + key[-4:]
