"""SnowNLP's naive-Bayes sentiment, trained by its authors on product reviews. Two classes only:
it never says neutral (P(neutral) = 0)."""

from __future__ import annotations

from typing import Sequence

import numpy as np


class SnowNLPEngine:
    name = "snownlp"
    speaker_priors = None  # a binary model with no calibration set: never shifted by speaker

    def __init__(self) -> None:
        import snownlp
        from snownlp import sentiment

        self.version = f"snownlp-{getattr(snownlp, '__version__', '0.12.3')}"
        self._classify = sentiment.classify

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        positive = np.array([self._classify(text) for text in texts], dtype=np.float32)
        return np.column_stack([1 - positive, np.zeros_like(positive), positive])
