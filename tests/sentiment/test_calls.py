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


def test_weak_polite_readings_are_no_recovery() -> None:
    # a polite request read as mildly negative, then a mildly positive thanks: no 转怒为喜
    assert not call_arc([0.35, 0.38, 0.62, 0.65]).recovered


def test_call_sentiment_is_a_length_weighted_mean() -> None:
    arc = call_arc([0.1, 0.9], lengths=[40, 4])
    assert arc.mean_score is not None and arc.mean_score < 0.25  # the long complaint dominates the short aside
    same = call_arc([0.2, 0.2, 0.2])
    assert abs(same.mean_score - 0.2) < 1e-9
    assert call_arc([None, None]).mean_score is None


def test_unscored_turns_do_not_move_the_call() -> None:
    assert call_arc([None, 0.3, None, None], lengths=[5, 20, 2, 3]).mean_score == call_arc([0.3], lengths=[20]).mean_score


def test_neutral_requests_do_not_make_a_call_negative() -> None:
    # 麻烦帮我查一下物流 / 订单号是多少: polarity near 0 but P(neutral) 0.9, then one mild complaint
    arc = call_arc([0.05, 0.1, 0.3], lengths=[12, 8, 20], neutral=[0.9, 0.92, 0.2])
    assert arc.label(Thresholds()) == "neutral"
    assert arc.mean_neutral is not None and arc.mean_neutral >= 0.5
    angry = call_arc([0.05, 0.1, 0.3], lengths=[12, 8, 20], neutral=[0.1, 0.05, 0.2])
    assert angry.label(Thresholds()) == "negative"


def test_a_neutral_request_then_thanks_is_no_recovery() -> None:
    # the polite request (neutral, low polarity) is no confident negative evidence
    assert not call_arc([0.05, 0.4, 0.9], neutral=[0.8, 0.7, 0.1]).recovered
    assert call_arc([0.05, 0.4, 0.9], neutral=[0.1, 0.7, 0.1]).recovered


def test_all_neutral_turns_have_a_neutral_polarity() -> None:
    arc = call_arc([0.1, 0.9], neutral=[1.0, 1.0])
    assert arc.mean_score == 0.5 and arc.label(Thresholds()) == "neutral"
