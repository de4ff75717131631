"""The command line: ``python -m course_lib run SCENARIO [options]``, ``... compare [options]``
``... serve [options]`` (one fake Gemini for a room: ``course_lib.room``) and ``... doctor``
(is this machine ready: ``course_lib.preflight``).

Each option sets the ScenarioSettings field of its name; its help, range and message come from
``course_lib.ranges``. Bad input prints one line on stderr and exits with status 2; a run in
which every call failed prints its table, then one line on stderr, and exits with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, NoReturn

from course_lib.cli_serve import add_serve_options, serve  # imports the fake only to serve
from course_lib.ranges import help_for, reader
from course_lib.run.registry import SCENARIOS, scenario
from course_lib.run.results import RunResult
from course_lib.run.runner import compare, run_scenario
from course_lib.run.settings import ScenarioSettings, SettingError


class _Help(argparse.HelpFormatter):
    def _split_lines(self, text: str, width: int) -> list[str]:  # a model name stays whole
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # argparse prints usage too; one line is kinder
        raise SettingError(message)


#: The options, in the order ``--help`` lists them: ``--cpu-work`` sets ScenarioSettings'
#: ``cpu_work``; its help, its range and the message a mistake gets come from course_lib.ranges.
_OPTIONS = (
    "prompts",
    "latency",
    "jitter",
    "tokens_per_s",
    "concurrency",
    "processes",
    "cpu_work",
    "rpm",
    "tpm",
    "window_s",
    "client_rpm",
    "retry",
    "failure_rate",
    "tool_latency",
    "tools_per_turn",
    "tool_calls",
    "worker_threads",
    "calls_per_task",
    "seed",
    "attempts",
    "model",
    "start_method",
)
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(ScenarioSettings)}


def flag(name: str) -> str:
    """The option that sets ``name``: ``--cpu-work`` for cpu_work."""
    return "--" + name.replace("_", "-")


def _add_options(parser: argparse.ArgumentParser, settings: tuple[str, ...]) -> None:
    for name in _OPTIONS:
        if name in settings:
            parser.add_argument(
                flag(name),
                dest=name,
                type=reader(name),
                default=_DEFAULTS[name],
                help=help_for(name, _DEFAULTS[name]),
            )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")


def _glued(argv: list[str]) -> list[str]:
    """``--latency -inf`` as ``--latency=-inf``: argparse takes a word that starts with "-" and is
    not a plain negative number ("-inf", "-1e3") for an option, and would say "expected one
    argument"; glued, the value reaches its check and gets its range's message."""
    flags, out = {flag(name) for name in _OPTIONS}, list[str]()
    for word in argv:
        if out and out[-1] in flags and word.startswith("-") and _is_float(word):
            out[-1] = f"{out[-1]}={word}"
        else:
            out.append(word)
    return out


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m course_lib",
        description="Run the course's scenarios against the offline fake Gemini.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser(
        "run",
        help="run one scenario",
        description="Run one scenario; `run SCENARIO --help` lists the options it takes.",
        epilog="; ".join(f"{s.name}: {s.label}" for s in SCENARIOS.values()),
    )
    run.add_argument("scenario", help=", ".join(SCENARIOS))
    run.add_argument("options", nargs=argparse.REMAINDER, help="the scenario's options")
    compare_all = commands.add_parser("compare", help="run every scenario and compare wall times")
    _add_options(compare_all, _OPTIONS)
    serve_room = commands.add_parser(
        "serve",
        help="serve one fake Gemini to a room of students",
        description="Serve the fake Gemini to a room: students join with "
        'setup(server="http://ADDRESS:PORT", name="their name"); the dashboard is at /dashboard.',
    )
    add_serve_options(serve_room)
    doctor = commands.add_parser(
        "doctor", help="check that this machine is ready for the course (under 30 s)"
    )
    doctor.add_argument("--server", default=None, help="a room's server to check (COURSE_SERVER)")
    doctor.add_argument("--live", action="store_true", help="check live mode's key too")
    return parser


def _scenario_options(name: str, argv: list[str]) -> argparse.Namespace:
    """Parse what follows ``run NAME``: only the options that scenario uses."""
    chosen = scenario(name)
    parser = _Parser(prog=f"python -m course_lib run {name}", description=chosen.label)
    _add_options(parser, chosen.settings)
    setting_of = {flag(setting): setting for setting in _OPTIONS}
    given = [setting_of.get(word.split("=", 1)[0]) for word in argv]
    chosen.refuse_unused((g for g in given if g is not None), spelled=flag)
    return parser.parse_args(argv)


def _table(results: list[RunResult]) -> str:
    base = next((r.wall_s for r in results if r.scenario == "sequential"), None)
    rows = [f"{'scenario':<18} {'wall (s)':>9} {'speedup':>8} {'ideal (s)':>10} {'failed':>7}"]
    for r in results:
        speedup = f"{base / r.wall_s:7.2f}x" if base else "      -"
        rows.append(
            f"{r.scenario:<18} {r.wall_s:9.3f} {speedup:>8} {r.ideal_s:10.3f} {r.failures:7d}"
        )
    return "\n".join(rows)


def _settings(args: argparse.Namespace) -> ScenarioSettings:
    return ScenarioSettings(
        **{name: getattr(args, name) for name in _OPTIONS if hasattr(args, name)}
    )


def _all_failed(results: list[RunResult]) -> str | None:
    """One line when every call of every run failed (the exit status is 1 then), else None:
    some failures are part of a run, and the table's ``failed`` column shows them."""
    calls = [record for result in results for record in result.outputs]
    if not calls or any(record.error is None for record in calls):
        return None
    errors = Counter(record.error for record in calls).most_common()
    return f"all {len(calls)} calls failed (" + ", ".join(f"{n} with {e}" for e, n in errors) + ")"


_INTERRUPTED = "interrupted: the run was stopped and its worker processes with it"


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the run is cancelled and its worker processes stopped."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status: 0, 1 when every call failed, 2 for bad input,
    130 on Ctrl-C and 143 on SIGTERM (each with one line on stderr)."""
    try:
        on_term = None
        if threading.current_thread() is threading.main_thread():
            on_term = signal.signal(signal.SIGTERM, _terminated)
        try:
            return _main(sys.argv[1:] if argv is None else list(argv))
        finally:
            if on_term is not None:
                signal.signal(signal.SIGTERM, on_term)
    except KeyboardInterrupt:  # in the moments _main's own handler does not cover
        print(_INTERRUPTED, file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(_glued(argv))
        if args.command == "serve":
            return serve(args)
        if args.command == "doctor":  # python -m course_lib doctor goes there before the kit loads
            from course_lib.preflight import main as doctor

            return doctor(argv[1:])
        if args.command == "run":
            options = _scenario_options(args.scenario, args.options)
            results = [asyncio.run(run_scenario(args.scenario, _settings(options)))]
            print(json.dumps(results[0].to_dict()) if options.json else _table(results))
        else:
            results = asyncio.run(compare(_settings(args)))
            print(json.dumps([r.to_dict() for r in results]) if args.json else _table(results))
        if (failed := _all_failed(results)) is not None:
            print(f"error: {failed}", file=sys.stderr)
            return 1
    except SettingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ImportError as error:  # a scenario whose optional package is not installed
        print(
            f"error: this scenario needs a package that is not installed: {error}", file=sys.stderr
        )
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stdout = None
    except _Terminated:
        print("terminated: the run was stopped and its worker processes with it", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(_INTERRUPTED, file=sys.stderr)
        return 130
    return 0
