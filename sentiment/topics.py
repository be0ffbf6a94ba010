"""Topics: an analyst-editable taxonomy, a classifier trained on written labelled texts, the two
blended per topic; and unsupervised discovery of themes the taxonomy does not have yet.

The taxonomy is data (topic_code, parent_code, name_zh, keywords): the dbt seed
``topic_taxonomy.csv`` is its home, and callers pass its rows in. ``keywords`` is ``a|b|c``; an
entry ``a+b`` fires only when the other parts follow ``a`` within 8 characters of one sentence
(转人工+排队: asking for a person is not a waiting complaint, queueing for one is), and ``~a`` is a
weak context word weighing 0.5: it names where or with what (燃气, 宽带, 快递员, 屏幕, 电表, 5G),
not the matter, so the matter's own words win (快递员 … 骂我 is about the courier's manner). Keyword
hits are read in context:

- a hit negated as a problem (没有质量问题, 不是快递的问题, 没发现任何故障) does not fire, while a
  negated resource is the complaint itself (没信号, 没收到, 没开发票) and fires;
- a hit followed by an all-clear (信号挺好, 质量没问题) counts as a passing mention (weight 0.3).

Each hit weighs 1 plus 0.25 per character beyond two (capped at 2): long phrases are more
specific than short words. A topic's keyword strength is ``(1 - exp(-1.5·s)) · s / total`` of its
score ``s`` among all topics' (one clean hit alone gives 0.78, two 0.95, a tie at most 0.5).

The classifier (character 1-3-gram TF-IDF + logistic regression) learns from the written,
labelled customer texts in ``sentiment/data/topics/`` (datasheet beside them) and from every
keyword as a short text of its topic. Keywords decide alone when they are unambiguous (strength
at least 0.7 against the other topics named; weak context words count only when nothing else is
named), which keeps the analyst in control of what the seed names clearly. Otherwise, per topic,
``0.4 · keyword strength + 0.6 · probability``; the best topic wins unless it scores under 0.1
or under the classifier's ``other`` share (for a call: only when no keyword fired), and its blended
score is the confidence. The floor is the same for calls with and without keywords: a higher one
for calls no keyword fired on sent a third more unseen chats to ``other`` than it saved (datasheet). A seed topic the classifier never saw (an analyst's new row) is blended
by its keywords alone, so it works before any retraining.

Calls read the customer's informative turns in order (agent turns never count; greetings,
thanks and placeholder-only turns are skipped). Keyword scores add up over turns, and each turn is
blended on its own; in both the i-th turn weighs ``1 / (1 + 0.5·i)``, times 0.3 when it opens as an
aside (对了, 顺便, 另外): customers say what they came for first, and a later turn adds a remedy
(换货, 退款), small talk or a second matter in passing. A small-talk turn (no keyword, and the
classifier reads it as ``other``: 在吗, 转人工, 我等着) weighs 0.6 and takes no position, so a chat
that opens with 在吗 still has its matter as the first turn. Discovery factorises jieba-token TF-IDF
with NMF.

Texts given to :class:`TopicModel` are already normalised (``sentiment.normalize``): the nightly
normalises each document once and every step reads that text.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from sentiment.contentless import has_content
from sentiment.normalize import PLACEHOLDER, content_kind, normalize

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

OTHER = "other"
USER_DICT = Path(__file__).resolve().parent / "resources" / "jieba_userdict.txt"
_STOPWORDS = frozenset("的 了 是 我 你 他 她 它 们 在 有 和 就 都 也 还 又 很 太 吧 吗 呢 啊 嗯 这 那 个 一 不 没 要 说 给 到 去 来 让 被 把 对 但 而 与 及 等 着 过 会 能 可以 什么 怎么 为什么 已经 一直 还是 就是 那个 这个 然后 我们 你们 他们 自己 一下 真的 非常 特别 一个 没有".split())
_NEGATORS = frozenset({"不", "没", "没有", "无", "别", "未", "不是", "不太", "不够", "不会"})

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_CLAUSE_END = re.compile(r"[，,。！？!?；;、\n]")
# A negation right before a hit (optionally "没有任何", "没发现"), and problem words after it.
_NEGATED = re.compile(r"(没有|没|无|不是|并非|并不是|不存在|谈不上|不算)(任何|什么|啥|出现过?|发现过?|遇到过?|太大的?|大的|明显的?)?的?$")
_PROBLEM = re.compile(r"问题|毛病|故障|异常|坏|差|影响|瑕疵|破损|慢")
_ALL_CLEAR = re.compile(r"^(都|也|还|倒|倒是|一直)?(没(有)?(什么|啥)?(问题|毛病)|没事|正常|挺好|很好|不错|还行|还可以|满意)")
_MENTION_WEIGHT = 0.3
WEAK_WEIGHT = 0.5
CO_OCCURRENCE_WINDOW = 8  # characters after the anchor, within its sentence
TRAINING_SET = Path(__file__).resolve().parent / "data" / "topics" / "topic_training.csv"
TURN_DECAY = 0.5  # weight 1 / (1 + 0.5·i) of the i-th informative customer turn
KEYWORD_SHARE = 0.4  # keyword strength's part of the blended score; the classifier has the rest
MIN_CONFIDENCE = 0.1  # below this blended score a text is ``other``
CLASSIFIER_C = 50.0  # inverse regularisation: few, clean texts per topic
SELF_LABELLED_PER_TOPIC = 200  # corpus texts a topic without written texts learns from
KEYWORD_DECIDES = 0.7  # keyword strength at which the keywords decide alone
# A turn that opens as an aside raises a second matter in passing, not the reason for the contact.
_ASIDE = re.compile(r"^[^\w]*(对了|顺便|顺带|另外|还有个|还有一个|还有就是|还有件事|再问一下|再问个|还想问)")
ASIDE_WEIGHT = 0.3
SMALL_TALK_WEIGHT = 0.6  # weight of a turn with no keyword that the classifier reads as ``other``
# Small talk is short (在吗, 转人工, 我等着): a longer turn the classifier reads as ``other`` is a
# matter of its own (an opening-hours or loyalty-points enquiry) and keeps its place.
SMALL_TALK_MAX_CHARS = 8
# A call in which no keyword fires rests on the classifier alone; under this it is ``other``. Set
# where the demo generator's service enquiries (积分, 营业厅) stay ``other`` (0 of 2,012 calls off
# their true topic at seed 21) while unseen written chats keep most of the gain of reading silent
# calls at all (lead's blind half: 0.775, against 0.800 at 0.1 and 0.713 with topic2's 0.18 floor).
SILENT_CALL_MIN_CONFIDENCE = 0.21


@dataclass(frozen=True)
class Keyword:
    """One seed entry: ``parts`` must all occur in one sentence; the first is the evidence.
    A weak entry (``~燃气``) names a context, not the issue, and weighs ``WEAK_WEIGHT``."""

    parts: tuple[str, ...]
    weak: bool = False

    @property
    def weight(self) -> float:
        if self.weak:
            return WEAK_WEIGHT
        if len(self.parts) > 1:
            return 1.5
        return min(2.0, 1.0 + 0.25 * max(0, len(self.parts[0]) - 2))


@dataclass(frozen=True)
class Topic:
    code: str
    parent: str | None
    name_zh: str
    keywords: tuple[Keyword, ...]  # longest anchor first, so overlapping hits keep the specific one


@dataclass(frozen=True)
class TopicAssignment:
    topic: str
    method: str  # 'pattern', 'model' or 'none'
    confidence: float
    evidence: str | None


@dataclass(frozen=True)
class Match:
    """Keyword scores of one text: per topic code, the weighted hits and the first evidence."""

    scores: dict[str, float]
    evidence: dict[str, str]
    context_only: frozenset[str] = frozenset()  # topics hit by weak context words (``~``) alone

    def best(self) -> tuple[str | None, float, float]:
        """(topic, its score, the runner-up's score); ties go to the earlier seed row."""
        ranked = sorted(self.scores.items(), key=lambda item: -item[1])  # stable: seed order kept
        if not ranked:
            return None, 0.0, 0.0
        return ranked[0][0], ranked[0][1], ranked[1][1] if len(ranked) > 1 else 0.0


def keyword_confidence(top: float, second: float) -> float:
    """Confidence of a keyword assignment from the winning and runner-up scores (module doc)."""
    return round((1 - math.exp(-1.5 * top)) * top / (top + second), 4) if top > 0 else 0.0


def _bounds(pattern: re.Pattern[str], text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in pattern.finditer(text, 0, start)), default=0)
    right = pattern.search(text, end)
    return left, right.start() if right else len(text)


