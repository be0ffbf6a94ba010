"""Chinese negation: the bare cues, and words marked as inside a negation's scope.

``BARE_NEGATORS`` are the adverbs and verbs of plain negation (不, 没, 没有, 别, 未, 并不, 从没 …, and
the Cantonese 唔 and 冇): standard grammar (Li & Thompson, *Mandarin Chinese*, ch. 12). Escalation
detection reads them as cues that can negate a threat; sentiment marks the words they govern.

``negation_marked_words`` is the classic scope marking of bag-of-words sentiment models (Das & Chen
2001; Pang, Lee & Vaithyanathan 2002): the words after a negator, to the clause's end or at most
``scope`` words, carry a ``¬`` prefix, so a linear model learns 没…蓝屏 apart from 蓝屏 and 不…坑 apart
from 坑. A second negator inside the scope ends it (没有一个员工不热情: double negation). A scope opens at a
bare negator and at the words jieba keeps whole around one: an adverb before it (也不, 都没, 根本不, 从来没)
and the negated modals and quantifiers (不会, 不能, 不用, 不再, 毫无, 没什么). Words that negate inside
themselves (不错, 不好, 没用) are features of their own and open none.
"""

from __future__ import annotations

import re

from sentiment.segmentation import words

BARE_NEGATORS = ("不要", "不是", "没有", "不", "没", "别", "未", "唔", "冇", "从未", "从没", "从来没有", "从来没", "并未",
                 "并没有", "并不", "并非", "还没有", "还没")
NEGATED = "¬"
_SCOPE_WORDS = frozenset(BARE_NEGATORS) | {"无", "非", "毫无", "绝不", "决不", "不会", "不能", "不用", "不再", "没什么"}
# jieba's adverb + negator words: 也不, 都没, 根本不, 从来没, 一点也不, 再也不 …
_ADVERB_NEGATOR = re.compile(r"^[\u4e00-\u9fff]{1,3}[不没]$")
_CLAUSE_END = re.compile(r"^[，,。.！!？?；;：:、~～…\s]+$")


def negation_marked_words(text: str, scope: int = 4) -> list[str]:
    """Words of ``text`` (``sentiment.segmentation.words``), each word within ``scope`` words after a
    bare negator in the same clause prefixed with ``NEGATED``. A module-level function, so a fitted
    vectorizer that uses it (through ``functools.partial``) pickles."""
    marked: list[str] = []
    left = 0  # words of the open scope still to mark
    for word in words(text):
        if _CLAUSE_END.match(word):
            left = 0
            marked.append(word)
        elif word in _SCOPE_WORDS or _ADVERB_NEGATOR.match(word):
            left = 0 if left else scope
            marked.append(word)
        else:
            marked.append(NEGATED + word if left else word)
            left = max(0, left - 1)
    return marked
