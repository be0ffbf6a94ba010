"""A call's emotional arc from its customer turns, turn by turn.

Recovery (转怒为喜) means the customer's first third of turns is negative on average and the
last third positive; deterioration is the reverse direction (not negative at the start,
negative at the end). A call needs at least two scored customer turns to have an arc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from sentiment.scoring import Thresholds


@dataclass(frozen=True)
class CallArc:
    start_score: float | None
    end_score: float | None
    min_score: float | None
    scored_turns: int
    recovered: bool
    deteriorated: bool


def call_arc(customer_scores: Sequence[float | None], thresholds: Thresholds = Thresholds()) -> CallArc:
    """Summarise the customer's scores in turn order (None for unscorable turns)."""
    scores = [s for s in customer_scores if s is not None]
    if not scores:
        return CallArc(None, None, None, 0, False, False)
    third = max(1, math.ceil(len(scores) / 3))
    start = sum(scores[:third]) / third
    end = sum(scores[-third:]) / third
    arc = len(scores) >= 2
    recovered = arc and start < thresholds.negative_below and end > thresholds.positive_above
    deteriorated = arc and start >= thresholds.negative_below and end < thresholds.negative_below
    return CallArc(start, end, min(scores), len(scores), recovered, deteriorated)
