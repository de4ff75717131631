"""``python -m course_lib serve``: one fake Gemini for a room (``course_lib.room``).

Only loopback unless an address is given (``--host 0.0.0.0`` for every address of this machine);
it stops by itself after ``--minutes`` (a long day by default) or on Ctrl-C, and says so.
"""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path

from course_lib.values import SettingError

DEFAULT_PORT = 8765


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--host",
        default="127.0.0.1",
        help="the address to listen on: 127.0.0.1 (default) is "
        "this machine only; 0.0.0.0 is every address it has, for a room on one network",
    )
    add("--port", type=int, default=DEFAULT_PORT, help=f"the port (default: {DEFAULT_PORT})")
    add("--rpm", type=int, default=None, help="requests a minute per project (default: no limit)")
    add("--tpm", type=int, default=None, help="input tokens a minute per project (default: none)")
    add("--rpd", type=int, default=None, help="requests a day per project (default: no limit)")
    add(
        "--window-s",
        type=float,
        default=60.0,
        help="how long the limits' minute lasts, in seconds (default: 60)",
    )
    add("--latency", type=float, default=0.5, help="seconds per call (default: 0.5)")
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
        type=float,
        default=600.0,
        help="stop after this many minutes (default: 600, a long day)",
    )


def _projects(said: str) -> int | None:
    if said == "each":
        return None
    try:
        projects = int(said)
    except ValueError:
        projects = 0
    if projects < 1:
        raise SettingError(
            f"--projects must be 'each' or a number of projects, 1 or more (got {said!r})"
        )
    return projects


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

    if not 0 < args.port < 65536:
        raise SettingError(f"--port must be between 1 and 65535 (got {args.port})")
    if not args.minutes > 0:
        raise SettingError(f"--minutes must be more than 0 (got {args.minutes:g})")
    for flag, value in (("--rpm", args.rpm), ("--tpm", args.tpm), ("--rpd", args.rpd)):
        if value is not None and value < 1:
            raise SettingError(f"{flag} must be 1 or more; leave it out for no limit (got {value})")
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
