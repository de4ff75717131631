"""``%%timeline`` on a learner's unchanged code: the cell runs as written (top-level ``await``,
its last value, its output and its exceptions), every path's calls reach the timeline (sync,
async over aiohttp, the Interactions API, threads, a process pool, Dask workers), the verdict
printed under it agrees with what was measured, and no hook is left when it is done.

Most tests drive IPython's own shell in this process; one runs a notebook on a real kernel with
ipywidgets (make test-colab runs it on ipywidgets 7 too)."""

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor

import httpx
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_lib import gemini_client, offline, use_fake
from course_lib.notebook import magic
from course_lib.notebook.watch import MAX_LANES, Watch, watching
from course_lib.trace.every_client import _ORIGINAL
from course_lib.trace.lanes import Lane
from course_lib.trace.spans import IN_FLIGHT, Span
from tests.helpers_lessons import execute

MODEL = "gemini-3.6-flash"
LEARNER = f"""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from google import genai
client = genai.Client()
MODEL = {MODEL!r}
async def ask(q):
    return (await client.aio.models.generate_content(model=MODEL, contents=q)).text
"""


@pytest.fixture
def shell(capsys):
    """IPython's shell with ``%%timeline`` loaded (not setup(): its hooks would stay), offline,
    and the learner's usual first cell run."""
    use_fake(latency=0.3)
    offline()
    ipython = InteractiveShell.instance()
    magic.load_ipython_extension(ipython)
    assert ipython.run_cell(LEARNER).success
    capsys.readouterr()
    yield ipython
    magic.unload_ipython_extension(ipython)
    magic._active.clear()


def run(shell, capsys, cell: str) -> tuple[object, list[str]]:
    result = shell.run_cell(cell)
    return result, capsys.readouterr().out.splitlines()


def verdict(lines: list[str]) -> str:
    return next(line for line in lines if line.startswith("→"))


def ideal(lines: list[str]) -> str:
    return next(line for line in lines if line.startswith("Ideal (the dotted line"))


def test_a_plain_loop_ran_one_after_another_and_its_last_value_shows(shell, capsys):
    result, lines = run(
        shell,
        capsys,
        "%%timeline a loop\n"
        "for q in ['a', 'b', 'c']:\n"
        "    r = client.models.generate_content(model=MODEL, contents=q)\n"
        "print('printed by the cell')\n"
        "len(r.text) > 0\n",
    )
    assert result.success and result.result is True  # the last value, as IPython shows it
    assert lines[0] == "printed by the cell"
    assert verdict(lines).startswith("→ 3 calls, at most 1 in flight: they ran one after another")
    waiting, wall = map(float, re.findall(r"([\d.]+) s", verdict(lines)))
    assert 0.85 < waiting <= wall  # three calls of 0.3 s
    assert f"the calls back to back, {waiting:.2f} s;" in ideal(lines)


def test_the_kits_own_client_is_seen_once(shell, capsys):
    """Its calls are traced at its transport, and the fake's log has them too (in-process): one
    span each, none taken for another process's."""
    shell.user_ns["kit"] = gemini_client()
    _, lines = run(
        shell,
        capsys,
        "%%timeline\nfor q in 'abc':\n    kit.models.generate_content(model=MODEL, contents=q)\n",
    )
    assert verdict(lines).startswith("→ 3 calls, at most 1 in flight"), lines
    assert not any("other process" in line for line in lines), lines


def test_top_level_await_overlaps_and_the_verdict_counts_it(shell, capsys):
    result, lines = run(
        shell,
        capsys,
        "%%timeline\nanswers = await asyncio.gather(*(ask(q) for q in 'abcde'))\nlen(answers)\n",
    )
    assert result.success and result.result == 5
    assert verdict(lines).startswith("→ 5 calls, up to 5 in flight at once: they overlapped")
    assert "every call at once" in ideal(lines)
    _, lines = run(
        shell,
        capsys,
        "%%timeline\n"
        "slots = asyncio.Semaphore(2)\n"
        "async def polite(q):\n"
        "    async with slots:\n"
        "        return await ask(q)\n"
        "await asyncio.gather(*(polite(q) for q in 'abcdef'))\n",
    )
    assert verdict(lines).startswith("→ 6 calls, up to 2 in flight at once")
    assert "shared 2 ways" in ideal(lines)


def test_threads_and_the_interactions_api_are_seen(shell, capsys):
    _, lines = run(
        shell,
        capsys,
        "%%timeline\n"
        "with ThreadPoolExecutor(4) as pool:\n"
        "    list(pool.map(lambda q: client.models.generate_content(model=MODEL, contents=q),"
        " 'abcd'))\n",
    )
    assert verdict(lines).startswith("→ 4 calls, up to 4 in flight")
    _, lines = run(
        shell, capsys, "%timeline step = client.interactions.create(model=MODEL, input='Hi')\n"
    )
    assert verdict(lines).startswith("→ 1 call,")
    assert shell.user_ns["step"].steps


