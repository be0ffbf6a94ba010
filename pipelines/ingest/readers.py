"""Streaming readers for the files real tools export, each yielding every record of a file.

Formats: delimited text (CSV, or TSV such as Excel's "Unicode text" export), XLSX (问卷星,
腾讯问卷 and Excel save it), and JSON (one object per line, or one array of objects).
Text encodings: UTF-8, UTF-8 with BOM, GB18030 (Excel in China) and UTF-16 with BOM (or without one, when
its NUL bytes say which end is which and the whole file decodes so), detected
over the whole file, not a sample. A file in another encoding (Big5, Shift-JIS, a Western code page)
would read as GB18030 or UTF-8 mojibake, not fail; its rows are reported as
``encoding`` instead (``_foreign_encoding`` says when it can tell). Line endings: LF, CRLF and CR-only (Excel for Mac) alike.

A reader never raises on bad content. It yields ``Record``s carrying either the fields (keyed
by canonical field names where a header is mapped) or the reason the record could not be read,
so the loader can account for every row. A line that decodes in neither the file's encoding nor
the other candidate is reported as ``encoding``, never loaded with replacement characters.

XLSX is read with python-calamine (0.9.1), chosen on measurements. Its ``iter_rows`` is not lazy:
calamine parses the whole sheet into Rust memory first and then hands rows to Python one at a
time (PyO3 cannot expose a borrowing Rust iterator; python-calamine issue #42, PR #43), so memory
grows with the sheet. openpyxl's ``read_only=True`` streams the XML in constant memory but is
15 times slower. Reading every row of the benchmark's 200,000-row 问卷星 export (8 columns, 8.8 MB,
``/usr/bin/time -v`` under ``nice -n 15`` on the shared 2-core machine):

| library | CPU (user) | peak RSS |
|---|---|---|
| python-calamine ``iter_rows`` | 1.4 s | 153 MB |
| openpyxl ``read_only=True``, ``iter_rows(values_only=True)`` | 21.2 s | 57 MB |

Calamine costs about 75-85 bytes per cell beyond the interpreter. A full Excel sheet (1,048,576
rows) of the same 8 columns therefore needs about 0.7 GB for the sheet and about 1.0 GB peak for
the whole load (the 200,000-row load peaks at 428 MB in bench/results.json), inside the ingest
budget of 1.5 GB; a full sheet of 16 columns needs about 1.4 GB for the sheet alone, beyond it
(such an export is better split, or saved as CSV, which streams). openpyxl would stay near 60 MB
but take about 110 s of CPU to read the million rows, against a 60 s target for 200,000.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import orjson

_HASH_CHUNK = 1 << 20
_SURROGATES = re.compile("[\udc80-\udcff]")

DELIMITED_SUFFIXES = (".csv", ".tsv", ".txt")
# Workbooks the reader (calamine) opens: Excel 2007+, Excel 97-2003, binary Excel, OpenDocument.
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")

# Reason code of a row whose every field is empty (``,,,`` as Excel writes a blank row), yielded only with
# ``keep_empty`` (the file commands keep such rows in place; the nightly skips them, as it skips blank lines).
EMPTY_ROW = "empty_row"

# Longest CSV field read, in characters. Python's default, 131,072, is shorter than a long
# complaint letter pasted into a comment box. Past this a row is ``text_too_long``, kept with its
# first 1,000 characters; the nightly's own, lower limit on texts is VOC_MAX_TEXT_CHARS.
MAX_FIELD_CHARS = 16 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)

# Canonical field per column position (None: a column no field uses), and required fields missing.
HeaderMapper = Callable[[list[str]], tuple[list[str | None], list[str]]]


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a source file: the fields, or why there are none."""

    row_number: int
    raw: str
    fields: dict | None
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Encoding:
    """A text file's codec, whether every byte of it decodes with that codec, and ``foreign``: for a file
    without a BOM that is probably in another encoding, that encoding in words (e.g. 'Big5 (Traditional
    Chinese)'), else None."""

    codec: str  # 'utf-8', 'utf-8-sig', 'gb18030' or 'utf-16'
    clean: bool
    foreign: str | None = None

    @property
    def fallback(self) -> str | None:
        """The other candidate tried on a line the file's own codec cannot decode."""
        return {"utf-8": "gb18030", "utf-8-sig": "gb18030", "gb18030": "utf-8"}.get(self.codec)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _decodes(path: Path, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_HASH_CHUNK):
                decoder.decode(chunk, final=False)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _nul_heavy(sample: bytes) -> bool:
    """NUL bytes in a tenth of ``sample``: UTF-16 (the high byte of ASCII characters), never another text codec."""
    return len(sample) > 0 and sample.count(0) * 10 >= len(sample)


