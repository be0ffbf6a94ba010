"""Escalation (complaint level 3): precision and recall on hand-written sets, and throughput.

The sets are in bench/datasets/ (see its README.md): ``escalation_eval.csv`` (324 sentences) and
the hold-out sets written after the rules of their day (``escalation_holdout*.csv``: twenty-five
of 39 to 400 sentences in round esc6). The rules were corrected on every set, and the shipped detector's model
(sentiment.escalation_model) is trained on all of them, so three readings are reported per set:
the rules alone and the shipped detector (both in-sample, they only show the corrections hold),
and **leave-one-set-out**: the model trained on the other sets, the honest figure for the model's
part (the rules in it are still the corrected ones). ``python -m bench.escalation_backtest``
gives the figure that is honest for both halves. Throughput is measured on the texts of all sets
cycled to THROUGHPUT_TEXTS, through normalisation and detection, on one core: nearly every one
names a third party, so every rule and the model run (the slow case; texts without a mention only
pay normalisation and one keyword scan).
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

from pipelines.settings import get_settings
from sentiment.escalation import EscalationDetector, ThirdParties, model_input
from sentiment.escalation_model import ThreatModel, training_sets

DATASETS = Path(__file__).resolve().parent / "datasets"


def _set_order(path: Path) -> tuple[int, int]:
    """The eval set first, then the hold-outs in the order they were written (holdout, holdout2, …)."""
    name = path.stem.removeprefix("escalation_")
    return (0, 0) if name == "eval" else (1, int(name.removeprefix("holdout") or 1))


# Every labelled set the model trains on (``training_sets``), by name: eval, holdout, holdout2, …
SETS = {path.stem.removeprefix("escalation_"): path for path in sorted(training_sets(), key=_set_order)}
READINGS = ("rules", "shipped", "leave_one_set_out")
THROUGHPUT_TEXTS = 20_000
TARGET = 0.95


def load_set(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def evaluate(detector: EscalationDetector, rows: list[dict[str, str]]) -> dict:
    """Precision, recall and category accuracy overall; recall of threats and specificity of
    non-threats per source and per case class; the misread sentences for reading."""
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "category_right": 0}
    by_source: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_case: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    errors = []
    for row in rows:
        found = detector.detect(row["text"])
        truth = row["is_threat"] == "1"
        outcome = ("tp" if found.risk else "fn") if truth else ("fp" if found.risk else "tn")
        counts[outcome] += 1
        counts["category_right"] += outcome == "tp" and found.category == row["category"]
        for group in (by_source[row["source"]], by_case[row["case"]]):
            group["n"] += 1
            group["right"] += outcome in ("tp", "tn")
        if outcome in ("fp", "fn"):
            errors.append({"text": row["text"], "expected": truth, "confidence": found.confidence})
    return {
        "n": len(rows), "threats": counts["tp"] + counts["fn"], "non_threats": counts["fp"] + counts["tn"],
        "precision": _ratio(counts["tp"], counts["tp"] + counts["fp"]),
        "recall": _ratio(counts["tp"], counts["tp"] + counts["fn"]),
        "false_alarm_rate": _ratio(counts["fp"], counts["fp"] + counts["tn"]),
        "category_accuracy_on_caught": _ratio(counts["category_right"], counts["tp"]),
        "accuracy_by_source": {k: _ratio(v["right"], v["n"]) for k, v in sorted(by_source.items())},
        "accuracy_by_case": {k: _ratio(v["right"], v["n"]) for k, v in sorted(by_case.items()) if v["right"] < v["n"]},
        "errors": errors,
    }


def throughput(detector: EscalationDetector, texts: list[str]) -> float:
    sample = [texts[i % len(texts)] for i in range(THROUGHPUT_TEXTS)]
    detector.detect_many(sample[:200])
    started = time.perf_counter()
    detector.detect_many(sample)
    return len(sample) / (time.perf_counter() - started)


def _pooled(results: list[dict]) -> dict:
    tp = sum(r["threats"] * r["recall"] for r in results)
    caught = sum(r["threats"] for r in results)
    flagged = sum(r["threats"] * r["recall"] / r["precision"] for r in results if r["precision"])
    return {"n": sum(r["n"] for r in results), "precision": round(tp / flagged, 4), "recall": round(tp / caught, 4),
            "misread": sum(len(r["errors"]) for r in results)}


def run() -> dict:
    parties = ThirdParties.from_csv(get_settings().escalation_parties)
    shipped = EscalationDetector(parties)
    rules = EscalationDetector(parties, model=None)
    sets = {name: load_set(path) for name, path in SETS.items()}
    read = {name: [model_input(row["text"]) for row in rows] for name, rows in sets.items()}
    figures: dict = {"version": shipped.version, "sets": {}}
    for name, rows in sets.items():
        others = [name_ for name_ in sets if name_ != name]
        held_out = ThreatModel.train([t for o in others for t in read[o]],
                                     [row["is_threat"] == "1" for o in others for row in sets[o]])
        figures["sets"][name] = result = {
            "rules": evaluate(rules, rows), "shipped": evaluate(shipped, rows),
            "leave_one_set_out": evaluate(EscalationDetector(parties, model=held_out), rows)}
        print(f"  {name}: {len(rows)} sentences; precision / recall: "
              + ", ".join(f"{k} {v['precision']:.3f} / {v['recall']:.3f}" for k, v in result.items()), flush=True)
        for error in result["leave_one_set_out"]["errors"]:
            kind = "missed" if error["expected"] else "false alarm"
            print(f"    {kind} when held out ({error['confidence']:.2f}): {error['text']}")
    figures["pooled"] = {k: _pooled([r[k] for r in figures["sets"].values()]) for k in READINGS}
    for reading, pooled in figures["pooled"].items():
        print(f"  all sets, {reading}: precision {pooled['precision']:.3f}, recall {pooled['recall']:.3f}, "
              f"{pooled['misread']} misread of {pooled['n']}")
    figures["texts_per_second"] = round(throughput(shipped, [row["text"] for rows in sets.values() for row in rows]))
    print(f"  throughput: {figures['texts_per_second']:,} texts/s (normalisation included, one core, "
          "texts that name a third party)")
    honest = figures["pooled"]["leave_one_set_out"]
    figures["targets"] = {"precision_at_least_0_95": honest["precision"] >= TARGET,
                          "recall_at_least_0_95": honest["recall"] >= TARGET}
    return figures
