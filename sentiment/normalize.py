"""Text normalisation shared by every engine, so that scores never depend on surface form.

Traditional characters become simplified (OpenCC), full-width ASCII becomes half-width, HTML
entities are decoded, URLs and @mentions are replaced by placeholders, Weibo emoji codes such
as ``[怒]`` are kept (they carry sentiment), ``#话题#`` keeps its words without the marks, and ASR
fillers (嗯, 那个, 就是…) are dropped from call turns. The caller keeps the original text; this
module never mutates it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from functools import lru_cache

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_HASHTAG = re.compile(r"#([^#\s]{1,40})#")
_EMOJI = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]")
_SPACES = re.compile(r"\s+")
_REPOST = re.compile(r"//@[^:：]{1,30}[:：]")
ASR_FILLERS = ("嗯", "呃", "啊", "那个", "就是", "然后", "这个", "对")
_FILLER_TOKENS = frozenset(ASR_FILLERS)
# Full-width ASCII (U+FF01..U+FF5E) maps onto U+0021..U+007E; the ideographic space onto a space.
FULLWIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str
    emojis: tuple[str, ...]
    mentions: tuple[str, ...]

    @property
    def key(self) -> str:
        """Stable hash of the normalised text: the result-cache key (with the model version)."""
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()


def normalize(text: str | None, asr: bool = False) -> Normalized:
    """Normalise one text. ``asr=True`` also removes spoken fillers from call-centre turns."""
    original = text or ""
    value = html.unescape(original).translate(FULLWIDTH_TO_ASCII)
    value = _t2s().convert(value)
    emojis = tuple(_EMOJI.findall(value))
    value = _REPOST.sub(" ", value)
    mentions = tuple(_MENTION.findall(value))
    value = _URL.sub(" ", value)
    value = _MENTION.sub(" ", value)
    value = _HASHTAG.sub(r" \1 ", value)
    if asr:
        value = " ".join(token for token in value.split() if token not in _FILLER_TOKENS)
    value = _SPACES.sub(" ", value).strip()
    return Normalized(original=original, text=value, emojis=emojis, mentions=mentions)


def normalize_many(texts: list[str | None], asr: bool = False) -> list[Normalized]:
    return [normalize(text, asr=asr) for text in texts]
