"""Negation scope marking for the TF-IDF half of the sentiment stack (sentiment.negation)."""

from __future__ import annotations

import pickle

from sentiment.negation import NEGATED, negation_marked_words
from sentiment.training.baseline import TfidfBaseline


def test_words_after_a_negator_are_marked_to_the_clause_end() -> None:
    words = negation_marked_words("东西不错，没有破损，包装很好")
    assert f"{NEGATED}破损" in words
    # the next clause is outside the scope, and 不错 is one word that opens none
    assert "包装" in words and "不错" in words
    assert not any(w.startswith(NEGATED) for w in words[:words.index("没有")])


def test_scope_is_limited_and_a_second_negator_ends_it() -> None:
    assert negation_marked_words("没有一个员工不热情", scope=4) == ["没有", f"{NEGATED}一个", f"{NEGATED}员工", "不", "热情"]
    words = negation_marked_words("从没蓝屏过也很少卡顿而且发热很低", scope=2)
    marked = [w for w in words if w.startswith(NEGATED)]
    assert len(marked) == 2


def test_negated_words_become_features_of_their_own_and_the_model_pickles() -> None:
    texts = ["这次没有破损", "包装没有破损很满意", "收到有破损", "外包装破损严重"] * 5
    labels = [2, 2, 0, 0] * 5
    model = TfidfBaseline(word_ngrams=True, negation_scope=4).fit(texts, labels)
    vocabulary = model.pipeline.steps[0][1].transformer_list[1][1].vocabulary_
    assert f"{NEGATED}破损" in vocabulary and "破损" in vocabulary
    reloaded = pickle.loads(pickle.dumps(model))
    probabilities = reloaded.predict_proba(["盒子没有破损"])
    assert probabilities[0, 2] > probabilities[0, 0]
