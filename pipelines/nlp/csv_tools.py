"""The stable file-in, file-out commands that evaluation scripts rely on.

Input is read with ingestion's readers (``pipelines/ingest/readers.py``): CSV or TSV in UTF-8,
UTF-8 with BOM, GB18030 or UTF-16, any line ending, encoding detected over the whole file; or a
workbook's (.xlsx, .xls, .xlsb, .ods) first visible worksheet. An HTML page named .xls or .csv is refused. A file in another encoding (Big5, a Western code page) is refused, not
scored as mojibake. Output is CSV with every input column kept and the new columns
appended, in UTF-8 unless the job asks for UTF-8 with a BOM or GB18030 (what Excel in China opens
without garbling). A row that cannot be read (bytes in no supported encoding, a malformed CSV
row) is not written with replacement characters: it is left out and reported on stderr with its
line number. ``-`` as the input reads standard input (as does a pipe such as ``/dev/stdin``), and
``-`` as the output writes standard output. A row whose every field is empty (Excel writes a blank row as ``,,,``) keeps its place, so
output row N is input row N; such rows after the last filled one are dropped. Rows are processed in
chunks so 100k rows stream.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pipelines.ingest.readers import (BINARY_FILE, HTML_PAGE, EMPTY_ROW, Record, binary_content, detect_encoding,
                                      file_format, foreign_encoding_advice, html_page, read_records)
from sentiment.contentless import has_content

CHUNK_ROWS = 2000
SHOWN_UNREADABLE = 10


OUTPUT_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
STANDARD_STREAM = Path("-")  # --input - reads standard input, --output - writes standard output
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # XLSX, XLSB and ODS are zip archives; old .xls is OLE2


class CsvToolError(ValueError):
    """A problem with the user's file, stated so they can fix it."""


@dataclass(frozen=True)
class CsvJob:
    """One file-in, file-out run: the file to read, the column holding the text, the CSV to write and
    its encoding (one of ``OUTPUT_ENCODINGS``)."""

    input_path: Path
    text_column: str
    output_path: Path
    output_encoding: str = "utf-8"


@contextmanager
def readable_input(job: CsvJob) -> Iterator[CsvJob]:
    """The job, with standard input (``-``) or a pipe (``/dev/stdin``, a FIFO) first copied to a temporary
    file: the readers detect the encoding over the whole file and some commands read it twice, which a
    stream allows once. The copy is named ``stdin.xlsx`` when it is a workbook, else ``stdin.csv``, and is
    removed afterwards. A regular file or a missing path is passed through unchanged."""
    path = job.input_path
    if path == STANDARD_STREAM:
        data = sys.stdin.buffer.read()
    else:
        try:
            mode = path.stat().st_mode
        except OSError:
            mode = None
        if mode is None or stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            yield job
            return
        with path.open("rb") as stream:
            data = stream.read()
    with tempfile.TemporaryDirectory(prefix="voc-stdin-") as folder:
        spooled = Path(folder) / ("stdin.xlsx" if data.startswith(_WORKBOOK_MAGIC) else "stdin.csv")
        spooled.write_bytes(data)
        yield replace(job, input_path=spooled)


def check_input(path: Path) -> None:
    """CsvToolError unless ``path`` is a non-empty file these commands can read; commands that load a
    model call it first, so a wrong path is told before the wait."""
    if not path.exists():
        raise CsvToolError(f"input file {path} does not exist")
    if path.is_dir():
        raise CsvToolError(f"{path} is a folder; give one CSV, TSV or XLSX file")
    if path.stat().st_size == 0:
        raise CsvToolError(f"{path.name} is empty (0 bytes): not even a header row")
    kind = file_format(path)
    if kind == "json":
        raise CsvToolError(f"{path.name} is JSON; these commands read CSV, TSV or XLSX")
    if html_page(path):
        raise CsvToolError(f"{path.name} is {HTML_PAGE}")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if kind == "xlsx":
        if magic in _WORKBOOK_MAGIC or binary_content(path):  # a damaged workbook is told by the reader
            return
        raise CsvToolError(f"{path.name} is a text file (CSV?) under a workbook's name, not an Excel workbook; "
                           f"rename it to {path.stem}.csv")
    if magic == b"PK\x03\x04":  # every XLSX is a zip archive
        raise CsvToolError(f"{path.name} is an Excel workbook (XLSX) under another name; rename it to .xlsx, "
                           "or save it from Excel as CSV")
    if binary_content(path):
        raise CsvToolError(f"{path.name} is {BINARY_FILE}")
    foreign = detect_encoding(path).foreign
    if foreign:  # read as GB18030 it would be scored as mojibake
        raise CsvToolError(f"{path.name} is {foreign_encoding_advice(foreign)}")