def foreign_encoding_advice(foreign: str) -> str:
    """What to tell the person who sent a file in ``foreign`` (``Encoding.foreign``)."""
    return f"neither UTF-8 nor GB18030 but probably {foreign}: save it again as CSV UTF-8"


def _bomless_utf16(path: Path) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for UTF-16 text saved without its byte-order mark (some Java and .NET
    exports): NUL bytes in a tenth of the first MiB, as the high byte of ASCII characters, mostly on one side
    (odd offsets: little-endian), and the whole file decoding as that. None otherwise."""
    with path.open("rb") as handle:
        sample = handle.read(_HASH_CHUNK)
    if not _nul_heavy(sample):
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    codec = "utf-16-le" if odd > 2 * even else "utf-16-be" if even > 2 * odd else None
    return codec if codec and _decodes(path, codec) else None


def _majority_codec(path: Path) -> str:
    """For a file that is not clean UTF-8: UTF-8 if more of its non-ASCII lines read as UTF-8
    than as GB18030 only (a UTF-8 export with a few pasted GB18030 lines), else GB18030."""
    utf8 = gb = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8 += 1
            except UnicodeDecodeError:
                try:
                    line.decode("gb18030")
                    gb += 1
                except UnicodeDecodeError:
                    pass
    return "gb18030" if gb > utf8 else "utf-8"


def detect_encoding(path: Path) -> Encoding:
    """The encoding of a whole text file: a BOM decides; else UTF-8 when every byte is UTF-8;
    else the majority of UTF-8 and GB18030 lines. ``clean`` is False when some bytes fit neither.
    ``foreign`` names what a file without a BOM more likely is (``_foreign_encoding``)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", _decodes(path, "utf-8-sig"))
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return Encoding("utf-16", _decodes(path, "utf-16"))
    if bomless := _bomless_utf16(path):  # before UTF-8: NUL bytes are valid UTF-8 too
        return Encoding(bomless, True)
    utf8 = _decodes(path, "utf-8")
    codec = "utf-8" if utf8 else _majority_codec(path)
    clean = utf8 if codec == "utf-8" else _decodes(path, codec)
    return Encoding(codec, clean, _foreign_encoding(path, codec))


# Lead bytes of GB2312's kana, Greek, Cyrillic and box-drawing rows: Chinese customer text seldom uses
# them, but Big5's commonest characters (lead bytes 0xA4-0xA9) land there when read as GBK. Row 0xA8
# (pinyin, é ü à) is left out: GB18030 exports hold real accented Latin letters there (café, Nestlé).
_RARE_GB2312_ROWS = (0xA4, 0xA5, 0xA6, 0xA7, 0xA9)
_GB_FAMILY = ("gb18030", "gbk", "gb2312", "hz", "ascii", "utf_8")
# Below this many non-ASCII characters in the sample, neither test is reliable (a few names with rare
# characters, a μ or an é, tip a short genuine file over), so a short file must show more: at least
# FOREIGN_SMALL_MIN_CHARS of them, FOREIGN_SMALL_SHARE rare, and charset-normalizer naming an East Asian
# encoding (two lines of Big5 read as GB18030: 12 of 22 rare; a genuine short GB18030 file: none, or a rare
# name among ordinary words; of 3,000 short genuine files and 1,500 in Traditional Chinese, none was refused).
FOREIGN_MIN_CHARS = 300
FOREIGN_SHARE = 0.2
FOREIGN_SMALL_MIN_CHARS = 12
FOREIGN_SMALL_SHARE = 0.5
_FAMILIES = (("big5", "Big5 (Traditional Chinese)"), ("cp950", "Big5 (Traditional Chinese)"),
             ("shift_jis", "Japanese (Shift-JIS)"), ("cp932", "Japanese (Shift-JIS)"), ("euc_j", "Japanese (EUC-JP)"),
             ("cp949", "Korean (EUC-KR)"), ("euc_kr", "Korean (EUC-KR)"), ("johab", "Korean (EUC-KR)"))


