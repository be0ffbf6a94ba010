"""Text normalisation shared by every engine, so that scores never depend on surface form.

Weibo API markup is removed (``<a href>`` keeps its text, ``<br>`` becomes a space, emoji images
``<span class="url-icon"><img alt="[怒]"></span>`` become their ``[怒]`` code, link icons and their
"网页链接" labels go), traditional characters become simplified (OpenCC), full-width ASCII becomes
half-width, HTML entities are decoded, URLs and @mentions are replaced by placeholders, Weibo emoji codes such
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
from html.parser import HTMLParser
from typing import Literal

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_HASHTAG = re.compile(r"#([^#\s]{1,40})#")
# Exporters' masking placeholders ([订单x], [电话x], [链接x], [数字x]) and chat exports' media markers
# ([图片], [语音], ...) carry no meaning and are no emoji. The one definition every module uses.
# Chat exports write a media placeholder in square or lenticular brackets ([图片], 【图片】).
PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,8}x\]|[\[【](?:图片|语音|视频|文件|位置|动画表情|表情|链接|名片)[\]】]")
_EMOJI = re.compile(r"\[(?![\u4e00-\u9fff]{1,6}x\])[\u4e00-\u9fffA-Za-z]{1,6}\]")
_MARKUP = re.compile(r"</?(a|br|span|img|p|div|i|b|em|strong|font)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_REPOST = re.compile(r"//@[^:：]{1,30}[:：]")
ASR_FILLERS = ("嗯", "呃", "啊", "那个", "就是", "然后", "这个", "对")
_FILLER_TOKENS = frozenset(ASR_FILLERS)
# Full-width ASCII (U+FF01..U+FF5E) maps onto U+0021..U+007E; the ideographic space onto a space.
FULLWIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class _WeiboMarkup(HTMLParser):
    """Text of a Weibo API ``text`` field: tags dropped, emoji images as their codes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.skipping = 0  # inside <span class="surl-text">: the "网页链接" label of a link

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "br":
            self.parts.append(" ")
        elif tag == "img" and _EMOJI.fullmatch(values.get("alt") or ""):
            self.parts.append(values["alt"] or "")
        elif tag == "span" and (self.skipping or "surl-text" in (values.get("class") or "")):
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.skipping:
            self.skipping -= 1
        elif tag in {"a", "p", "div"}:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def strip_markup(text: str) -> str:
    """Remove Weibo/HTML tags (see the module doc); text without tags comes back unchanged."""
    if not _MARKUP.search(text):
        return text
    parser = _WeiboMarkup()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


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
    value = html.unescape(strip_markup(original)).translate(FULLWIDTH_TO_ASCII)
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


ContentKind = Literal["empty", "placeholder", "politeness", "content"]
_NON_CONTENT = re.compile(r"[\W_\d]+|[A-Za-z]*\d[A-Za-z\d-]*")
# Greetings, acknowledgements and thanks on their own: service-chat politeness, not opinion
# (domain.md: 请问, 好的, 没有了 are neutral in real chats).
_POLITENESS = re.compile(
    r"(?:(?:你好|您好|在吗|在么|在不在|亲|hi|hello|哈喽|嗯+|恩+|哦+|噢|喔|好的?|行|可以|ok|okay|收到|知道了|明白了?|"
    r"谢谢(?:你|您|亲)?|多谢|感谢|辛苦了?|麻烦了|没有了|没了|没有|是的?|对的?|拜拜|再见|请问|稍等|等一下|"
    r"好滴|嗯呢|哈+)[啊呀哈呢吧哦呐啦嘛～~]*)+", re.IGNORECASE)


def content_kind(text: str) -> ContentKind:
    """What a normalised text holds: nothing, only placeholders/numbers/punctuation, only
    greetings and thanks, or content worth scoring. Only ``content`` moves a call's sentiment."""
    if not (text or "").strip():
        return "empty"
    stripped = _NON_CONTENT.sub("", PLACEHOLDER.sub("", text))
    if not stripped:
        return "placeholder"
    if _POLITENESS.fullmatch(stripped):
        return "politeness"
    return "content"


def normalize_many(texts: list[str | None], asr: bool = False) -> list[Normalized]:
    return [normalize(text, asr=asr) for text in texts]
