"""The stable file-in, file-out commands that evaluation scripts rely on.

Input is read with ingestion's readers (``pipelines/ingest/readers.py``): CSV or TSV in UTF-8,
UTF-8 with BOM, GB18030 or UTF-16, any line ending, encoding detected over the whole file; or an
XLSX workbook's first sheet. Output is UTF-8 CSV with every input column kept and the new
columns appended. A row that cannot be read (bytes in no supported encoding, a malformed CSV
row) is not written with replacement characters: it is left out and reported on stderr with its
line number. Rows are processed in chunks so 100k rows stream.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from pipelines.ingest.readers import Record, file_format, read_records

CHUNK_ROWS = 2000
SHOWN_UNREADABLE = 10


class CsvToolError(ValueError):
    """A problem with the user's file, stated so they can fix it."""


def _open_rows(path: Path, text_column: str) -> tuple[list[str], Iterator[dict[str, str]], list[Record]]:
    """The header, the readable rows (a lazy iterator) and a list that fills with unreadable records."""
    if not path.exists():
        raise CsvToolError(f"input file {path} does not exist")
    if file_format(path) == "json":
        raise CsvToolError(f"{path.name} is JSON; these commands read CSV, TSV or XLSX")
    columns: list[str] = []

    def keep_every_column(header: list[str]) -> tuple[list[str | None], list[str]]:
        columns.extend(header)
        return list(header), []

    records = read_records(path, keep_every_column)
    first = next(records, None)  # reads the header
    if text_column not in columns:
        raise CsvToolError(f"column {text_column!r} not in {path.name}; its columns are: {', '.join(columns) or '(none)'}")
    unreadable: list[Record] = []

    def rows() -> Iterator[dict[str, str]]:
        for record in _chain_first(first, records):
            if record.fields is None:
                unreadable.append(record)
            else:
                yield {name: "" if value is None else str(value) for name, value in record.fields.items()}

    return columns, rows(), unreadable


def _chain_first(first: Record | None, rest: Iterator[Record]) -> Iterator[Record]:
    if first is not None:
        yield first
        yield from rest


def _report_unreadable(unreadable: list[Record], path: Path) -> None:
    if not unreadable:
        return
    print(f"warning: {len(unreadable):,} row(s) of {path.name} could not be read and are not in the output:",
          file=sys.stderr)
    for record in unreadable[:SHOWN_UNREADABLE]:
        print(f"  line {record.row_number}: {record.reason_code}: {record.reason}", file=sys.stderr)
    if len(unreadable) > SHOWN_UNREADABLE:
        print(f"  ... and {len(unreadable) - SHOWN_UNREADABLE:,} more", file=sys.stderr)


def _chunks(rows: Iterator[dict[str, str]]) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def map_csv(input_path: Path, output_path: Path, text_column: str, new_columns: list[str],
            annotate: Callable[[list[str]], list[dict[str, object]]], desc: str) -> int:
    """Stream rows through ``annotate`` (texts of a chunk → new column values); return row count."""
    from tqdm import tqdm

    columns, rows, unreadable = _open_rows(input_path, text_column)
    clash = [c for c in new_columns if c in columns]
    out_columns = columns + [c for c in new_columns if c not in clash]
    output_path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with output_path.open("w", encoding="utf-8", newline="") as out, \
            tqdm(unit="row", desc=desc, file=sys.stderr) as bar:
        writer = csv.DictWriter(out, out_columns, extrasaction="ignore")
        writer.writeheader()
        for chunk in _chunks(rows):
            values = annotate([row.get(text_column) or "" for row in chunk])
            for row, extra in zip(chunk, values):
                writer.writerow({**row, **{k: ("" if v is None else v) for k, v in extra.items()}})
            count += len(chunk)
            bar.update(len(chunk))
    _report_unreadable(unreadable, input_path)
    return count


def score_sentiment_csv(input_path: Path, output_path: Path, text_column: str, engine_name: str,
                        model_dir: Path | None, cache_dir: Path, negative_below: float, positive_above: float) -> int:
    from sentiment.engines import load_engine
    from sentiment.scoring import Thresholds, score_texts

    if not input_path.exists():
        raise CsvToolError(f"input file {input_path} does not exist")
    engine = load_engine(engine_name, model_dir, cache_dir)
    thresholds = Thresholds(negative_below, positive_above)

    def annotate(texts: list[str]) -> list[dict[str, object]]:
        return [{"sentiment_score": None if s.score is None else round(s.score, 6), "sentiment_label": s.label}
                for s in score_texts(texts, engine, thresholds)]

    return map_csv(input_path, output_path, text_column, ["sentiment_score", "sentiment_label"], annotate,
                   f"sentiment ({engine.name})")


def detect_escalation_csv(input_path: Path, output_path: Path, text_column: str) -> int:
    from sentiment.escalation import detect_escalation

    def annotate(texts: list[str]) -> list[dict[str, object]]:
        found = [detect_escalation(t) for t in texts]
        return [{"escalation_risk": str(e.risk).lower(), "escalation_evidence": e.evidence} for e in found]

    return map_csv(input_path, output_path, text_column, ["escalation_risk", "escalation_evidence"], annotate,
                   "escalation")


def discover_topics_csv(input_path: Path, output_path: Path, text_column: str, k: int) -> int:
    """Themes need every text at once (NMF), so this one reads the texts first, then writes."""
    from sentiment.topics import discover_themes

    _, rows, _ = _open_rows(input_path, text_column)
    texts = [row.get(text_column) or "" for row in rows]  # map_csv reads the file again and reports
    assignment, themes = discover_themes(texts, k=k)
    terms = {theme.theme_id: " ".join(theme.terms) for theme in themes}
    iterator = iter(assignment)

    def annotate(chunk: list[str]) -> list[dict[str, object]]:
        ids = [next(iterator) for _ in chunk]
        return [{"topic_id": i, "topic_terms": terms.get(i, "")} for i in ids]

    return map_csv(input_path, output_path, text_column, ["topic_id", "topic_terms"], annotate, "topics")
