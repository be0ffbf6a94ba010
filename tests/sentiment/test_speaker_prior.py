"""The speaker prior: Bayes' rule moves a calibrated model's probabilities to a speaker's class shares."""

import numpy as np
import pytest

from sentiment.scoring import score_texts
from sentiment.speaker_prior import SpeakerPriors, class_shares, shift_prior

SOURCE = (0.4, 0.2, 0.4)
AGENT = (0.01, 0.89, 0.10)


def test_an_uninformative_output_becomes_the_target_prior_and_equal_priors_change_nothing() -> None:
    # P(y|x) equal to the source prior says nothing about x: the posterior is the new prior itself.
    assert shift_prior(np.array([SOURCE]), SOURCE, AGENT) == pytest.approx(np.array([AGENT]), abs=1e-6)
    rows = np.array([[0.7, 0.2, 0.1], [0.05, 0.05, 0.9]])
    assert shift_prior(rows, SOURCE, SOURCE) == pytest.approx(rows, abs=1e-6)
    # [0.7, 0.2, 0.1] * [0.025, 4.45, 0.25] = [0.0175, 0.89, 0.025], normalised by 0.9325
    assert shift_prior(rows[:1], SOURCE, AGENT) == pytest.approx(np.array([[0.0175, 0.89, 0.025]]) / 0.9325, abs=1e-6)


def test_class_shares_are_add_one_smoothed_and_need_labels() -> None:
    assert class_shares([0, 0, 2, 2, 2]) == [0.375, 0.125, 0.5]  # (2+1, 0+1, 3+1) / 8
    with pytest.raises(ValueError, match="none"):
        class_shares([])


def test_only_rows_of_a_speaker_with_a_target_move() -> None:
    priors = SpeakerPriors(SOURCE, {"agent": AGENT})
    rows = np.array([[0.6, 0.3, 0.1]] * 3, dtype=np.float32)
    out = priors.apply(rows, ["agent", "customer", None])
    assert out[1:] == pytest.approx(rows[1:]) and out[0, 0] < 0.05 and out[0, 1] > 0.9
    assert out.sum(axis=1) == pytest.approx(np.ones(3), abs=1e-6)
    assert SpeakerPriors.from_metadata({"version": "user-model"}) is None
    assert SpeakerPriors.from_metadata({"class_priors": {"calibration": list(SOURCE), "speakers": {"agent": list(AGENT)}}}) == priors


class TerseEngine:
    """Reads every text as a weak complaint, as a text-only model reads '1-2天'."""

    name, version = "terse", "terse-1"
    speaker_priors = SpeakerPriors(SOURCE, {"agent": AGENT})

    def predict_proba(self, texts):
        return np.array([[0.6, 0.3, 0.1]] * len(texts))


def test_score_texts_reads_an_agents_terse_fact_as_neutral_and_keeps_emoji_rules() -> None:
    customer, agent, alone, emoji = score_texts(["1-2天", "1-2天", "1-2天", "😡"], TerseEngine(),
                                                speakers=["customer", "agent", None, "agent"])
    assert customer.label == alone.label == "negative" and customer.negative == pytest.approx(0.6)
    assert agent.label == "neutral" and agent.negative < 0.05
    assert emoji.label == "negative"  # emoji-only texts keep their fixed probabilities, whoever sends them