def _rare_share(text: str) -> tuple[float, int]:
    """(share, count) over the non-ASCII characters of ``text``: the share that simplified-Chinese text
    hardly holds (ideographs outside GB2312's 6,763, GB2312's kana/Greek/Cyrillic/box rows, undecodable
    bytes shown as U+FFFD). Emoji, CJK punctuation and accented Latin letters count as ordinary. About 0
    for GB18030 customer text; 0.3-0.4 for Big5 and for Traditional Chinese; near 1 for a Western code page
    (Latin-1, cp1252) read as GB18030."""
    rare = total = 0
    for char, count in Counter(text).items():  # each distinct character once: a MiB holds a few thousand
        if char.isascii():
            continue
        total += count
        try:
            rare += count * (char == "\ufffd" or char.encode("gb2312")[0] in _RARE_GB2312_ROWS)
        except UnicodeEncodeError:
            rare += count * ("\u4e00" <= char <= "\u9fff")
    return (rare / total if total else 0.0), total


def _foreign_encoding(path: Path, codec: str) -> str | None:
    """What a file without a BOM more likely is, in words, when it is not what ``codec`` reads; None when
    it reads as UTF-8 or as Chinese in GB18030. Judged on the first MiB.

    - NUL bytes in a tenth of the sample: UTF-16 without a byte-order mark (Python and Excel write the mark).
    - Read as GB18030: at least ``FOREIGN_MIN_CHARS`` non-ASCII characters, ``FOREIGN_SHARE`` of them rare
      (``_rare_share``: Big5 and Western code pages read as GB18030 give mojibake, not an error), and
      charset-normalizer's best guess outside the GB family (it tells Big5 from Traditional Chinese saved
      as GB18030, which the share alone cannot). All three must hold, so that a genuine GB18030 export is
      never turned away; a shorter sample needs ``FOREIGN_SMALL_MIN_CHARS`` characters, ``FOREIGN_SMALL_SHARE``
      of them rare. Not caught: Korean EUC-KR (its Hangul lands on common GB2312 characters), a foreign file
      of fewer than twelve non-ASCII characters (a line of Shift-JIS), foreign text after the first MiB."""
    with path.open("rb") as handle:
        sample = handle.read(_HASH_CHUNK)
    if _nul_heavy(sample):
        return "UTF-16 without a byte-order mark"
    if codec != "gb18030":
        return None
    if len(sample) == _HASH_CHUNK:  # whole lines only: a cut may split a two-byte character
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    share, count = _rare_share(sample.decode("gb18030", errors="replace"))
    if share < FOREIGN_SHARE or count < FOREIGN_MIN_CHARS and (
            count < FOREIGN_SMALL_MIN_CHARS or share < FOREIGN_SMALL_SHARE):
        return None
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = best.encoding if best else ""
    if guess in _GB_FAMILY:
        return None
    if count < FOREIGN_MIN_CHARS and not any(guess.startswith(prefix) for prefix, _ in _FAMILIES):
        return None  # a short sample is turned away only when it reads as a named East Asian encoding
    return next((name for prefix, name in _FAMILIES if guess.startswith(prefix)),
                "a Western code page such as Windows-1252" if guess.startswith(("cp", "iso8859", "latin", "mac_", "hp_"))
                else "an encoding other than UTF-8 and GB18030")