def _hit_weight(text: str, start: int, end: int) -> float:
    """1 for a hit, 0 when negated as a problem, ``_MENTION_WEIGHT`` when followed by an all-clear."""
    clause_start, clause_end = _bounds(_CLAUSE_END, text, start, end)
    before = text[max(clause_start, start - 8):start].replace(" ", "")
    after = text[end:min(clause_end, end + 6)].replace(" ", "")
    # The problem word must follow at once (没有质量问题, 不是快递的问题): speech recognition leaves
    # no punctuation, so 没信号体验极差 ends one clause and starts the next within four characters.
    if _NEGATED.search(before) and _PROBLEM.search(text[start:end] + after[:3]):
        return 0.0
    if _ALL_CLEAR.match(after):
        return _MENTION_WEIGHT
    return 1.0


class TaxonomyError(ValueError):
    """A taxonomy row that cannot be used, with its row number (the header is row 1)."""


class Taxonomy:
    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = list(topics)
        self.leaves = [t for t in self.topics if t.keywords]
        self.names = {t.code: t.name_zh for t in self.topics}

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, str]]) -> "Taxonomy":
        """Topics from the seed's rows; TaxonomyError naming the row for a row with fields missing or extra,
        a topic_code or name_zh left empty, a topic_code given twice, or a parent_code no row defines (the
        dbt tests on the seed would fail the night after the NLP step had used it)."""
        codes = [(row.get("topic_code") or "").strip() for row in rows]
        for number, (row, code) in enumerate(zip(rows, codes), start=2):
            if None in row or any(value is None for value in row.values()):
                given = sum(1 for key, value in row.items() if key is not None and value is not None) + len(row.get(None) or [])
                raise TaxonomyError(f"row {number}: {given} fields, the header has {sum(1 for key in row if key is not None)}: "
                                    "quote a keyword list that holds a comma, or add the missing fields")
            if not code or not (row.get("name_zh") or "").strip():
                raise TaxonomyError(f"row {number}: topic_code and name_zh are required")
            if code in codes[:number - 2]:
                raise TaxonomyError(f"row {number}: topic_code {code!r} is already row {codes.index(code) + 2}")
            parent = (row.get("parent_code") or "").strip()
            if parent and parent not in codes:
                raise TaxonomyError(f"row {number}: parent_code {parent!r} of {code!r} is no topic_code of the taxonomy")
        topics = []
        for row in rows:
            entries = [k.strip() for k in (row.get("keywords") or "").split("|") if k.strip()]
            keywords = sorted((Keyword(tuple(p.strip().lower() for p in entry.lstrip("~").split("+") if p.strip()),
                                       weak=entry.startswith("~"))
                               for entry in entries), key=lambda k: -len(k.parts[0]))
            topics.append(Topic(row["topic_code"], row.get("parent_code") or None, row["name_zh"], tuple(keywords)))
        return cls(topics)

    @classmethod
    def from_csv(cls, path: Path) -> "Taxonomy":
        """The taxonomy in ``path``; TaxonomyError naming the file and row for a row it cannot use."""
        with path.open(encoding="utf-8") as handle:
            try:
                return cls.from_rows(list(csv.DictReader(handle)))
            except TaxonomyError as error:
                raise TaxonomyError(f"{path}: {error}") from None

    def scores(self, text: str) -> Match:
        """Weighted keyword hits of one normalised text, per topic (module doc for the rules).
        Spaces are ignored: speech recognition splits words (信号 特别 差, 退 了). A span counts
        once per topic (骚扰电话 is not also 骚扰), and a hit inside a longer hit of another topic
        gives way to it (什么时候能到 inside 什么时候能到账)."""
        text = text.replace(" ", "")
        lowered = text.lower()
        hits: dict[str, list[tuple[int, int, float, bool]]] = {}
        for topic in self.leaves:
            found: list[tuple[int, int, float, bool]] = []
            covered = bytearray(len(lowered))  # characters a hit of this topic holds: a span counts once
            for keyword in topic.keywords:
                anchor = keyword.parts[0]
                start = lowered.find(anchor)
                while start >= 0:
                    end = start + len(anchor)
                    weight = 0.0
                    if not any(covered[start:end]):
                        weight = _hit_weight(lowered, start, end)
                    if weight and len(keyword.parts) > 1:
                        _, sentence_end = _bounds(_SENTENCE_END, lowered, start, end)
                        near = lowered[end:min(sentence_end, end + CO_OCCURRENCE_WINDOW)]
                        weight *= all(part in near for part in keyword.parts[1:])
                    if weight:
                        found.append((start, end, weight * keyword.weight, keyword.weak))
                        covered[start:end] = b"\x01" * (end - start)
                    start = lowered.find(anchor, end)
            if found:
                hits[topic.code] = found
        # Hits by their start, so a hit is compared only with those that start close enough to hold it.
        starting: dict[int, list[tuple[str, int]]] = {}
        for code, found in hits.items():
            for start, end, *_ in found:
                starting.setdefault(start, []).append((code, end))
        longest = max((end - start for found in hits.values() for start, end, *_ in found), default=0)
        scores: dict[str, float] = {}
        evidence: dict[str, str] = {}
        context_only: set[str] = set()
        for code, found in hits.items():
            kept = [(start, end, weight, weak) for start, end, weight, weak in found
                    if not any(other != code and end <= right and right - left > end - start
                               for left in range(max(0, start - longest), start + 1)
                               for other, right in starting.get(left, ()))]
            if kept:
                scores[code] = sum(weight for _, _, weight, _ in kept)
                first = min(kept)
                evidence[code] = text[first[0]:first[1]]
                if all(weak for *_, weak in kept):
                    context_only.add(code)
        return Match(scores, evidence, frozenset(context_only))

    def match(self, text: str) -> tuple[str | None, str | None, float]:
        """The winning topic of one normalised text, its first hit, and its confidence."""
        found = self.scores(text)
        topic, top, second = found.best()
        return topic, found.evidence.get(topic) if topic else None, keyword_confidence(top, second)


