"""Every exercise check, with a right answer and wrong ones: the feedback must say what to fix."""

import asyncio
import functools
import inspect
import itertools
import time

import pytest

from course_lib import exercises as ex
from course_lib.config import DEFAULT_MODEL
from course_lib.exercises.feedback import CHECK_PROMPTS, expected_answers


def test_feedback_reads_as_one_line_and_is_truthy_only_when_right():
    assert repr(ex.check_cores(2)).startswith("√ Right:")
    wrong = ex.check_cores(16)
    assert not wrong and repr(wrong).startswith("× Not yet:") and "\n" not in repr(wrong)


def test_feedback_shows_its_verdict_in_colour_in_a_notebook_and_escapes_the_message():
    from course_lib.exercises.feedback import right, wrong

    shown = wrong("return a list[str], not <coroutine>")._repr_html_()
    assert "<span style='color:#CC0000;font-weight:bold'>× Not yet</span>: " in shown
    assert shown.startswith("<span class='mathjax_ignore")  # "$5 ... $6" is not maths
    assert shown.endswith("return a list[str], not &lt;coroutine&gt;</span>")
    assert "color:#007A5A" in right("yes")._repr_html_() and "√ Right" in right("yes")._repr_html_()


def test_io_or_cpu():
    right = {task: kind for task, (kind, _) in ex.IO_OR_CPU_TASKS.items()}
    assert ex.check_io_or_cpu(right)
    assert ex.check_io_or_cpu({t: k.upper() for t, k in right.items()})  # case does not matter
    flipped = dict(right, **{"download 50 web pages": "cpu"})
    feedback = ex.check_io_or_cpu(flipped)
    assert not feedback and "1 of 5" in feedback.message and "network" in feedback.message
    assert "no answer yet" in ex.check_io_or_cpu({}).message
    assert "one of" in ex.check_io_or_cpu(dict(right, **{"download 50 web pages": "?"})).message
    assert "pass a dict" in ex.check_io_or_cpu(["io"]).message


def test_cores():
    assert ex.check_cores(2)
    assert "host" in ex.check_cores(16).message
    assert "quota / period" in ex.check_cores(1.5).message
    assert "replace ..." in ex.check_cores(...).message
    assert "right number as a number, without quotes" in ex.check_cores("2").message
    assert "without quotes: check_cores(4)" in ex.check_cores(" 4").message


def test_sequential_time():
    assert ex.check_sequential_time(12.4)
    assert "CPU" in ex.check_sequential_time(12).message
    once = ex.check_sequential_time(12.05).message  # 8 x 1.5 + 0.05
    assert "counted once" in once and "waiting alone" not in once, once
    assert "nothing overlaps" in ex.check_sequential_time(1.5).message
    assert "number of seconds" in ex.check_sequential_time("12.4").message
    assert "replace ..." in ex.check_sequential_time(...).message


def ask_all(client, prompts):
    return [client.models.generate_content(model=DEFAULT_MODEL, contents=p).text for p in prompts]


def test_ask_all():
    assert ex.check_ask_all(ask_all)
    assert "without brackets" in ex.check_ask_all(None).message
    assert "not in the order" in ex.check_ask_all(lambda c, p: ask_all(c, p)[::-1]).message
    responses = ex.check_ask_all(
        lambda c, p: [c.models.generate_content(model=DEFAULT_MODEL, contents=x) for x in p]
    )
    assert "response.text" in responses.message
    assert "raised ZeroDivisionError" in ex.check_ask_all(lambda c, p: 1 / 0).message
    texts = expected_answers(list(CHECK_PROMPTS))  # copied from an earlier output
    written_in = ex.check_ask_all(lambda c, p: list(texts)).message
    assert "0 of the 3 prompts" in written_in, written_in

    def its_own_client(client, prompts):  # the notebook's client, not the one given
        from course_lib import gemini_client

        return ask_all(gemini_client(live=False), prompts)

    assert "0 of the 3 prompts" in ex.check_ask_all(its_own_client).message

    # right, and not the lesson's way: a loop that appends
    def appends(client, prompts):
        answers = []
        for prompt in prompts:
            answers.append(
                client.models.generate_content(model=DEFAULT_MODEL, contents=prompt).text
            )
        return answers

    assert ex.check_ask_all(appends)


