"""Character 1-3-gram TF-IDF with logistic regression: the bar every engine must clear."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline


class TfidfBaseline:
    name = "tfidf"
    version = "tfidf-char13-lr"

    def __init__(self, c: float = 4.0) -> None:
        self.pipeline: Pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=300_000),
            LogisticRegression(C=c, max_iter=2000),
        )

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> "TfidfBaseline":
        self.pipeline.fit(list(texts), list(labels))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))[:, 1].astype(np.float32)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.decision_function(list(texts)).astype(np.float32)
