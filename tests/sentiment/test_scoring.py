from pathlib import Path

import numpy as np
import pytest

from sentiment.engines import load_engine
from sentiment.scoring import UNKNOWN, Scored, Thresholds, score_texts


class FixedEngine:
    """Positive for 好, negative otherwise; records what it was asked to score."""

    name, version, speaker_priors = "fixed", "fixed-1", None

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict_proba(self, texts):
        self.seen.extend(texts)
        return np.array([[0.05, 0.05, 0.9] if "好" in t else [0.8, 0.1, 0.1] for t in texts])


def test_empty_and_missing_text_is_unknown_and_never_scored() -> None:
    engine = FixedEngine()
    result = score_texts(["很好", "", None, "   ", "太差"], engine)
    assert [r.label for r in result] == ["positive", UNKNOWN, UNKNOWN, UNKNOWN, "negative"]
    assert result[1].score is None and result[1].negative is None
    assert engine.seen == ["很好", "太差"]


@pytest.mark.parametrize("text", ["[链接x]", "[订单x] [链接x]", "[数字x]", "123456", "138****5678", "12.5%",
                                  "？？？", "。。。!!", "……", "[图片]", "一二三四五", "🚗", "【图片】",
                                  "nan", "NULL", "#N/A", "N/A", "#VALUE!", "#DIV/0!", "TRUE", "false", "无", "暂无", "没有。", "没有意见",
                                  "(空)", "（跳过）"])
def test_contentless_texts_are_unknown_and_never_reach_the_model(text: str) -> None:
    engine = FixedEngine()
    (result,) = score_texts([text], engine)
    assert result.label == UNKNOWN and result.score is None
    assert engine.seen == []


@pytest.mark.parametrize("text, label", [("👍", "positive"), ("[赞]", "positive"), ("👍👍[赞]", "positive"),
                                         ("😡", "negative"), ("[怒]", "negative"), ("[怒][抓狂]😡", "negative"),
                                         ("[订单x] 😡😡", "negative")])
def test_emoji_only_texts_are_scored_by_their_emoji(text: str, label: str) -> None:
    engine = FixedEngine()
    (result,) = score_texts([text], engine)
    assert result.label == label and engine.seen == []
    assert abs(result.negative + result.neutral + result.positive - 1) < 1e-6


def test_text_with_words_and_emoji_goes_to_the_model() -> None:
    engine = FixedEngine()
    score_texts(["太差了😡", "[订单x]还没到", "没有人接", "无语", "nano屏幕碎了"], engine)
    assert engine.seen == ["太差了😡", "[订单x]还没到", "没有人接", "无语", "nano屏幕碎了"]


def test_score_is_polarity_and_neutral_mass_decides_neutral() -> None:
    thresholds = Thresholds()
    mostly_neutral = Scored.from_probabilities([0.1, 0.7, 0.2], thresholds)
    assert mostly_neutral.label == "neutral" and mostly_neutral.score == pytest.approx(2 / 3)
    assert Scored.from_probabilities([0.5, 0.3, 0.2], thresholds).label == "negative"
    assert Scored.from_probabilities([0.0, 1.0, 0.0], thresholds).score == 0.5


def test_labels_follow_configured_thresholds() -> None:
    assert Thresholds().label(0.5) == "neutral"
    assert Thresholds(negative_below=0.6, positive_above=0.95).label(0.5) == "negative"
    assert Thresholds(neutral_at=0.3).label(0.9, neutral=0.35) == "neutral"
    assert Thresholds(neutral_at=0.4).label(0.9, neutral=0.35) == "positive"


def test_snownlp_engine_orders_obvious_texts() -> None:
    engine = load_engine("snownlp")
    good, bad = engine.predict_proba(["非常满意，服务很好", "太差了，非常失望"])
    assert good[2] > 0.6 > bad[2] and good[1] == bad[1] == 0


def test_transformer_engine_gives_three_calibrated_probabilities(tiny_model: Path) -> None:
    engine = load_engine("transformer", tiny_model)
    probabilities = engine.predict_proba(["快递三天了还没到", "服务很好", "请问怎么查订单"] * 30)
    assert probabilities.shape == (90, 3) and np.all(probabilities >= 0)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert engine.head is not None and engine.version.startswith("student-")


def test_any_local_hugging_face_checkpoint_loads(tmp_path: Path, tiny_model: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    foreign = tmp_path / "my-roberta"
    AutoModelForSequenceClassification.from_pretrained(str(tiny_model)).save_pretrained(str(foreign))
    AutoTokenizer.from_pretrained(str(tiny_model)).save_pretrained(str(foreign))
    engine = load_engine("transformer", foreign)
    assert engine.version.startswith("hf-my-roberta-") and engine.head is None
    assert engine.predict_proba(["服务很好"]).shape == (1, 3)


def test_onnx_copy_scores_like_pytorch(tmp_path: Path, tiny_model: Path) -> None:
    texts = ["快递三天了还没到太失望了", "服务很好谢谢", "账单多扣了钱", "OK 好的[哈哈]"] * 10
    torch_scores = load_engine("transformer", tiny_model).predict_proba(texts)
    onnx_engine = load_engine("transformer", tiny_model, cache_dir=tmp_path / "cache")
    assert onnx_engine.backend == "onnxruntime-int8"
    assert list((tmp_path / "cache").rglob("model.int8.onnx"))
    assert np.abs(onnx_engine.predict_proba(texts) - torch_scores).max() < 0.05


def test_unknown_engine_and_missing_models_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown sentiment engine"):
        load_engine("vader")
    with pytest.raises(FileNotFoundError, match="config.json missing"):
        load_engine("transformer", tmp_path)
    with pytest.raises(FileNotFoundError, match="voc train sentiment"):
        load_engine("transformer-large", tmp_path)