def _readable(line: str) -> str:
    return _SURROGATES.sub("\ufffd", line)


def text_lines(path: Path, encoding: Encoding) -> Iterator[tuple[str, str]]:
    """Every physical line with its line ending (LF, CRLF or CR) and how it decoded:
    'ok', 'fallback' (the other candidate codec read it) or 'bad' (neither did; the bytes
    that failed are shown as U+FFFD)."""
    utf16 = encoding.codec.startswith("utf-16")
    errors = "replace" if utf16 else "surrogateescape"
    with path.open(encoding=encoding.codec, errors=errors, newline="") as handle:
        if encoding.clean:
            for line in handle:
                yield line, "ok"
            return
        own = "utf-8" if encoding.codec == "utf-8-sig" else encoding.codec
        for line in handle:
            if utf16:
                yield line, "bad" if "\ufffd" in line else "ok"
            elif not _SURROGATES.search(line):
                yield line, "ok"
            else:
                try:
                    yield line.encode(own, "surrogateescape").decode(encoding.fallback or own), "fallback"
                except UnicodeDecodeError:
                    yield _readable(line), "bad"


def delimiter(path: Path, encoding: Encoding) -> str:
    """Tab for a .tsv file, else the separator the header holds most of: comma (also on a tie), tab
    (Excel's "Unicode text"), semicolon (Excel in a locale with decimal commas) or pipe."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    header_line = next((line for line, _ in text_lines(path, encoding) if line.strip()), "")
    return max(_SEPARATORS, key=header_line.count)


_SEPARATORS = (",", "\t", ";", "|")


# Title rows an export may put above its header: a report's title, then its export time or filter
# (「舆情报告」, 「导出时间：2026-08-03 09:00」).
MAX_TITLE_ROWS = 3


def _title_row(values: list) -> bool:
    """A row above the header holding one text in the first of several cells: an export's title
    (问卷星 and Excel reports put 「XX满意度调查 答卷数据」 in a merged first row, whose text is the
    first cell's). A header with an empty first cell (pandas' ``,text``: the index column) is none."""
    return len(values) > 1 and bool(str(values[0]).strip()) and not any(str(value).strip() for value in values[1:])


def _header_records(mapper: HeaderMapper, values: list[str]) -> tuple[list[str | None], str | None]:
    """Map a header row; returns the field per column and the reason every row fails, if any."""
    fields, missing = mapper([value.strip() for value in values])
    if missing:
        return fields, f"the file's header lacks required column(s): {', '.join(missing)}"
    return fields, None


def _stray_quote(raw: str, separator: str) -> bool:
    """True when ``raw``, one record read over several lines, holds a quote that opens a field and does
    not close at a field's end (strict CSV, RFC 4180, rejects it).

    Python's reader, in its default (non-strict) mode, reads on: an unclosed quote takes the rest of
    the file as one field, and a quote closed by the next quoted field takes every row between as
    text. Excel and every CSV writer escape the quotes of a real multi-line field, which parses."""
    try:
        for _ in csv.reader(io.StringIO(raw, newline=""), delimiter=separator, strict=True):
            pass
    except csv.Error:
        return True
    return False


def read_delimited(path: Path, mapper: HeaderMapper, encoding: Encoding | None = None,
                   keep_empty: bool = False) -> Iterator[Record]:
    """Yield each CSV/TSV record as a dict keyed by canonical field names.

    The first non-blank row is the header (after up to ``MAX_TITLE_ROWS`` title rows above it, see ``_title_row``), mapped by
    ``mapper``; unused columns are dropped. If
    the header lacks a required field, every record is reported with that as its reason. A line
    whose quote runs a field into the following lines without closing properly is reported as
    ``bad_row`` and the lines after it are read again, so one stray ``"`` costs one row, not the rest
    of the file.
    """
    encoding = encoding or detect_encoding(path)
    separator = delimiter(path, encoding)
    lines = text_lines(path, encoding)
    read_again: deque[tuple[str, str]] = deque()
    line_number = 0
    consumed: list[tuple[str, str]] = []
    bad_lines: set[int] = set()

    def tracked() -> Iterator[str]:
        nonlocal line_number
        while True:
            if read_again:
                line, state = read_again.popleft()
            else:
                following = next(lines, None)
                if following is None:
                    return
                line, state = following
            line_number += 1
            if state == "bad":
                bad_lines.add(line_number)
            consumed.append((line, state))
            yield line

    reader = csv.reader(tracked(), delimiter=separator)
    header: list[str | None] | None = None
    titles = 0
    header_values: list[str] = []
    header_error: str | None = None
    while True:
        consumed.clear()
        first_line = line_number + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            text = "".join(line for line, _ in consumed)
            if "field larger than field limit" in str(error):
                yield Record(first_line, text[:1000], None, "text_too_long",
                             f"a field is over {csv.field_size_limit():,} characters, the CSV reader's limit")
            else:
                yield Record(first_line, text, None, "bad_row", f"malformed CSV: {error}")
            continue
        raw = "".join(line for line, _ in consumed).rstrip("\r\n")
        if len(consumed) > 1 and _stray_quote(raw, separator):
            yield Record(first_line, consumed[0][0].rstrip("\r\n"), None, "bad_row",
                         'a quote (") opens a field on this line and does not close where a field ends, so '
                         f"it ran into the {len(consumed) - 1:,} line(s) after; this line is left out and "
                         "those are read again as rows")
            read_again.extend(consumed[1:])
            line_number = first_line
            reader = csv.reader(tracked(), delimiter=separator)
            continue
        if not values or all(not value.strip() for value in values):
            if keep_empty and values and header is not None:
                yield Record(first_line, raw, None, EMPTY_ROW, "every field is empty")
            continue
        if header is None:
            if titles < MAX_TITLE_ROWS and _title_row(values):
                titles += 1
                continue
            header, header_error = _header_records(mapper, values)
            header_values = [value.strip() for value in values]
            continue
        if encoding.foreign:
            yield Record(first_line, raw, None, "encoding", f"the file is {foreign_encoding_advice(encoding.foreign)}")
        elif header_error:
            yield Record(first_line, raw, None, "missing_column", header_error)
        elif bad_lines and any(line in bad_lines for line in range(first_line, line_number + 1)):
            yield Record(first_line, raw, None, "encoding", "bytes that are neither UTF-8 nor GB18030")
        elif [value.strip() for value in values] == header_values:
            yield Record(first_line, raw, None, "bad_row", "the header row again: files joined together? "
                                                           "The rows around it are read as usual")
        elif len(values) != len(header) and (len(values) < len(header) or any(v.strip() for v in values[len(header):])):
            yield Record(first_line, raw, None, "bad_row",
                         f"expected {len(header)} fields as in the header, found {len(values)}")
        else:
            values = values[:len(header)]  # empty fields after the last column: an exporter's trailing commas
            if '="' in raw:
                values = [_unprotected(value) for value in values]
            yield Record(first_line, raw, dict(zip(header, values)) if all(header) else
                         {name: value for name, value in zip(header, values) if name})


_FORMULA_TEXT = re.compile(r'=\s*"(.*)"', re.DOTALL)


def _unprotected(value: str) -> str:
    """A CSV cell written as an Excel formula, ``="SV001"`` (back-office exports protect ids and
    long numbers from Excel's reformatting this way), as the text it shows."""
    if value.startswith("=") and (match := _FORMULA_TEXT.fullmatch(value)):
        return match.group(1).replace('""', '"')
    return value


def _cell(value: object) -> object:
    """An XLSX cell as the validators expect it. Number cells holding IDs come back from Excel as
    floats: a whole number below 10^15 is exact and becomes its digits; a larger one has lost
    digits already (Excel keeps 15) and is shown in scientific notation so it is caught as a
    damaged ID. Dates stay datetimes (calamine applies the cell's date format to serial dates)."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)) if abs(value) < 1e15 else f"{value:.14E}"
        return repr(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


def read_xlsx(path: Path, mapper: HeaderMapper, keep_empty: bool = False) -> Iterator[Record]:
    """Yield each row of the workbook's first visible worksheet as a dict keyed by canonical field
    names: a hidden sheet (an exporter's template or last month's data) or a chart sheet is skipped."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        shown = [sheet.name for sheet in workbook.sheets_metadata
                 if sheet.typ == SheetTypeEnum.WorkSheet and sheet.visible == SheetVisibleEnum.Visible]
        if not shown:
            yield Record(1, path.name, None, "bad_file", "the workbook has no visible worksheet to read")
            return
        rows = workbook.get_sheet_by_name(shown[0]).iter_rows()
    except Exception as error:  # calamine raises its own error types for a damaged workbook
        yield Record(1, path.name, None, "bad_file", f"not a readable Excel workbook: {error}")
        return
    header: list[str | None] | None = None
    header_error: str | None = None
    titles = 0
    for index, cells in enumerate(rows, start=1):
        values = [_cell(value) for value in cells]
        if all(value == "" for value in values):
            if keep_empty and header is not None:
                yield Record(index, "", None, EMPTY_ROW, "every cell is empty")
            continue
        raw = "\t".join(value.isoformat(sep=" ") if isinstance(value, datetime) else value for value in values)
        if header is None:
            if titles < MAX_TITLE_ROWS and _title_row(values):
                titles += 1
                continue
            header, header_error = _header_records(mapper, [str(value) for value in values])
            continue
        if header_error:
            yield Record(index, raw, None, "missing_column", header_error)
        else:
            padded = values + [""] * (len(header) - len(values))
            yield Record(index, raw, {name: value for name, value in zip(header, padded) if name})


