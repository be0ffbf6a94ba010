"""The one scoring entry point: raw texts in, three calibrated probabilities, a polarity score and
a label out, with the `unknown` path for texts that carry no sentiment (see ``contentless``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sentiment.contentless import content_of
from sentiment.engines import SentimentEngine
from sentiment.normalize import normalize
from sentiment.speaker_prior import SpeakerPriors

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Thresholds:
    """When a text is neutral, negative or positive (configuration: ``pipelines.settings``).

    Neutral when P(neutral) >= ``neutral_at``; otherwise the polarity score P(pos)/(P(pos)+P(neg))
    decides: below ``negative_below`` negative, above ``positive_above`` positive, between neutral.
    """

    negative_below: float = 0.4
    positive_above: float = 0.6
    neutral_at: float = 0.5

    def label(self, score: float, neutral: float = 0.0) -> str:
        if neutral >= self.neutral_at:
            return "neutral"
        if score < self.negative_below:
            return "negative"
        if score > self.positive_above:
            return "positive"
        return "neutral"


@dataclass(frozen=True)
class Scored:
    score: float | None  # P(pos) / (P(pos) + P(neg)), None when unknown
    label: str
    negative: float | None = None
    neutral: float | None = None
    positive: float | None = None

    @classmethod
    def from_probabilities(cls, probabilities: Sequence[float], thresholds: "Thresholds") -> "Scored":
        negative, neutral, positive = (float(p) for p in probabilities)
        score = float(polarity(np.array([[negative, neutral, positive]]))[0])
        return cls(score, thresholds.label(score, neutral), negative, neutral, positive)


def polarity(probabilities: np.ndarray) -> np.ndarray:
    """(n, 3) → (n,) P(pos) / (P(pos) + P(neg)): the ``sentiment_score`` column (0.5 if both are 0)."""
    polar = probabilities[:, 0] + probabilities[:, 2]
    return np.divide(probabilities[:, 2], polar, out=np.full(len(polar), 0.5, dtype=np.float32), where=polar > 0)


UNKNOWN_RESULT = Scored(None, UNKNOWN)


def score_normalised(texts: Sequence[str], predict: Callable[[list[str]], np.ndarray],
                     thresholds: Thresholds = Thresholds(), speakers: Sequence[str | None] | None = None,
                     priors: SpeakerPriors | None = None) -> list[Scored]:
    """Score already-normalised texts; ``predict`` (an engine's ``predict_proba``, or a cache in
    front of it: texts → (n, 3)) sees only those with words in them. With ``speakers`` (one per text,
    None where unknown) and the engine's ``priors``, the model's probabilities move to the speaker's
    prior (``sentiment.speaker_prior``); emoji-only texts keep their fixed probabilities."""
    results = [UNKNOWN_RESULT] * len(texts)
    for_model = []
    for i, text in enumerate(texts):
        content = content_of(text) if text else None
        if content is None or content.kind == "none":
            continue
        if content.kind == "emoji":
            results[i] = Scored.from_probabilities(content.probabilities, thresholds)
        else:
            for_model.append(i)
    if for_model:
        probabilities = predict([texts[i] for i in for_model])
        if speakers is not None and priors is not None:
            probabilities = priors.apply(probabilities, [speakers[i] for i in for_model])
        for i, row in zip(for_model, probabilities):
            results[i] = Scored.from_probabilities(row, thresholds)
    return results


def score_texts(texts: Sequence[str | None], engine: SentimentEngine, thresholds: Thresholds = Thresholds(),
                asr: bool = False, speakers: Sequence[str | None] | None = None) -> list[Scored]:
    """Score raw texts; empty, missing or contentless ones are ``unknown``, never an error.
    ``speakers``: 'customer', 'agent' or None per text (see ``score_normalised``)."""
    return score_normalised([normalize(text, asr=asr).text for text in texts], engine.predict_proba, thresholds,
                            speakers, engine.speaker_priors)