def test_the_deprecated_sdks_rest_calls_are_seen(shell, capsys):
    """google-generativeai with transport="rest" sends through requests: the old blog posts'
    loop, changed as lesson 01 changes it."""
    _, lines = run(
        shell,
        capsys,
        "%%timeline\n"
        "import warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import google.generativeai as old_genai\n"
        "from course_lib import fake_url\n"
        "old_genai.configure(api_key='k', transport='rest',"
        " client_options={'api_endpoint': fake_url()})\n"
        "model = old_genai.GenerativeModel(MODEL)\n"
        "for q in 'ab':\n"
        "    model.generate_content(q).text\n",
    )
    assert verdict(lines).startswith("→ 2 calls, at most 1 in flight"), lines


def test_a_line_keeps_its_value_and_its_assignment(shell, capsys):
    result, lines = run(shell, capsys, "%timeline answer = await ask('x')\n")
    assert result.success and shell.user_ns["answer"]
    result, lines = run(shell, capsys, "%timeline len(await ask('y')) > 0\n")
    assert result.result is True and verdict(lines).startswith("→ 1 call, at most 1")
    _, lines = run(shell, capsys, "%timeline\n")
    assert lines == [magic.NEEDS_CODE]
    _, lines = run(shell, capsys, "%timeline for q in 'ab': print(q)\n")
    assert lines == [magic.ONE_LINE]


def test_a_cell_that_raises_still_fails_and_shows_what_ran_before(shell, capsys):
    result, lines = run(
        shell,
        capsys,
        "%%timeline\nclient.models.generate_content(model=MODEL, contents='first')\n1 / 0\n",
    )
    assert isinstance(result.error_in_exec, ZeroDivisionError)  # not swallowed
    assert "The code stopped with ZeroDivisionError" in verdict(lines)
    assert verdict(lines).startswith("→ 1 call,")
    assert not magic._active  # the next cell starts clean
    _, lines = run(shell, capsys, "%%timeline\nawait ask('again')\n")
    assert verdict(lines).startswith("→ 1 call,")


def test_the_cell_keeps_its_line_numbers_and_other_magics_are_left_alone():
    lines = ["%%timeline my loop\n", "x = 1\n", "%time y = 2\n"]
    rewritten = magic.rewrite(lines)
    assert len(rewritten) == 3 and rewritten[1:] == lines[1:]
    assert "%%timeline my loop" in rewritten[0]  # read in a traceback, it says what it was
    assert magic.rewrite(["%timelines x\n"]) == ["%timelines x\n"]
    assert magic.rewrite(["x = 1\n", "  %timeline f()\n"])[1] == "  %timeline f()\n"


def test_calls_from_a_learners_process_pool_reach_the_timeline(shell, capsys):
    from tests.helpers_mp import ask_with_a_plain_client

    shell.user_ns["ask_in_a_worker"] = ask_with_a_plain_client
    shell.user_ns["spawn"] = multiprocessing.get_context("spawn")
    shell.user_ns["ProcessPoolExecutor"] = ProcessPoolExecutor
    _, lines = run(
        shell,
        capsys,
        "%%timeline\n"
        "with ProcessPoolExecutor(2, mp_context=spawn) as pool:\n"
        "    list(pool.map(ask_in_a_worker, ['a', 'b', 'c', 'd']))\n",
    )
    assert verdict(lines).startswith("→ 4 calls,")
    assert "4 of the calls came from 2 other processes" in " ".join(lines)


@pytest.mark.timeout(120)
def test_calls_from_dask_workers_reach_the_timeline():
    distributed = pytest.importorskip("distributed")
    use_fake(latency=0.3)
    offline()
    from tests.helpers_mp import ask_with_a_plain_client

    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        distributed.Client(cluster) as client,
        watching(show=False) as watch,
    ):
        client.gather(client.map(ask_with_a_plain_client, ["a", "b", "c", "d"]))
    assert len([s for s in watch.spans if s.phase == IN_FLIGHT]) == 4
    assert "came from 2 other processes" in " ".join(watch.lines)


def test_tracing_off_leaves_no_hook_and_a_watch_sees_nothing_it_should_not():
    use_fake(latency=0.05)
    offline()
    with watching(show=False) as watch:
        httpx.get(f"{offline()}/not-gemini")  # not a Gemini call: not a span
    assert watch.spans == [] and watch.lines[0].startswith("→ No Gemini call in ")
    assert httpx.HTTPTransport.handle_request is _ORIGINAL["httpx", "sync"]