def _json_document(path: Path, encoding: Encoding, is_record: Callable[[dict], bool]) -> list | str | None:
    """The records of a file that is one JSON document: the elements of a top-level array, those of
    an API's wrapper object's list (``{"statuses": [...], "total_number": 2}``, ``_WRAPPER_KEYS``), or a
    single object; a message when the file starts as an array but does not parse; None for JSON lines
    (or a file that is not clean text, read line by line)."""
    if not encoding.clean:
        return None
    with path.open(encoding=encoding.codec) as handle:
        first = next((line.strip().lstrip("\ufeff") for line in handle if line.strip()), "")
        if not first.startswith(("[", "{")):
            return None
        if first.startswith("{"):
            try:
                record = orjson.loads(first)
            except orjson.JSONDecodeError:
                record = None  # an object over several lines: read the file as one document
            if isinstance(record, dict) and _wrapped(record, is_record) is None:
                return None  # JSON lines: read line by line, never whole
        handle.seek(0)
        text = handle.read().lstrip("\ufeff \t\r\n")
    try:
        content = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return f"the file is a JSON array that does not parse ({error}): fix or export it again" \
            if text.startswith("[") else None
    if isinstance(content, list):
        return content
    if isinstance(content, dict):
        records = _wrapped(content, is_record)
        if records is not None:
            return records
    return [content]


