"""One fake Gemini for a room: the instructor's server, a student joining it, the dashboard."""

import asyncio
import multiprocessing
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import httpx
import pytest
from google import genai

from course_lib import DEFAULT_MODEL, gemini_client, setup, use_fake
from course_lib.client.session import SESSION
from course_lib.fake import FakeGemini
from course_lib.room import RoomServer, read_keys
from course_lib.trace.spans import IN_FLIGHT
from course_lib.view.timeline import FAILED, PHASE_STYLE, REFUSED

ASK = f"/v1/models/{DEFAULT_MODEL}:generateContent"
BODY = {"contents": [{"parts": [{"text": "Explain the GIL in 20 words"}]}]}


@pytest.fixture
def room():
    server = RoomServer(FakeGemini(latency=0.0), projects=1)
    url = server.start()
    yield server, url
    server.stop()


def _calls_of(server, name):
    return {s["name"]: s["calls"] for s in server.stats.snapshot()["students"]}.get(name, 0)


def test_a_student_joins_and_every_way_in_reaches_the_room(room):
    server, url = room
    said = setup(server=url, name="ana")
    assert said.startswith("Room: the class's fake Gemini at " + url) and "'ana'" in said, said
    gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    plain = genai.Client()  # unchanged, as the docs write it
    plain.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:  # workers inherit the room
        from course_lib.pool_tasks import ask

        assert all(list(pool.map(ask, ["one", "two"])))
    assert _calls_of(server, "ana") == 4
    assert [s["project"] for s in server.stats.snapshot()["students"]] == ["project-1"]


def test_a_real_key_is_put_aside_in_the_room_and_back_after_it(room, monkeypatch):
    server, url = room
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-a-real-key")
    setup(server=url, name="ben")
    plain = genai.Client()
    plain.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    names = [s["name"] for s in server.stats.snapshot()["students"]]
    assert names == ["ben"] and "GOOGLE_API_KEY" not in os.environ  # never sent to the room
    setup()  # alone again, offline
    assert os.environ["GOOGLE_API_KEY"] == "AIza-a-real-key"
    assert os.environ.get("GOOGLE_GEMINI_BASE_URL") != url


@pytest.mark.parametrize(
    ("server", "name", "says"),
    [
        ("http://127.0.0.1:9", "ana", "does not answer"),
        ("192.168.1.20:8765", "ana", "like http://"),
        (None, "", "with your own name"),
        (None, "their own name", "with your own name"),  # serve's line pasted as it is
        (None, "Zoë", "plain letters"),  # it is a key: an HTTP header
        ("/v1", "ana", "is not the room's server's address (404)"),
    ],
)
def test_a_room_that_cannot_be_joined_is_one_line_and_the_fake_answers(room, server, name, says):
    said = setup(server=room[1] + server if server == "/v1" else server or room[1], name=name)
    assert says in said and "working alone" in said and "\n" not in said, said
    reply = gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert reply.text and SESSION.room is None
    assert room[0].stats.snapshot()["students"] == []


