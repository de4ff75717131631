"""Does watching a run slow it down? Wall time with the live timeline, against the same run without.

Runs inside a real Jupyter kernel (through nbclient), because the cost is the kernel serialising
and sending widget updates. Plain and live runs alternate, and each ratio compares the medians of
runs made side by side, so a busy machine affects both alike.

Also the live frames a second (the final frame aside): at least 5 for the short runs a panel makes.

Run: .venv/bin/python bench/live_overhead.py [--quick]
"""

from __future__ import annotations

import argparse
import json

import nbclient
import nbformat

CODE = r"""
import json, statistics
from IPython.display import display
from course_lib import ScenarioSettings, Tracer, run_scenario
from course_lib.view import LiveTimeline

CASES = {cases}
REPEATS = {repeats}
rows = []
for scenario, settings in CASES:
    s = ScenarioSettings(**settings)
    plain, live, draws, drawing = [], [], [], []
    for _ in range(REPEATS):
        plain.append((await run_scenario(scenario, s)).wall_s)
        timeline = LiveTimeline()
        display(timeline.widget)
        tracer = Tracer()
        result = await timeline.follow(run_scenario(scenario, s, tracer=tracer), tracer)
        live.append(result.wall_s)
        draws.append(timeline.draws)
        drawing.append(timeline.drawing_s)
    rows.append({{"scenario": scenario, "settings": settings, "plain_s": statistics.median(plain),
                 "live_s": statistics.median(live), "draws": statistics.median(draws),
                 "drawing_s": statistics.median(drawing),
                 "spans": len(result.spans)}})
print("RESULT " + json.dumps(rows))
"""

FULL = [
    # what a learner's panel runs: a few seconds, where the frame rate matters most
    ("concurrent", {"prompts": 20, "latency": 0.5, "concurrency": 5}),
    (
        "hybrid-pipelined",
        {"prompts": 8, "latency": 0.5, "concurrency": 4, "processes": 2, "cpu_work": 200},
    ),
    ("concurrent", {"prompts": 1000, "latency": 0.5, "concurrency": 100}),
    ("threads", {"prompts": 200, "latency": 0.2, "concurrency": 20, "cpu_work": 5}),
    ("parallel", {"prompts": 200, "latency": 0.1, "processes": 4, "cpu_work": 5}),
    (
        "hybrid-pipelined",
        {"prompts": 300, "latency": 0.2, "concurrency": 50, "processes": 2, "cpu_work": 10},
    ),
]
QUICK = [("concurrent", {"prompts": 200, "latency": 0.3, "concurrency": 50})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cases, repeats = (QUICK, 2) if args.quick else (FULL, 3)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(CODE.format(cases=cases, repeats=repeats))]
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3").execute()
    text = "".join(
        o.get("text", "") for o in notebook.cells[0].outputs if o.get("name") == "stdout"
    )
    rows = json.loads(text.split("RESULT ", 1)[1])
    print(
        "| scenario | settings | spans | without live (s) | with live (s) | ratio | redraws "
        "| drawing (s) | frames a second |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        settings = ", ".join(f"{k}={v}" for k, v in r["settings"].items())
        print(
            f"| {r['scenario']} | {settings} | {r['spans']} | {r['plain_s']:.3f} | "
            f"{r['live_s']:.3f} | {r['live_s'] / r['plain_s']:.3f} | {r['draws']:.0f} | "
            f"{r['drawing_s']:.3f} | {(r['draws'] - 1) / r['live_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
