"""The command line: ``python -m course_lib run SCENARIO [options]`` and ``... compare [options]``.

Bad input prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import fields

from course_lib.run.registry import SCENARIOS, scenario
from course_lib.run.results import RunResult
from course_lib.run.runner import compare, run_scenario
from course_lib.run.settings import ScenarioSettings, SettingError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage too; one line is kinder
        raise SettingError(message)


def _number(kind: Callable[[str], float], what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} (got {text!r})") from None

    return parse


_OPTIONS = [  # flag, ScenarioSettings field, type, help
    ("--prompts", "prompts", _number(int, "a whole number"), "how many prompts (N)"),
    ("--latency", "latency", _number(float, "a number of seconds"), "mean seconds per call"),
    ("--jitter", "jitter", _number(float, "a number of seconds"), "latency varies +- this"),
    (
        "--tokens-per-s",
        "tokens_per_s",
        _number(float, "a number of tokens a second"),
        "answers stream at this rate after the first token (default: fixed latency)",
    ),
    (
        "--concurrency",
        "concurrency",
        _number(int, "a whole number"),
        "calls in flight at once (asyncio) / threads",
    ),
    ("--processes", "processes", _number(int, "a whole number"), "process pool size"),
    (
        "--cpu-work",
        "cpu_work",
        _number(float, "a number of milliseconds"),
        "CPU work per answer, in milliseconds",
    ),
    ("--rpm", "rpm", _number(int, "a whole number"), "requests-per-minute limit (default: none)"),
    (
        "--tpm",
        "tpm",
        _number(int, "a whole number"),
        "input-tokens-per-minute limit (default: none)",
    ),
    (
        "--window-s",
        "window_s",
        _number(float, "a number of seconds"),
        "how long the limits' 'minute' lasts (default 60; shorter to watch it quickly)",
    ),
    (
        "--client-rpm",
        "client_rpm",
        _number(int, "a whole number"),
        "a client-side limiter's requests per minute (default: none)",
    ),
    ("--retry", "retry", str, "retry policy: none, kit, sdk, tenacity or adaptive"),
    (
        "--failure-rate",
        "failure_rate",
        _number(float, "a number from 0 to 1"),
        "share of calls that fail with 500/503",
    ),
    (
        "--tool-latency",
        "tool_latency",
        _number(float, "a number of seconds"),
        "agents: seconds per search",
    ),
    (
        "--tools-per-turn",
        "tools_per_turn",
        _number(int, "a whole number"),
        "agents: searches the model asks for in one turn",
    ),
    (
        "--tool-calls",
        "tool_calls",
        str,
        "agents: how a turn's searches run: 'at once' or 'one by one'",
    ),
    (
        "--worker-threads",
        "worker_threads",
        _number(int, "a whole number"),
        "dask: threads per worker (each task holds one)",
    ),
    (
        "--calls-per-task",
        "calls_per_task",
        _number(int, "a whole number"),
        "dask: prompts each task asks at once",
    ),
    ("--seed", "seed", _number(int, "a whole number"), "random seed"),
    ("--attempts", "attempts", _number(int, "a whole number"), "tries per call, retries included"),
    ("--start-method", "start_method", str, "spawn, forkserver or fork"),
]


def _add_options(parser: argparse.ArgumentParser, settings: tuple[str, ...]) -> None:
    defaults = {f.name: f.default for f in fields(ScenarioSettings)}
    for flag, name, kind, text in _OPTIONS:
        if name in settings:
            parser.add_argument(
                flag,
                dest=name,
                type=kind,
                default=defaults[name],
                help=f"{text} (default: {defaults[name]})",
            )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")


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
    _add_options(compare_all, tuple(f.name for f in fields(ScenarioSettings)))
    return parser


def _scenario_options(name: str, argv: list[str]) -> argparse.Namespace:
    """Parse what follows ``run NAME``: only the options that scenario uses."""
    chosen = scenario(name)
    parser = _Parser(prog=f"python -m course_lib run {name}", description=chosen.label)
    _add_options(parser, chosen.settings)
    flags = {flag: setting for flag, setting, _, _ in _OPTIONS}
    for word in argv:
        flag = word.split("=", 1)[0]
        if flags.get(flag) and flags[flag] not in chosen.settings:
            own = ", ".join(f for f, setting in flags.items() if setting in chosen.settings)
            raise SettingError(f"{flag} does not apply to the {name} scenario; it takes {own}")
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
    given = {name: getattr(args, name) for _, name, _, _ in _OPTIONS if hasattr(args, name)}
    return ScenarioSettings(**given)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the run is cancelled and its worker processes stopped."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    on_term = None
    if threading.current_thread() is threading.main_thread():
        on_term = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _main(argv)
    finally:
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "run":
            options = _scenario_options(args.scenario, args.options)
            result = asyncio.run(run_scenario(args.scenario, _settings(options)))
            print(json.dumps(result.to_dict()) if options.json else _table([result]))
        else:
            results = asyncio.run(compare(_settings(args)))
            print(json.dumps([r.to_dict() for r in results]) if args.json else _table(results))
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
        print("interrupted: the run was stopped and its worker processes with it", file=sys.stderr)
        return 130
    return 0
