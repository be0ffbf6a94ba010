"""Sentiment engines behind one interface: normalised texts in, three class probabilities out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:
    from sentiment.speaker_prior import SpeakerPriors

CLASSES = ("negative", "neutral", "positive")  # the column order of every engine's probabilities


class SentimentEngine(Protocol):
    name: str
    version: str
    speaker_priors: "SpeakerPriors | None"  # the model's class priors by speaker, when it records them

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive for (normalised, non-empty) texts."""


ENGINES = ("snownlp", "transformer", "transformer-large")


def load_engine(name: str, model_dir: Path | None = None, cache_dir: Path | None = None,
                threads: int | None = None) -> SentimentEngine:
    """Build an engine by name.

    'transformer' is the nightly student, 'transformer-large' its teacher (built on demand by
    ``voc train sentiment``); for both ``model_dir`` is any local Hugging Face checkpoint,
    ``cache_dir`` (if given) where its int8 ONNX copy is kept for fast CPU scoring, and ``threads``
    the CPU threads one call may use (default: every core of the machine).
    """
    if name == "snownlp":
        from sentiment.engines.snownlp_engine import SnowNLPEngine

        return SnowNLPEngine()
    if name in ("transformer", "transformer-large"):
        from sentiment.engines.transformer_engine import TransformerEngine

        if model_dir is None:
            raise ValueError(f"the {name} engine needs a model directory")
        if name == "transformer-large" and not (Path(model_dir) / "config.json").exists():
            raise FileNotFoundError(f"no teacher model in {model_dir}: build it with `voc train sentiment`")
        return TransformerEngine(model_dir, cache_dir=cache_dir, threads=threads, name=name)
    raise ValueError(f"unknown sentiment engine {name!r}; choose one of {', '.join(ENGINES)}")
