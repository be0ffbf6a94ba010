"""Sentiment engines behind one interface: normalised texts in, probability of positive out."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

import numpy as np


class SentimentEngine(Protocol):
    name: str
    version: str

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each (already normalised, non-empty) text is positive."""


ENGINES = ("snownlp", "transformer")


def load_engine(name: str, model_dir: Path | None = None, cache_dir: Path | None = None) -> SentimentEngine:
    """Build an engine by name.

    For 'transformer', ``model_dir`` is any local Hugging Face checkpoint and ``cache_dir`` (if
    given) where its int8 ONNX copy is kept for fast CPU scoring.
    """
    if name == "snownlp":
        from sentiment.engines.snownlp_engine import SnowNLPEngine

        return SnowNLPEngine()
    if name == "transformer":
        from sentiment.engines.transformer_engine import TransformerEngine

        if model_dir is None:
            raise ValueError("the transformer engine needs a model directory")
        return TransformerEngine(model_dir, cache_dir=cache_dir)
    raise ValueError(f"unknown sentiment engine {name!r}; choose one of {', '.join(ENGINES)}")
