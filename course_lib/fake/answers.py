"""What the fake Gemini says: canned answers for known prompts, composed ones for any other.

Answers depend only on the prompt and a random generator the caller seeds, never on call order,
so a run with the same seed gives the same texts however its calls interleave.

>>> import random
>>> answer_for("Write a haiku about robots", random.Random(0)).splitlines()[0]
'Steel hands learn to fold'
>>> count_tokens("Four chars a token, roughly.")
7
"""

from __future__ import annotations

import json
import math
import random
import re
from functools import cache, lru_cache

from course_lib.data_files import data_file

_LEADING_WORDS = re.compile(
    r"^(please\s+)?(explain|describe|summari[sz]e|define|discuss|tell me about|"
    r"write (a|an) [\w\s]*? about|what (is|are)( a| an| the)?|why (is|are|do|does)|"
    r"how (do|does|is|are)|give me [\w\s]*? (on|about))\s+",
    re.IGNORECASE,
)
_NUMBER_WORDS = "one two three four five six seven eight nine ten".split()
#: "in 300 words", "in just 3 words", "in under fifty words" (the words one to ten), "in a word"
_WORD_BUDGET = re.compile(
    r"\bin (?:just |only |exactly |about |around |under |less than |fewer than |at most |no more "
    r"than )?(\d{1,4}|a|" + "|".join(_NUMBER_WORDS) + r") words?\b",
    re.IGNORECASE,
)


def _words_wanted(said: str) -> int:
    said = said.lower()
    return (
        1 if said == "a" else _NUMBER_WORDS.index(said) + 1 if said in _NUMBER_WORDS else int(said)
    )


@cache
def _corpus() -> dict:
    return json.loads(data_file("fake_gemini", "answers.json").read_text(encoding="utf-8"))


def _normalise(prompt: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", prompt.lower()).split())


@cache
def _canned() -> dict[str, str]:
    return {_normalise(item["prompt"]): item["answer"] for item in _corpus()["answers"]}


def known_prompts() -> list[str]:
    """The prompts the fake has hand-written answers for (the classic five come first)."""
    return [item["prompt"] for item in _corpus()["answers"]]


_TOPIC_WORDS = 8  # a topic is a short phrase, however long the prompt


def topic_of(prompt: str) -> str:
    """'Explain the event loop in 50 words' -> 'the event loop'. Only the prompt's first line and
    words count: the time taken is bounded, and so is the answer, whatever the prompt's size.

    >>> topic_of("How do vector databases work?"), topic_of("x " * 10**6)[:9]
    ('vector databases', 'x x x x x')
    """
    first = prompt.strip()[:200].split("\n", 1)[0]
    text = _WORD_BUDGET.sub("", first).strip(" ?.!:")
    if re.match(r"how (do|does)\b", text, re.IGNORECASE):
        words = text.split()  # 'How do vector databases work' -> 'vector databases'
        if words and words[-1].lower() in ("work", "works"):
            text = " ".join(words[:-1])
    text = _LEADING_WORDS.sub("", text).strip(" ?.!:")
    return " ".join(text.split()[:_TOPIC_WORDS]) or "this question"


_CACHED_UP_TO = 1000  # characters: longer prompts are not kept in the caches below


def canned_answer(prompt: str) -> str | None:
    """The hand-written answer to a known prompt (case and punctuation do not matter), or None."""
    if len(prompt) > 200:  # every known prompt is short
        return None
    return _canned_answer(prompt)


@lru_cache(maxsize=4096)
def _canned_answer(prompt: str) -> str | None:
    return _canned().get(_normalise(prompt))


def composed_answer(prompt: str, seed: int) -> str:
    """An answer composed for the prompt's topic; the same ``seed`` gives the same answer."""
    if len(prompt) > _CACHED_UP_TO:
        return answer_for(prompt, random.Random(seed))
    return _composed_answer(prompt, seed)


@lru_cache(maxsize=4096)
def _composed_answer(prompt: str, seed: int) -> str:
    return answer_for(prompt, random.Random(seed))


def answer_for(prompt: str, rng: random.Random) -> str:
    """A realistic answer: the canned one for a known prompt, else one composed for its topic."""
    canned = canned_answer(prompt)
    if canned is not None:
        return canned
    topic = topic_of(prompt)
    sentences = [
        s.replace("{topic}", topic).replace("{Topic}", topic[:1].upper() + topic[1:])
        for s in _corpus()["sentences"]
    ]
    rng.shuffle(sentences)
    budget = _WORD_BUDGET.search(prompt)
    if budget:
        words_wanted = _words_wanted(budget.group(1))
        chosen: list[str] = []
        while sentences and sum(len(s.split()) for s in chosen) < words_wanted:
            chosen.append(sentences.pop())
        if words_wanted < 12:  # "in just 3 words": a few words, not a sentence
            return " ".join(" ".join(chosen).split()[:words_wanted]).rstrip(",;:.") + "."
    else:
        # 3 to 9 sentences: about 60 to 230 tokens, the bulk of real chat answers.
        chosen = sentences[: rng.randint(3, 9)]
    paragraphs = [" ".join(chosen[i : i + 3]) for i in range(0, len(chosen), 3)]
    return "\n\n".join(paragraphs)


def count_tokens(text: str) -> int:
    """Gemini's rule of thumb: about four characters per token."""
    return math.ceil(len(text) / 4)


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The first ``max_tokens`` tokens' worth of ``text``, cut at a word boundary where possible."""
    limit = max_tokens * 4
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut
