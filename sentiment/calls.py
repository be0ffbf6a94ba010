"""A call's customer sentiment and emotional arc from its customer turns, turn by turn.

Only turns with content are scored: placeholder-only ([订单x]), number-only, punctuation-only,
greeting and bare politeness turns (好的, 谢谢, 在吗) are left out by the caller (``None``) and
move nothing (``sentiment.normalize.content_kind``).

- **Call sentiment** (``mean_score``): the mean of the customer's scored turns, each weighted by
  its length (characters, capped at 50: one long complaint outweighs a short aside) and by the
  model's confidence (``0.5 + |score - 0.5|``: a clear reading outweighs a hesitant one). It is a
  probability of positive like a survey comment's or a post's score, so the three compare on the
  same scale and thresholds; the cockpit's negative share counts calls by it.
- **Ending** (``end_score``): the mean of the last third of scored turns, the mood the call ended on.
- **Recovery** (转怒为喜) needs confident evidence at both ends: the first third of scored turns is
  negative on average with at least one turn below ``negative_below - margin``, and the last
  third is positive on average with at least one turn above ``positive_above + margin``.
  Deterioration is the reverse: not negative at the start, negative at the end with a confident
  negative turn. A call needs at least two scored customer turns to have an arc.
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


def call_arc(customer_scores: Sequence[float | None], thresholds: Thresholds = Thresholds(),
             lengths: Sequence[int] | None = None, margin: float = CONFIDENT_MARGIN) -> CallArc:
    """Summarise the customer's scores in turn order (``None`` for turns without content).

    ``lengths`` are the turns' content lengths in characters (same order; all equal when omitted).
    """
    sizes = list(lengths) if lengths is not None else [MAX_WEIGHTED_LENGTH] * len(customer_scores)
    pairs = [(s, n) for s, n in zip(customer_scores, sizes) if s is not None]
    if not pairs:
        return CallArc(None, None, None, None, 0, False, False)
    scores = [s for s, _ in pairs]
    weights = [max(1, min(n, MAX_WEIGHTED_LENGTH)) * (0.5 + abs(s - 0.5)) for s, n in pairs]
    mean = sum(w * s for w, s in zip(weights, scores)) / sum(weights)
    third = max(1, math.ceil(len(scores) / 3))
    early, late = scores[:third], scores[-third:]
    start, end = sum(early) / third, sum(late) / third
    arc = len(scores) >= 2
    confident_negative = thresholds.negative_below - margin
    confident_positive = thresholds.positive_above + margin
    recovered = (arc and start < thresholds.negative_below and min(early) < confident_negative
                 and end > thresholds.positive_above and max(late) > confident_positive)
    deteriorated = (arc and start >= thresholds.negative_below and end < thresholds.negative_below
                    and min(late) < confident_negative)
    return CallArc(start, end, min(scores), mean, len(scores), recovered, deteriorated)
