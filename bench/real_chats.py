"""Rebuild the labelled real-chat measurement file from the public ECD sample and our labels.

The E-commerce Dialogue Corpus sample (real Taobao shop chats; GitHub
``cooelf/DeepUtteranceAggregation``, ``ECD_sample/``) states no licence, so its text stays out of the
repository. Our own labels do not: ``bench/datasets/real_chat_labels.csv`` holds, per turn, the MD5
of its text, the speaker and the sentiment two annotators agreed on (2026-11-30; the brief is in
``bench/datasets/README.md``), and the ``dev`` / ``test`` half. This joins them back to the text.

Usage: ``python -m bench.real_chats ECD_SAMPLE_DIR [OUT_CSV]`` (default
``$VOC_DATA_DIR/eval/real_chat_turns.csv``, which ``python -m bench sentiment`` reads). Evaluation
only: never train or tune on it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from pathlib import Path

LABELS = Path(__file__).parent / "datasets" / "real_chat_labels.csv"
ECD_FILES = ("train", "test")  # ``valid`` is a copy of ``train`` in the sample
FIELDS = ("text", "label", "speaker", "style", "industry", "split")
# The sample is word-segmented; the spaces between Chinese characters are the segmenter's, not the writer's.
_SEGMENTER_SPACE = re.compile(r"(?<=[^\x00-\x7f]) +| +(?=[^\x00-\x7f])")


def text_md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def ecd_turns(sample_dir: Path) -> dict[str, str]:
    """MD5 → text of every distinct turn of the sample's true dialogues (lines labelled 1: the context
    turns, then the true response)."""
    turns: dict[str, str] = {}
    for name in ECD_FILES:
        path = sample_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"no {path}: expected the ECD_sample folder of GitHub cooelf/DeepUtteranceAggregation")
        for line in path.read_text(encoding="utf-8").splitlines():
            label, *parts = line.split("\t")
            if label != "1":
                continue
            for part in parts:
                text = _SEGMENTER_SPACE.sub("", part.strip())
                if text:
                    turns.setdefault(text_md5(text), text)
    return turns


def build(sample_dir: Path, out: Path) -> tuple[int, int]:
    """Write the labelled turns to ``out``; return (rows written, labelled turns not found in the sample)."""
    turns = ecd_turns(sample_dir)
    with LABELS.open(encoding="utf-8", newline="") as handle:
        labels = list(csv.DictReader(handle))
    rows = [{"text": turns[row["md5"]], "label": row["label"], "speaker": row["speaker"], "style": "chat",
             "industry": "ecommerce", "split": row["split"]} for row in labels if row["md5"] in turns]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows), len(labels) - len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample_dir", type=Path, help="the ECD_sample folder (files train and test)")
    parser.add_argument("out", type=Path, nargs="?", help="default $VOC_DATA_DIR/eval/real_chat_turns.csv")
    args = parser.parse_args()
    if args.out is None:
        from bench.sentiment import REAL_CHAT_FILE
        from pipelines.settings import get_settings

        args.out = get_settings().data_dir / REAL_CHAT_FILE
    try:
        written, missing = build(args.sample_dir, args.out)
    except (FileNotFoundError, UnicodeDecodeError) as error:
        sys.exit(f"error: {error}")
    print(f"{written} labelled turns written to {args.out}" + (f"; {missing} not found in the sample" if missing else ""))


if __name__ == "__main__":
    main()