def customer_text(turns: Sequence[str]) -> str:
    """The informative customer turns of a call as one text."""
    return " ".join(t for t in turns if content_kind(t) == "content")


def turn_weights(turns: Sequence[str], decay: float = TURN_DECAY,
                 small_talk: Sequence[bool] | None = None) -> list[float]:
    """Weight of each informative customer turn: ``1 / (1 + decay·i)`` for the i-th, since a
    customer says what they came for first and later turns add detail, remedies and small talk;
    times ``ASIDE_WEIGHT`` for a turn that opens as an aside (对了, 顺便, 另外, 还有个). A turn
    flagged in ``small_talk`` (在吗, 转人工, 我等着: no keyword, the classifier reads ``other``)
    weighs ``SMALL_TALK_WEIGHT`` and takes no position, so the matter stated after it still counts
    as stated first."""
    weights, position = [], 0
    for turn, chat in zip(turns, small_talk or [False] * len(turns)):
        if chat:
            weights.append(SMALL_TALK_WEIGHT)
            continue
        weights.append((ASIDE_WEIGHT if _ASIDE.match(turn.replace(" ", "")) else 1.0) / (1 + decay * position))
        position += 1
    return weights


def load_training_set(path: Path = TRAINING_SET, split: str = "train") -> list[tuple[str, str]]:
    """The written, labelled customer texts (``sentiment/data/topics/``, datasheet beside it) of
    one split, normalised as the nightly normalises them: (text, topic_code) pairs."""
    with path.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] == split]
    return [(normalize(row["text"], asr=row["style"] == "asr").text, row["topic_code"]) for row in rows]