def test_ten_thousand_calls_stay_readable():
    watch = Watch("many", show=False)
    watch.t0, watch.wall_s = 0.0, 20.0
    watch.spans = [
        Span(i, Lane("task", i), IN_FLIGHT, i / 1024, i / 1024 + 1.0, os.getpid())
        for i in range(10_000)
    ]
    figure = watch.picture()
    rows = {y for trace in figure.data for y in (trace.y or ())}
    assert len(rows) <= MAX_LANES
    lines = watch.summary()
    assert verdict(lines).startswith("→ 10000 calls, up to 1024 in flight at once")
    assert len(lines) == 3  # the verdict, the wall time, the ideal: no other process was seen


def test_on_a_real_kernel_the_timeline_draws_and_errors_still_show(tmp_path):
    """A notebook as a learner writes it: setup(), then %%timeline cells; the first cell of each
    shows the live timeline (a widget) and the verdict under the cell's own output."""
    notebook = nbformat.v4.new_notebook()
    cells = [
        "from course_lib import setup, use_fake\nsetup()\nuse_fake(latency=0.2)",
        LEARNER,
        "%%timeline\nfor q in 'abc':\n    client.models.generate_content(model=MODEL, contents=q)"
        "\nprint('done')",
        "%%timeline\nawait asyncio.gather(*(ask(q) for q in 'abcd'))\nlen('four')",
        "%%timeline\nawait ask('one')\nraise ValueError('the learner’s bug')",
    ]
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.cells[-1].metadata["tags"] = ["raises-exception"]
    execute(notebook)
    loop, gathered, raising = notebook.cells[2:]
    for cell in (loop, gathered, raising):
        kinds = [o.output_type for o in cell.outputs]
        assert "application/vnd.jupyter.widget-view+json" in cell.outputs[0].get("data", {})
        assert kinds[0] == "display_data", kinds
    printed = "".join(o.get("text", "") for o in loop.outputs)
    assert printed.startswith("done\n→ 3 calls, at most 1 in flight")
    assert gathered.outputs[-2].data["text/plain"] == "4"  # the last value, then the verdict
    assert "up to 4 in flight" in gathered.outputs[-1].text
    assert [o.ename for o in raising.outputs if o.output_type == "error"] == ["ValueError"]
    assert "stopped with ValueError" in raising.outputs[-1].text


def test_what_ran_before_the_first_call_is_told_apart_and_the_ideal_counts_from_it():
    """An import or a process starting before the first call: the verdict is about the calls,
    the wall time says when the first went out, and the dotted line (drawn where the text says)
    counts from there."""
    watch = Watch("late", show=False)
    watch.t0, watch.wall_s = 0.0, 3.1
    me = os.getpid()
    watch.spans = [
        Span(1, Lane("task", 1), IN_FLIGHT, 2.0, 2.5, me),
        Span(2, Lane("task", 2), IN_FLIGHT, 2.0, 3.0, me),
    ]
    lines = watch.summary()
    assert lines[0] == (
        "→ 2 calls, up to 2 in flight at once: they overlapped, 1.50 s of waiting in 1.00 s (1.5x)."
    )
    assert "the first call went out at 2.00 s" in lines[1]
    assert (
        ideal(lines)
        == "Ideal (the dotted line, at 3.00 s): every call at once, as long as the longest, 1.00 s."
    )
    notes = [a.text for a in watch.picture().layout.annotations]
    assert "ideal 3.00 s" in notes, notes
    empty = Watch("nothing", show=False)
    empty.wall_s = 0.01
    assert "nothing to draw" in empty.picture().layout.annotations[0].text


def test_a_live_frame_that_fails_stops_the_frames_not_the_code(monkeypatch):
    """Drawing is never in the way: a frame that raises ends the live frames, the watched code
    runs on, and the lines say what stopped them."""
    use_fake(latency=0.3)  # frames come every 0.1 s while a call is in flight
    offline()
    import course_lib.notebook.watch as watch_module

    def broken(*args, **kwargs):
        raise ValueError("no figure today")

    monkeypatch.setattr(watch_module, "timeline", broken)
    monkeypatch.setattr("IPython.display.display", lambda *args, **kwargs: None)
    from google import genai

    client = genai.Client()
    with watching("broken", show=True) as watch:
        for q in "ab":
            client.models.generate_content(model=MODEL, contents=q)
    assert watch.lines[0].startswith("→ 2 calls, at most 1 in flight")
    assert watch.lines[-1] == "(The live frames stopped: no figure today)"
