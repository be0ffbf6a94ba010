from sentiment.calls import call_arc
from sentiment.scoring import Thresholds


def test_recovery_angry_start_happy_end() -> None:
    arc = call_arc([0.05, 0.1, 0.3, 0.5, 0.8, 0.9])
    assert arc.recovered and not arc.deteriorated
    assert arc.min_score == 0.05 and arc.scored_turns == 6
    assert abs(arc.start_score - 0.075) < 1e-9 and abs(arc.end_score - 0.85) < 1e-9


def test_deterioration() -> None:
    arc = call_arc([0.7, 0.6, 0.2, 0.1])
    assert arc.deteriorated and not arc.recovered


def test_angry_throughout_is_neither() -> None:
    arc = call_arc([0.1, 0.2, 0.1])
    assert not arc.recovered and not arc.deteriorated


def test_one_turn_has_no_arc_and_unscored_turns_are_skipped() -> None:
    assert not call_arc([0.1]).recovered
    arc = call_arc([None, 0.1, None, 0.9])
    assert arc.scored_turns == 2 and arc.recovered
    assert call_arc([None, None]).start_score is None


def test_thresholds_are_configuration() -> None:
    scores = [0.2, 0.35, 0.65, 0.8]
    assert call_arc(scores).recovered
    assert not call_arc(scores, Thresholds(negative_below=0.2, positive_above=0.8)).recovered
