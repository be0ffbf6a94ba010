"""Topic accuracy over the full taxonomy on a hand-written evaluation set (bench/data/topic_eval.csv,
described in bench/data/topic_eval.md), assigned exactly as ``voc topics assign`` does: keywords in
context blended with the classifier trained on the written training split
(sentiment/data/topics/topic_training.csv; never on these gold labels), else ``other``. Calls are
whole dialogues read through their customer lines. The written set's own ``dev`` split, held out
of training, is reported beside it (``written_dev``).

Targets (issue 12): accuracy >= 0.80 over the full taxonomy; ``other`` < 15% on texts that belong
to a listed topic.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from pipelines.nlp.csv_tools import customer_turns
from pipelines.settings import get_settings
from sentiment.normalize import normalize
from sentiment.topics import OTHER, Taxonomy, TopicModel, customer_text, load_training_set

EVAL_SET = Path(__file__).resolve().parent / "data" / "topic_eval.csv"


def load_eval_set(path: Path = EVAL_SET) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def predict(rows: list[dict[str, str]], taxonomy: Taxonomy) -> list[str]:
    """Each row's topic code, the way the nightly and ``voc topics assign`` assign it."""
    calls = {i: customer_turns(row["text"]) for i, row in enumerate(rows) if row["source"] == "calls"}
    documents = {i: normalize(row["text"]).text for i, row in enumerate(rows) if row["source"] != "calls"}
    model = TopicModel(taxonomy).fit(list(documents.values()) + [customer_text(t) for t in calls.values()])
    predicted: dict[int, str] = {}
    predicted.update(zip(documents, (a.topic for a in model.assign(list(documents.values())))))
    predicted.update(zip(calls, (a.topic for a in model.assign_calls(list(calls.values())))))
    return [predicted[i] for i in range(len(rows))]


def _accuracy(pairs: list[tuple[str, str]]) -> float:
    return round(sum(gold == guess for gold, guess in pairs) / len(pairs), 4) if pairs else 0.0


def run() -> dict:
    taxonomy = Taxonomy.from_csv(get_settings().topic_taxonomy)
    rows = load_eval_set()
    guesses = predict(rows, taxonomy)
    pairs = [(row["topic_code"], guess) for row, guess in zip(rows, guesses)]
    listed = [(gold, guess) for gold, guess in pairs if gold != OTHER]
    by: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for row, pair in zip(rows, pairs):
        for facet in ("source", "style", "domain", "topic_code"):
            by[facet][row[facet]].append(pair)
    confusions = Counter(f"{gold}->{guess}" for gold, guess in pairs if gold != guess)
    return {
        "eval_set": str(EVAL_SET.relative_to(EVAL_SET.parents[2])),
        "texts": len(rows),
        "topics": len({gold for gold, _ in pairs}),
        "accuracy": _accuracy(pairs),
        "other_share_on_listed_topics": round(sum(guess == OTHER for _, guess in listed) / len(listed), 4),
        "targets": {"accuracy": 0.80, "other_share_on_listed_topics_below": 0.15},
        **{f"accuracy_by_{facet}": {key: _accuracy(value) for key, value in sorted(groups.items())}
           for facet, groups in by.items()},
        "top_confusions": dict(confusions.most_common(12)),
        "written_dev": written_dev(taxonomy),
    }


def written_dev(taxonomy: Taxonomy) -> dict:
    """Accuracy and ``other`` share on the written set's dev split (single customer texts)."""
    held_out = load_training_set(split="dev")
    guesses = [a.topic for a in TopicModel(taxonomy).fit().assign([text for text, _ in held_out])]
    pairs = [(gold, guess) for (_, gold), guess in zip(held_out, guesses)]
    listed = [(gold, guess) for gold, guess in pairs if gold != OTHER]
    return {"texts": len(pairs), "accuracy": _accuracy(pairs),
            "other_share_on_listed_topics": round(sum(guess == OTHER for _, guess in listed) / len(listed), 4)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
