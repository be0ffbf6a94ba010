"""A call's customer sentiment and emotional arc from its customer turns, turn by turn.

Only turns with content are scored: placeholder-only ([订单x]), number-only, punctuation-only,
greeting and bare politeness turns (好的, 谢谢, 在吗) are left out by the caller (``None``) and
move nothing (``sentiment.normalize.content_kind``).

Each scored turn carries the model's three calibrated probabilities, given here as its polarity
``score`` = P(pos) / (P(pos) + P(neg)) and its ``neutral`` = P(neutral). Most service language is
neutral (a polite request, an order question): its polarity is a guess between two unlikely
classes, so a turn counts as polar evidence only in proportion to 1 - P(neutral).

- **Call sentiment**: the customer's three probabilities averaged over the scored turns, each turn
  weighted by its length (characters, capped at 50: one long complaint outweighs a short aside).
  ``mean_score`` is that average's polarity and ``mean_neutral`` its P(neutral), so a call is
  labelled by :meth:`Thresholds.label` exactly as a survey comment or a post is, and the three
  compare on one scale; the cockpit's negative share counts calls by that label.
- **Start / ending** (``start_score``, ``end_score``): the polarity of the first and last third of
  scored turns, each turn weighted by 1 - P(neutral).
- **Recovery** (转怒为喜) needs confident evidence at both ends: the first third is negative and
  holds a turn that is itself negative (not neutral) with a score below ``negative_below - margin``;
  the last third is positive and holds a non-neutral turn above ``positive_above + margin``. A
  polite request read as neutral, then 好的/谢谢, is therefore no recovery. Deterioration is the
  reverse. A call needs at least two scored customer turns to have an arc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from sentiment.scoring import Thresholds

MAX_WEIGHTED_LENGTH = 50
CONFIDENT_MARGIN = 0.15


@dataclass(frozen=True)
class CallArc:
    start_score: float | None
    end_score: float | None
    min_score: float | None
    mean_score: float | None
    scored_turns: int
    recovered: bool
    deteriorated: bool
    mean_neutral: float | None = None

    def label(self, thresholds: Thresholds) -> str | None:
        """The call's label from its averaged probabilities; ``None`` without scored turns."""
        if self.mean_score is None:
            return None
        return thresholds.label(self.mean_score, self.mean_neutral or 0.0)


def _polarity(scores: Sequence[float], polar_weights: Sequence[float]) -> float:
    """Polarity of averaged probabilities: sum(w * P(pos)) / sum(w * (P(pos) + P(neg))); 0.5 if all neutral."""
    total = sum(polar_weights)
    return sum(w * s for w, s in zip(polar_weights, scores)) / total if total > 0 else 0.5


def call_arc(customer_scores: Sequence[float | None], thresholds: Thresholds = Thresholds(),
             lengths: Sequence[int] | None = None, margin: float = CONFIDENT_MARGIN,
             neutral: Sequence[float | None] | None = None) -> CallArc:
    """Summarise the customer's turns in turn order (``None`` score for turns without content).

    ``lengths`` are the turns' content lengths in characters and ``neutral`` their P(neutral)
    (same order; all equal lengths and P(neutral) = 0 when omitted).
    """
    count = len(customer_scores)
    sizes = list(lengths) if lengths is not None else [MAX_WEIGHTED_LENGTH] * count
    neutrals = [n or 0.0 for n in neutral] if neutral is not None else [0.0] * count
    turns = [(s, max(1, min(size, MAX_WEIGHTED_LENGTH)), n)
             for s, size, n in zip(customer_scores, sizes, neutrals) if s is not None]
    if not turns:
        return CallArc(None, None, None, None, 0, False, False)
    scores = [s for s, _, _ in turns]
    length_weights = [w for _, w, _ in turns]
    polar = [1.0 - n for _, _, n in turns]
    mean = _polarity(scores, [w * p for w, p in zip(length_weights, polar)])
    mean_neutral = sum(w * n for (_, w, n) in turns) / sum(length_weights)

    third = max(1, math.ceil(len(scores) / 3))
    start = _polarity(scores[:third], polar[:third])
    end = _polarity(scores[-third:], polar[-third:])
    polar_turn = [n < thresholds.neutral_at for _, _, n in turns]
    early = [s for s, is_polar in zip(scores[:third], polar_turn[:third]) if is_polar]
    late = [s for s, is_polar in zip(scores[-third:], polar_turn[-third:]) if is_polar]
    arc = len(scores) >= 2
    confident_negative = thresholds.negative_below - margin
    confident_positive = thresholds.positive_above + margin
    recovered = (arc and start < thresholds.negative_below and any(s < confident_negative for s in early)
                 and end > thresholds.positive_above and any(s > confident_positive for s in late))
    deteriorated = (arc and start >= thresholds.negative_below and end < thresholds.negative_below
                    and any(s < confident_negative for s in late))
    return CallArc(start, end, min(scores), mean, len(scores), recovered, deteriorated, mean_neutral)
