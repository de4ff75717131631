"""Parts that are not text: images and files sent inline (``inlineData``) or by URI
(``fileData``). The fake never decodes or fetches them; it counts them as the API counts a
small image, 258 tokens each (Gemini's token docs: an image up to 384 px a side is 258 tokens;
audio, video and PDFs count by length, which the fake does not read, so they count as one
image), and tells answers about different files apart by a digest of their bytes or URI.

>>> media = media_of({"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}})
>>> media.modality, media.tokens
('IMAGE', 258)
>>> media_of({"text": "hi"}) is None
True
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

from course_lib.fake.proto import field

#: Tokens one image counts (a small one; larger images are tiled into more on the real API).
IMAGE_TOKENS = 258
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
    content = str(field(blob, "data") or field(blob, "file_uri") or "")
    digest = hashlib.blake2b(content.encode(), digest_size=8).hexdigest()
    return Media(str(field(blob, "mime_type") or ""), IMAGE_TOKENS, digest)


def token_details(text_tokens: int, media: list[Media]) -> list[dict[str, Any]]:
    """``promptTokensDetails``: the tokens of each modality, text first, as the API lists them."""
    counts: dict[str, int] = {"TEXT": text_tokens} if text_tokens or not media else {}
    for item in media:
        counts[item.modality] = counts.get(item.modality, 0) + item.tokens
    return [{"modality": m, "tokenCount": n} for m, n in counts.items()]