async def ask_one_by_one(client, prompts):
    return [
        (await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p)).text
        for p in prompts
    ]


async def ask_all_async(client, prompts):
    calls = [client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p) for p in prompts]
    return [r.text for r in await asyncio.gather(*calls)]


def make_limited(shared: bool, limit_offset: int = 0, fixed: int | None = None):
    async def ask_limited(client, prompts, limit):
        outer = asyncio.Semaphore(fixed or limit + limit_offset)

        async def one(p):
            async with outer if shared else asyncio.Semaphore(limit):
                r = await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p)
                return r.text

        return list(await asyncio.gather(*(one(p) for p in prompts)))

    return ask_limited


async def test_ask_all_async():
    assert await ex.check_ask_all_async(ask_all_async)
    slow = await ex.check_ask_all_async(ask_one_by_one)
    assert not slow and "gather" in slow.message
    assert "async def" in (await ex.check_ask_all_async(ask_all)).message

    async def forgot_await(client, prompts):
        return [
            client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p) for p in prompts
        ]

    assert "not awaited" in (await ex.check_ask_all_async(forgot_await)).message

    async def blocking_inside(client, prompts):
        return [
            client.models.generate_content(model=DEFAULT_MODEL, contents=p).text for p in prompts
        ]

    assert "blocking API" in (await ex.check_ask_all_async(blocking_inside)).message

    async def own_client(client, prompts):
        from course_lib import gemini_client

        return await ask_all_async(gemini_client(live=False), prompts)

    assert "`client` you were given" in (await ex.check_ask_all_async(own_client)).message


async def test_ask_all_async_in_threads_is_told_it_overlapped():
    async def in_threads(client, prompts):  # overlaps, through threads
        calls = [
            asyncio.to_thread(client.models.generate_content, model=DEFAULT_MODEL, contents=p)
            for p in prompts
        ]
        return [r.text for r in await asyncio.gather(*calls)]

    threads = await ex.check_ask_all_async(in_threads)
    assert not threads and "overlapped" in threads.message, threads.message
    assert "nothing overlaps" not in threads.message


async def test_ask_limited():
    assert await ex.check_ask_limited(make_limited(shared=True))
    too_many = await ex.check_ask_limited(make_limited(shared=False))  # a semaphore per call
    assert not too_many and "in flight with limit=2" in too_many.message
    too_few = await ex.check_ask_limited(make_limited(shared=True, limit_offset=-1))
    assert not too_few and "one call fewer than the limit" in too_few.message
    written_in = await ex.check_ask_limited(make_limited(shared=True, fixed=2))  # Semaphore(2)
    assert not written_in and "not a number written in" in written_in.message
    assert "(client, prompts, limit)" in (await ex.check_ask_limited(ask_all_async)).message

    async def breaks_inside(client, prompts, limit):
        return [len(None)]  # a TypeError of the learner's own, not of the signature

    raised = await ex.check_ask_limited(breaks_inside)
    assert "raised TypeError" in raised.message and "three arguments" not in raised.message


async def test_ask_limited_refuses_waves_and_takes_workers():
    async def in_waves(client, prompts, limit):  # never more than limit, and no semaphore
        answers = []
        for i in range(0, len(prompts), limit):
            replies = await asyncio.gather(
                *(
                    client.aio.models.generate_content(model=DEFAULT_MODEL, contents=p)
                    for p in prompts[i : i + limit]
                )
            )
            answers += [r.text for r in replies]
        return answers

    waves = await ex.check_ask_limited(in_waves)
    assert not waves and "in waves" in waves.message, waves.message

    async def workers(client, prompts, limit):  # right, and not the lesson's way: limit workers
        answers = [""] * len(prompts)
        queue = asyncio.Queue()
        for item in enumerate(prompts):
            queue.put_nowait(item)

        async def work():
            while not queue.empty():
                i, prompt = queue.get_nowait()
                reply = await client.aio.models.generate_content(
                    model=DEFAULT_MODEL, contents=prompt
                )
                answers[i] = reply.text

        await asyncio.gather(*(work() for _ in range(limit)))
        return answers

    assert await ex.check_ask_limited(workers)


