"""Functions the multi-process tests run in child processes (they must be importable)."""

import time

from google import genai
from google.genai import errors

from course_lib import DEFAULT_MODEL
from course_lib.run.pools import init_worker


def call_many(base_url: str, n: int) -> list[int]:
    """Make n calls with an unchanged genai.Client(); return the status codes seen."""
    client = genai.Client(
        api_key="same-key-everywhere", http_options={"base_url": base_url} if base_url else None
    )
    codes = []
    for i in range(n):
        try:
            client.models.generate_content(model=DEFAULT_MODEL, contents=f"question {i}")
            codes.append(200)
        except errors.APIError as error:
            codes.append(error.code)
    return codes


def plain_client_text() -> str:
    """What a learner's copy-pasted code gets when it only relies on the environment."""
    client = genai.Client()
    return client.models.generate_content(model=DEFAULT_MODEL, contents="Hello").text


_client: genai.Client | None = None


def ask_with_a_plain_client(prompt: str) -> str:
    """A learner's pool task: one genai.Client() per worker process, made from the environment."""
    global _client
    if _client is None:
        _client = genai.Client()
    return _client.models.generate_content(model=DEFAULT_MODEL, contents=prompt).text


def init_second_slowly(events, owner, started) -> None:
    """Pool initializer: the second process to start takes 2 s more (a busy machine's)."""
    init_worker(events, owner)
    with started.get_lock():
        started.value += 1
        nth = started.value
    if nth == 2:
        time.sleep(2.0)