# The key an API wraps its list of records in (Weibo: statuses); a record's own lists (a call's turns) are
# no wrapper.
_WRAPPER_KEYS = frozenset({"statuses", "data", "items", "records", "results", "list", "rows", "posts", "calls",
                           "surveys", "responses", "cards"})  # cards: m.weibo.cn's pages, a post per card's mblog


def _wrapped(content: dict, is_record: Callable[[dict], bool], depth: int = 3) -> list | None:
    """The list of records an API's wrapper object holds, also one level or two down
    (``{"code": 0, "msg": "success", "data": {"total": 2, "list": [...]}}``); None when ``content`` is
    no wrapper: it has no wrapper key, or it is itself a record (a call whose ``records`` are its
    recordings: ``is_record`` says whether any of its other keys feeds a field of the contract)."""
    if depth == 0 or not _WRAPPER_KEYS & content.keys():
        return None
    if is_record({key: value for key, value in content.items() if key not in _WRAPPER_KEYS}):
        return None
    lists = [value for key, value in content.items() if key in _WRAPPER_KEYS and isinstance(value, list)]
    if len(lists) == 1:
        return lists[0]
    inner = [value for key, value in content.items() if key in _WRAPPER_KEYS and isinstance(value, dict)]
    return _wrapped(inner[0], is_record, depth - 1) if len(inner) == 1 and not lists else None


