"""The package's shape: arrows point one way, modules stay small, importing does nothing, worker
processes load only what they need, and a new scenario is one module plus one registration."""

import ast
import functools
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.run.registry import _SCENARIOS, SCENARIOS, Scenario, register
from course_lib.run.runner import run_scenario_sync
from course_lib.run.settings import ScenarioSettings
from course_lib.view.panels import Panel

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

PACKAGE = Path(__file__).resolve().parent.parent / "course_lib"

#: What each part may import, besides itself (see course_lib/__init__.py): a part is a top-level
#: module or package, except that the scenarios (run/scenarios/) sit above the lesson packages
#: they use, while the rest of run/ sits below them. Read top to bottom, arrows point up only.
SHARED = {"catalogue", "config", "_lazy", "values", "ranges", "machine", "data_files"}
MAY_IMPORT = {
    "catalogue": set(),  # the models, their limits and prices
    "config": {"catalogue"},
    "_lazy": set(),
    "values": set(),
    "ranges": {"catalogue", "config", "values"},  # the one table of limits
    "machine": set(),
    "data_files": set(),
    "fake": SHARED,
    "trace": SHARED,
    "client": SHARED | {"fake", "trace"},
    "rate_limits": SHARED | {"trace"},  # lesson 05
    "agents": SHARED | {"trace", "rate_limits"},  # lesson 06
    "run": SHARED | {"fake", "trace", "client", "rate_limits"},
    "cluster": SHARED | {"trace", "client", "rate_limits", "run"},  # lesson 08
    "run.scenarios": SHARED
    | {"fake", "trace", "client", "rate_limits", "agents", "run", "cluster"},
    "scaling": SHARED | {"fake", "trace", "rate_limits"},  # lesson 07
    "pool_tasks": SHARED | {"fake", "client", "rate_limits", "run"},
    "view": SHARED | {"trace", "run", "scaling", "cluster", "agents"},
    "exercises": SHARED
    | {
        "fake",
        "trace",
        "client",
        "rate_limits",
        "agents",
        "run",
        "cluster",
        "scaling",
        "pool_tasks",
    },
    "notebook": SHARED | {"fake", "trace", "client", "run", "view", "preflight"},  # setup() ...
    "room": SHARED | {"fake"},  # one fake for a classroom
    "cli_serve": SHARED | {"fake", "room"},
    "preflight": SHARED | {"fake", "client"},  # python -m course_lib doctor
    "cli": SHARED | {"run", "cli_serve", "preflight"},
    "__main__": {"cli", "preflight"},  # the doctor runs before the kit loads
    "__init__": {"_lazy"},
}


def part_of(module: str) -> str:
    name = module.removeprefix("course_lib.").removeprefix("course_lib")
    if name.startswith("run.scenarios"):
        return "run.scenarios"
    return name.split(".")[0] or "__init__"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULE_NAMES = {module_name(p) for p in PACKAGE.rglob("*.py")}


