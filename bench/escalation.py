"""Escalation (complaint level 3): precision and recall on hand-written sets, and throughput.

The sets are in bench/datasets/ (see its README.md): ``escalation_eval.csv`` (324 sentences) and
eighteen hold-out sets written after the rules of their day (100, 60, 61, 39, twelve of 40,
39 and 58 sentences).
Nothing trains on them; the detector is rules over the third_parties seed. Throughput is measured
on the texts of all sets cycled to THROUGHPUT_TEXTS, through normalisation and detection, on one
core: nearly every one names a third party, so every rule runs (the slow case; texts without a
mention only pay normalisation and one keyword scan).
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

from pipelines.settings import get_settings
from sentiment.escalation import EscalationDetector, ThirdParties

DATASETS = Path(__file__).resolve().parent / "datasets"
SETS = {"eval": DATASETS / "escalation_eval.csv", "holdout": DATASETS / "escalation_holdout.csv",
        "holdout2": DATASETS / "escalation_holdout2.csv", "holdout3": DATASETS / "escalation_holdout3.csv",
        "holdout4": DATASETS / "escalation_holdout4.csv", "holdout5": DATASETS / "escalation_holdout5.csv",
        "holdout6": DATASETS / "escalation_holdout6.csv", "holdout7": DATASETS / "escalation_holdout7.csv",
        "holdout8": DATASETS / "escalation_holdout8.csv", "holdout9": DATASETS / "escalation_holdout9.csv",
        "holdout10": DATASETS / "escalation_holdout10.csv", "holdout11": DATASETS / "escalation_holdout11.csv",
        "holdout12": DATASETS / "escalation_holdout12.csv", "holdout13": DATASETS / "escalation_holdout13.csv",
        "holdout14": DATASETS / "escalation_holdout14.csv", "holdout15": DATASETS / "escalation_holdout15.csv",
        "holdout16": DATASETS / "escalation_holdout16.csv", "holdout17": DATASETS / "escalation_holdout17.csv",
        "holdout18": DATASETS / "escalation_holdout18.csv"}
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


def run() -> dict:
    detector = EscalationDetector(ThirdParties.from_csv(get_settings().escalation_parties))
    figures: dict = {"version": detector.version, "sets": {}}
    texts = []
    for name, path in SETS.items():
        rows = load_set(path)
        texts += [row["text"] for row in rows]
        result = evaluate(detector, rows)
        figures["sets"][name] = result
        print(f"  {name}: {result['n']} sentences, precision {result['precision']:.3f}, "
              f"recall {result['recall']:.3f}, {len(result['errors'])} misread", flush=True)
        for error in result["errors"]:
            kind = "missed" if error["expected"] else "false alarm"
            print(f"    {kind} ({error['confidence']:.2f}): {error['text']}")
    figures["texts_per_second"] = round(throughput(detector, texts))
    print(f"  throughput: {figures['texts_per_second']:,} texts/s (normalisation included, one core, "
          "texts that name a third party)")
    main = figures["sets"]["eval"]
    figures["targets"] = {"precision_at_least_0_95": main["precision"] >= TARGET,
                          "recall_at_least_0_95": main["recall"] >= TARGET}
    return figures
