"""What ``%%timeline`` costs the code it watches, as ratios within one run (this machine is shared
and noisy): the same work with no watch, and under a watch that draws live frames from its
thread (as in a notebook; the frames go to a widget no page shows here).

Two kinds of code: pure-Python CPU work (the drawing thread competes for the interpreter), and a
plain loop of calls to the fake's loopback server with a plain ``genai.Client()`` (every call
traced, every frame redrawn). The target (issue 23): under 5 % of the watched code's time.

Run: .venv/bin/python bench/timeline_magic.py  [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import IPython.display
from google import genai

from course_lib import DEFAULT_MODEL, setup, use_fake
from course_lib.notebook.watch import Watch


def cpu_work() -> None:
    sum(i * i for i in range(3_000_000))


def timed(work: Callable[[], None], watched: bool) -> float:
    watch = Watch("bench", show=True) if watched else None
    if watch is not None:
        watch.start()
    start = time.perf_counter()
    work()
    took = time.perf_counter() - start
    if watch is not None:
        watch.finish()
    return took


def ratio(work: Callable[[], None], rounds: int) -> tuple[float, float]:
    """The median time unwatched, and the median of watched/unwatched over alternating rounds."""
    plain, ratios = [], []
    for _ in range(rounds):
        off = timed(work, False)
        on = timed(work, True)
        plain.append(off)
        ratios.append(on / off)
    return statistics.median(plain), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    setup()
    IPython.display.display = lambda *args, **kwargs: None  # no page here to show the widget
    use_fake(latency=0.05)
    client = genai.Client()

    def calls() -> None:
        for i in range(20):
            client.models.generate_content(model=DEFAULT_MODEL, contents=f"question {i}")

    cpu_work(), calls()  # warm up
    for name, work in (("CPU work", cpu_work), ("20 calls of 0.05 s", calls)):
        off, on = ratio(work, rounds)
        print(f"{name}: {off:.3f} s unwatched; watched/unwatched {on:.3f}")


if __name__ == "__main__":
    main()
