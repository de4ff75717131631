"""``python -m course_lib serve``: one fake Gemini for a room (``course_lib.room``).

Only loopback unless an address is given (``--host 0.0.0.0`` for every address of this machine);
it stops by itself after ``--minutes`` (a long day by default) or on Ctrl-C, and says so.
"""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path

from course_lib.fake.gemini import FakeGemini
from course_lib.room.server import RoomServer, read_keys
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
        return int(said)
    except ValueError:
        raise SettingError(
            f"--projects must be 'each' or a number of projects (got {said!r})"
        ) from None


def _address(host: str, port: int) -> str:
    """The URL students type: this machine's address on the network when serving on all."""
    if host in ("0.0.0.0", "::", ""):
        try:
            host = socket.gethostbyname(socket.gethostname())
        except OSError:
            host = "THIS-MACHINE'S-ADDRESS"
    return f"http://{host}:{port}"


def serve(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise SettingError(f"--port must be between 1 and 65535 (got {args.port})")
    if not args.minutes > 0:
        raise SettingError(f"--minutes must be more than 0 (got {args.minutes:g})")
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
    limits = f"{args.rpm} requests a minute per project" if args.rpm else "no per-minute limit"
    print(f"The room's fake Gemini is serving at {url} ({limits}).")
    print(f'Students join with:  setup(server="{url}", name="their name")')
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