def test_cpu_prediction():
    assert ex.check_cpu_prediction(2.0, 1.0)
    assert "GIL" in ex.check_cpu_prediction(0.5, 1.0).message
    assert "two cores" in ex.check_cpu_prediction(2.0, 0.5).message
    assert "number of seconds" in ex.check_cpu_prediction(None, 1.0).message


def test_start_method():
    assert ex.check_start_method("fork")
    assert ex.check_start_method(" Fork ")
    assert "module and name" in ex.check_start_method("spawn").message
    assert "choose one of" in ex.check_start_method("threads").message


def test_hybrid_prediction():
    assert ex.check_hybrid_prediction(6.0, 4.5)
    assert "2 processes" in ex.check_hybrid_prediction(8.0, 4.5).message
    assert "pipelined" in ex.check_hybrid_prediction(6.0, 6.0).message


@pytest.mark.parametrize("flip", list(ex.HYBRID_WORTH_IT))
def test_hybrid_worth_it(flip):
    right = {task: verdict for task, (verdict, _) in ex.HYBRID_WORTH_IT.items()}
    assert ex.check_hybrid_worth_it(right)
    wrong = dict(right, **{flip: "no" if right[flip] == "yes" else "yes"})
    feedback = ex.check_hybrid_worth_it(wrong)
    assert not feedback and ex.HYBRID_WORTH_IT[flip][1] in feedback.message


def burn_in_pool(tasks, processes):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from course_lib.pool_tasks import timed_burn

    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        return list(pool.map(timed_burn, tasks))


@pytest.mark.cpu_bound
def test_burn_in_pool():
    from course_lib.pool_tasks import timed_burn

    assert ex.check_burn_in_pool(burn_in_pool)
    here = ex.check_burn_in_pool(lambda tasks, processes: [timed_burn(n) for n in tasks])
    assert "ran in this kernel" in here.message
    alone = ex.check_burn_in_pool(lambda tasks, processes: burn_in_pool(tasks, 1))
    assert "one process did all the work" in alone.message
    backwards = ex.check_burn_in_pool(lambda tasks, processes: burn_in_pool(tasks, 2)[::-1])
    assert "order" in backwards.message
    waited = ex.check_burn_in_pool(one_task_at_a_time)
    assert "never worked at the same time" in waited.message, waited.message


@pytest.mark.cpu_bound
def test_burn_in_pool_follows_processes():
    two = ex.check_burn_in_pool(lambda tasks, processes: burn_in_pool(tasks, 2))  # written in
    assert "your pool had 2 workers" in two.message, two.message
    assert ex.check_burn_in_pool(with_multiprocessing)  # right, and not the lesson's way


def with_multiprocessing(tasks, processes):
    import multiprocessing

    from course_lib.pool_tasks import timed_burn

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.map(timed_burn, tasks)


def one_task_at_a_time(tasks, processes):
    """A wrong answer: both workers used, but each task waited for before the next is sent."""
    from concurrent.futures import ProcessPoolExecutor

    from course_lib.pool_tasks import timed_burn

    with ProcessPoolExecutor(max_workers=processes) as pool:
        pool.submit(timed_burn, 0).result()  # warm one worker...
        first = pool.submit(timed_burn, 0)  # ...and start the second while it is busy
        second = pool.submit(timed_burn, tasks[0])
        first.result(), second.result()
        return [pool.submit(timed_burn, n).result() for n in tasks]


def make_pipeline(pipelined: bool = True, in_pool: bool = True, blocking: bool = False):
    from course_lib.pool_tasks import timed_analyse

    async def fetch_then_analyse_all(client, pool, prompts):
        loop = asyncio.get_running_loop()

        async def analysed(text):
            if blocking:  # in the pool, but waited for on the event loop
                return pool.submit(timed_analyse, text).result()
            if in_pool:
                return await loop.run_in_executor(pool, timed_analyse, text)
            return timed_analyse(text)

        async def one(prompt):
            reply = await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
            return await analysed(reply.text) if pipelined else reply.text

        results = await asyncio.gather(*(one(p) for p in prompts))
        if not pipelined:
            results = await asyncio.gather(*(analysed(text) for text in results))
        return list(results)

    return fetch_then_analyse_all


