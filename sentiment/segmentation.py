"""jieba with its default dictionary only, for the models whose features are word boundaries.

jieba's module-level tokenizer is global: a word another module adds to it (the topic models load
``resources/jieba_userdict.txt``) moves boundaries for every later caller in the process. A model
fitted on default-dictionary words (the sentiment stack's word n-grams, the escalation rules'
negation cues) must segment the same way at night, whatever ran before it, so they share this
private tokenizer. jieba's per-load DEBUG lines are silenced: they are noise on a command's stderr.
"""

from __future__ import annotations

import logging
from functools import lru_cache


@lru_cache(maxsize=1)
def default_tokenizer():
    """A ``jieba.Tokenizer`` on jieba's default dictionary, initialised once per process."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def words(text: str) -> list[str]:
    """jieba words of ``text`` (precise mode, default dictionary), whitespace dropped."""
    return [word for word in default_tokenizer().lcut(text) if word.strip()]
