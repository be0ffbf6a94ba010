"""The calibrated head on top of a transformer: its class log-probabilities, optionally beside a
character TF-IDF model's, combined by a multinomial logistic regression fitted on held-out
labelled text (never on the text either model was trained on). It both stacks and calibrates:
its outputs are the probabilities written to the tables. Saved as ``stack.joblib`` next to the
checkpoint; the transformer engine applies it when the file is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

FILE_NAME = "stack.joblib"


@dataclass
class StackHead:
    tfidf: object | None  # a fitted sentiment.training.baseline.TfidfBaseline, or None
    combiner: LogisticRegression

    def features(self, texts: Sequence[str], model_log_proba: np.ndarray) -> np.ndarray:
        if self.tfidf is None:
            return model_log_proba
        return np.hstack([model_log_proba, self.tfidf.log_proba(texts)])

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], model_log_proba: np.ndarray,
            tfidf: object | None, c: float = 1.0) -> "StackHead":
        head = cls(tfidf, LogisticRegression(C=c, max_iter=2000))
        head.combiner.fit(head.features(texts, model_log_proba), list(labels))
        if len(head.combiner.classes_) != 3:
            raise ValueError("the calibration set must hold negative, neutral and positive examples")
        return head

    def predict_proba(self, texts: Sequence[str], model_log_proba: np.ndarray) -> np.ndarray:
        return self.combiner.predict_proba(self.features(texts, model_log_proba)).astype(np.float32)

    def save(self, folder: Path) -> None:
        import joblib

        joblib.dump(self, folder / FILE_NAME, compress=3)

    @staticmethod
    def load(folder: Path) -> "StackHead | None":
        import joblib

        path = folder / FILE_NAME
        return joblib.load(path) if path.exists() else None
