"""The fake's time for one request grows linearly with the prompt, never faster.

A prompt ten times longer should cost about ten times as much (reading the JSON and counting
tokens are linear); a quadratic step would make it a hundred times. Measured as ratios, in one run.

Run: .venv/bin/python bench/fake_limits.py
"""

from __future__ import annotations

import json
import statistics
import time

from course_lib import DEFAULT_MODEL
from course_lib.fake import FakeGemini
from course_lib.fake.wire import Caller

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)


def seconds_for(size: int, rounds: int = 5) -> float:
    fake = FakeGemini(latency=0.0)
    prompt = "How do " + "vector databases and caches " * (size // 28) + " work"
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": prompt}]}]}).encode()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        reply = fake.generate("v1", DEFAULT_MODEL, body, Caller("k"))
        times.append(time.perf_counter() - start)
        assert reply.status == 200 and len(reply.chunks[0][1]) < 10_000
    return statistics.median(times)


def main() -> None:
    rows = [(size, seconds_for(size)) for size in SIZES]
    print("| prompt (characters) | seconds | against the size 10x smaller |")
    print("|---|---|---|")
    for i, (size, seconds) in enumerate(rows):
        ratio = f"{seconds / rows[i - 1][1]:.1f}x" if i else "-"
        print(f"| {size:,} | {seconds:.4f} | {ratio} |")


if __name__ == "__main__":
    main()
