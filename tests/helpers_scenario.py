"""A scenario added the way a lesson would add one: this module, plus one ``register(...)``.

It runs the prompts two at a time, in pairs, each pair waiting for the slower call.
"""

import asyncio

from course_lib.client.factory import gemini_client
from course_lib.run.calls import ScenarioRun, fetch
from course_lib.run.results import CallRecord
from course_lib.trace.lanes import named


async def in_pairs(run: ScenarioRun) -> list[CallRecord]:
    s, client = run.settings, gemini_client(live=False, fake=run.fake)
    sem = asyncio.Semaphore(2)
    prompts = list(enumerate(s.prompt_list()))
    run.start_clock()
    records = []
    for i in range(0, len(prompts), 2):
        pair = prompts[i : i + 2]
        records += await asyncio.gather(
            *(
                fetch(client, s, sem, task, prompt, named("pair", i // 2 + 1))
                for task, prompt in pair
            )
        )
    return records


def max_overlap(spans) -> int:
    """The most spans open at once."""
    events = sorted([(s.start, 1) for s in spans] + [(s.end, -1) for s in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak
