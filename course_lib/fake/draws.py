"""Chance, made repeatable: every random choice the fake makes comes from one hash of the seed,
the model, the prompt and how often that prompt was asked, so a run gives the same answers and
latencies however its calls interleave, in any process.

>>> uniforms(0, "m", "Hi", 0) == uniforms(0, "m", "Hi", 0)
True
"""

from __future__ import annotations

import base64
import hashlib


def uniforms(*parts: object) -> tuple[list[float], str]:
    """Four uniform numbers in [0, 1) and a response id shaped as the real ones (22 characters
    of URL-safe base64), all from one hash of ``parts``."""
    # hashlib, not hash(): Python salts str hashes per process, and workers must agree.
    digest = hashlib.sha256(_bytes(parts)).digest()
    uniforms = [int.from_bytes(digest[i : i + 8], "big") / 2**64 for i in range(0, 32, 8)]
    return uniforms, base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def seed_of(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(_bytes(parts)).digest()[:8], "big")


def _bytes(parts: tuple[object, ...]) -> bytes:
    # surrogatepass: a lone surrogate in a prompt is the request reader's to refuse, not a crash
    return "|".join(map(str, parts)).encode("utf-8", "surrogatepass")


def digest(text: str) -> bytes:
    """What the fake remembers of a prompt: 16 bytes, whatever its size."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