def read_json(path: Path, mapper: HeaderMapper | None = None) -> Iterator[Record]:
    """Yield each JSON object: one per non-blank line, or each element of one top-level array (or of an
    API's wrapper object's list), or the one object the file holds.

    An object nested in a record is read as dotted keys (``{"user": {"id": 1}}`` as ``user.id``), so an
    alias can name it. Keys are renamed to canonical field names through ``mapper`` when given. A line in the
    file's own encoding that does not parse is reported as bad JSON with its readable text; a
    fallback decoding (GB18030 in a UTF-8 file) is kept only when it yields valid JSON, since a
    cut-off UTF-8 line would otherwise show up as GB18030 mojibake.
    """
    encoding = detect_encoding(path)
    rename = _key_renamer(mapper)
    array = _json_document(path, encoding, _record_test(mapper))
    if isinstance(array, str):
        yield Record(1, path.name, None, "bad_file", array)
        return
    if array is not None:
        for number, item in enumerate(array, start=1):
            raw = orjson.dumps(item).decode()
            if isinstance(item, dict):
                yield Record(number, raw, rename(item))
            else:
                yield Record(number, raw, None, "bad_json", "each element of the JSON array must be an object")
        return
    for number, (line, state) in enumerate(text_lines(path, encoding), start=1):
        # A byte-order mark inside the file: JSON lines files joined on Windows (type a.jsonl b.jsonl) keep each one's.
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            fields = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            note = " (the line has damaged bytes: cut off?)" if state != "ok" else ""
            yield Record(number, _readable(text), None, "bad_json", f"invalid JSON: {error}{note}")
            continue
        if state == "bad":
            yield Record(number, text, None, "encoding", "bytes that are neither UTF-8 nor GB18030")
        elif not isinstance(fields, dict):
            yield Record(number, text, None, "bad_json", "a JSON object was expected on each line")
        else:
            yield Record(number, text, rename(fields))


def _flattened(fields: dict, depth: int = 3) -> dict:
    """A record with its nested objects' keys lifted, dotted, down to ``depth`` levels: {"user": {"id": 1}} ->
    {"user.id": 1}; m.weibo.cn's {"mblog": {"user": {"id": 1}}} -> {"mblog.user.id": 1}. Deeper objects
    stay values."""
    flat: dict = {}
    for key, value in fields.items():
        if isinstance(value, dict) and depth > 0:
            flat.update((f"{key}.{inner}", item) for inner, item in _flattened(value, depth - 1).items())
        else:
            flat[key] = value
    return flat


def _record_test(mapper: HeaderMapper | None) -> Callable[[dict], bool]:
    """Whether an object is a record of the contract: one of its keys (nested ones dotted) feeds a field.
    Without a contract nothing is."""
    if mapper is None:
        return lambda fields: False
    return lambda fields: any(name is not None for name in mapper(list(_flattened(fields)))[0])


def _key_renamer(mapper: HeaderMapper | None) -> Callable[[dict], dict]:
    if mapper is None:
        return lambda fields: fields
    cache: dict[tuple[str, ...], list[str | None]] = {}

    def rename(fields: dict) -> dict:
        if any(isinstance(value, dict) for value in fields.values()):
            fields = _flattened(fields)
        keys = tuple(fields)
        if keys not in cache:
            cache[keys] = mapper(list(keys))[0]
        # Mapped keys go last, so a key the mapping left unused never overwrites the field another key
        # was mapped to ({"客户编号": …, "customer_id": …}: the mapping, as `voc sources check` shows it, wins).
        renamed = {key: value for key, name, value in zip(keys, cache[keys], fields.values()) if name is None}
        renamed.update((name, value) for name, value in zip(cache[keys], fields.values()) if name is not None)
        return renamed

    return rename


