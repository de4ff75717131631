"""What lesson 05's pool processes run when it shows pyrate-limiter's bucket shared by processes.

It lives here, not in a notebook cell: the spawn and forkserver start methods pickle a function by
its module and name, and a cell has neither. pyrate-limiter's own pool initializer,
``limiter_factory.init_global_limiter(bucket)``, gives each worker a ``Limiter`` over the bucket
it was passed: a ``MultiprocessBucket`` is one budget for all the workers, while an
``InMemoryBucket`` arrives in each worker as a copy of its own (so four workers send four times
the rate). The bucket must go in through ``initargs``: its lock can only be handed to a process
as it starts, never with a task.

>>> import multiprocessing
>>> from concurrent.futures import ProcessPoolExecutor
>>> from pyrate_limiter import Duration, MultiprocessBucket, Rate, limiter_factory
>>> ctx = multiprocessing.get_context("spawn")  # the lock must come from the pool's context
>>> rates = [Rate(5, Duration.SECOND)]
>>> bucket = MultiprocessBucket(rates, ctx.Manager().list(), ctx.RLock())  # doctest: +SKIP
>>> with ProcessPoolExecutor(4, ctx, limiter_factory.init_global_limiter, (bucket,)) as pool:
...     codes = list(pool.map(ask_when_allowed, ["Question 1", "Question 2"]))  # doctest: +SKIP
"""

from __future__ import annotations

from pyrate_limiter import limiter_factory

from course_lib.config import DEFAULT_MODEL
from course_lib.run.workers import fake_client


def ask_when_allowed(prompt: str, model: str = DEFAULT_MODEL) -> int:
    """Wait for a turn from this process's pyrate limiter, ask ``model``, and return the HTTP
    status: 200, or the API error's code (429 when the quota refused the call)."""
    from google.genai import errors

    limiter = limiter_factory.LIMITER
    if limiter is None:
        raise RuntimeError(
            "This process has no pyrate limiter: start the pool with "
            "initializer=limiter_factory.init_global_limiter, initargs=(bucket,)."
        )
    client = fake_client()  # made before the turn is taken, so the call goes out on time
    limiter.try_acquire("gemini")  # blocks until the bucket has room
    try:
        client.models.generate_content(model=model, contents=prompt)
    except errors.APIError as error:
        return error.code
    return 200