def course_imports(path: Path) -> set[str]:
    """Every course_lib module ``path`` imports, wherever the import is: at the top, inside a
    function, under ``if TYPE_CHECKING``. ``from course_lib.run import pools`` is the module
    ``course_lib.run.pools``; ``from course_lib.run.calls import ScenarioRun`` is
    ``course_lib.run.calls``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULE_NAMES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "course_lib" or m.startswith("course_lib.")}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_arrows_point_one_way(path):
    part = part_of(module_name(path))
    allowed = MAY_IMPORT[part] | {part}
    wrong = sorted(m for m in course_imports(path) if part_of(m) not in allowed)
    assert wrong == [], f"{path.relative_to(PACKAGE)} ({part}) may not import {wrong}"


def test_the_parts_themselves_form_no_cycle():
    assert set(MAY_IMPORT) >= {part_of(module_name(p)) for p in MODULES}, "a part is missing"
    assert find_cycle({part: MAY_IMPORT[part] - {part} for part in MAY_IMPORT}) is None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (node -> the nodes it points to), as a path that ends where it
    began, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for after in sorted(graph.get(node, ())):
            if (cycle := visit(after, [*path, node])) is not None:
                return cycle
        done.add(node)
        return None

    for node in sorted(graph):
        if (cycle := visit(node, [])) is not None:
            return cycle
    return None


def test_find_cycle_finds_one_through_an_import_in_a_function(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    inner = tmp_path / "inner.py"  # the kind of import a cycle hides behind
    inner.write_text("def f():\n    from course_lib.run.calls import ScenarioRun\n")
    assert course_imports(inner) == {"course_lib.run.calls"}


def test_no_import_cycle_between_modules_counting_imports_inside_functions():
    graph = {module_name(p): course_imports(p) - {module_name(p)} for p in MODULES}
    cycle = find_cycle(graph)
    assert cycle is None, "an import cycle: " + " -> ".join(cycle or [])


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
        "hooks, made, register = [], [], atexit.register\n"
        "atexit.register = lambda f, *a, **k: hooks.append(f) or register(f, *a, **k)\n"
        "ipywidgets.Widget.on_widget_constructed(made.append)\n"
        "import course_lib, course_lib.view.panels, course_lib.fake.server\n"
        "print(len(hooks), len(made))"
    )
    assert out == "0 0"  # no exit hook, no widget made, until something is used
    loaded = python(
        "import sys, course_lib\n"
        "heavy = ('google.genai', 'plotly', 'ipywidgets', 'respx', 'aiohttp', 'httpx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert loaded == "[]"


@pytest.mark.parametrize(
    "module",
    [
        "course_lib.pool_tasks",
        "course_lib.run.scenarios.parallel",
        "course_lib.run.scenarios.limited",
    ],
)
def test_a_worker_process_loads_only_what_its_work_needs(module):
    """What a pool's worker imports to unpickle its function: no pictures, no widgets, no
    in-process fake (respx), no other scenario, no exercises."""
    loaded = python(
        f"import sys, {module}\n"
        "unneeded = ('plotly', 'ipywidgets', 'respx', 'numpy', 'course_lib.view',\n"
        "            'course_lib.fake.transport', 'course_lib.exercises',\n"
        "            'course_lib.run.runner', 'course_lib.run.scenarios.hybrid',\n"
        "            'course_lib.scaling', 'distributed')\n"
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
    result = run_scenario_sync("in-pairs", ScenarioSettings(prompts=4, latency=0.1))
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
            run_scenario_sync(missing.name)
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

    known = {f.name for f in fields(ScenarioSettings)}
    options = set(_OPTIONS)
    for scenario in SCENARIOS.values():
        for setting in scenario.settings:
            assert setting in known, f"{scenario.name} uses {setting}, which ScenarioSettings lacks"
            assert setting in options, f"no command-line option for {setting}"
            assert setting in CONTROLS or setting in NO_SLIDER, f"no slider for {setting}"


#: The modules a notebook may import from: the top level, each package's exports (its __init__),
#: and the functions the lessons' own pools run.
PUBLIC = sorted(
    {"course_lib", "course_lib.pool_tasks"}
    | {module_name(p) for p in PACKAGE.glob("*/__init__.py")} - {"course_lib.run.scenarios"}
)


@functools.cache
def modules_among_public_names() -> dict[str, tuple[int, list[str]]]:
    """For each public module, after every module of the package was imported (in one fresh
    process: importing them all takes seconds): how many names it exports, and which of them
    are modules."""
    out = python(
        "import importlib, json, pkgutil, types, course_lib\n"
        "for m in pkgutil.walk_packages(course_lib.__path__, 'course_lib.'):\n"
        "    importlib.import_module(m.name)\n"
        "found = {}\n"
        f"for public in {PUBLIC!r}:\n"
        "    module = importlib.import_module(public)\n"
        "    found[public] = (len(module.__all__), [n for n in module.__all__\n"
        "                     if isinstance(getattr(module, n), types.ModuleType)])\n"
        "print(json.dumps(found))"
    )
    found = json.loads(out.splitlines()[-1])
    return {name: (count, wrong) for name, (count, wrong) in found.items()}


@pytest.mark.parametrize("public", PUBLIC)
def test_every_public_name_is_what_it_says_even_after_every_module_is_loaded(public):
    """A package's exported function must not be shadowed by a submodule of the same name
    (importing ``course_lib.view.gantt`` would set the package's ``gantt`` to the module)."""
    count, wrong = modules_among_public_names()[public]
    assert count > 0 and wrong == [], f"{public}: these names are modules: {wrong}"


def notebook_imports() -> list[tuple[str, str, set[str]]]:
    """(notebook, module, names) for every course_lib import in every lesson's code, the hidden
    solutions included."""
    import json
    import re

    found = []
    for notebook in sorted((PACKAGE.parent / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            text = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                codes = re.findall(r"```python\n(.*?)```", text, re.S)
            else:
                codes = [re.sub(r"^(\s*)[%!].*$", r"\1pass", text, flags=re.M)]
            for code in codes:
                for node in ast.walk(ast.parse(code)):
                    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                        "course_lib"
                    ):
                        found.append((notebook.stem, node.module, {a.name for a in node.names}))
                    elif isinstance(node, ast.Import):
                        for alias in node.names:
                            if alias.name.startswith("course_lib"):
                                found.append((notebook.stem, alias.name, set()))
    return found


def test_notebooks_import_only_from_public_modules_and_only_their_exported_names():
    import importlib

    imports = notebook_imports()
    assert len(imports) > 20
    for notebook, module, names in imports:
        assert module in PUBLIC, f"{notebook} imports from {module}, which is not public"
        exported = set(importlib.import_module(module).__all__)
        assert names <= exported, f"{notebook}: {module} does not export {names - exported}"
