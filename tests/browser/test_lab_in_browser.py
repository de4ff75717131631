"""The live lab in a real browser: JupyterLab on 127.0.0.1, Playwright driving Debian's Chromium.

Opens tests/browser/lab_demo.ipynb, runs it, moves a slider, clicks Run, and checks in the page that
the timeline drew the expected bars and changed after the new run; then runs lesson 02's panel
seven times (tests/browser/ten_runs.ipynb) and checks what each run sends to the page, the kernel's
widget count and a live frame's layout against the final one. Screenshots go to
test-artifacts/. Playwright never downloads a browser here: it drives /usr/bin/chromium.

For measurements (docs/performance.md), not for CI: ``COURSE_BROWSER_RUNS=30`` runs the panel 31
times instead of 7 (a leak shows by then: a figure per run grew the page's heap ~18 MB a run and
the kernel's widgets by one), ``COURSE_BROWSER_SLOWDOWN=6`` runs the pages six times slower.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMELINE = ".js-plotly-plot:has-text('in flight (waiting for the model)')"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium: install it with `apt-get install chromium` (.ci/run does this)",
    ),
    # One test worker runs them all, one after another, with one JupyterLab server (lab_server)
    pytest.mark.xdist_group("jupyterlab"),
]
NOTEBOOKS_USED = ("lab_demo.ipynb", "ten_runs.ipynb", "timeline_magic.ipynb", "colab_figure.ipynb")


def expected_bars(prompts: int, concurrency: int) -> int:
    """A concurrent run draws a call and an analysis per prompt, and a wait for each prompt that
    found every slot taken."""
    return 2 * prompts + max(0, prompts - concurrency)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(p):
    """Debian's Chromium, headless, with nothing of its own reaching the network.
    ``COURSE_BROWSER_SLOWDOWN=6`` runs its pages six times slower (Chromium's CPU throttling),
    as on a learner's busy laptop: plotly.js then takes ~10 s to load."""
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
    slowdown = float(os.environ.get("COURSE_BROWSER_SLOWDOWN", "1"))
    if slowdown > 1:
        new_page = browser.new_page

        def slow_page(**options):
            page = new_page(**options)
            devtools = page.context.new_cdp_session(page)
            devtools.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
            return page

        browser.new_page = slow_page
    return browser


#: True once the notebook in front has a kernel and it is idle (JupyterLab and Notebook 7 alike:
#: Notebook 7 has no status bar to read it from).
KERNEL_IDLE = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const session = widget && widget.sessionContext && widget.sessionContext.session;
  return !!(session && session.kernel && session.kernel.status === "idle");
}"""


def open_and_run_all(page, lab: Lab, notebook: str, ui: str = "lab") -> None:
    """Open ``notebook`` in JupyterLab (``ui="lab"``) or Notebook 7 (``"notebook"``), wait for
    its kernel, and run every cell."""
    page.goto(lab.address(notebook, ui), timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.commands", timeout=60_000)
    wait_for_the_kernel(page)
    # Fire and forget: returning the command's promise would wait for every cell.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def wait_for_the_kernel(page, timeout_s: float = 180) -> None:
    """Wait until the notebook's kernel is idle, choosing the default kernel if a dialog asks
    (older JupyterLab ignores autoStartDefaultKernel, and the dialog may come late). The time is
    generous: in make test the lessons run beside it, one of them beside a CPU hog, and one
    kernel took over 60 s to be ready there."""
    dialog = page.get_by_role("button", name="Select", exact=True)
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(KERNEL_IDLE):
        if time.monotonic() > deadline:
            raise AssertionError(f"the notebook's kernel was not ready in {timeout_s:.0f} s")
        if dialog.is_visible():
            dialog.click()
        page.wait_for_timeout(250)


@dataclass(frozen=True)
class Lab:
    """The module's Jupyter server (``url``) and a folder of this test's own under its root,
    with fresh copies of the notebooks: no test opens a notebook another one ran or saved."""

    url: str
    folder: str

    def address(self, notebook: str, ui: str = "lab") -> str:
        """Where ``notebook`` opens in JupyterLab, in a workspace of this test's own (so the page
        reopens nothing an earlier test left open, and needs no ?reset, which reloads it
        mid-start), or in Notebook 7."""
        if ui == "lab":
            return f"{self.url}/lab/workspaces/{self.folder}/tree/{self.folder}/{notebook}"
        return f"{self.url}/notebooks/{self.folder}/{notebook}"


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """One JupyterLab (and Notebook 7) server for every test here: a start costs 2.5 s of CPU,
    and the tests share one test worker (pytestmark), so one server serves them in turn."""
    tmp_path = tmp_path_factory.mktemp("jupyterlab")
    root = tmp_path / "root"
    root.mkdir()
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
    with jupyter_server(
        [
            "jupyterlab",
            "--IdentityProvider.token=",
            "--PasswordIdentityProvider.hashed_password=",
            "--ServerApp.disable_check_xsrf=True",  # the fixture below shuts kernels down by REST
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",  # Notebook 7, the same way
        ],
        env,
        tmp_path / "lab.log",
    ) as url:
        yield url, root


@pytest.fixture
def jupyter_lab(lab_server, request):
    """The server and this test's own folder; after the test, the kernels it started are shut
    down (the server would keep them for the tests after it)."""
    url, root = lab_server
    folder = "-".join(filter(None, re.split(r"\W+", request.node.name)))
    (root / folder).mkdir()
    for notebook in NOTEBOOKS_USED:
        shutil.copy(HERE / notebook, root / folder)
    yield Lab(url, folder)
    try:
        with urllib.request.urlopen(f"{url}/api/sessions", timeout=10) as answer:
            sessions = json.load(answer)
    except urllib.error.URLError as error:  # an HTTPError's reason is its text: raised
        if isinstance(error.reason, ConnectionRefusedError):
            return  # the server died (the test says why): its kernels went with it
        raise
    for session in sessions:
        if session["path"].startswith(f"{folder}/"):
            stop = urllib.request.Request(f"{url}/api/sessions/{session['id']}", method="DELETE")
            try:
                urllib.request.urlopen(stop, timeout=30).close()
            except urllib.error.HTTPError as error:
                if error.code != 404:  # 404: it had ended already
                    raise


@contextlib.contextmanager
def jupyter_server(args: list[str], env: dict[str, str], log: Path):
    """``python -m ARGS`` (a Jupyter server: JupyterLab, the classic notebook) on a free
    loopback port, without a browser, as root too; yields its URL once it answers, and stops it
    after. A server that does not start in 60 s fails the test with the end of ``log``."""
    port = free_port()
    command = [sys.executable, "-m", args[0], "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    server = subprocess.Popen(
        [*command, "--allow-root", *args[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
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
                pytest.fail(f"{args[0]} did not start: " + log.read_text()[-2000:])
            time.sleep(0.3)
    try:
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def move_slider(page, nth: int, steps: int, value: str, ui: str) -> None:
    """Move the ``nth`` slider as a learner would: in JupyterLab (and the classic notebook) by
    ``steps`` presses of an arrow key on its handle; in Notebook 7 by typing ``value`` into its
    readout, since there a focused handle never hears the arrow keys (seen here with Notebook
    7.6: the page's own shortcuts take them; dragging and typing work)."""
    slider = page.locator(".widget-slider").nth(nth)
    if ui in ("lab", "classic"):  # the classic page: ipywidgets 7's jQuery UI slider
        handle = slider.locator(".noUi-handle" if ui == "lab" else ".ui-slider-handle")
        handle.focus()
        for _ in range(abs(steps)):
            handle.press("ArrowRight" if steps > 0 else "ArrowLeft")
        return
    slider.locator(".widget-readout").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def stop_a_long_run(page, run):
    """Click ``run`` (a long run's settings are set), Stop it once it is running, and return the
    stopped timeline once the panel can run again: the timeline keeps what happened."""
    from playwright.sync_api import expect

    run.click()
    expect(page.locator(".gtitle", has_text="Running…")).to_have_count(1, timeout=30_000)
    page.locator("button.widget-button", has_text="Stop").click()
    stopped = page.locator(".js-plotly-plot:has-text('Stopped at')")
    expect(stopped).to_have_count(1, timeout=30_000)
    expect(run).to_be_enabled(timeout=30_000)
    return stopped


@pytest.mark.long_run  # Playwright's expect retries: it holds beside the lessons' runs
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_the_timeline_draws_and_redraws_after_a_slider_move_and_run(jupyter_lab, ui):
    """In JupyterLab and in Notebook 7: a panel's first run draws, a slider moved with the
    keyboard and Run draw a larger run, Stop ends a long one with the timeline kept, and after a
    save and a reload the last frame shows and the panel runs and draws again."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        try:
            open_and_run_all(page, jupyter_lab, "lab_demo.ipynb", ui)
            # Every code cell has run when each shows a number, e.g. "[2]:".
            expect(page.locator(".jp-CodeCell .jp-InputPrompt").last).to_have_text(
                "[2]:", timeout=90_000
            )
            expect(page.get_by_text("spans: 10")).to_be_visible(timeout=30_000)

            timeline = page.locator(TIMELINE)
            bars = timeline.locator(".barlayer .point")
            expect(bars).to_have_count(expected_bars(4, 2), timeout=30_000)
            first_lanes = timeline.locator(".ytick").count()

            # Move the "prompts" slider from 4 to 7 as a learner could.
            move_slider(page, 0, 3, "7", ui)
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
            move_slider(page, 1, 30, "3.3", ui)  # 0.3 s to 3.3 s a call
            expect(page.get_by_text("7 prompts take at best 13.20 s")).to_be_visible(timeout=30_000)
            stopped = stop_a_long_run(page, run)

            # Saved and reloaded with the kernel alive: the last frame shows again, and the
            # panel still runs and draws.
            save(page)
            reload_until_drawn(page, stopped)
            assert stopped.locator(".barlayer .point").count() > 0
            move_slider(page, 0, -1, "6", ui)  # 6 prompts
            move_slider(page, 1, -30, "0.3", ui)  # back to 0.3 s
            expect(page.get_by_text("6 prompts take at best 0.90 s")).to_be_visible(timeout=30_000)
            page.locator("button.widget-button", has_text="Run").click()
            expect(page.locator(TIMELINE).locator(".barlayer .point")).to_have_count(
                expected_bars(6, 2), timeout=60_000
            )
        finally:
            page.screenshot(path=str(ARTIFACTS / f"live_lab_{ui}.png"), full_page=True)
            browser.close()


@contextlib.contextmanager
def recorded_page(screenshot: str):
    """A Chromium page at 1400x900, with what it hears from the kernel (``received``: when, and
    the text of each websocket frame) and its console errors (``errors``); its screenshot goes to
    test-artifacts/ however the test ends. No widget or model error may reach the console."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    received: list[tuple[float, str]] = []  # (when, text) of every websocket frame from the kernel
    errors: list[str] = []

    def heard(payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
        received.append((time.monotonic(), text))

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("websocket", lambda ws: ws.on("framereceived", heard))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            yield page, received, errors
            assert not [e for e in errors if "model" in e.lower() or "widget" in e.lower()], errors
        finally:
            with contextlib.suppress(Exception):  # a page that crashed: the test's own error shows
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
            browser.close()


def live_frames_came_while_the_loop_blocked(page, received: list[tuple[float, str]]) -> None:
    """timeline_magic.ipynb's plain loop of 12 calls: its verdict shows, and before it the page
    received at least 5 live frames of the timeline ("Running…"), sent while the loop blocked
    the kernel."""
    from playwright.sync_api import expect

    expect(page.get_by_text("→ 12 calls, at most 1 in flight")).to_be_visible(timeout=180_000)
    said = next(t for t, text in received if "12 calls, at most 1 in flight" in text)
    live = [t for t, text in received if "Running" in text and "A plain loop" in text and t < said]
    print(f"live frames received in the loop's last {said - live[0]:.1f} s: {len(live)}")
    assert len(live) >= 5, len(live)  # frames kept coming while the kernel was blocked


@pytest.mark.long_run
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_timeline_grows_live_under_a_plain_loop_that_blocks_the_kernel(jupyter_lab, ui):
    """%%timeline on a cell whose plain loop of 12 calls (0.5 s each) blocks the kernel: its live
    frames still reach the page while the loop runs (drawn from a thread of their own), then the
    final picture and the verdict under the cell's own output, with no widget error.

    What is counted is the frames the page received before the verdict, not the bars it drew:
    beside the lessons' runs (clean-clone CI) the page drew the new figure only after the loop
    had ended, though its frames had come; the drawing speed of a starved browser is not what
    this checks. A first %%timeline cell brings plotly.js to the page."""
    from playwright.sync_api import expect

    with recorded_page(f"timeline_magic_{ui}.png") as (page, received, errors):
        open_and_run_all(page, jupyter_lab, "timeline_magic.ipynb", ui)
        live_frames_came_while_the_loop_blocked(page, received)
        plot = page.locator(".js-plotly-plot").last
        expect(plot.locator(".barlayer .point")).to_have_count(12, timeout=60_000)
        title = page.locator(".gtitle").last.text_content() or ""
        assert "A plain loop" in title and "Running" not in title, title  # the final picture
        expect(page.locator(".jp-OutputArea-output pre", has_text="done")).to_be_visible()


# What the page hears of each Plotly redraw of the timeline: when, its width, the bars' domain,
# the height and whether it was a live frame ("Running…").
WATCH_REDRAWS = """() => {
  const plot = document.querySelector(".js-plotly-plot");
  window.redraws = [];
  plot.on("plotly_afterplot", () => window.redraws.push({
    at: performance.now() / 1000,
    width: Math.round(plot.getBoundingClientRect().width),
    domain: JSON.stringify(plot._fullLayout.yaxis.domain),
    height: plot._fullLayout.height,
    rows: (plot._fullLayout.yaxis.categoryarray || []).length,
    bars: plot.querySelectorAll(".barlayer .point").length,
    live: (plot._fullLayout.title.text || "").startsWith("Running"),
  }));
}"""


def save(page) -> None:
    """Save the open notebook and wait until it is written (its model no longer dirty): a reload
    before that would load the file without the outputs just drawn. A fixed 1.5 s wait was too
    short once on a busy CI machine."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        """() => {
            const widget = window.jupyterapp.shell.currentWidget;
            return widget && widget.context && !widget.context.model.dirty;
        }""",
        timeout=60_000,
    )


def reload_until_drawn(page, figure, errors: list[str] | None = None) -> None:
    """Reload the page until ``figure`` shows, twice at most (``errors``, the page's console
    errors, are cleared before each). The widget manager asks for every widget's state with a
    4 s timeout (ipywidgets #3633); when plotly.js was in that state (4.6 MB), a busy machine
    (load 10+) lost a model once in five clean-clone CI runs: "Error displaying widget: model not
    found". The state is kilobytes now (plotly.js comes in a message of its own). Notebook 7 on
    the official CI once drew nothing after a reload with no error shown; a first failure of any
    kind is printed (with what the outputs show) and retried, a second is a failure."""
    from playwright.sync_api import expect

    for attempt in (1, 2):
        if errors is not None:
            errors.clear()
        page.reload()
        page.wait_for_function("window.jupyterapp && window.jupyterapp.commands", timeout=60_000)
        try:
            expect(figure).to_have_count(1, timeout=60_000)
            return
        except AssertionError:
            lost = page.get_by_text("model not found").count()
            shown = page.locator(".jp-OutputArea-output").all_inner_texts()
            print(
                f"reload {attempt}: the figure did not show ('model not found' shown: {lost});"
                f" {len(shown)} outputs on the page, the last: {[t[:80] for t in shown[-3:]]}"
            )
            if attempt == 2:
                raise


def frames_a_second(live: list[dict]) -> float:
    """How often live frames were drawn, from the first to the last (0 for fewer than two)."""
    span = live[-1]["at"] - live[0]["at"] if len(live) > 1 else 0.0
    return (len(live) - 1) / span if span else 0.0


def js_heap_mb(page) -> float:
    """The page's JavaScript heap in use, in MB, after a garbage collection (Chromium's
    DevTools protocol: what the Memory tab shows)."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("HeapProfiler.collectGarbage")
    devtools.send("Performance.enable")
    metrics = devtools.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize") / 1e6


@pytest.mark.long_run
@pytest.mark.parametrize("ui", ["lab"])  # Notebook 7's page: the test above, reload included
def test_repeated_runs_of_one_panel_keep_one_figure_and_send_little(jupyter_lab, ui):
    """Lesson 02's panel, run seven times, in JupyterLab: plotly's 5 MB bundle
    reaches the page once, each later run sends a few hundred KB at most, the kernel keeps one
    figure, the page's heap stays flat, live frames come during the runs (how many a second is
    printed: docs/performance.md) laid out as the final frame, and a reload shows the last frame
    with no widget error."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    received: list[int] = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "websocket",
            lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))),
        )
        try:
            open_and_run_all(page, jupyter_lab, "ten_runs.ipynb", ui)
            count = page.locator(".jp-OutputArea-output pre", has_text="widgets in the kernel:")
            expect(count).to_be_visible(timeout=90_000)
            widgets_before = int(count.text_content().split(":")[1])
            run = page.locator("button.widget-button", has_text="Run")

            def one_run() -> int:
                before = sum(received)
                page.evaluate("() => { window.clickedAt = performance.now() / 1000; }")
                run.click()
                expect(run).to_be_disabled(timeout=10_000)
                expect(run).to_be_enabled(timeout=60_000)
                return sum(received) - before

            first = one_run()  # the figure's JavaScript comes with the first run, once
            heap_before = js_heap_mb(page)
            page.evaluate(WATCH_REDRAWS)
            sent, rates, first_bars = [], [], []
            runs = int(os.environ.get("COURSE_BROWSER_RUNS", "6"))  # 30 for docs/performance.md
            for _ in range(runs):
                page.evaluate("() => { window.redraws = []; }")
                sent.append(one_run())
                redraws = page.evaluate("() => window.redraws")
                live = [r for r in redraws if r["live"]]
                rates.append(frames_a_second(live))
                clicked = page.evaluate("() => window.clickedAt")
                drawn = next((r["at"] for r in live if r["bars"]), None)
                first_bars.append(None if drawn is None else round(drawn - clicked, 2))
                if not live:  # a starved machine can finish a run before its first frame
                    continue
                final = redraws[-1]
                for frame in live:  # laid out as the final frame: no jump when the run ends
                    assert (frame["width"], frame["domain"]) == (final["width"], final["domain"])
                    # a row appears when its call starts (on a busy machine a first frame can
                    # come before the last call started): once every row is there, the height
                    # is the final one
                    if frame["rows"] == final["rows"]:
                        assert frame["height"] == final["height"]
                heights = [frame["height"] for frame in live]
                assert heights == sorted(heights), f"a live frame shrank: {heights}"
            heap_after = js_heap_mb(page)
            kb = [n // 1000 for n in sent]
            print(f"{ui}: first run {first / 1e6:.2f} MB; then per run (kB)", kb)
            after = f"{heap_after:.1f} after {runs + 1}"
            print(f"JavaScript heap: {heap_before:.1f} MB after 1 run, {after}")
            # a new figure per run grew it by ~18 MB a run; issue 21 asks flat within 20 MB
            assert heap_after - heap_before < 20, (heap_before, heap_after)
            print("live frames a second", [round(r, 1) for r in rates])
            # a concurrent run's first call starts at once: issue 21 asks for its bar in 0.5 s
            print("first bar, seconds after Run", first_bars)
            assert first > 4_000_000  # plotly.js: this is the run that brings it
            # A new figure per run sent 5 MB each time. Issue 21 aims at 200 KB: measured 55-90 KB
            # (docs/performance.md), each frame's figure whole.
            assert max(sent) < 400_000, sent
            # The frame rate is a speed, measured, not asserted (docs/performance.md: 5-6 a
            # second on a quiet machine, 2-3 at load 8): here, that frames come during runs at
            # all, not only the first and the last.
            assert sum(rate > 0 for rate in rates) >= len(rates) // 2, rates

            # All the runs made one figure (a widget per run would be one more each: 7 or more).
            page.locator(".jp-CodeCell").nth(1).click()
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
            expect(count).not_to_have_text(f"widgets in the kernel: {widgets_before}")
            widgets_after = int(count.text_content().split(":")[1])
            print(f"widgets in the kernel: {widgets_before} before the runs, {widgets_after} after")
            # the figure and the widget that brings plotly.js, each with its ipywidgets Layout
            assert widgets_after - widgets_before <= 4

            # Saved and reloaded with the kernel alive: the last frame shows, no model is lost.
            save(page)
            reload_until_drawn(page, page.locator(".gtitle", has_text="20 prompts"), errors)
            assert not [e for e in errors if "model" in e.lower()], errors
        finally:
            page.screenshot(path=str(ARTIFACTS / f"ten_runs_{ui}.png"), full_page=True)
            browser.close()


@pytest.mark.long_run
def test_a_figure_that_brings_plotly_along_draws_where_the_page_has_no_plotly(jupyter_lab):
    """Colab shows each output in a page of its own, where no other widget has brought
    plotly.js: there the kit's figures carry it in their state (issue 26). Here, in a page where
    window.Plotly is undefined when the notebook opens, such a figure draws all its bars."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(jupyter_lab.address("colab_figure.ipynb"), timeout=60_000)
            page.wait_for_function(
                "window.jupyterapp && window.jupyterapp.commands", timeout=60_000
            )
            wait_for_the_kernel(page)
            assert page.evaluate("() => typeof window.Plotly") == "undefined"  # as on Colab
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            plot = page.locator(".js-plotly-plot").last
            # six calls, each a bar per phase (waiting for a slot, in flight): drawn
            expect(plot.locator(".barlayer .point").nth(5)).to_be_attached(timeout=120_000)
            expect(plot.locator(".ytick", has_text="coroutine 6")).to_be_attached()
            assert page.evaluate("() => typeof window.__courseLibPlotly") == "object"
            # and the same run in an ipywidgets.Output, as a panel's charts are shown
            boxed = page.locator(".js-plotly-plot:has-text('in an Output')")
            expect(boxed.locator(".barlayer .point").nth(5)).to_be_attached(timeout=60_000)
        finally:
            page.screenshot(path=str(ARTIFACTS / "colab_figure.png"), full_page=True)
            browser.close()