@lru_cache(maxsize=4)
def _train_classifier(labelled: tuple[tuple[str, str], ...]) -> "Pipeline":
    """Character 1-3-gram TF-IDF + logistic regression over (text, topic) pairs; the same pairs
    give the same model, so it is trained once per process (the nightly, the CLI and tests
    build several :class:`TopicModel` objects over one taxonomy). One BLAS thread: on a shared
    machine more threads make this small fit ten times slower, not faster."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=CLASSIFIER_C, solver="saga", tol=1e-3, max_iter=2000,
                           class_weight="balanced", random_state=0),
    )
    with threadpool_limits(limits=1):
        return pipeline.fit([_for_classifier(t) for t, _ in labelled], [c for _, c in labelled])


def _for_classifier(text: str) -> str:
    """The classifier reads text without the spaces speech recognition puts between words."""
    return text.replace(" ", "")


class TopicModel:
    """Keywords and a supervised classifier, blended per topic (module doc).

    The classifier trains on the written training set (``training``, default the train split of
    ``TRAINING_SET``); a taxonomy topic that set lacks (an analyst's new seed row) is learnt from
    the keyword-labelled texts passed to :meth:`fit`, and its keywords count from the start."""

    def __init__(self, taxonomy: Taxonomy, training: Sequence[tuple[str, str]] | None = None,
                 min_confidence: float = MIN_CONFIDENCE, keyword_share: float = KEYWORD_SHARE) -> None:
        self.taxonomy = taxonomy
        self.training = list(training) if training is not None else load_training_set()
        self.min_confidence = min_confidence
        self.keyword_share = keyword_share
        self.classifier: Pipeline | None = None
        self.known: frozenset[str] = frozenset()  # the codes the classifier learnt from texts, not keywords alone
        self.training_size = 0

    @property
    def codes(self) -> list[str]:
        """Every code this model can assign: the taxonomy's, and ``other``."""
        return list(dict.fromkeys([t.code for t in self.taxonomy.topics] + [OTHER]))  # the seed may list other

    def fit(self, texts: Sequence[str] = ()) -> "TopicModel":
        """Train the classifier on the written set, restricted to the taxonomy's codes, plus up to
        ``SELF_LABELLED_PER_TOPIC`` keyword-labelled ``texts`` for each topic the written set lacks.
        With fewer than two topics to tell apart it stays unfitted (keywords and ``other`` only)."""
        codes = {t.code for t in self.taxonomy.leaves} | {OTHER}
        labelled = [(text, topic) for text, topic in self.training if topic in codes and text]
        written = {topic for _, topic in labelled}
        # Each keyword is a short text of its topic: the seed's vocabulary reaches the classifier too.
        labelled += [("".join(k.parts), t.code) for t in self.taxonomy.leaves for k in t.keywords if not k.weak]
        extra: Counter[str] = Counter()
        for text in texts if codes - written - {OTHER} else ():
            topic = self.taxonomy.match(text)[0] if text else None
            if topic and topic not in written and extra[topic] < SELF_LABELLED_PER_TOPIC:
                labelled.append((text, topic))
                extra[topic] += 1
        self.classifier, self.known, self.training_size = None, frozenset(), 0
        if len({topic for _, topic in labelled}) < 2:
            return self
        self.classifier = _train_classifier(tuple(labelled))
        self.known = frozenset(written | set(extra))
        self.training_size = len(labelled)
        return self

    def _probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        if self.classifier is None or not texts:
            return [{} for _ in texts]
        classes = [str(c) for c in self.classifier.classes_]
        return [dict(zip(classes, row)) for row in self.classifier.predict_proba([_for_classifier(t) for t in texts])]

    def _blend(self, keyword: Match, probabilities: dict[str, float]) -> dict[str, float]:
        """Per topic code (``other`` included): keyword strength and classifier probability blended
        (module doc); a topic the classifier never saw (a new seed row) by its keywords alone."""
        total = sum(keyword.scores.values())
        share = self.keyword_share
        blended: dict[str, float] = {}
        for topic in self.taxonomy.leaves:
            score = keyword.scores.get(topic.code, 0.0)
            strength = (1 - math.exp(-1.5 * score)) * score / total if score else 0.0
            known = topic.code in self.known
            blended[topic.code] = share * strength + (1 - share) * probabilities[topic.code] if known else strength
        blended[OTHER] = (1 - share) * probabilities.get(OTHER, 0.0)
        return blended

    def _choose(self, blended: dict[str, float], keyword: Match, call: bool = False) -> TopicAssignment:
        """The keywords' topic when they are unambiguous: its strength against the other topics
        the customer named is at least ``KEYWORD_DECIDES`` (context words count only when nothing
        is named). Otherwise the best blended topic, unless it scores under ``min_confidence``
        or under ``other`` (a call's ``other`` share counts only when no keyword fired)."""
        named = {code: score for code, score in keyword.scores.items() if code not in keyword.context_only}
        topic, top, second = Match(named or keyword.scores, keyword.evidence).best()
        if topic and keyword_confidence(top, second) >= KEYWORD_DECIDES:
            return TopicAssignment(topic, "pattern", keyword_confidence(top, second), keyword.evidence[topic])
        candidates = {code: score for code, score in blended.items() if code != OTHER}
        best = max(candidates, key=lambda code: candidates[code]) if candidates else None  # ties: earlier seed row
        silent = call and not keyword.scores
        # Small talk is ``other`` turn by turn, so a call's ``other`` share counts only when no keyword fired.
        other = blended.get(OTHER, 0.0) if silent or not call else 0.0
        floor = max(self.min_confidence, SILENT_CALL_MIN_CONFIDENCE) if silent else self.min_confidence
        if best is None or candidates[best] < max(floor, other):
            return TopicAssignment(OTHER, "none", 0.0, None)
        method = "pattern" if best in keyword.evidence else "model"
        return TopicAssignment(best, method, round(candidates[best], 4), keyword.evidence.get(best))

    def assign(self, texts: Sequence[str | None]) -> list[TopicAssignment]:
        """Topics of normalised documents (surveys, posts). A text without content (a missing-value marker
        such as nan or #VALUE!, a no-comment answer, placeholders or numbers: ``sentiment.contentless``) is
        ``other``, as an empty one."""
        values = [t if has_content(t) else "" for t in texts]
        results = []
        for text, probabilities in zip(values, self._probabilities(values)):
            found = self.taxonomy.scores(text)
            results.append(self._choose(self._blend(found, probabilities), found) if text
                           else TopicAssignment(OTHER, "none", 0.0, None))
        return results

    def assign_calls(self, calls: Sequence[Sequence[str]]) -> list[TopicAssignment]:
        """Topics of calls from their normalised customer turns in order (agent turns never count):
        each informative turn is blended on its own, and the call's score is their mean weighed by
        :func:`turn_weights`, so what the customer came for outweighs a matter raised in passing."""
        informative = [[t for t in turns if content_kind(t) == "content"] for turns in calls]
        probabilities = iter(self._probabilities([turn for turns in informative for turn in turns]))
        results = []
        for turns in informative:
            matches = [self.taxonomy.scores(turn) for turn in turns]
            turn_probabilities = [next(probabilities) for _ in turns]
            small_talk = [not found.scores and bool(p) and max(p, key=p.__getitem__) == OTHER
                          and len(turn.replace(" ", "")) <= SMALL_TALK_MAX_CHARS
                          for found, p, turn in zip(matches, turn_probabilities, turns)]
            weights = turn_weights(turns, small_talk=small_talk)
            combined: dict[str, float] = {}
            keyword_scores: dict[str, float] = {}
            evidence: dict[str, str] = {}
            named: set[str] = set()
            for found, turn_probability, weight in zip(matches, turn_probabilities, weights):
                named |= set(found.scores) - found.context_only
                for code, score in found.scores.items():
                    keyword_scores[code] = keyword_scores.get(code, 0.0) + weight * score
                    evidence.setdefault(code, found.evidence[code])
                for code, score in self._blend(found, turn_probability).items():
                    combined[code] = combined.get(code, 0.0) + score * weight / sum(weights)
            ordered = {t.code: keyword_scores[t.code] for t in self.taxonomy.leaves if t.code in keyword_scores}
            results.append(self._choose(combined, Match(ordered, evidence, frozenset(set(ordered) - named)), call=True))
        return results


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.load_userdict(str(USER_DICT))
    return jieba


def tokenize(text: str) -> list[str]:
    """jieba words of two or more characters, without stopwords, numbers, punctuation, markup or
    masking placeholders; a negator joins the word after it (没 信号 → 没信号, 不 满意 → 不满意)
    so negation survives."""
    words = [w for w in _jieba().lcut(PLACEHOLDER.sub(" ", normalize(text).text)) if w.strip()]
    merged: list[str] = []
    for word in words:
        if merged and merged[-1] in _NEGATORS and not re.fullmatch(r"[\W_\d]+", word):
            merged[-1] += word
        else:
            merged.append(word)
    return [w for w in merged if len(w) > 1 and w not in _STOPWORDS and w not in _NEGATORS
            and not re.fullmatch(r"[\W_\d]+", w) and content_kind(w) == "content"]


@dataclass(frozen=True)
class DiscoveredTheme:
    theme_id: int
    terms: list[str]
    size: int
    examples: list[str]


def _single_theme(texts: Sequence[str], tokens: list[str], present: list[int], top_terms: int,
                  examples: int) -> tuple[list[int], list[DiscoveredTheme]]:
    """Too few distinct texts to factorise: one theme holding them all, named by its frequent words."""
    members = set(present)
    assignment = [0 if i in members else -1 for i in range(len(texts))]
    counts = Counter(word for i in present for word in tokens[i].split())
    terms = [word for word, _ in counts.most_common(top_terms)]
    return assignment, [DiscoveredTheme(0, terms, len(present), [texts[i] for i in present[:examples]])]


def discover_themes(texts: Sequence[str], k: int = 8, top_terms: int = 8, examples: int = 3,
                    seed: int = 0) -> tuple[list[int], list[DiscoveredTheme]]:
    """NMF over jieba-token TF-IDF: each text's theme id (-1 when it has no words, or is no content: nan,
    #VALUE!, 无, ``sentiment.contentless``) and each theme's terms. Degenerate input never raises: no words
    gives no themes; one distinct text (or identical texts) gives one theme; k shrinks to the number of
    distinct texts."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    tokens = [" ".join(tokenize(t)) if has_content(t) else "" for t in texts]
    present = [i for i, t in enumerate(tokens) if t]
    assignment = [-1] * len(texts)
    distinct = len({tokens[i] for i in present})
    if not present:
        return assignment, []
    k = min(k, distinct)
    if k < 2:
        return _single_theme(texts, tokens, present, top_terms, examples)
    vectorizer = TfidfVectorizer(token_pattern=r"[^ ]+", min_df=2 if len(present) > 50 else 1,
                                 max_df=0.5 if distinct >= 10 else 1.0, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([tokens[i] for i in present])
    except ValueError:  # every term pruned (e.g. all texts share the same words)
        return _single_theme(texts, tokens, present, top_terms, examples)
    k = min(k, matrix.shape[1])
    if k < 2:
        return _single_theme(texts, tokens, present, top_terms, examples)
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    vocabulary = np.array(vectorizer.get_feature_names_out())
    best = weights.argmax(axis=1)
    for row, i in enumerate(present):
        assignment[i] = int(best[row]) if weights[row].max() > 0 else -1
    themes = []
    for theme in range(k):
        members = [present[row] for row in np.argsort(-weights[:, theme]) if best[row] == theme]
        terms = [str(t) for t in vocabulary[np.argsort(-model.components_[theme])[:top_terms]]]
        themes.append(DiscoveredTheme(theme, terms, len(members), [texts[i] for i in members[:examples]]))
    return assignment, themes
