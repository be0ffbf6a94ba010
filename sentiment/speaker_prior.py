"""Who is speaking changes whether a sentence carries an opinion: the speaker's prior.

A fragment such as "1-2天", "快递员4点走了呢" or "真是不好意思" is a complaint from a customer and plain
information or courtesy from an agent. The model reads text alone, and its calibrated head learnt
the class shares of its calibration set, which is mostly customer voice: 13.9% neutral, 86.1%
opinion (negative or positive). Agents are a different population: of the written agent turns under
``sentiment/data/service_language`` 87.5% are neutral. When the speaker is known (the nightly's call
turns; ``voc sentiment score --speaker-column``), the odds of neutral against opinion are moved from
the calibration set's to the speaker's by Bayes' rule, the label-shift correction of Saerens, Latinne &
Decaestecker (2002), "Adjusting the outputs of a classifier to new a priori probabilities", Neural
Computation 14(1), applied to the two-way split {neutral, opinion}:

    P'(neutral | x) ∝ P(neutral | x) · t_neutral / s_neutral
    P'(y | x)       ∝ P(y | x) · (1 - t_neutral) / (1 - s_neutral)     for y in negative, positive

The direction of an opinion is left to the text: negative against positive keeps the model's ratio,
so ``sentiment_score`` does not move and an agent who is rude (你有病吧，别再打过来了) is not read as
positive, which the full three-class shift did (agents' written turns are 0.9% negative, so it
divided P(negative) by 45). It assumes speakers differ in how often they voice an opinion, not in how
an opinion reads (p(x | y) shared). Both priors are recorded by training in the model's
``voc_model.json`` (``class_priors``, all three shares); a model without them, and SnowNLP, is never
shifted. Customers are not shifted: the calibration set already speaks with their voice, and how
many of them complain is what the dashboards measure. Emoji-only texts keep their fixed
probabilities (``sentiment.contentless``), whoever sends them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sentiment.engines import CLASSES

SHIFTED_SPEAKERS = ("agent",)  # whose written turns give a target prior (see the module docstring)

# How exports name a speaker (matched after NFKC, lower case, outer brackets and colons removed); the
# nightly's contract uses 'customer' and 'agent'. The service side includes bots and system notices:
# their canned messages are service language, like an agent's.
CUSTOMER_NAMES = frozenset({"customer", "client", "user", "buyer", "客户", "用户", "顾客", "买家", "消费者"})
AGENT_NAMES = frozenset({"agent", "staff", "seller", "bot", "robot", "system", "客服", "坐席", "座席", "卖家", "商家",
                         "店家", "机器人", "系统"})
AGENT_WORDS = ("客服", "坐席", "座席")  # a name containing one is an agent's: 人工客服, 在线客服, 坐席人员, 客服(工号1032)
_WRAPPING = " \t[]()<>{}:;.-_|/"


def speaker_of(value: str | None) -> str | None:
    """An export's speaker value → 'customer', 'agent', or None when it names neither (empty, a code
    such as 1/2, 客户经理: left to the text alone)."""
    name = unicodedata.normalize("NFKC", value or "").strip(_WRAPPING + "【】").lower()
    if name in CUSTOMER_NAMES:
        return "customer"
    if name in AGENT_NAMES or any(word in name for word in AGENT_WORDS):
        return "agent"
    return None


def class_shares(labels: Sequence[int]) -> list[float]:
    """Labels (0 negative, 1 neutral, 2 positive) → their shares in ``CLASSES`` order, add-one
    (Laplace) smoothed so a class without examples keeps a small prior instead of zeroing every
    text's probability of it; rounded to 6 places. ValueError for no labels."""
    if len(labels) == 0:
        raise ValueError("a prior needs labelled examples; there were none")
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=len(CLASSES)) + 1
    return [round(float(c), 6) for c in counts / counts.sum()]


def shift_prior(probabilities: np.ndarray, source: Sequence[float], target: Sequence[float]) -> np.ndarray:
    """(n, 3) probabilities under prior ``source`` → (n, 3) with the neutral-against-opinion odds of
    ``target`` (priors are three shares in ``CLASSES`` order; only their neutral share is used), the
    negative:positive ratio of each row kept; rows sum to 1."""
    neutral = CLASSES.index("neutral")
    weights = np.full(len(CLASSES), (1 - target[neutral]) / (1 - source[neutral]), dtype=np.float64)
    weights[neutral] = target[neutral] / source[neutral]
    weighted = np.asarray(probabilities, dtype=np.float64) * weights
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