async def test_pipeline():
    assert await ex.check_pipeline(make_pipeline())
    batch = await ex.check_pipeline(make_pipeline(pipelined=False))
    assert "fetch-all-then-analyse" in batch.message
    on_loop = await ex.check_pipeline(make_pipeline(in_pool=False))
    assert "run_in_executor" in on_loop.message
    assert "async def" in (await ex.check_pipeline(burn_in_pool)).message
    blocked = await ex.check_pipeline(make_pipeline(blocking=True))
    assert ".result()" in blocked.message, blocked.message

    async def wrapped(client, pool, prompts):  # another right answer: a pool future awaited
        from course_lib.pool_tasks import timed_analyse

        async def one(prompt):
            reply = await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
            return await asyncio.wrap_future(pool.submit(timed_analyse, reply.text))

        return list(await asyncio.gather(*(one(p) for p in prompts)))

    assert await ex.check_pipeline(wrapped)


async def ask_with_retry(client, prompt, attempts=5):
    from google.genai import errors

    from course_lib.rate_limits import quota_violation

    for attempt in range(1, attempts + 1):
        try:
            reply = await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
            return reply.text
        except errors.ClientError as error:
            violation = quota_violation(error)
            if violation is None or violation.per_day or attempt == attempts:
                raise
            await asyncio.sleep(violation.wait_s)


def retrier(
    wait, gives_up=lambda v: v is None or v.per_day, sleep=asyncio.sleep, asks=True, bound=True
):
    """An ask_with_retry that sleeps ``wait(violation)`` with ``sleep`` after a client error and
    raises when ``gives_up(violation)`` (``violation``: what quota_violation says, None for an
    error that is not a 429); ``asks`` False calls the blocking client; ``bound`` False retries
    with no end (attempts ignored)."""

    async def ask(client, prompt, attempts=5):
        from google.genai import errors

        from course_lib.rate_limits import quota_violation

        for attempt in range(1, attempts + 1) if bound else itertools.count(1):
            try:
                if asks:
                    reply = await client.aio.models.generate_content(
                        model=DEFAULT_MODEL, contents=prompt
                    )
                else:
                    reply = client.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
                return reply.text
            except errors.ClientError as error:
                violation = quota_violation(error)
                if gives_up(violation) or (bound and attempt == attempts):
                    raise
                result = sleep(wait(violation))
                if inspect.isawaitable(result):
                    await result

    return ask


async def test_ask_with_retry():
    assert await ex.check_ask_with_retry(ask_with_retry)

    # RetryInfo's rounded-down delay
    early = (await ex.check_ask_with_retry(retrier(lambda v: v.retry_delay_s))).message
    assert "wait_s" in early and "rounded down" in early, early

    async def hurried(client, prompt):  # retries, but after a fixed short pause
        from google.genai import errors

        for _ in range(30):
            try:
                reply = await client.aio.models.generate_content(
                    model=DEFAULT_MODEL, contents=prompt
                )
                return reply.text
            except errors.ClientError:
                await asyncio.sleep(0.05)
        raise RuntimeError("gave up")

    assert "RetryInfo" in (await ex.check_ask_with_retry(hurried)).message

    async def never(client, prompt):
        reply = await client.aio.models.generate_content(model=DEFAULT_MODEL, contents=prompt)
        return reply.text

    assert "should be retried" in (await ex.check_ask_with_retry(never)).message

    async def ignores_the_day(client, prompt):
        from google.genai import errors

        from course_lib.rate_limits import quota_violation

        while True:
            try:
                reply = await client.aio.models.generate_content(
                    model=DEFAULT_MODEL, contents=prompt
                )
                return reply.text
            except errors.ClientError as error:
                await asyncio.sleep(quota_violation(error).wait_s)

    assert "per-day" in (await ex.check_ask_with_retry(ignores_the_day)).message
    assert "sync" in (await ex.check_ask_with_retry(lambda client, prompt: "")).message

    async def written_in(client, prompt):  # no call at all
        return "Paris"

    assert "0 of 4 prompts" in (await ex.check_ask_with_retry(written_in)).message

    async def its_own_client(client, prompt):  # the notebook's client, not the one given
        from course_lib import gemini_client

        return await ask_with_retry(gemini_client(live=False), prompt)

    assert "0 of 4 prompts" in (await ex.check_ask_with_retry(its_own_client)).message

    slow = retrier(lambda v: 3.5, gives_up=lambda v: False)  # waits far longer than asked
    assert "after the quota had room again" in (await ex.check_ask_with_retry(slow)).message


