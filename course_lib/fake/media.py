"""Parts that are not text: images and files sent inline (``inlineData``) or by URI
(``fileData``). The fake never fetches them; it counts their tokens as Gemini's token docs say
(ai.google.dev/gemini-api/docs/tokens): an image 258 (a small one: larger ones are tiled into
more), audio 32 a second, video 263 a second, a PDF 258 a page. Inline audio, video and PDFs are
measured from their bytes: a WAV file's length from its header, other audio at 128 kbit/s, video
at 1 Mbit/s, a PDF's pages counted; a file given by URI (never fetched) counts as one image. It
tells answers about different files apart by a digest of their bytes or URI.

>>> media = media_of({"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}})
>>> media.modality, media.tokens
('IMAGE', 258)
>>> media_of({"text": "hi"}) is None
True
>>> tokens_of("audio/mpeg", base64.b64encode(bytes(160_000)).decode())  # 10 s at 128 kbit/s
320
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from typing import Any, NamedTuple

from course_lib.fake.proto import field

#: Tokens one image counts (a small one; larger images are tiled into more on the real API).
IMAGE_TOKENS = 258
#: Tokens per second of audio and of video, and per page of a PDF (the token docs).
AUDIO_TOKENS_PER_S, VIDEO_TOKENS_PER_S, PDF_TOKENS_PER_PAGE = 32, 263, 258
#: The bit rates assumed for audio other than WAV, and for video.
AUDIO_BITS_PER_S, VIDEO_BITS_PER_S = 128_000, 1_000_000
_MODALITIES = (("image/", "IMAGE"), ("audio/", "AUDIO"), ("video/", "VIDEO"), ("text/", "TEXT"))


class Media(NamedTuple):
    """One non-text part: its MIME type, how many tokens it counts, and a digest of it."""

    mime_type: str
    tokens: int
    digest: str

    @property
    def modality(self) -> str:
        """``IMAGE``, ``AUDIO``, ``VIDEO``, ``TEXT`` or ``DOCUMENT``, as usage details name it."""
        return next(
            (m for prefix, m in _MODALITIES if self.mime_type.startswith(prefix)), "DOCUMENT"
        )


def media_of(part: dict[str, Any]) -> Media | None:
    """The part's file (a checked part: ``fake.proto`` has seen its types), or None for text."""
    inline, by_uri = field(part, "inline_data"), field(part, "file_data")
    blob = inline if isinstance(inline, dict) else by_uri if isinstance(by_uri, dict) else None
    if blob is None:
        return None
    data = field(blob, "data")
    content = str(data or field(blob, "file_uri") or "")
    digest = hashlib.blake2b(content.encode(), digest_size=8).hexdigest()
    mime = str(field(blob, "mime_type") or "")
    return Media(mime, tokens_of(mime, data if isinstance(data, str) else None), digest)


def tokens_of(mime: str, data: str | None) -> int:
    """The tokens a part of type ``mime`` counts, from its base64 ``data`` where it has some."""
    family = mime.split("/")[0]
    if data is None or family not in ("audio", "video", "application"):
        return IMAGE_TOKENS
    try:  # google-genai sends URL-safe base64; the docs' examples the standard alphabet
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return IMAGE_TOKENS
    if family == "audio":
        return max(1, math.ceil(AUDIO_TOKENS_PER_S * _audio_seconds(raw)))
    if family == "video":
        return max(1, math.ceil(VIDEO_TOKENS_PER_S * len(raw) * 8 / VIDEO_BITS_PER_S))
    if mime == "application/pdf":
        pages = raw.count(b"/Type /Page") - raw.count(b"/Type /Pages")
        return PDF_TOKENS_PER_PAGE * max(1, pages)
    return IMAGE_TOKENS


def _audio_seconds(raw: bytes) -> float:
    """A WAV file's length from its header (bytes per second at offset 28); else 128 kbit/s."""
    if raw[:4] == b"RIFF" and raw[8:12] == b"WAVE" and len(raw) > 44:
        byte_rate = int.from_bytes(raw[28:32], "little")
        if byte_rate:
            return (len(raw) - 44) / byte_rate
    return len(raw) * 8 / AUDIO_BITS_PER_S


def token_details(text_tokens: int, media: list[Media]) -> list[dict[str, Any]]:
    """``promptTokensDetails``: the tokens of each modality, text first, as the API lists them."""
    counts: dict[str, int] = {"TEXT": text_tokens} if text_tokens or not media else {}
    for item in media:
        counts[item.modality] = counts.get(item.modality, 0) + item.tokens
    return [{"modality": m, "tokenCount": n} for m, n in counts.items()]