def line_endings(path: Path, codec: str | None = None) -> str:
    """The line endings of a text file's first MiB, for reports: 'LF', 'CRLF', 'CR' or mixed; counted on
    the text for a UTF-16 ``codec``, on the bytes otherwise (every other codec here writes them as ASCII)."""
    with path.open("rb") as handle:
        sample = handle.read(_HASH_CHUNK)
    if codec and codec.startswith("utf-16"):
        sample = sample.decode(codec, errors="replace").encode("utf-8")
    crlf = sample.count(b"\r\n")
    found = [name for name, count in (("CRLF", crlf), ("LF", sample.count(b"\n") - crlf),
                                      ("CR", sample.count(b"\r") - crlf)) if count]
    return "+".join(found) or "none"


def file_format(path: Path) -> str:
    """'xlsx', 'json' or 'delimited', from the file name."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in JSON_SUFFIXES:
        return "json"
    return "delimited"


def html_page(path: Path) -> bool:
    """Whether the file is an HTML page (web systems' "Excel export" often is one, named .xls or .csv; a
    gateway's error page saved as an API's .json answer is another)."""
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head")) or (
        head.startswith(b"<") and (b"<table" in head or b"<body" in head or b"<title" in head))


HTML_PAGE = ("an HTML page, not a spreadsheet or CSV (a web system's 'Excel export'): open it in Excel "
             "and save it as .xlsx or CSV UTF-8")
HTML_NOT_JSON = ("an HTML page, not JSON (an API's error page saved in place of its answer, such as 502 Bad Gateway): "
                 "fetch the data again")


def binary_content(path: Path) -> bool:
    """Whether a file named as text holds binary data (an image, an archive, a database file renamed .csv):
    control bytes (C0 but tab, line feed, vertical tab, form feed and carriage return) in at least 1 in 20 of
    its first 64 KiB, and those bytes not UTF-16 text (a byte-order mark, or the whole head decoding as
    UTF-16 either way; random bytes break UTF-16 on a lone surrogate). Text exports hold a stray control
    character at most; random data holds one in ten."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    controls = sum(head.count(byte) for byte in _CONTROL_BYTES)
    if controls < 16 or controls * 20 < len(head) or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    even = head[: len(head) // 2 * 2 - (4 if len(head) == 65536 else 0)]  # a cut may split a surrogate pair
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            even.decode(codec)
            return False
        except UnicodeDecodeError:
            pass
    return True


_CONTROL_BYTES = (*range(0, 9), *range(14, 32))
BINARY_FILE = "binary data, not text (a file of another kind named .csv or .txt): export the data again as CSV UTF-8 or .xlsx"


def read_records(path: Path, mapper: HeaderMapper, keep_empty: bool = False) -> Iterator[Record]:
    """Every record of a landed file, whatever its format; with ``keep_empty``, also each row after the
    header whose every field is empty, as an ``EMPTY_ROW`` record without fields (blank lines stay skipped).
    An HTML page, or binary data named as text (``binary_content``), is one ``bad_file`` record."""
    kind = file_format(path)
    if html_page(path):
        return iter([Record(1, path.name, None, "bad_file", HTML_PAGE if kind != "json" else HTML_NOT_JSON)])
    if kind != "xlsx" and binary_content(path):
        return iter([Record(1, path.name, None, "bad_file", BINARY_FILE)])
    if kind == "xlsx":
        return read_xlsx(path, mapper, keep_empty)
    if kind == "json":
        return read_json(path, mapper)
    return read_delimited(path, mapper, keep_empty=keep_empty)