async def test_ask_with_retry_waits_what_is_asked_without_blocking():
    # a minute of its own guessed: 1 s (the check's "minute" is 1.5 s) is too early
    assert "wait_s" in (await ex.check_ask_with_retry(retrier(lambda v: 1.0))).message
    # long enough, but a guess
    late = (await ex.check_ask_with_retry(retrier(lambda v: 2.5))).message
    assert "after the quota had room again" in late, late
    blocking_sleep = retrier(lambda v: v.wait_s, sleep=time.sleep)
    blocking = (await ex.check_ask_with_retry(blocking_sleep)).message
    assert "time.sleep" in blocking, blocking
    sync = (await ex.check_ask_with_retry(retrier(lambda v: v.wait_s, asks=False))).message
    assert "never overlapped" in sync, sync

    # right on 429s, but retries every other client error too (a 400 among them)
    every_error = retrier(lambda v: v.wait_s if v else 0.1, gives_up=lambda v: v and v.per_day)
    retried = (await ex.check_ask_with_retry(every_error)).message
    assert "a 400" in retried and "retried 4 time(s)" in retried, retried


async def test_ask_with_retry_gives_up_after_its_attempts():
    # right in every way but one: a 429 that never clears is retried with no end
    endless = (await ex.check_ask_with_retry(retrier(lambda v: v.wait_s, bound=False))).message
    assert "still trying" in endless and "5 attempts" in endless, endless
    ten = (await ex.check_ask_with_retry(functools.partial(ask_with_retry, attempts=10))).message
    assert "tried 10 times" in ten, ten
    assert await ex.check_ask_with_retry(functools.partial(ask_with_retry, attempts=6))


def ask_in_pool(prompts, rpm, period_s):
    from concurrent.futures import ProcessPoolExecutor

    from course_lib.pool_tasks import limited_ask
    from course_lib.rate_limits import RateLimiter

    limiter = RateLimiter.shared(rpm=rpm, period_s=period_s)
    with ProcessPoolExecutor(4, **limiter.pool_options()) as pool:
        return list(pool.map(limited_ask, prompts))


def test_shared_budget():
    from concurrent.futures import ProcessPoolExecutor

    from course_lib.pool_tasks import ask

    assert ex.check_shared_budget(ask_in_pool)

    def own_budgets(prompts, rpm, period_s):  # no shared limiter: 4 processes at full speed
        with ProcessPoolExecutor(4) as pool:
            return list(pool.map(ask, prompts))

    assert "its own budget" in ex.check_shared_budget(own_budgets).message
    assert "one answer per prompt" in ex.check_shared_budget(lambda *args: None).message
    written_in = ex.check_shared_budget(lambda prompts, *args: ["An answer."] * len(prompts))
    assert "0 of 12 prompts reached the API" in written_in.message, written_in.message

    def pool_of_one(prompts, rpm, period_s):  # a shared limiter, and one process to share it
        from course_lib.pool_tasks import limited_ask
        from course_lib.rate_limits import RateLimiter

        limiter = RateLimiter.shared(rpm=rpm, period_s=period_s)
        with ProcessPoolExecutor(1, **limiter.pool_options()) as pool:
            return list(pool.map(limited_ask, prompts))

    one = ex.check_shared_budget(pool_of_one)
    assert "one process" in one.message, one.message
