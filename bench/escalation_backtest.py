"""Temporal backtest of escalation: would the learned model have helped the rules of each day?

Readings: the rules alone, the plain weighted mean of rules and model, the shipped mix
(sentiment.escalation_model.mix: the weighted mean, with the rules' strongest readings kept
unless the model vetoes them), and the shipped mix with the model also reading the texts in which
the rules found no third party, flagging them at a probability of at least t (several t, the
shipped one, sentiment.escalation_model.UNNAMED_THRESHOLD, among them).

Each hold-out set in bench/datasets/ was written against the rules of the commit before it and
measured once (bench/datasets/README.md). For every hold-out this replays that first run: the
rules and seed exactly as they stood at that commit (read from git history), alone and mixed with
a model (sentiment.escalation_model) trained only on the sets written before the hold-out. It is
the cross-validation by file that is fair to both halves, since neither had seen the set; the
leave-one-set-out reading of ``python -m bench escalation`` uses today's rules, corrected on every
set. Run from a clone with history: ``python -m bench.escalation_backtest`` (about a minute per
hold-out on a shared core). Results are printed, not written to results.json: it measures a
design decision, not the shipped detector.
"""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from bench.escalation import DATASETS, load_set
from sentiment.escalation import model_input
from sentiment.escalation_model import RULE_WEIGHT, UNNAMED_THRESHOLD, ThreatModel, mix
from sentiment.normalize import normalize

REPO = DATASETS.parent.parent
# (hold-out file suffix, the commit whose rules it was first measured against)
FIRST_RUNS = [("", "5637885"), ("2", "8b84ae4"), ("3", "0c27b78"), ("4", "3df20a7"), ("5", "3932341"),
              ("6", "5096fd4"), ("7", "4fb8d2b"), ("8", "5ea0751"), ("9", "7fac6bd"), ("10", "18a0efe"),
              ("11", "caa8d19"), ("12", "6b28fde"), ("13", "9e0dbe9"), ("14", "83f16a2"), ("15", "c38f713"),
              ("16", "81731aa"), ("17", "4a33230"), ("18", "805fc78"), ("19", "805fc78"),
              ("20", "0d5ef53"), ("21", "fa628b8"), ("22", "fa628b8"), ("23", "3265b3b"), ("24", "76d3fa0"),
              ("25", "9fe0541")]


def _at(commit: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:{path}"], capture_output=True,
                          check=True).stdout


def _rules_of(commit: str, folder: Path) -> tuple[ModuleType, object]:
    """The escalation module and its detector (rules only) as they stood at ``commit``."""
    module_path, seed_path = folder / f"escalation_{commit}.py", folder / f"third_parties_{commit}.csv"
    module_path.write_bytes(_at(commit, "sentiment/escalation.py"))
    seed_path.write_bytes(_at(commit, "dbt_project/seeds/third_parties.csv"))
    spec = importlib.util.spec_from_file_location(f"escalation_{commit}", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    parties = module.ThirdParties.from_csv(seed_path)
    # Rules that ship with a model (this branch on) are read without it.
    with_model = "model" in inspect.signature(module.EscalationDetector).parameters
    return module, (module.EscalationDetector(parties, model=None) if with_model else module.EscalationDetector(parties))


def _counts(predicted: list[bool], truth: list[bool]) -> tuple[int, int, int]:
    return (sum(p and t for p, t in zip(predicted, truth)), sum(p and not t for p, t in zip(predicted, truth)),
            sum(t and not p for p, t in zip(predicted, truth)))


def run() -> dict[str, tuple[int, int, int]]:
    """True positives, false alarms and misses over all first runs, per reading."""
    training = load_set(DATASETS / "escalation_eval.csv")
    unnamed = {f"mix + unnamed at {t:.2f}": t for t in sorted({0.7, 0.8, 0.85, 0.9, 0.95, UNNAMED_THRESHOLD})}
    totals = {"rules": [0, 0, 0], "weighted mean": [0, 0, 0], "shipped mix": [0, 0, 0]} | {k: [0, 0, 0] for k in unnamed}
    with tempfile.TemporaryDirectory() as folder:
        for suffix, commit in FIRST_RUNS:
            rows = load_set(DATASETS / f"escalation_holdout{suffix}.csv")
            module, rules = _rules_of(commit, Path(folder))
            model = ThreatModel.train([model_input(r["text"]) for r in training],
                                      [r["is_threat"] == "1" for r in training])
            truth = [r["is_threat"] == "1" for r in rows]
            readings = []
            for row in rows:
                clean = normalize(row["text"], asr=True).text
                named = bool(rules.parties.pattern.search(module.canonical_digits(clean)))
                readings.append((rules.detect(row["text"]).confidence, named, model_input(row["text"])))
            probabilities = model.probabilities([text for _, _, text in readings])
            predicted = {
                "rules": [c >= 0.5 for c, _, _ in readings],
                # The model is asked only where a keyword is named.
                "weighted mean": [named and RULE_WEIGHT * c + (1 - RULE_WEIGHT) * q >= 0.5
                                  for (c, named, _), q in zip(readings, probabilities)],
                "shipped mix": [named and mix(c, q) >= 0.5 for (c, named, _), q in zip(readings, probabilities)]}
            # Texts the rules of the day found no mention in, flagged when the model is confident.
            predicted |= {name: [mix(c, q) >= 0.5 if named else q >= threshold
                                 for (c, named, _), q in zip(readings, probabilities)]
                          for name, threshold in unnamed.items()}
            line = []
            for reading, flags in predicted.items():
                counts = _counts(flags, truth)
                totals[reading] = [a + b for a, b in zip(totals[reading], counts)]
                line.append(f"{reading} {counts[0]} caught, {counts[1]} false alarms, {counts[2]} missed")
            print(f"  hold-out {suffix or 1} (rules of {commit}): " + "; ".join(line), flush=True)
            training += rows
    for reading, (tp, fp, fn) in totals.items():
        print(f"  all first runs, {reading}: precision {tp / (tp + fp):.3f}, recall {tp / (tp + fn):.3f}")
    return {k: tuple(v) for k, v in totals.items()}


if __name__ == "__main__":
    run()
