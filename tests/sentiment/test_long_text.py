"""Texts longer than the model's length are read whole, in windows, not truncated."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sentiment.engines.transformer_engine import TransformerEngine, long_text_windows


def _char_offsets(text: str) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(len(text))]


def test_a_text_that_fits_is_one_window() -> None:
    text = "快递很快，包装完好"
    assert long_text_windows(text, _char_offsets(text), room=len(text)) == [text]


def test_windows_end_after_punctuation_and_cover_the_text_in_order() -> None:
    text = "物流三天就到了，包装也很仔细。可惜用了一周屏幕就坏了，客服一直不回。"
    windows = long_text_windows(text, _char_offsets(text), room=16)
    assert windows == ["物流三天就到了，包装也很仔细。", "可惜用了一周屏幕就坏了，", "客服一直不回。"]
    assert "".join(windows) == text


def test_without_punctuation_a_window_is_cut_at_its_length() -> None:
    text = "这个套餐的流量根本不够用每个月都要额外买流量包真的太坑了"
    windows = long_text_windows(text, _char_offsets(text), room=10)
    assert [len(window) for window in windows] == [10, 10, 8]
    assert "".join(windows) == text


def test_a_very_long_text_is_read_at_its_start_and_end() -> None:
    text = "".join(f"第{i:03d}段内容。" for i in range(100))  # 8 characters a sentence
    windows = long_text_windows(text, _char_offsets(text), room=8, max_windows=6)
    assert windows == ["第000段内容。", "第001段内容。", "第002段内容。", "第097段内容。", "第098段内容。", "第099段内容。"]


def test_a_long_text_gets_its_windows_mean_probabilities(tiny_model: Path) -> None:
    engine = TransformerEngine(tiny_model, max_length=12)
    long_text = "快递三天了还没到，太失望了。客服态度很好，问题解决了。网速很快，很满意。"
    short_text = "账单多扣了钱"
    windows = long_text_windows(long_text, engine.tokenizer(long_text, add_special_tokens=False,
                                                             return_offsets_mapping=True)["offset_mapping"], 10)
    assert len(windows) >= 3

    both = engine.model_log_proba([short_text, long_text])
    each_window = engine.model_log_proba(windows)
    expected = np.log(np.exp(each_window).mean(axis=0))
    np.testing.assert_allclose(both[1], expected, atol=1e-5)
    np.testing.assert_allclose(both[0], engine.model_log_proba([short_text])[0], atol=1e-5)


def test_the_ending_of_a_long_text_counts(tiny_model: Path, monkeypatch) -> None:
    """With the network replaced by a word count, a complaint past the length still moves the result."""
    engine = TransformerEngine(tiny_model, max_length=12)
    monkeypatch.setattr(engine, "_logits", lambda texts: np.array(
        [[3.0 * text.count("坏"), 0.0, 3.0 * text.count("好")] for text in texts], dtype=np.float32))
    praise_then_complaint = "包装很好，物流很好。" + "屏幕坏了，按键坏了，电池坏了。"
    log_proba = engine.model_log_proba([praise_then_complaint, "包装很好，物流很好。"])
    assert log_proba[0, 0] > log_proba[0, 2]  # read whole: more 坏 than 好
    assert log_proba[1, 2] > log_proba[1, 0]