def _open_rows(path: Path, text_column: str, *other_columns: str) -> tuple[list[str], Iterator[dict[str, str]], list[Record]]:
    """The header, the readable rows (a lazy iterator) and a list that fills with unreadable records.
    CsvToolError when the text column or one of ``other_columns`` is not in the header."""
    check_input(path)
    columns: list[str] = []

    def keep_every_column(header: list[str]) -> tuple[list[str | None], list[str]]:
        columns.extend(header)
        return list(header), []

    records = read_records(path, keep_every_column, keep_empty=True)
    first = next(records, None)  # reads the header
    if not columns and first is not None and first.fields is None:  # e.g. a damaged workbook
        raise CsvToolError(f"{path.name} cannot be read: {first.reason}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:  # a row is a dict by column name: one of two same-named columns would be lost
        raise CsvToolError(f"{path.name} has more than one column named {', '.join(map(repr, repeated))}; "
                           "rename them so each column name is unique")
    for name in (text_column, *other_columns):
        if name not in columns:
            raise CsvToolError(f"column {name!r} not in {path.name}; its columns are: {', '.join(columns) or '(none)'}")
    unreadable: list[Record] = []

    def rows() -> Iterator[dict[str, str]]:
        empty = 0  # rows of empty fields seen since the last row written: kept in place, dropped at the end
        for record in _chain_first(first, records):
            if record.reason_code == EMPTY_ROW:
                empty += 1
            elif record.fields is None:
                unreadable.append(record)
            else:
                for _ in range(empty):
                    yield dict.fromkeys(columns, "")
                empty = 0
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


def _open_output(job: CsvJob) -> tuple[io.TextIOBase, Path | None]:
    """The stream to write and, for a file, the partial file it goes to (renamed into place when complete,
    so an interrupted run, a full disk or a failed model leaves the earlier output, if any, as it was,
    never a file cut off mid-way). Standard output (``-``) is written as it goes: there is no partial."""
    if job.output_path == STANDARD_STREAM:
        sys.stdout.flush()
        return io.TextIOWrapper(sys.stdout.buffer, encoding=job.output_encoding, newline=""), None
    partial = job.output_path.with_name(f".{job.output_path.name}.partial")
    try:
        job.output_path.parent.mkdir(parents=True, exist_ok=True)
        return partial.open("w", encoding=job.output_encoding, newline=""), partial
    except OSError as error:
        raise CsvToolError(f"cannot write --output {job.output_path}: {error.strerror or error}") from None


def _close_output(out: io.TextIOBase, partial: Path | None) -> None:
    if partial is None:  # standard output stays open for whoever holds it
        out.flush()
        out.detach()
    else:
        out.close()


def map_csv(job: CsvJob, new_columns: list[str], annotate: Callable[..., list[dict[str, object]]],
            desc: str, read_columns: Sequence[str] = (), total: int | None = None) -> int:
    """Stream rows through ``annotate`` (texts of a chunk, then the chunk's values of each of
    ``read_columns`` → new column values); return row count. ``total``: the row count when the caller
    has read the file already, for the progress bar. A value the output encoding cannot hold (GB18030
    holds all of Unicode) raises UnicodeEncodeError."""
    from tqdm import tqdm

    input_path, output_path, text_column = job.input_path, job.output_path, job.text_column
    to_file = output_path != STANDARD_STREAM
    if to_file and output_path.is_dir():
        raise CsvToolError(f"--output {output_path} is a folder; give the path of the CSV file to write")
    if to_file and output_path.exists() and input_path.exists() and output_path.samefile(input_path):
        # Opening the output truncates the file the rows are still being read from: they would be lost.
        raise CsvToolError(f"--output {output_path} is the input file; writing it would destroy the rows still "
                           "to be read. Give another path")
    columns, rows, unreadable = _open_rows(input_path, text_column, *read_columns)
    clash = [c for c in new_columns if c in columns]
    if clash:  # e.g. a file scored before: its old results would otherwise change without a word
        print(f"note: {input_path.name} already has {', '.join(clash)}; the output holds the new values",
              file=sys.stderr)
    out_columns = columns + [c for c in new_columns if c not in clash]
    out, partial = _open_output(job)
    count = worded = 0
    try:
        with tqdm(unit="row", desc=desc, total=total, file=sys.stderr) as bar:
            writer = csv.DictWriter(out, out_columns, extrasaction="ignore")
            writer.writeheader()
            for chunk in _chunks(rows):
                values = annotate(*([row.get(column) or "" for row in chunk] for column in (text_column, *read_columns)))
                for row, extra in zip(chunk, values):
                    writer.writerow({**row, **{k: ("" if v is None else v) for k, v in extra.items()}})
                count += len(chunk)
                worded += sum(has_content(row.get(text_column)) for row in chunk)
                bar.update(len(chunk))
        _close_output(out, partial)
    except OSError as error:
        if partial is not None:
            out.close()
            partial.unlink(missing_ok=True)
        raise CsvToolError(f"cannot write --output {output_path}: {error.strerror or error}"
                           + ("; nothing was written" if partial is not None else "")) from None
    except BaseException:
        if partial is not None:
            out.close()
            partial.unlink(missing_ok=True)
        raise
    _report_unreadable(unreadable, input_path)
    first = unreadable[0] if unreadable else None
    if first and not count:  # a whole file lost is an error, not an empty result
        if partial is not None:
            partial.unlink()
        raise CsvToolError(f"none of the {len(unreadable):,} rows of {input_path.name} could be read (line "
                           f"{first.row_number}: {first.reason}); nothing was written")
    if partial is not None:
        os.replace(partial, output_path)
    if count and not worded:  # ids, amounts or blanks: every result is empty or unknown
        print(f"warning: no row's {text_column!r} holds words (only numbers, placeholders or blanks): is it the "
              "text column?", file=sys.stderr)
    if first:  # rows missing from the output: the run did not do what was asked
        raise CsvToolError(f"{len(unreadable):,} row(s) of {input_path.name} could not be read (line {first.row_number}: "
                           f"{first.reason}); {output_path if to_file else 'the output'} holds the other {count:,}: fix those lines "
                           "and run again")
    return count


SENTIMENT_COLUMNS = ["sentiment_score", "sentiment_label", "sentiment_negative", "sentiment_neutral",
                     "sentiment_positive"]


def score_sentiment_csv(job: CsvJob, engine_name: str, model_dir: Path | None, cache_dir: Path, thresholds,
                        speaker_column: str | None = None) -> int:
    """Add ``SENTIMENT_COLUMNS``; ``thresholds`` is a ``sentiment.scoring.Thresholds``. With
    ``speaker_column``, agents' rows (``sentiment.speaker_prior.speaker_of``: agent, 客服, 坐席 ...) are
    read with agents' prior (``sentiment.speaker_prior``); rows whose speaker is empty or names no
    one known are read as text alone, and a warning line counts them."""
    from sentiment.engines import load_engine
    from sentiment.scoring import score_texts
    from sentiment.speaker_prior import speaker_of

    if speaker_column is not None and not speaker_column.strip():
        raise CsvToolError("--speaker-column needs the name of the column that says who wrote each text")
    if speaker_column == job.text_column:
        raise CsvToolError(f"--speaker-column and --text-column both name {speaker_column!r}; the speaker column "
                           "says who wrote each text (customer or agent)")
    check_input(job.input_path)
    try:
        engine = load_engine(engine_name, model_dir, cache_dir)
    except FileNotFoundError as error:
        raise CsvToolError(str(error)) from None
    if speaker_column and engine.speaker_priors is None:
        print(f"note: the {engine.name} engine ({engine.version}) records no speaker priors; "
              "--speaker-column changes nothing", file=sys.stderr)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    unnamed: Counter[str] = Counter()

    def annotate(texts: list[str], values: list[str] | None = None) -> list[dict[str, object]]:
        speakers = None
        if values is not None:
            speakers = [speaker_of(value) for value in values]
            unnamed.update(value.strip() for value, speaker in zip(values, speakers) if speaker is None)
        return [{"sentiment_score": rounded(s.score), "sentiment_label": s.label,
                 "sentiment_negative": rounded(s.negative), "sentiment_neutral": rounded(s.neutral),
                 "sentiment_positive": rounded(s.positive)}
                for s in score_texts(texts, engine, thresholds, speakers=speakers)]

    count = map_csv(job, SENTIMENT_COLUMNS, annotate, f"sentiment ({engine.name})",
                    (speaker_column,) if speaker_column else ())
    if unnamed:
        shown = ", ".join(f"{value or '(empty)'!r} x{n:,}" for value, n in unnamed.most_common(10))
        more = f" and {len(unnamed) - 10:,} more values" if len(unnamed) > 10 else ""
        print(f"warning: {sum(unnamed.values()):,} row(s) have a {speaker_column!r} that names neither a customer nor "
              f"an agent ({shown}{more}); they are read as text alone", file=sys.stderr)
    return count


ESCALATION_COLUMNS = ["escalation_risk", "escalation_evidence", "escalation_category", "escalation_confidence"]


def detect_escalation_csv(job: CsvJob, parties_path: Path, model_cache: Path | None = None) -> int:
    """Add the escalation columns: risk (true/false), the evidence clause, the third party's
    category (empty when not flagged) and the confidence (0..1, two decimals). ``model_cache``: where
    the escalation model is stored between runs."""
    from sentiment.escalation import EscalationDetector, ThirdParties, ThirdPartyError

    check_input(job.input_path)
    try:
        detector = EscalationDetector(ThirdParties.from_csv(parties_path), model_cache=model_cache)
    except (OSError, UnicodeDecodeError, ThirdPartyError) as error:
        raise CsvToolError(f"third-party list {parties_path} (VOC_ESCALATION_PARTIES) cannot be used: "
                           f"{error}") from error

    def annotate(texts: list[str]) -> list[dict[str, object]]:
        return [{"escalation_risk": str(e.risk).lower(), "escalation_evidence": e.evidence,
                 "escalation_category": e.category, "escalation_confidence": f"{e.confidence:.2f}"}
                for e in detector.detect_many(texts)]

    return map_csv(job, ESCALATION_COLUMNS, annotate, "escalation")


# A dialogue line's speaker label: 客户:, 客服：, [客户], 【客服】, 客户(138****8000):, customer: (then read by
# ``speaker_of``, as --speaker-column reads a column).
_TURN_LABEL = re.compile(r"^\s*(?:[\[【]([^\]】]{1,16})[\]】]\s*[:：]?|([^:：\s][^:：]{0,20}?)\s*[:：])\s*")
_LABEL_DETAIL = re.compile(r"\s*[(（][^)）]*[)）]\s*$")  # 客户(138****8000), 客服(工号1032)


def customer_turns(dialogue: str) -> list[str]:
    """A dialogue's customer turns, normalised as the nightly normalises call turns: one turn per
    line, each starting with its speaker (客户:, 用户：, [顾客], customer: and the other names
    ``sentiment.speaker_prior`` knows); a line without one continues the turn before it."""
    from sentiment.normalize import normalize
    from sentiment.speaker_prior import speaker_of

    turns: list[tuple[str, str]] = []
    for line in (dialogue or "").splitlines():
        line = line.strip()
        label = _TURN_LABEL.match(line)
        speaker = speaker_of(_LABEL_DETAIL.sub("", label.group(1) or label.group(2))) if label else None
        if speaker:
            turns.append((speaker, line[label.end():]))
        elif line and turns:
            turns[-1] = (turns[-1][0], turns[-1][1] + " " + line)
    return [normalize(text, asr=True).text for speaker, text in turns if speaker == "customer"]


def assign_topics_csv(job: CsvJob, source: str, taxonomy_path: Path, warehouse_texts: Callable[[], list[str]]) -> int:
    """Add topic_code, topic_name and topic_confidence with the nightly's taxonomy and model: its
    classifier trains on the written training set, plus keyword-labelled texts of the warehouse
    (``warehouse_texts``, all three sources, as the nightly) and this file's for any seed topic that
    set lacks; ``source='calls'`` reads whole dialogues through their customer lines. Reads every
    row first (the model needs them), then writes."""
    from sentiment.normalize import normalize
    from sentiment.topics import Taxonomy, TopicModel, customer_text

    _, rows, _ = _open_rows(job.input_path, job.text_column)
    raw = [row.get(job.text_column) or "" for row in rows]
    taxonomy = Taxonomy.from_csv(taxonomy_path)
    if source == "calls":
        calls = [customer_turns(text) for text in raw]
        own = [customer_text(turns) for turns in calls]
    else:
        own = [normalize(text).text for text in raw]
    model = TopicModel(taxonomy).fit(warehouse_texts() + own)
    found = model.assign_calls(calls) if source == "calls" else model.assign(own)
    iterator = iter(found)

    def annotate(chunk: list[str]) -> list[dict[str, object]]:
        out = []
        for _ in chunk:
            assignment = next(iterator)
            out.append({"topic_code": assignment.topic, "topic_name": taxonomy.names.get(assignment.topic, ""),
                        "topic_confidence": round(assignment.confidence, 4)})
        return out

    return map_csv(job, ["topic_code", "topic_name", "topic_confidence"], annotate, f"topics ({source})",
                   total=len(raw))


def discover_topics_csv(job: CsvJob, k: int) -> int:
    """Themes need every text at once (NMF), so this one reads the texts first, then writes."""
    from sentiment.topics import discover_themes

    _, rows, _ = _open_rows(job.input_path, job.text_column)
    texts = [row.get(job.text_column) or "" for row in rows]  # map_csv reads the file again and reports
    assignment, themes = discover_themes(texts, k=k)
    if 0 < len(themes) < k:  # discover_themes shrinks k to what the texts can hold
        print(f"note: {len(themes)} theme(s), not the {k} asked for (--k): the texts hold no more distinct "
              "texts or words than that", file=sys.stderr)
    terms = {theme.theme_id: " ".join(theme.terms) for theme in themes}
    iterator = iter(assignment)

    def annotate(chunk: list[str]) -> list[dict[str, object]]:
        ids = [next(iterator) for _ in chunk]
        return [{"topic_id": i, "topic_terms": terms.get(i, "")} for i in ids]

    return map_csv(job, ["topic_id", "topic_terms"], annotate, "topics", total=len(texts))
