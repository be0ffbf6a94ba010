"""Topics: an analyst-editable taxonomy first, a model for what its patterns miss, and
unsupervised discovery of themes the taxonomy does not have yet.

The taxonomy is data (topic_code, parent_code, name_zh, keywords as ``a|b|c`` patterns): the
dbt seed ``topic_taxonomy.csv`` is its home, and callers pass its rows in. Pattern matches are
exact and explainable; the model (character TF-IDF + logistic regression, trained on the texts
the patterns label unambiguously) covers the rest and gives up to ``other`` when unsure.
Discovery factorises jieba-token TF-IDF with NMF and reports top terms and example texts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from sentiment.normalize import normalize

OTHER = "other"
USER_DICT = Path(__file__).resolve().parent / "resources" / "jieba_userdict.txt"
_STOPWORDS = frozenset("的 了 是 我 你 他 她 它 们 在 有 和 就 都 也 还 又 很 太 吧 吗 呢 啊 嗯 这 那 个 一 不 没 要 说 给 到 去 来 让 被 把 对 但 而 与 及 等 着 过 会 能 可以 什么 怎么 为什么 已经 一直 还是 就是 那个 这个 然后 我们 你们 他们 自己 一下 真的 非常 特别 一个 没有".split())


@dataclass(frozen=True)
class Topic:
    code: str
    parent: str | None
    name_zh: str
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class TopicAssignment:
    topic: str
    method: str  # 'pattern', 'model' or 'none'
    confidence: float
    evidence: str | None


class Taxonomy:
    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = list(topics)
        self.leaves = [t for t in self.topics if t.pattern is not None]

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, str]]) -> "Taxonomy":
        topics = []
        for row in rows:
            keywords = [k.strip() for k in (row.get("keywords") or "").split("|") if k.strip()]
            pattern = re.compile("|".join(re.escape(k) for k in keywords), re.IGNORECASE) if keywords else None
            topics.append(Topic(row["topic_code"], row.get("parent_code") or None, row["name_zh"], pattern))
        return cls(topics)

    @classmethod
    def from_csv(cls, path: Path) -> "Taxonomy":
        with path.open(encoding="utf-8") as handle:
            return cls.from_rows(list(csv.DictReader(handle)))

    def match(self, text: str) -> tuple[str | None, str | None, int]:
        """Topic with the most keyword hits (ties: the earlier row), its first hit, and the hit count."""
        best: tuple[str | None, str | None, int] = (None, None, 0)
        for topic in self.leaves:
            hits = topic.pattern.findall(text)  # type: ignore[union-attr]
            if len(hits) > best[2]:
                best = (topic.code, hits[0], len(hits))
        return best


class TopicModel:
    """Patterns first; a classifier trained on pattern-labelled texts for the rest."""

    def __init__(self, taxonomy: Taxonomy, min_confidence: float = 0.45) -> None:
        self.taxonomy = taxonomy
        self.min_confidence = min_confidence
        self.classifier = None

    def fit(self, texts: Sequence[str]) -> "TopicModel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        normalised = [normalize(t).text for t in texts]
        labelled = [(text, self.taxonomy.match(text)[0]) for text in normalised]
        labelled = [(text, topic) for text, topic in labelled if topic]
        if len({topic for _, topic in labelled}) >= 2:
            self.classifier = make_pipeline(
                TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                LogisticRegression(C=2.0, max_iter=1000),
            ).fit([t for t, _ in labelled], [c for _, c in labelled])
        return self

    def assign(self, texts: Sequence[str | None], asr: bool = False) -> list[TopicAssignment]:
        normalised = [normalize(t, asr=asr).text for t in texts]
        results: list[TopicAssignment | None] = []
        missed: list[int] = []
        for i, text in enumerate(normalised):
            topic, evidence, hits = self.taxonomy.match(text) if text else (None, None, 0)
            if topic:
                results.append(TopicAssignment(topic, "pattern", 1.0, evidence))
            elif not text:
                results.append(TopicAssignment(OTHER, "none", 0.0, None))
            else:
                results.append(None)
                missed.append(i)
        if missed and self.classifier is not None:
            probabilities = self.classifier.predict_proba([normalised[i] for i in missed])
            classes = self.classifier.classes_
            for i, row in zip(missed, probabilities):
                best = int(np.argmax(row))
                if row[best] >= self.min_confidence:
                    results[i] = TopicAssignment(str(classes[best]), "model", float(row[best]), None)
        return [r or TopicAssignment(OTHER, "none", 0.0, None) for r in results]


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.load_userdict(str(USER_DICT))
    return jieba


def tokenize(text: str) -> list[str]:
    """jieba words of two or more characters, without stopwords, numbers or punctuation."""
    words = _jieba().lcut(normalize(text).text)
    return [w for w in words if len(w) > 1 and w not in _STOPWORDS and not re.fullmatch(r"[\W_\d]+", w)]


@dataclass(frozen=True)
class DiscoveredTheme:
    theme_id: int
    terms: list[str]
    size: int
    examples: list[str]


def discover_themes(texts: Sequence[str], k: int = 8, top_terms: int = 8, examples: int = 3,
                    seed: int = 0) -> tuple[list[int], list[DiscoveredTheme]]:
    """NMF over jieba-token TF-IDF: each text's theme id (-1 when empty) and each theme's terms."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    tokens = [" ".join(tokenize(t or "")) for t in texts]
    present = [i for i, t in enumerate(tokens) if t]
    assignment = [-1] * len(texts)
    if len(present) < k:
        return assignment, []
    vectorizer = TfidfVectorizer(token_pattern=r"[^ ]+", min_df=2 if len(present) > 50 else 1, max_df=0.5,
                                 sublinear_tf=True)
    matrix = vectorizer.fit_transform([tokens[i] for i in present])
    k = min(k, matrix.shape[1])
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = np.array(vectorizer.get_feature_names_out())
    best = weights.argmax(axis=1)
    for row, i in enumerate(present):
        assignment[i] = int(best[row]) if weights[row].max() > 0 else -1
    themes = []
    for theme in range(k):
        members = [present[row] for row in np.argsort(-weights[:, theme]) if best[row] == theme]
        terms = list(vocabulary[np.argsort(-model.components_[theme])[:top_terms]])
        themes.append(DiscoveredTheme(theme, terms, len(members), [texts[i] for i in members[:examples]]))
    return assignment, themes
