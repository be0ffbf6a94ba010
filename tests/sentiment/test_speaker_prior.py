"""The speaker prior: Bayes' rule moves the odds of neutral against opinion to a speaker's shares,
and leaves the direction of an opinion to the text."""

import numpy as np
import pytest

from sentiment.scoring import polarity, score_texts
from sentiment.speaker_prior import SpeakerPriors, class_shares, shift_prior, speaker_of

SOURCE = (0.4, 0.2, 0.4)
AGENT = (0.01, 0.89, 0.10)  # neutral weight 0.89 / 0.2 = 4.45, opinion weight 0.11 / 0.8 = 0.1375


def test_neutral_odds_move_to_the_target_and_the_opinion_keeps_its_direction() -> None:
    # A row as neutral as the source prior comes out exactly as neutral as the target.
    assert shift_prior(np.array([SOURCE]), SOURCE, AGENT) == pytest.approx(np.array([[0.055, 0.89, 0.055]]), abs=1e-6)
    rows = np.array([[0.6, 0.3, 0.1], [0.05, 0.05, 0.9]])
    assert shift_prior(rows, SOURCE, SOURCE) == pytest.approx(rows, abs=1e-6)
    # [0.6, 0.3, 0.1] * [0.1375, 4.45, 0.1375] = [0.0825, 1.335, 0.01375], normalised by 1.43125
    shifted = shift_prior(rows, SOURCE, AGENT)
    assert shifted[0] == pytest.approx(np.array([0.0825, 1.335, 0.01375]) / 1.43125, abs=1e-6)
    assert polarity(shifted) == pytest.approx(polarity(rows.astype(np.float32)), abs=1e-6)


def test_class_shares_are_add_one_smoothed_and_need_labels() -> None:
    assert class_shares([0, 0, 2, 2, 2]) == [0.375, 0.125, 0.5]  # (2+1, 0+1, 3+1) / 8
    with pytest.raises(ValueError, match="none"):
        class_shares([])


def test_only_rows_of_a_speaker_with_a_target_move() -> None:
    priors = SpeakerPriors(SOURCE, {"agent": AGENT})
    rows = np.array([[0.6, 0.3, 0.1]] * 3, dtype=np.float32)
    out = priors.apply(rows, ["agent", "customer", None])
    assert out[1:] == pytest.approx(rows[1:]) and out[0, 1] > 0.9
    assert out.sum(axis=1) == pytest.approx(np.ones(3), abs=1e-6)
    assert SpeakerPriors.from_metadata({"version": "user-model"}) is None
    assert SpeakerPriors.from_metadata({"class_priors": {"calibration": list(SOURCE), "speakers": {"agent": list(AGENT)}}}) == priors


@pytest.mark.parametrize(("value", "speaker"), [
    ("agent", "agent"), ("AGENT", "agent"), ("ＡＧＥＮＴ", "agent"), (" 客服 ", "agent"), ("客服:", "agent"),
    ("【客服】", "agent"), ("人工客服", "agent"), ("客服（工号1032）", "agent"), ("座席", "agent"), ("坐席人员", "agent"),
    ("卖家", "agent"), ("机器人", "agent"), ("Customer", "customer"), ("客户：", "customer"), ("买家", "customer"),
    ("用户", "customer"), ("", None), (None, None), ("1", None), ("客户经理", None)])
def test_speaker_names_of_real_exports(value: str | None, speaker: str | None) -> None:
    assert speaker_of(value) == speaker


class ReadingEngine:
    """Reads '1-2天' as a weak complaint (as a text-only model does) and an insult as a sure one."""

    name, version = "reading", "reading-1"
    speaker_priors = SpeakerPriors(SOURCE, {"agent": AGENT})

    def predict_proba(self, texts):
        return np.array([[0.97, 0.02, 0.01] if "有病" in t else [0.6, 0.3, 0.1] for t in texts])


def test_an_agents_terse_fact_is_neutral_and_an_agents_insult_stays_negative() -> None:
    customer, agent, alone, insult, emoji = score_texts(
        ["1-2天", "1-2天", "1-2天", "你有病吧", "😡"], ReadingEngine(), speakers=["customer", "agent", None, "agent", "agent"])
    assert customer.label == alone.label == "negative" and customer.negative == pytest.approx(0.6)
    assert agent.label == "neutral" and agent.negative < 0.1 and agent.score == pytest.approx(customer.score)
    # [0.97, 0.02, 0.01] -> [0.133, 0.089, 0.001] / 0.224: still negative, never positive
    assert insult.label == "negative" and insult.negative > 0.55
    assert emoji.label == "negative"  # emoji-only texts keep their fixed probabilities, whoever sends them
