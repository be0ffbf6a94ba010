"""Turn a writer's labelled chat turns into a service-language data file the recipe can name.

Writers (people or helper sessions) deliver ``text,label,speaker,industry`` CSVs. This adds what the
service-language contract needs and applies the rules every written part follows (the DATASHEET of
``sentiment/data/service_language`` states them):

- ``style`` is ``chat`` (typed turns);
- the spaces of half of the rows that use spaces as separators (chosen by MD5 of the text) are
  removed, so that spacing is no give-away of a label;
- ``split`` is ``dev`` when the MD5 of the text modulo 5 is 0 (about 20%; never trained or tuned on),
  otherwise ``train``;
- a row is dropped when its normalised text is already in another written file (the configured recipe's
  service-language and hard-construction folders), in an ``--exclude-dir`` CSV (blind sets, real chats kept for measurement), or
  earlier in the same delivery; so is a row with a label or speaker outside the contract.

Usage: ``python -m sentiment.training.written_data WRITER_CSV OUT_CSV [--exclude-dir DIR ...]``;
prints the counts per speaker and label and what was dropped.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from collections import Counter
from pathlib import Path

from sentiment.normalize import normalize
from sentiment.training.corpus import csv_files
from sentiment.training.pipeline import TrainConfig
from sentiment.training.public_data import excluded_texts

LABELS = ("negative", "neutral", "positive")
SPEAKERS = ("customer", "agent")
FIELDS = ("text", "label", "speaker", "style", "industry", "split")
_SPACES = re.compile(r"\s+")


def _md5(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16)


def despace_half(text: str) -> str:
    """Collapse runs of spaces; then drop them altogether in the half of spaced texts whose MD5 is even."""
    text = _SPACES.sub(" ", text.strip())
    return text.replace(" ", "") if " " in text and _md5(text) % 2 == 0 else text


def split_of(text: str) -> str:
    """``dev`` for one text in five (MD5 modulo 5 is 0), else ``train``."""
    return "dev" if _md5(text) % 5 == 0 else "train"


def convert(rows: list[dict[str, str]], known: set[str]) -> tuple[list[dict[str, str]], Counter]:
    """Writer rows → contract rows, and the counts of rows dropped by reason. ``known`` holds the
    normalised texts that may not appear again; it grows with every row kept."""
    kept, dropped = [], Counter()
    for row in rows:
        text = despace_half(row.get("text") or "")
        label, speaker = (row.get("label") or "").strip(), (row.get("speaker") or "").strip()
        if label not in LABELS or speaker not in SPEAKERS or not text:
            dropped["label, speaker or text outside the contract"] += 1
            continue
        normalised = normalize(text).text
        if normalised in known:
            dropped["text already written or kept for measurement"] += 1
            continue
        known.add(normalised)
        kept.append({"text": text, "label": label, "speaker": speaker, "style": "chat",
                     "industry": (row.get("industry") or "").strip() or "ecommerce", "split": split_of(text)})
    return kept, dropped


def written_texts(config: TrainConfig, exclude: Path | None = None) -> set[str]:
    """Normalised texts of every written data file of the recipe's service-language and hard-construction
    folders (less ``exclude``, the file being rewritten)."""
    return {text for folder in (config.service_folder, config.hard_folder) for path in csv_files(folder)
            if path.resolve() != exclude for text in _texts_of(path)}


def _texts_of(path: Path) -> set[str]:
    """Normalised ``text`` column of one CSV."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {normalize(record.get("text")).text for record in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("writer_csv", type=Path, help="text,label,speaker,industry CSV from a writer")
    parser.add_argument("out_csv", type=Path, help="e.g. sentiment/data/service_language/part_k.csv")
    parser.add_argument("--exclude-dir", type=Path, action="append", default=[],
                        help="folder of CSVs kept for measurement whose texts may not be trained on (repeatable)")
    args = parser.parse_args()
    if not args.writer_csv.is_file():
        raise SystemExit(f"error: no writer file at {args.writer_csv}")
    from pipelines.settings import get_settings

    try:
        measured = excluded_texts(args.exclude_dir)
    except FileNotFoundError as error:
        raise SystemExit(f"error: {error}") from None
    known = written_texts(TrainConfig.from_file(get_settings().sentiment_train_config), exclude=args.out_csv.resolve())
    known |= measured
    try:
        with args.writer_csv.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise SystemExit(f"error: {args.writer_csv} is not a UTF-8 CSV: {error}") from None
    if not records or "text" not in records[0]:
        raise SystemExit(f"error: {args.writer_csv} has no rows under a text,label,speaker,industry header")
    kept, dropped = convert(records, known)
    with args.out_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(kept)
    counts = Counter((row["speaker"], row["label"], row["split"]) for row in kept)
    print(f"{args.out_csv}: {len(kept)} rows kept")
    for key in sorted(counts):
        print(f"  {' '.join(key)}: {counts[key]}")
    for reason, count in dropped.items():
        print(f"  dropped, {reason}: {count}")


if __name__ == "__main__":
    main()
