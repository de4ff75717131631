"""Shared set-up: every test starts offline with a fresh session; helpers that wait for a
condition (never for a fixed time) and find worker processes."""

import asyncio
import contextlib
import os
import time

import psutil
import pytest
from _pytest.doctest import DoctestItem

from course_lib.client.session import SESSION
from course_lib.config import (
    ENV_API_KEYS,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_LIVE_BASE_URL,
    ENV_LIVE_BUDGET,
    ENV_LIVE_LEDGER,
    ENV_LIVE_RPM,
    ENV_NAME,
    ENV_OWNER,
    ENV_ROOM_KEY,
    ENV_SERVER,
)
from course_lib.notebook.setup_cell import forget as forget_setup

COURSE_ENVIRONMENT = (
    *ENV_API_KEYS,
    ENV_BASE_URL,
    ENV_LIVE,
    ENV_LIVE_BUDGET,
    ENV_LIVE_LEDGER,
    ENV_LIVE_BASE_URL,
    ENV_LIVE_RPM,
    ENV_OWNER,
    ENV_SERVER,
    ENV_NAME,
    ENV_ROOM_KEY,
)


def pytest_addoption(parser):
    parser.addoption(
        "--colab",
        action="store_true",
        help="the Colab-like environment (make test-colab): lessons 01 and 02 run live against "
        "a loopback stand-in, and no lesson is pinned to a busy core (the main suite does that)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "long_run: a long run built to hold on a busy machine (a lesson, the browser test); make "
        "test runs these on four workers, apart from the tests that measure time",
    )
    config.addinivalue_line(
        "markers",
        "beside_lessons: a test with no timing in it (it checks structure, or a virtual clock): "
        "make test runs it on the workers beside the lessons; so do the doctests",
    )
    config.addinivalue_line(
        "markers",
        "cpu_bound: a timed test whose own work fills a core (process pools, Dask clusters): make "
        "test runs these one after another on one of its three timed workers, so that the other "
        "two, whose tests mostly wait, always have the second core",
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups added here
def pytest_collection_modifyitems(items):
    """The doctests check no timing: they run beside the lessons too. The long runs go first (the
    lessons, the longest first as collected), so that the workers finish together."""
    for item in items:
        if isinstance(item, DoctestItem):
            item.add_marker(pytest.mark.beside_lessons)
        if item.get_closest_marker("cpu_bound"):
            item.add_marker(pytest.mark.xdist_group("cpu-bound"))  # with --dist loadgroup
    items.sort(
        key=lambda item: (
            item.get_closest_marker("long_run") is None,
            item.get_closest_marker("cpu_bound") is None,  # the one-worker group starts first
        )
    )


#: Tests whose group xdist lost (pytest_collection_finish): each fails with the reason.
LOST_GROUPS: set[str] = set()


def pytest_collection_finish(session):
    """With ``--dist loadgroup`` each test worker marks a grouped test's id with its groups, and
    the tests of a group go to one worker. Where that mark is lost (pytest 9.2 with pytest-xdist
    3.8: pytest-dev/pytest-xdist#1386; or a group added after xdist read them), the tests of a
    group would run side by side without a word, the pinned lessons and the CPU-filling tests
    too: each of them fails instead."""
    if getattr(session.config.option, "loadgroup", False):  # set in test workers only
        for item in session.items:
            groups = sorted(
                {
                    str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")
                }
            )
            if groups and not item.nodeid.endswith("@" + "_".join(groups)):  # as xdist writes it
                LOST_GROUPS.add(item.nodeid)


def pytest_runtest_setup(item):
    if item.nodeid in LOST_GROUPS:
        pytest.fail(
            "pytest-xdist's --dist loadgroup lost this test's group: pytest 9.2 cannot keep"
            f" them (pytest-dev/pytest-xdist#1386; this is {pytest.__version__}), or the group"
            " was added after xdist read them. Install what pyproject.toml asks for: make setup",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Every test starts offline with no key, and leaves no fake server and none of the
    environment the kit sets (setup() sets some of it outside monkeypatch's reach) behind."""
    for name in COURSE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    SESSION.reset()
    yield
    SESSION.reset()
    forget_setup()  # setup() leaves every client traced: the next test starts without it
    assert SESSION.server is None
    for name in COURSE_ENVIRONMENT:
        os.environ.pop(name, None)


async def until(condition, timeout=30.0, what="the condition"):
    """Wait, a few milliseconds at a time, until ``condition()`` is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


def children():
    return {p.pid: p for p in psutil.Process().children(recursive=True)}


async def new_workers(before, at_least, timeout=60.0):
    """The worker processes started since ``before`` (a ``children()``), once there are enough
    (the fork server and the resource tracker are not workers)."""
    found = []

    def enough():
        found[:] = [p for pid, p in children().items() if pid not in before and not pool_helper(p)]
        return len(found) >= at_least

    await until(enough, timeout, f"{at_least} worker processes")
    return list(found)


def pool_helper(process, owner=None):
    """The fork server and the resource tracker: started once, shared by every pool of their
    owner (a worker forked by the fork server shows the fork server's command line too, so the
    parent tells them apart)."""
    command = " ".join(process.cmdline())
    owner = os.getpid() if owner is None else owner
    return "resource_tracker" in command or ("forkserver" in command and process.ppid() == owner)


def leftover_workers(workers, timeout=10.0):
    """Which of ``workers`` are still alive after ``timeout`` (the pool's helpers excepted)."""
    _, alive = psutil.wait_procs(workers, timeout=timeout)
    return [p for p in alive if p.is_running() and not pool_helper(p)]


@contextlib.contextmanager
def http_to(fake, way: str):
    """An httpx client and the fake's base URL, ``way`` in: "in-process" (its router as
    the client's transport) or "loopback" (its server)."""
    import httpx

    from course_lib.fake.server import FakeServer
    from course_lib.fake.transport import FAKE_BASE_URL, fake_router

    if way == "in-process":
        with httpx.Client(transport=httpx.MockTransport(fake_router(fake).handler)) as client:
            yield client, FAKE_BASE_URL
    else:
        with FakeServer(fake) as url, httpx.Client(timeout=30) as client:
            yield client, url
