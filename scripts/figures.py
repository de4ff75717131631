"""``make figures``: each lesson's core pictures as PNG images, for a projector or a handout.

Runs each lesson's core path alone (the code cells tagged ``core``, in order, offline, on a fresh
kernel: it also proves the core path runs without the optional cells), takes every figure a core
cell shows, and draws each in Chromium at 1400 px wide with the plotly.js the course installs.
Writes ``figures/NN_lesson/NN-K.png`` and a ``figures/README.md`` that lists them under their
lessons and sections. Needs the test tools (``make setup``: Playwright) and Chromium.

    python scripts/figures.py                 # every lesson (about 4 minutes on two cores)
    python scripts/figures.py 02 05           # some of them
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import plotly
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "figures"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
FIGURE = "application/vnd.plotly.v1+json"
VIEW = "application/vnd.jupyter.widget-view+json"
WIDGETS = "application/vnd.jupyter.widget-state+json"
WIDTH = 1400


def core_path(lesson: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """The lesson with only its core cells, and the section each code cell is in."""
    notebook = nbformat.read(lesson, as_version=4)
    cells, sections, section = [], [], ""
    for cell in notebook.cells:
        if "core" not in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "markdown":
            headings = re.findall(r"^#{1,3} (.+)$", cell.source, re.M)
            section = headings[-1] if headings else section  # the cell's last heading
        cells.append(cell)
        sections.append(section)
    notebook.cells = cells
    return notebook, sections


def figures_of(lesson: Path) -> list[tuple[str, dict]]:
    """Run the lesson's core path; (section, figure) for every figure a core cell showed."""
    notebook, sections = core_path(lesson)
    NotebookClient(
        notebook,
        timeout=600,
        store_widget_state=True,  # %%timeline's pictures are widgets: their figure is their state
        resources={"metadata": {"path": str(lesson.parent)}},
    ).execute()
    widgets = notebook.metadata.get("widgets", {}).get(WIDGETS, {}).get("state", {})
    found = []
    for cell, section in zip(notebook.cells, sections, strict=True):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FIGURE in data:
                found.append((section, data[FIGURE]))
            elif VIEW in data:
                found += [(section, f) for f in _drawn(widgets, data[VIEW]["model_id"])]
    return [(section, f) for section, f in found if f.get("data")]  # not a panel's placeholder


def _drawn(widgets: dict, model_id: str) -> list[dict]:
    """The figures a widget (a PageFigure: its state has the figure) or its children draw."""
    state = widgets.get(model_id, {}).get("state", {})
    if isinstance(state.get("figure"), dict) and "data" in state["figure"]:
        figure = state["figure"]
        layout = {"template": state.get("template", {}), **figure.get("layout", {})}
        return [{"data": figure["data"], "layout": layout}]
    found = []
    for child in state.get("children", []):  # a box
        found += _drawn(widgets, str(child).removeprefix("IPY_MODEL_"))
    for output in state.get("outputs", []):  # an Output widget (what %%timeline draws into)
        data = output.get("data", {})
        if FIGURE in data:
            found.append(data[FIGURE])
        elif VIEW in data:
            found += _drawn(widgets, data[VIEW]["model_id"])
    return found


def draw(figures: list[tuple[Path, dict]]) -> None:
    """Each figure to its PNG, in one headless Chromium (Debian's: Playwright never downloads)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("make figures needs Chromium: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.set_content(f"<div id='f'></div><script>{PLOTLY_JS.read_text()}</script>")
        for path, figure in figures:
            layout = {"height": 500, **figure.get("layout", {}), "width": WIDTH}
            page.evaluate(
                "([data, layout]) => Plotly.newPlot('f', data, layout, {staticPlot: true})",
                [figure.get("data", []), layout],
            )
            page.locator("#f .svg-container").screenshot(path=str(path))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers (default: all)")
    args = parser.parse_args()
    lessons = sorted((ROOT / "notebooks").glob("0*.ipynb"))
    if args.lessons:
        lessons = [p for p in lessons if p.stem[:2] in args.lessons]
    index = ["# The lessons' core pictures\n", "Made by `make figures` (scripts/figures.py).\n"]
    for lesson in lessons:
        print(f"{lesson.stem}: running its core path...", flush=True)
        found = figures_of(lesson)
        folder = OUT / lesson.stem
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        paths = [folder / f"{lesson.stem[:2]}-{k + 1}.png" for k in range(len(found))]
        draw([(path, figure) for path, (_, figure) in zip(paths, found, strict=True)])
        index.append(f"## {lesson.stem}\n")
        for path, (section, figure) in zip(paths, found, strict=True):
            title = figure.get("layout", {}).get("title", {})
            said = title.get("text", "") if isinstance(title, dict) else str(title)
            said = " ".join(re.sub(r"<[^>]+>", " ", said).split())  # plotly's <b>, <br>, <sup>
            index.append(f"- {section}: ![{said}]({path.relative_to(OUT)})")
        index.append("")
        print(f"  {len(found)} pictures in {folder.relative_to(ROOT)}")
    (OUT / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    print(json.dumps({"lessons": len(lessons), "out": str(OUT.relative_to(ROOT))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
