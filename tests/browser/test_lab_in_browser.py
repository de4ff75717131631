"""The live lab in a real browser: JupyterLab on 127.0.0.1, Playwright driving Debian's Chromium.

Opens tests/browser/lab_demo.ipynb, runs it, moves a slider, clicks Run, and checks in the page that
the timeline drew the expected bars and changed after the new run. A screenshot is saved under
test-artifacts/. Playwright never downloads a browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMELINE = ".js-plotly-plot:has-text('in flight (waiting for the model)')"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium: install it with `apt-get install chromium` (.ci/run does this)",
)


def expected_bars(prompts: int, concurrency: int) -> int:
    """A concurrent run draws a call and an analysis per prompt, and a wait for each prompt that
    found every slot taken."""
    return 2 * prompts + max(0, prompts - concurrency)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyter_lab(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(HERE / "lab_demo.ipynb", root)
    settings = tmp_path / "settings"
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
        "@jupyterlab/notebook-extension/tracker": {
            "windowingMode": "none",
            "autoStartDefaultKernel": True,  # no "Select Kernel" dialog
        },
    }.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--allow-root",
            "--IdentityProvider.token=",
            "--PasswordIdentityProvider.hashed_password=",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "lab.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                pytest.fail(
                    "JupyterLab did not start: " + (tmp_path / "lab.log").read_text()[-2000:]
                )
            time.sleep(0.3)
    yield url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.mark.long_run  # Playwright's expect retries: it holds beside the lessons' runs
def test_the_timeline_draws_and_redraws_after_a_slider_move_and_run(jupyter_lab):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        try:
            # A fresh workspace folder per test, so no ?reset (it reloads the page mid-start).
            page.goto(f"{jupyter_lab}/lab/tree/lab_demo.ipynb", timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function(
                "window.jupyterapp && window.jupyterapp.commands", timeout=60_000
            )
            dialog = page.get_by_role("button", name="Select", exact=True)
            if dialog.is_visible():  # older JupyterLab ignores autoStartDefaultKernel
                dialog.click()
            expect(page.locator("#jp-main-statusbar")).to_contain_text(
                "Python 3 (ipykernel) | Idle", timeout=60_000
            )
            # Fire and forget: returning the command's promise would wait for every cell.
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            # Every code cell has run when each shows a number, e.g. "[2]:".
            expect(page.locator(".jp-CodeCell .jp-InputPrompt").last).to_have_text(
                "[2]:", timeout=90_000
            )
            expect(page.get_by_text("spans: 10")).to_be_visible(timeout=30_000)

            timeline = page.locator(TIMELINE)
            bars = timeline.locator(".barlayer .point")
            expect(bars).to_have_count(expected_bars(4, 2), timeout=30_000)
            first_lanes = timeline.locator(".ytick").count()

            # Move the "prompts" slider from 4 to 7 with the keyboard, as a learner could.
            handle = page.locator(".widget-slider").first.locator(".noUi-handle")
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            expect(page.locator(".widget-slider").first.locator(".widget-readout")).to_have_text(
                "7", timeout=10_000
            )
            # The readout changes at once; the kernel hears of it a moment later. Its prediction
            # line says when it has, so Run cannot overtake the new value.
            expect(page.get_by_text("7 prompts take at best")).to_be_visible(timeout=30_000)

            run = page.locator("button.widget-button", has_text="Run")
            run.click()
            expect(run).to_be_disabled(timeout=10_000)  # controls are off while it runs
            expect(bars).to_have_count(expected_bars(7, 2), timeout=60_000)
            expect(run).to_be_enabled(timeout=60_000)
            assert timeline.locator(".ytick").count() > first_lanes  # more coroutines, more rows
            expect(page.get_by_text("wall").first).to_be_visible()
            expect(page.locator(".js-plotly-plot:has-text('Runs compared')")).to_have_count(1)

            # A long run, stopped: the timeline keeps what happened, and says when it stopped.
            latency = page.locator(".widget-slider").nth(1).locator(".noUi-handle")
            latency.focus()
            for _ in range(30):  # 0.3 s to 3.3 s a call
                latency.press("ArrowRight")
            expect(page.get_by_text("7 prompts take at best 13.20 s")).to_be_visible(timeout=30_000)
            run.click()
            expect(page.locator(".gtitle", has_text="Running…")).to_have_count(1, timeout=30_000)
            page.locator("button.widget-button", has_text="Stop").click()
            stopped = page.locator(".js-plotly-plot:has-text('Stopped at')")
            expect(stopped).to_have_count(1, timeout=30_000)
            expect(run).to_be_enabled(timeout=30_000)

            # Saved and reloaded with the kernel alive: the last frame shows again, and the
            # panel still runs and draws.
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            page.wait_for_timeout(1_500)
            page.reload()
            page.wait_for_function(
                "window.jupyterapp && window.jupyterapp.commands", timeout=60_000
            )
            expect(stopped).to_have_count(1, timeout=60_000)
            assert stopped.locator(".barlayer .point").count() > 0
            prompts = page.locator(".widget-slider").first.locator(".noUi-handle")
            prompts.focus()
            prompts.press("ArrowLeft")  # 6 prompts
            latency = page.locator(".widget-slider").nth(1).locator(".noUi-handle")
            latency.focus()
            for _ in range(30):
                latency.press("ArrowLeft")  # back to 0.3 s
            expect(page.get_by_text("6 prompts take at best 0.90 s")).to_be_visible(timeout=30_000)
            page.locator("button.widget-button", has_text="Run").click()
            expect(page.locator(TIMELINE).locator(".barlayer .point")).to_have_count(
                expected_bars(6, 2), timeout=60_000
            )
        finally:
            page.screenshot(path=str(ARTIFACTS / "live_lab.png"), full_page=True)
            browser.close()
