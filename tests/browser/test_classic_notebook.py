"""The live timeline and a panel in the classic Notebook 6.5.7, the page closest to Colab's that
runs here (issue 26): ``make test-colab`` runs this in its Colab-like venv (IPython 7.34,
ipykernel 6.17.1, ipywidgets 7.7.1, anywidget 0.9.21; widgetsnbextension 3.6.6, since 3.6.7 on
cannot draw an Output widget in this page); elsewhere (Notebook 7) it says it skipped and why.

What it checks, as tests/browser/test_lab_in_browser.py does in JupyterLab and Notebook 7: a
%%timeline cell's frames reach the page while a plain loop blocks the kernel and its final
picture draws; a panel draws its first run, a slider moved with the keyboard and Run draw a
larger one, and Stop ends a long run with the timeline kept; and the figures the kit shows on
Colab (``google.colab`` faked in the kernel: plotly.js in the figure's state, also inside an
Output) draw in a page that has no plotly.js.
"""

from __future__ import annotations

import os
import shutil
import time
from importlib import metadata

import pytest

from tests.browser.test_lab_in_browser import (
    CHROMIUM,
    HERE,
    TIMELINE,
    expected_bars,
    jupyter_server,
    live_frames_came_while_the_loop_blocked,
    move_slider,
    recorded_page,
    stop_a_long_run,
)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: `apt-get install chromium`"),
    pytest.mark.skipif(
        not metadata.version("notebook").startswith("6."),
        reason="the classic notebook (6.x) is in make test-colab's venv, not this one",
    ),
    pytest.mark.long_run,  # Playwright's expect retries: it holds beside the lessons' runs
]


@pytest.fixture(scope="module")
def classic_notebook(tmp_path_factory):
    root = tmp_path_factory.mktemp("classic")
    for notebook in ("lab_demo.ipynb", "timeline_magic.ipynb", "colab_figure.ipynb"):
        shutil.copy(HERE / notebook, root)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
    }
    notebook = ["notebook", "--NotebookApp.token=", "--NotebookApp.password="]
    with jupyter_server([*notebook, f"--notebook-dir={root}"], env, root / "notebook.log") as url:
        yield url


def open_and_run_all(
    page, url: str, notebook: str, received: list[tuple[float, str]], no_plotly: bool = False
) -> None:
    """Open ``notebook``, wait until its widget manager has asked the kernel which widgets exist
    (a cell run before that answer can lose its widgets: the manager makes a second model of a
    widget the cell has just made, "Could not create a model"; seen here), then run every cell."""
    page.goto(f"{url}/notebooks/{notebook}", timeout=60_000)
    page.wait_for_function(
        "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
        " && Jupyter.notebook.kernel.is_connected()",
        timeout=180_000,
    )
    deadline = time.monotonic() + 60
    while not any('"comm_info_reply"' in text for _, text in received):
        assert time.monotonic() < deadline, "the widget manager never asked for the widgets"
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)  # it makes the models it was told of (none, in a new kernel)
    if no_plotly:  # as on Colab, where each output is a page of its own
        assert page.evaluate("() => typeof window.Plotly") == "undefined"
    page.evaluate("() => { Jupyter.notebook.execute_all_cells(); }")


def test_the_live_timeline_draws_while_a_plain_loop_blocks_the_kernel(classic_notebook):
    from playwright.sync_api import expect

    with recorded_page("timeline_magic_classic.png") as (page, received, errors):
        open_and_run_all(page, classic_notebook, "timeline_magic.ipynb", received)
        live_frames_came_while_the_loop_blocked(page, received)
        plot = page.locator(".js-plotly-plot").last
        expect(plot.locator(".barlayer .point")).to_have_count(12, timeout=60_000)
        title = page.locator(".gtitle").last.text_content() or ""
        assert "A plain loop" in title and "Running" not in title, title


def test_a_panel_runs_again_after_a_slider_move_and_stops(classic_notebook):
    from playwright.sync_api import expect

    with recorded_page("live_lab_classic.png") as (page, received, errors):
        open_and_run_all(page, classic_notebook, "lab_demo.ipynb", received)
        expect(page.get_by_text("spans: 10")).to_be_visible(timeout=120_000)
        timeline = page.locator(TIMELINE)
        bars = timeline.locator(".barlayer .point")
        expect(bars).to_have_count(expected_bars(4, 2), timeout=30_000)

        # ipywidgets 7 draws a jQuery UI slider: its handle takes the arrow keys too
        move_slider(page, 0, 3, "7", "classic")
        readout = page.locator(".widget-slider").first.locator(".widget-readout")
        expect(readout).to_have_text("7", timeout=10_000)
        expect(page.get_by_text("7 prompts take at best")).to_be_visible(timeout=30_000)
        run = page.locator("button.widget-button", has_text="Run")
        run.click()
        expect(bars).to_have_count(expected_bars(7, 2), timeout=60_000)
        expect(run).to_be_enabled(timeout=60_000)

        move_slider(page, 1, 30, "3.3", "classic")  # 0.3 s to 3.3 s a call
        expect(page.get_by_text("7 prompts take at best 13.20 s")).to_be_visible(timeout=30_000)
        stopped = stop_a_long_run(page, run)
        assert stopped.locator(".barlayer .point").count() > 0


def test_the_figures_colab_gets_draw_where_the_page_has_no_plotly(classic_notebook):
    from playwright.sync_api import expect

    with recorded_page("colab_figure_classic.png") as (page, received, errors):
        open_and_run_all(page, classic_notebook, "colab_figure.ipynb", received, no_plotly=True)
        plot = page.locator(".js-plotly-plot").first
        expect(plot.locator(".barlayer .point").nth(5)).to_be_attached(timeout=120_000)
        boxed = page.locator(".js-plotly-plot:has-text('in an Output')")
        expect(boxed.locator(".barlayer .point").nth(5)).to_be_attached(timeout=60_000)
        assert page.evaluate("() => typeof window.__courseLibPlotly") == "object"
