from pathlib import Path

import numpy as np
import pytest

from sentiment.engines import load_engine
from sentiment.scoring import UNKNOWN, Thresholds, score_texts


class FixedEngine:
    name, version = "fixed", "fixed-1"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict_proba(self, texts):
        self.seen.extend(texts)
        return np.array([0.9 if "好" in t else 0.1 for t in texts])


def test_empty_and_missing_text_is_unknown_and_never_scored() -> None:
    engine = FixedEngine()
    result = score_texts(["很好", "", None, "   ", "太差"], engine)
    assert [r.label for r in result] == ["positive", UNKNOWN, UNKNOWN, UNKNOWN, "negative"]
    assert result[1].score is None
    assert engine.seen == ["很好", "太差"]


def test_labels_follow_configured_thresholds() -> None:
    assert Thresholds().label(0.5) == "neutral"
    assert Thresholds(negative_below=0.6, positive_above=0.95).label(0.5) == "negative"


def test_snownlp_engine_orders_obvious_texts() -> None:
    engine = load_engine("snownlp")
    good, bad = engine.predict_proba(["非常满意，服务很好", "太差了，非常失望"])
    assert good > 0.6 > bad


def test_transformer_engine_scores_with_the_tiny_student(tiny_model: Path) -> None:
    engine = load_engine("transformer", tiny_model)
    scores = engine.predict_proba(["快递三天了还没到", "服务很好"] * 40)
    assert scores.shape == (80,) and np.all((scores >= 0) & (scores <= 1))
    assert engine.version.startswith("student-")


def test_any_local_hugging_face_checkpoint_loads(tmp_path: Path, tiny_model: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    foreign = tmp_path / "my-roberta"
    AutoModelForSequenceClassification.from_pretrained(str(tiny_model)).save_pretrained(str(foreign))
    AutoTokenizer.from_pretrained(str(tiny_model)).save_pretrained(str(foreign))
    engine = load_engine("transformer", foreign)
    assert engine.version.startswith("hf-my-roberta-")
    assert engine.predict_proba(["服务很好"]).shape == (1,)


def test_onnx_copy_scores_like_pytorch(tmp_path: Path, tiny_model: Path) -> None:
    texts = ["快递三天了还没到太失望了", "服务很好谢谢", "账单多扣了钱", "OK 好的[哈哈]"] * 10
    torch_scores = load_engine("transformer", tiny_model).predict_proba(texts)
    onnx_engine = load_engine("transformer", tiny_model, cache_dir=tmp_path / "cache")
    assert onnx_engine.backend == "onnxruntime-int8"
    assert list((tmp_path / "cache").rglob("model.int8.onnx"))
    assert np.abs(onnx_engine.predict_proba(texts) - torch_scores).max() < 0.05


def test_unknown_engine_and_missing_model_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown sentiment engine"):
        load_engine("vader")
    with pytest.raises(FileNotFoundError, match="config.json missing"):
        load_engine("transformer", tmp_path)
