"""The one scoring entry point: raw texts in, (score, label) out, with the `unknown` path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sentiment.engines import SentimentEngine
from sentiment.normalize import normalize

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Thresholds:
    """Probability of positive below ``negative_below`` is negative, above ``positive_above`` positive."""

    negative_below: float = 0.4
    positive_above: float = 0.6

    def label(self, score: float) -> str:
        if score < self.negative_below:
            return "negative"
        if score > self.positive_above:
            return "positive"
        return "neutral"


@dataclass(frozen=True)
class Scored:
    score: float | None
    label: str


def score_texts(texts: Sequence[str | None], engine: SentimentEngine, thresholds: Thresholds = Thresholds(),
                asr: bool = False) -> list[Scored]:
    """Score texts; empty or missing ones get label ``unknown`` and no score, never an error."""
    normalised = [normalize(text, asr=asr).text for text in texts]
    present = [i for i, text in enumerate(normalised) if text]
    results = [Scored(None, UNKNOWN)] * len(texts)
    if present:
        probabilities = engine.predict_proba([normalised[i] for i in present])
        for i, probability in zip(present, probabilities):
            value = float(probability)
            results[i] = Scored(value, thresholds.label(value))
    return results
