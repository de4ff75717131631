"""``python -m course_lib serve``: one fake Gemini for a room (``course_lib.room``).

Only loopback unless an address is given (``--host 0.0.0.0`` for every address of this machine);
it stops by itself after ``--minutes`` (a long day by default) or on Ctrl-C, and says so.
"""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path
from typing import Any

from course_lib.ranges import RANGES, check, help_for, reader
from course_lib.values import SettingError

DEFAULT_PORT = 8765


#: The options that are values of the table of limits (``course_lib.ranges``), with their defaults:
#: read, described and refused as everywhere else in the kit.
DEFAULTS: dict[str, Any] = {
    "port": DEFAULT_PORT,
    "rpm": None,
    "tpm": None,
    "rpd": None,
    "window_s": 60.0,
    "latency": 0.5,
    "minutes": 600.0,
}


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--host",
        default="127.0.0.1",
        help="the address to listen on: 127.0.0.1 (default) is "
        "this machine only; 0.0.0.0 is every address it has, for a room on one network",
    )
    for name, default in DEFAULTS.items():
        if name == "minutes":
            continue  # last, after what the room is
        about = help_for(name, default)
        if name in ("rpm", "tpm", "rpd"):
            about = "per project: " + about
        add(
            "--" + name.replace("_", "-"), dest=name, type=reader(name), default=default, help=about
        )
    add(
        "--projects",
        default="each",
        help="'each': every key is a project of its own (default); "
        "N: the keys, as they first call, spread over N projects (1: the whole room shares one "
        "project's limits)",
    )
    add(
        "--keys",
        type=Path,
        default=None,
        help="a file of the only keys accepted, one a line, "
        "each optionally followed by its project and the name to show",
    )
    add(
        "--minutes",
        type=reader("minutes"),
        default=DEFAULTS["minutes"],
        help=help_for("minutes", DEFAULTS["minutes"]),
    )


def _projects(said: str) -> int | None:
    if said == "each":
        return None
    projects = reader("projects")(said)
    try:
        return int(check("projects", projects))
    except SettingError:
        raise SettingError(
            f"projects must be 'each' or {RANGES['projects'].what} (got {said!r})"
        ) from None


def _address(host: str, port: int) -> str | None:
    """The URL students type: this machine's address on its network when serving on all of
    them (the one its traffic leaves by: a UDP socket "connected" sends nothing), or None if it
    has none but loopback."""
    if host in ("0.0.0.0", "::", ""):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent
                host = probe.getsockname()[0]
        except OSError:
            return None
        if host.startswith("127."):
            return None
    return f"http://{host}:{port}"


def serve(args: argparse.Namespace) -> int:
    from course_lib.fake.gemini import FakeGemini  # aiohttp and the fake: only when serving
    from course_lib.room.server import RoomServer, read_keys

    for name in DEFAULTS:  # every value at once, before anything starts
        check(name, getattr(args, name))
    fake = FakeGemini(
        latency=args.latency, rpm=args.rpm, tpm=args.tpm, rpd=args.rpd, window_s=args.window_s
    )
    keys = read_keys(args.keys) if args.keys is not None else None
    room = RoomServer(fake, args.host, args.port, _projects(args.projects), keys)
    try:
        room.start()
    except OSError as error:
        raise SettingError(
            f"cannot listen on {args.host}:{args.port} ({error.strerror}): another program may "
            "use that port (try --port 8766), or the address is not this machine's"
        ) from None
    url = _address(args.host, args.port)
    if url is None:
        print(
            f"Serving on every address of this machine, port {args.port}, but none but loopback "
            "was found: find its address with `ip addr` (or ipconfig on Windows)."
        )
        url = f"http://ADDRESS:{args.port}"
    window = "a minute" if args.window_s == 60 else f"per {args.window_s:g} s"
    limits = f"{args.rpm} requests {window} per project" if args.rpm else "no request limit"
    print(f"The room's fake Gemini is serving at {url} ({limits}).")
    print(f'Students join with:  print(setup(server="{url}", name="their own name"))')
    print(
        f"Dashboard: {url}/dashboard. Ctrl-C stops it; it stops by itself in {args.minutes:g} "
        "minutes.",
        flush=True,
    )
    try:
        time.sleep(args.minutes * 60)
        print("stopped: the time given with --minutes is up")
    except KeyboardInterrupt:
        print("stopped: the room's server is closed")
    finally:
        room.stop()
    return 0
