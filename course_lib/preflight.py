"""``python -m course_lib doctor``: is this machine ready for the course? One line a check, and
what to do when one fails, in well under 30 seconds: Python, the packages the lessons import, the
cores this process may use, its memory, a process pool starting, the widgets' front end, the
fake answering, the room's server if one is set (``--server`` or COURSE_SERVER) and live mode
if asked (``--live``). Exit status 0 when nothing failed (warnings allowed), else 1.

>>> check_python((3, 10, 4)).ok
False
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from course_lib.config import DEFAULT_MODEL, ENV_SERVER
from course_lib.machine import default_start_method, effective_cpu_count, memory_limit

#: (distribution, import name, the lowest version the kit runs with) of what the lessons import
NEEDED = (
    ("google-genai", "google.genai", (3, 0)),
    ("ipywidgets", "ipywidgets", (7, 6)),
    ("plotly", "plotly", (5, 24)),
    ("anywidget", "anywidget", (0, 9)),
    ("nest-asyncio2", "nest_asyncio2", (1, 7)),
    ("aiohttp", "aiohttp", (3, 9)),
    ("dask", "dask", (2024, 8)),
)
INSTALL = "run `make lab` in the course's folder (or `pip install -e '.[lab]'`)"


@dataclass(frozen=True)
class Check:
    ok: bool
    line: str  # what was found, and what to do if it is not right
    warning: bool = False  # works, but a lesson will look different (one core, say)

    def shown(self) -> str:
        mark = "ok  " if self.ok and not self.warning else "note" if self.ok else "FIX "
        return f"{mark}  {self.line}"


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    shown = ".".join(map(str, version))
    if version < (3, 11):
        return Check(
            False,
            f"Python {shown}: the course needs 3.11 or newer (google-genai 3.x "
            "does); install one and make the course's venv with it",
        )
    return Check(True, f"Python {shown}")


def check_packages() -> list[Check]:
    checks = []
    for distribution, _, lowest in NEEDED:
        try:
            found = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            checks.append(Check(False, f"{distribution} is not installed: {INSTALL}"))
            continue
        if _version(found) < lowest:
            wanted = ".".join(map(str, lowest))
            checks.append(Check(False, f"{distribution} {found} is older than {wanted}: {INSTALL}"))
        else:
            checks.append(Check(True, f"{distribution} {found}"))
    return checks


def check_widgets() -> Check:
    """The widgets' front end: JupyterLab and Notebook 7 draw ipywidgets 8 with
    jupyterlab_widgets, the classic notebook and Colab ipywidgets 7 with widgetsnbextension."""
    try:
        major = _version(metadata.version("ipywidgets"))[0]
    except metadata.PackageNotFoundError:
        return Check(False, f"ipywidgets is not installed, so no panel or live timeline: {INSTALL}")
    front = "jupyterlab_widgets" if major >= 8 else "widgetsnbextension"
    try:
        metadata.version(front)
    except metadata.PackageNotFoundError:
        return Check(False, f"ipywidgets {major} without {front}: panels will not draw; {INSTALL}")
    return Check(True, f"widget packages: ipywidgets {major} with {front}")


def check_cores() -> Check:
    cores = effective_cpu_count()
    if cores < 2:
        return Check(
            True,
            "1 core this process may use: lessons 03-04's parallel runs cannot be "
            "faster than one process here; each lesson says what to expect",
            warning=True,
        )
    return Check(True, f"{cores} cores this process may use")


#: Memory measured with bench/binder_memory.py (docs/performance.md): a lesson's kernel after
#: its run, lesson 08's while its cluster runs, and all nine kernels left running at the peak.
KERNEL_MIB, LESSON_08_MIB, ALL_OPEN_MIB = 200, 820, 2_430


def check_memory(limit: int | None = None) -> Check:
    limit = limit if limit is not None else memory_limit()
    if limit is None:
        return Check(True, "memory: not known here", warning=True)
    gib = limit / 2**30
    if limit < 3 * 2**30:  # all nine kernels at once (2.4 GiB) and the browser need more
        return Check(
            True,
            f"{gib:.1f} GiB of memory here: each lesson's kernel keeps about {KERNEL_MIB} MiB "
            f"and lesson 08 takes about {LESSON_08_MIB} MiB while it runs; shut a lesson down "
            "(File > Close and Shut Down Notebook) before opening the next",
            warning=True,
        )
    return Check(
        True,
        f"{gib:.0f} GiB of memory: enough for every lesson's kernel at once "
        f"({ALL_OPEN_MIB / 1024:.1f} GiB at most), if little else runs",
    )


def check_pool() -> Check:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    method = default_start_method()
    start = time.perf_counter()
    try:
        with ProcessPoolExecutor(1, mp_context=get_context(method)) as pool:
            pool.submit(os.getpid).result(timeout=60)
    except Exception as error:  # the lessons' pools would fail the same way
        return Check(
            False,
            f"a process pool ({method}) did not start ({type(error).__name__}: "
            f"{error}): lessons 03-05 need one; restart the kernel or the machine",
        )
    return Check(True, f"a process pool ({method}) started in {time.perf_counter() - start:.1f} s")


def check_fake() -> Check:
    try:
        from course_lib.client.factory import gemini_client
        from course_lib.fake.gemini import FakeGemini

        client = gemini_client(live=False, fake=FakeGemini(latency=0.0))
        text = client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text
    except Exception as error:
        return Check(
            False,
            f"the fake Gemini did not answer ({type(error).__name__}: {error}): "
            f"{INSTALL}, then ask again",
        )
    return Check(bool(text), f"the fake Gemini answers as {DEFAULT_MODEL}, offline")


def check_room(server: str) -> Check:
    """Whether the room's server answers (any HTTP answer does: with a key list it refuses the
    doctor's name, which is no student's key)."""
    try:
        import httpx
    except ImportError:
        return Check(False, f"httpx is not installed, so no room's server can be asked: {INSTALL}")
    url = server.strip().rstrip("/").removesuffix("/dashboard")
    try:
        httpx.get(f"{url}/v1/models", headers={"x-goog-api-key": "doctor"}, timeout=5.0)
    except (httpx.HTTPError, ValueError) as error:
        return Check(
            False,
            f"the room's server at {url} does not answer "
            f"({type(error).__name__}): check the address (and that it was started "
            "with --host 0.0.0.0 if it is another machine)",
        )
    return Check(True, f"the room's server at {url} answers")


def check_live() -> Check:
    from course_lib.client.live import check_live as ask
    from course_lib.client.live import find_key

    key = find_key()
    if key is None:
        return Check(
            False,
            "live mode: no key (GEMINI_API_KEY or GOOGLE_API_KEY): get one at "
            "aistudio.google.com, or stay offline (the default)",
        )
    problem, served = ask(key)
    if problem is not None:
        return Check(False, f"live mode: {problem}")
    if DEFAULT_MODEL not in served:
        return Check(
            False,
            f"live mode: the key works but is not served {DEFAULT_MODEL}; set "
            "COURSE_MODEL to one it is",
        )
    return Check(True, f"live mode: the key works and is served {DEFAULT_MODEL}")


def main(argv: list[str]) -> int:
    """``python -m course_lib doctor [--server URL] [--live]``: run before anything heavy is
    imported, so that a Python without the course's packages is told so, not a traceback."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_lib doctor", description=__doc__)
    parser.add_argument("--server", default=None, help="a room's server to check (COURSE_SERVER)")
    parser.add_argument("--live", action="store_true", help="check live mode's key too")
    args = parser.parse_args(argv)
    checks = run_checks(args.server, args.live)
    print("\n".join(check.shown() for check in checks))
    return 0 if all(check.ok for check in checks) else 1


def run_checks(server: str | None = None, live: bool = False) -> list[Check]:
    """Every check, in order; each runs even if one before it failed."""
    steps: list[Callable[[], Check | list[Check]]] = [
        check_python,
        check_packages,
        check_cores,
        check_memory,
        check_pool,
        check_widgets,
        check_fake,
    ]
    server = server or os.environ.get(ENV_SERVER)
    if server:
        steps.append(lambda: check_room(server))
    if live:
        steps.append(check_live)
    checks: list[Check] = []
    for step in steps:
        found = step()
        checks.extend(found if isinstance(found, list) else [found])
    return checks
