"""The package's shape: arrows point one way, modules stay small, importing does nothing, worker
processes load only what they need, and a new scenario is one module plus one registration."""

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.run.registry import _SCENARIOS, SCENARIOS, Scenario, register
from course_lib.run.runner import run_sync
from course_lib.run.settings import Settings
from course_lib.view.panels import Panel

PACKAGE = Path(__file__).resolve().parent.parent / "course_lib"

#: what each part may import, besides itself (see course_lib/__init__.py)
MAY_IMPORT = {
    "config": set(),
    "_lazy": set(),
    "values": set(),
    "fake": {"config"},
    "trace": {"config"},
    "client": {"config", "fake", "trace"},
    "machine": set(),
    # moved out of run/ as they were; their arrows are sorted out next
    "rate_limits": {"config", "fake", "trace", "client", "machine", "run"},
    "agents": {"config", "fake", "trace", "client", "run"},
    "scaling": {"config", "fake", "trace", "client", "run", "rate_limits"},
    "cluster": {"config", "fake", "trace", "client", "machine", "run", "rate_limits"},
    "run": {
        "config",
        "fake",
        "trace",
        "client",
        "machine",
        "rate_limits",
        "agents",
        "scaling",
        "cluster",
    },
    "exercises": {
        "config",
        "fake",
        "trace",
        "client",
        "run",
        "rate_limits",
        "scaling",
        "cluster",
    },
    "view": {"config", "trace", "run", "machine", "scaling"},
    "cli": {"config", "run"},
    "__main__": {"cli"},
    "__init__": set(),
}


def part_of(module: str) -> str:
    return module.removeprefix("course_lib.").split(".")[0]


def course_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "course_lib":  # from course_lib import values: the module values
                found.update(f"course_lib.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "course_lib" or m.startswith("course_lib.")}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_arrows_point_one_way(path):
    relative = path.relative_to(PACKAGE)
    part = relative.parts[0].removesuffix(".py")
    # _lazy: how a package imports its names; values: how every part checks what it is given
    allowed = MAY_IMPORT[part] | {part, "_lazy", "values"}
    wrong = sorted(m for m in course_imports(path) if part_of(m) not in allowed)
    assert wrong == [], f"{relative} ({part}/) may not import {wrong}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    assert len(path.read_text().splitlines()) < 300, f"{path.name}: split it by idea"


def python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_importing_the_package_does_nothing_heavy_and_registers_nothing():
    out = python(
        # the libraries first: some of them (logging among them) register exit hooks of their own
        "import atexit, aiohttp, google.genai, ipywidgets, plotly.graph_objects, respx\n"
        "before = atexit._ncallbacks()\n"
        "import course_lib, course_lib.view.panels, course_lib.fake.server\n"
        "made = getattr(ipywidgets.Widget, 'widgets', None)\n"
        "made = ipywidgets.widgets.widget._instances if made is None else made\n"
        "print(atexit._ncallbacks() - before, len(made))"
    )
    assert out == "0 0"  # no exit hook, no widget made, until something is used
    loaded = python(
        "import sys, course_lib\n"
        "heavy = ('google.genai', 'plotly', 'ipywidgets', 'respx', 'aiohttp', 'httpx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert loaded == "[]"


def test_a_worker_process_loads_only_what_its_work_needs():
    loaded = python(
        "import sys, course_lib.run.workers\n"
        "unneeded = ('plotly', 'ipywidgets', 'respx', 'numpy', 'course_lib.view',\n"
        "            'course_lib.fake.server', 'course_lib.fake.transport',\n"
        "            'course_lib.exercises', 'course_lib.run.scenarios.parallel',\n"
        "            'course_lib.run.runner')\n"
        "print(sorted(m for m in unneeded if m in sys.modules))"
    )
    assert loaded == "[]"


def test_the_registry_imports_a_scenario_only_when_it_runs():
    loaded = python(
        "import sys, course_lib.run.registry as r\n"
        "print(len(r.SCENARIOS), sorted(m for m in sys.modules if 'run.scenarios.' in m),\n"
        "      'distributed' in sys.modules)"
    )
    assert loaded == "9 [] False"  # Dask too is imported only when its scenario runs


@pytest.fixture
def in_pairs():
    added = register(
        Scenario(
            name="in-pairs",
            label="two at a time, pair after pair",
            colour="#000000",
            runner="tests.helpers_scenario:in_pairs",
            ideal=lambda s, w, cores, calls: math.ceil(s.prompts / 2) * s.latency,
            uses=("concurrency",),
        )
    )
    yield added
    _SCENARIOS.pop(added.name)


def test_a_new_scenario_is_one_module_and_one_registration(in_pairs, capsys):
    result = run_sync("in-pairs", Settings(prompts=4, latency=0.1))
    assert result.ideal_s == pytest.approx(0.2) and len(result.outputs) == 4
    assert {str(s.lane) for s in result.spans} == {"pair 1", "pair 2"}
    assert "concurrency" in Panel("in-pairs").sliders  # the panel reads the registry too
    with pytest.raises(ValueError, match="registered already"):
        register(in_pairs)
    from course_lib.cli import main

    assert main(["run", "in-pairs", "--prompts", "2", "--latency", "0.05"]) == 0
    assert "in-pairs" in capsys.readouterr().out
    assert list(SCENARIOS)[-1] == "in-pairs"


def test_a_scenario_whose_package_is_missing_fails_only_when_it_runs(capsys):
    missing = register(
        Scenario(
            name="needs-a-missing-package",
            label="imports what is not installed",
            colour="#000000",
            runner="course_lib_missing_package.scenario:run",
            ideal=lambda s, w, cores, calls: 0.0,
        )
    )
    try:
        assert Panel(missing.name).sliders  # the panel, the CLI and pictures still work
        with pytest.raises(ModuleNotFoundError):
            run_sync(missing.name)
        from course_lib.cli import main

        assert main(["run", missing.name]) == 2
        err = capsys.readouterr().err
        assert "needs a package that is not installed" in err and len(err.splitlines()) == 1
    finally:
        _SCENARIOS.pop(missing.name)


def test_every_setting_a_scenario_uses_has_an_option_and_a_slider_or_says_why_not():
    from dataclasses import fields

    from course_lib.cli import _OPTIONS
    from course_lib.view.controls import CONTROLS, NO_SLIDER

    known = {f.name for f in fields(Settings)}
    options = {name for _, name, _, _ in _OPTIONS}
    for scenario in SCENARIOS.values():
        for setting in scenario.settings:
            assert setting in known, f"{scenario.name} uses {setting}, which Settings lacks"
            assert setting in options, f"no command-line option for {setting}"
            assert setting in CONTROLS or setting in NO_SLIDER, f"no slider for {setting}"
