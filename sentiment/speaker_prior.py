"""Who is speaking changes what a sentence most likely means: the speaker's class prior.

A fragment such as "1-2天", "快递员4点走了呢" or "真是不好意思" is a complaint from a customer and plain
information or courtesy from an agent. The model reads text alone, and its calibrated head learnt
the class shares of its calibration set, which is mostly customer voice (reviews, posts, customer
turns: about 42% negative). Agents are a different population: in the written agent turns under
``sentiment/data/service_language`` fewer than 1% are negative. When the speaker is known (the
nightly's call turns; ``voc sentiment score --speaker-column``), the probabilities are moved from
the calibration prior to the speaker's prior by Bayes' rule, the label-shift correction of
Saerens, Latinne & Decaestecker (2002), "Adjusting the outputs of a classifier to new a priori
probabilities", Neural Computation 14(1):

    P'(y | x) ∝ P(y | x) · target(y) / source(y)

It assumes the speakers differ in how often they mean each class, not in how a class reads
(p(x | y) shared). Both priors are recorded by training in the model's ``voc_model.json``
(``class_priors``); a model without them, and SnowNLP, is never shifted. Customers are not shifted:
the calibration set already speaks with their voice, and the share of customers who complain is
the thing the dashboards measure, not a constant to assume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sentiment.engines import CLASSES

SHIFTED_SPEAKERS = ("agent",)  # whose written turns give a target prior (see the module docstring)

# The words a file may use for a speaker; the nightly's contract uses the English ones.
SPEAKER_NAMES = {"customer": "customer", "客户": "customer", "用户": "customer", "顾客": "customer",
                 "agent": "agent", "客服": "agent", "坐席": "agent"}


def class_shares(labels: Sequence[int]) -> list[float]:
    """Labels (0 negative, 1 neutral, 2 positive) → their shares in ``CLASSES`` order, add-one
    (Laplace) smoothed so a class without examples keeps a small prior instead of zeroing every
    text's probability of it; rounded to 6 places. ValueError for no labels."""
    if len(labels) == 0:
        raise ValueError("a prior needs labelled examples; there were none")
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=len(CLASSES)) + 1
    return [round(float(c), 6) for c in counts / counts.sum()]


def shift_prior(probabilities: np.ndarray, source: Sequence[float], target: Sequence[float]) -> np.ndarray:
    """(n, 3) probabilities under prior ``source`` → (n, 3) under prior ``target``, rows summing to 1."""
    weighted = np.asarray(probabilities, dtype=np.float64) * (np.asarray(target, dtype=np.float64)
                                                               / np.asarray(source, dtype=np.float64))
    return (weighted / weighted.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class SpeakerPriors:
    """The calibration set's class shares (``source``) and each shifted speaker's (``targets``)."""

    source: tuple[float, float, float]
    targets: dict[str, tuple[float, float, float]]

    @classmethod
    def from_metadata(cls, metadata: dict) -> "SpeakerPriors | None":
        """From a model's ``voc_model.json``; None when it records no ``class_priors``."""
        priors = metadata.get("class_priors")
        if not priors:
            return None
        return cls(tuple(priors["calibration"]), {name: tuple(shares) for name, shares in priors["speakers"].items()})

    def apply(self, probabilities: np.ndarray, speakers: Sequence[str | None]) -> np.ndarray:
        """Shift each row whose speaker (one per row; None or unknown names are left alone) has a target."""
        out = np.array(probabilities, dtype=np.float32, copy=True)
        for speaker, target in self.targets.items():
            rows = [i for i, name in enumerate(speakers) if name == speaker]
            if rows:
                out[rows] = shift_prior(out[rows], self.source, target)
        return out
