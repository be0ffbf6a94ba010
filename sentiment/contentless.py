"""What is left of a text once placeholders, numbers, punctuation and emoji are set aside.

A text with words is for the model. A text with nothing but placeholders (``[链接x]``,
``[订单x]``, ``[图片]``: what chat exports and anonymisers leave), numbers (masked or not,
Arabic or Chinese digits) or punctuation says nothing about sentiment: it is ``unknown``,
never a guess. So is a text that is only a missing-value marker (``nan``, ``NULL``, ``#N/A``) or
a no-comment answer (无, 暂无, 没有, 无意见). A text of emoji alone (Unicode emoji or Weibo codes such
as ``[赞]``) is scored by the emoji's conventional polarity; emoji without one leave it ``unknown``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import emoji
import numpy as np

from sentiment.normalize import PLACEHOLDER

# Weibo / chat emoji codes with a settled polarity (the ones weak labels use as well).
POSITIVE_EMOJI = frozenset(["[哈哈]", "[赞]", "[心]", "[微笑]", "[鼓掌]", "[good]", "[笑哈哈]", "[爱你]", "[耶]", "[给力]",
                            "[强]", "[玫瑰]", "[太开心]", "[礼物]", "[威武]", "[OK]", "[ok]"])
NEGATIVE_EMOJI = frozenset(["[怒]", "[抓狂]", "[泪]", "[衰]", "[鄙视]", "[生病]", "[怒骂]", "[伤心]", "[弱]", "[失望]",
                            "[吐]", "[晕]", "[哼]", "[委屈]", "[可怜]", "[心碎]", "[拜拜]"])
POSITIVE_UNICODE = frozenset("👍👏🎉😀😃😄😁😆😊☺🙂😍🥰😘❤💕💖💯🌹😂🤣🙏✌👌🥳😎🤗💪⭐🌟")
NEGATIVE_UNICODE = frozenset("👎😡😠🤬😤💢😭😢😞😔😟🙁☹😣😖😫😩💔🤮🤢😰😱😒🙄😓😪")
_EMOJI_CODE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]")
# The words a survey tool writes, in brackets, for a question left unanswered (问卷星: (空), (跳过)); ingestion
# reads them as no answer too (``pipelines.ingest.schemas``).
SURVEY_TOOL_BLANKS = ("空", "跳过")
# A whole text that only says "no value" or "no comment": what exports write for a missing cell
# (pandas, SQL, Excel, and Excel's error values and booleans: #VALUE!, #REF!, TRUE), what survey tools write for
# a question left unanswered and what customers type in a comment box they must fill (无, 暂无, 没有意见).
_NO_ANSWER = re.compile(r"(?i)[(（\[【]?(?:nan|null|none|nil|n/?a|#n/a|undefined|true|false|"
                        r"#(?:value!|ref!|div/0!|name\?|num!|null!|spill!|calc!|getting_data)|无|暂无|没有了?|没了|"
                        rf"{'|'.join(SURVEY_TOOL_BLANKS)}|"
                        r"(?:无|没|没有|暂无)(?:意见|建议|评价|其他|其它))[)）\]】]?[\s.。!！~～]*")
_NUMBER = re.compile(r"[0-9０-９零〇一二三四五六七八九十百千万幺两点.,%*#xX×]+")
# Emoji-only texts: a little neutral mass, and the polar share smoothed so one emoji is never certain.
_EMOJI_NEUTRAL, _EMOJI_SMOOTHING = 0.10, 0.05


@dataclass(frozen=True)
class Content:
    kind: str  # "text" (for the model), "emoji" (scored by emoji) or "none" (unknown)
    probabilities: np.ndarray | None = None  # (3,) negative, neutral, positive for "emoji"


def _is_punctuation_or_symbol(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PSZC"


def has_content(text: str | None) -> bool:
    """Whether a text says anything (``content_of`` finds text or emoji, not only a missing-value marker,
    a no-comment answer, placeholders, numbers or punctuation): what topics and the CSV tools ask."""
    return bool(text) and content_of(text).kind != "none"


def content_of(text: str) -> Content:
    """Classify one normalised text (see ``sentiment.normalize``)."""
    if _NO_ANSWER.fullmatch(text.strip()):
        return Content("none")
    rest = PLACEHOLDER.sub(" ", text)
    codes = _EMOJI_CODE.findall(rest)
    rest = _EMOJI_CODE.sub(" ", rest)
    unicode_emoji = [e["emoji"] for e in emoji.emoji_list(rest)]
    rest = emoji.replace_emoji(rest, replace=" ")
    rest = _NUMBER.sub(" ", rest)
    if any(not _is_punctuation_or_symbol(ch) for ch in rest):
        return Content("text")
    positive = sum(c in POSITIVE_EMOJI for c in codes) + sum(
        any(ch in POSITIVE_UNICODE for ch in e) for e in unicode_emoji)
    negative = sum(c in NEGATIVE_EMOJI for c in codes) + sum(
        any(ch in NEGATIVE_UNICODE for ch in e) for e in unicode_emoji)
    if positive + negative == 0:
        return Content("none")
    share = (positive + _EMOJI_SMOOTHING) / (positive + negative + 2 * _EMOJI_SMOOTHING)
    probabilities = np.array([(1 - _EMOJI_NEUTRAL) * (1 - share), _EMOJI_NEUTRAL, (1 - _EMOJI_NEUTRAL) * share],
                             dtype=np.float32)
    return Content("emoji", probabilities)