def test_a_key_the_room_does_not_know_is_told_to_ask_for_one(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("# key project name\nk-3f9a room-1 Ana\nk-77b0 room-2\n")
    assert read_keys(keys) == {"k-3f9a": ("room-1", "Ana"), "k-77b0": ("room-2", None)}
    server = RoomServer(FakeGemini(latency=0.0), keys=read_keys(keys))
    with server as url:
        assert "refused 'guess'" in setup(server=url, name="guess")
        assert setup(server=url, name="k-3f9a").startswith("Room:")
        gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi")
        (student,) = server.stats.snapshot()["students"]
        assert (student["name"], student["project"], student["calls"]) == ("Ana", "room-1", 1)


def test_a_lesson_that_sets_its_own_fake_says_so_and_keeps_its_calls_here(room, capsys):
    server, url = room
    setup(server=url, name="ana")
    use_fake(latency=0.0, rpm=2, window_s=1.5)
    assert "a fake of this notebook's own, on this machine" in capsys.readouterr().out
    gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    plain = genai.Client()  # as in the docs
    plain.models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        seen = pool.submit(_environment_seen, "GOOGLE_GEMINI_BASE_URL").result()
    assert SESSION.server is not None and seen == SESSION.server.url != url
    assert _calls_of(server, "ana") == 0
    assert SESSION.live_status().startswith("Offline:")
    assert setup(server=url, name="ana").startswith("Room:")  # and back
    gemini_client().models.generate_content(model=DEFAULT_MODEL, contents="Hi")
    assert _calls_of(server, "ana") == 1


@pytest.mark.parametrize(("projects", "rpm"), [(None, 5), (1, 30)], ids=["one each", "one room"])
def test_thirty_students_as_fast_as_they_can_get_what_their_projects_allow(projects, rpm):
    """30 clients with keys of their own, as fast as they can for 3 windows of 1 s. One project
    each (rpm 5): every student gets 5 a window and no more (Jain's fairness index near 1.0).
    The whole room on one project (rpm 30): no window admits more than 30. Who gets a shared
    project's next slot is a race (first come, first served, as on the real API), so how the 30
    are shared out is chance and is not asserted."""
    fake = FakeGemini(latency=0.0, rpm=rpm, window_s=1.0)
    server = RoomServer(fake, projects=projects)
    with server as url:

        async def student(k: int, until: float) -> None:
            async with httpx.AsyncClient(base_url=url) as client:
                while time.perf_counter() < until:
                    reply = await client.post(ASK, json=BODY, headers={"x-goog-api-key": f"s{k}"})
                    if reply.status_code == 429:
                        await asyncio.sleep(0.05)

        async def room() -> None:
            until = time.perf_counter() + 2.9
            await asyncio.gather(*(student(k, until) for k in range(30)))

        asyncio.run(room())
    answered = sorted(call.start for call in fake.log if call.status == 200)
    for k, start in enumerate(answered):  # any 1 s holds at most the room's allowance
        assert sum(1 for t in answered[k:] if t < start + 0.999) <= (rpm if projects else 30 * rpm)
    got = [s["calls"] - s["refused"] - s["failed"] for s in server.stats.snapshot()["students"]]
    assert len(got) == 30 and sum(got) == len(answered)
    if projects is None:
        # at most 3 windows each (fewer when a busy machine slows 30 clients in one process),
        # and none left out
        assert min(got) >= 1 and max(got) <= 3 * rpm, got
        assert sum(got) ** 2 / (len(got) * sum(n * n for n in got)) > 0.97, got


def test_the_dashboard_shows_each_student_their_project_and_the_rooms_429s():
    server = RoomServer(FakeGemini(latency=0.0, rpm=2), projects=1)
    with server as url:
        for key in ("ana", "ben", "chloe"):
            httpx.post(url + ASK, json=BODY, headers={"x-goog-api-key": key})
        state = httpx.get(url + "/dashboard/state").json()
        page = httpx.get(url + "/dashboard")
    assert state["room"]["rpm"] == 2 and state["room"]["projects"] == 1
    rows = {s["name"]: (s["project"], s["calls"], s["refused"]) for s in state["students"]}
    assert rows == {
        "ana": ("project-1", 1, 0),
        "ben": ("project-1", 1, 0),
        "chloe": ("project-1", 1, 1),
    }
    assert sum(second[2] for second in state["seconds"]) == 1  # one 429 in the room's series
    assert page.status_code == 200 and "The room's fake Gemini" in page.text
    # the course's colours: in flight, refused, failed
    for colour in (PHASE_STYLE[IN_FLIGHT][1], REFUSED[1], FAILED[1]):
        assert colour in page.text


def test_serve_prints_how_to_join_and_stops_by_itself():
    command = [sys.executable, "-m", "course_lib", "serve", "--port", "0", "--minutes", "0.02"]
    bad = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "port must be" in bad.stderr
    with socket_port() as port:
        command[5] = str(port)
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f'print(setup(server="http://127.0.0.1:{port}", name="their own name"))' in done.stdout
    assert "stopped: the time given with --minutes is up" in done.stdout and not done.stderr
    taken = RoomServer(FakeGemini(latency=0.0), port=0)
    with taken as url:
        command[5] = url.rsplit(":", 1)[1]
        busy = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert busy.returncode == 2 and re.search(r"cannot listen on .*another program", busy.stderr)


class socket_port:
    """A port free a moment ago (the OS picks it, then lets it go)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        pass


def test_the_dashboards_address_pasted_joins_and_wrong_calls_of_setup_get_a_line(room):
    server, url = room
    assert setup(server=url + "/dashboard", name="ana").startswith(
        f"Room: the class's fake Gemini at {url} "
    )
    said = setup(url)  # the address where live=... goes
    assert said.startswith("setup(live=...) takes True or False") and "\n" not in said
    said = setup(True, server=url, name="ana")  # live: no key here
    assert said.endswith(f"(live mode: the room's server at {url} is not used)"), said


def test_serve_refuses_projects_that_are_neither_each_nor_a_number_it_allows():
    # its other values are the table of limits' (tests/test_values.py tries each, as typed)
    for said in ("0", "100001", "two", "1.5"):
        command = [
            sys.executable,
            "-m",
            "course_lib",
            "serve",
            "--projects",
            said,
            "--minutes",
            "0.01",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stderr == (
            f"error: projects must be 'each' or a whole number, from 1 to 10000 (got {said!r})\n"
        ), done.stderr


def _environment_seen(name: str) -> str | None:
    return os.environ.get(name)


def test_a_pool_started_after_joining_sees_the_room_even_with_a_fork_server_from_before(room):
    from course_lib.machine import default_start_method

    method = default_start_method()
    context = multiprocessing.get_context(method)
    setup()  # alone: the fork server (where there is one) starts with the laptop's fake
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        before = pool.submit(_environment_seen, "GOOGLE_GEMINI_BASE_URL").result()
    server, url = room
    setup(server=url, name="ana")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(_environment_seen, "GOOGLE_GEMINI_BASE_URL").result() == url
        assert pool.submit(_environment_seen, "COURSE_ROOM_KEY").result() == "ana"
    setup()  # and back
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        after = pool.submit(_environment_seen, "GOOGLE_GEMINI_BASE_URL").result()
    assert after not in (None, url) and before != url, (before, after)


def test_a_script_of_random_keys_grows_nothing_past_its_bounds(monkeypatch):
    from course_lib.room import server as room_server
    from course_lib.room import stats

    monkeypatch.setattr(room_server, "MAX_KEYS", 6)
    monkeypatch.setattr(stats, "MAX_STUDENTS", 3)
    room = RoomServer(FakeGemini(latency=0.0), projects=2)
    with room as url:
        for k in range(20):
            httpx.post(url + ASK, json=BODY, headers={"x-goog-api-key": f"random-{k}"})
    assert len(room.stats.projects) == 6 and len(room.fake.project_of) == 6
    names = [s["name"] for s in room.stats.snapshot()["students"]]
    assert len(names) == 4 and "others" in names  # three students, the rest counted together
    assert room.project_for("random-19") in ("project-1", "project-2")  # still spread


def test_joining_with_a_pool_open_lets_the_old_fork_server_go_without_waiting_for_it():
    """Joining (or leaving) lets this process's fork server go, so that the next pool sees the
    room. With a pool still open, that used to wait for the server to end, which it never does
    while a worker of its lives: the kernel hung. Now the open pool keeps its worker, the next
    pool gets a new server, and the old one ends (and is collected) with its last worker."""
    import threading
    from multiprocessing import forkserver as fork_server

    import psutil

    from course_lib.machine import fresh_forkserver

    fresh_forkserver()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as open_pool:
        worker = open_pool.submit(os.getpid).result()
        old = fork_server._forkserver._forkserver_pid
        letting_go = threading.Thread(target=fresh_forkserver, daemon=True)
        letting_go.start()
        letting_go.join(timeout=30)
        assert not letting_go.is_alive(), "fresh_forkserver() waited for a server that cannot end"
        assert open_pool.submit(os.getpid).result() == worker  # the open pool keeps its worker
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as new:
            new.submit(os.getpid).result()
        assert fork_server._forkserver._forkserver_pid not in (None, old)  # a new server
        assert psutil.pid_exists(old)  # still serving the open pool's worker
    deadline = time.monotonic() + 30
    while psutil.pid_exists(old) and time.monotonic() < deadline:  # ended, and collected
        time.sleep(0.1)
    assert not psutil.pid_exists(old), psutil.Process(old).status()
