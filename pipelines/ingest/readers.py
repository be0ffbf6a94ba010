"""Streaming readers: one per file format, each yielding every physical record of a file.

A reader never raises on bad content. It yields ``Record``s that carry either the parsed fields
or the reason the record could not be parsed, so the loader can account for every row.
Encoding is sniffed per file (UTF-8, UTF-8 with BOM, GB18030 as Excel writes it in China) and a
line that decodes in neither is reported, not guessed at.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

_SNIFF_BYTES = 1 << 16
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a source file: the fields, or why there are none."""

    row_number: int
    raw: str
    fields: dict | None
    reason_code: str | None = None
    reason: str | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sniff_encoding(path: Path) -> str:
    """Return 'utf-8-sig', 'utf-8' or 'gb18030' from the file's first 64 KiB."""
    with path.open("rb") as handle:
        sample = handle.read(_SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        return "utf-8"


class _LineDecoder:
    """Decode binary lines with the sniffed encoding, falling back to the other candidate.

    ``decode`` returns the text and whether the fallback was needed. Lines that decode in
    neither come back with U+FFFD in place of the bad bytes and are remembered in ``bad_lines``,
    so the record holding them is quarantined rather than loaded as mojibake.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.fallback = "gb18030" if self.encoding == "utf-8" else "utf-8"
        self.line_number = 0
        self.bad_lines: set[int] = set()

    def decode(self, raw: bytes) -> tuple[str, bool]:
        self.line_number += 1
        if self.line_number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            return raw.decode(self.encoding), False
        except UnicodeDecodeError:
            pass
        try:
            return raw.decode(self.fallback), True
        except UnicodeDecodeError:
            self.bad_lines.add(self.line_number)
            return self.readable(raw), False

    def readable(self, raw: bytes) -> str:
        """The line as the file's own encoding reads it, damaged bytes shown as U+FFFD."""
        return raw.decode(self.encoding, errors="replace")

    def lines(self, path: Path) -> Iterator[str]:
        with path.open("rb") as handle:
            for raw in handle:
                yield self.decode(raw)[0]


def _encoding_error(decoder: _LineDecoder, first: int, last: int) -> bool:
    return any(line in decoder.bad_lines for line in range(first, last + 1))


def read_csv(path: Path, column_aliases: dict[str, str], required: tuple[str, ...]) -> Iterator[Record]:
    """Yield each CSV record as a dict keyed by canonical column names.

    Headers are mapped through ``column_aliases`` (Chinese export headers to canonical names);
    unknown headers are kept as they are and ignored by validation. If the header lacks a
    ``required`` column, every record is reported with that as its reason.
    """
    decoder = _LineDecoder(sniff_encoding(path))
    consumed: list[str] = []

    def tracked() -> Iterator[str]:
        for line in decoder.lines(path):
            consumed.append(line)
            yield line

    reader = csv.reader(tracked())
    header: list[str] | None = None
    missing: list[str] = []
    while True:
        consumed.clear()
        first_line = decoder.line_number + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raw = "".join(consumed)
            yield Record(first_line, raw, None, "bad_row", f"malformed CSV: {error}")
            continue
        raw = "".join(consumed).rstrip("\r\n")
        if not values or all(not value.strip() for value in values):
            continue
        if header is None:
            header = [column_aliases.get(name.strip().lower(), name.strip().lower()) for name in values]
            missing = [name for name in required if name not in header]
            continue
        if missing:
            yield Record(first_line, raw, None, "missing_column",
                         f"the file's header lacks required column(s): {', '.join(missing)}")
        elif _encoding_error(decoder, first_line, decoder.line_number):
            yield Record(first_line, raw, None, "encoding", "bytes that are neither UTF-8 nor GB18030")
        elif len(values) != len(header):
            yield Record(
                first_line, raw, None, "bad_row",
                f"expected {len(header)} fields as in the header, found {len(values)}",
            )
        else:
            yield Record(first_line, raw, dict(zip(header, values)))


def read_jsonl(path: Path) -> Iterator[Record]:
    """Yield each non-blank JSON line as a dict.

    A line in the file's own encoding that does not parse is reported as bad JSON with its
    readable text; a fallback (GB18030 in a UTF-8 file) is trusted only when it yields valid JSON,
    since a cut-off UTF-8 line would otherwise show up as GB18030 mojibake.
    """
    decoder = _LineDecoder(sniff_encoding(path))
    with path.open("rb") as handle:
        for raw_bytes in handle:
            text, used_fallback = decoder.decode(raw_bytes)
            text = text.strip()
            if not text:
                continue
            number = decoder.line_number
            try:
                fields = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                readable = decoder.readable(raw_bytes).strip()
                damaged = used_fallback or number in decoder.bad_lines
                note = " (the line has damaged bytes: cut off?)" if damaged else ""
                yield Record(number, readable, None, "bad_json", f"invalid JSON: {error}{note}")
                continue
            if number in decoder.bad_lines:
                yield Record(number, text, None, "encoding", "bytes that are neither UTF-8 nor GB18030")
            elif not isinstance(fields, dict):
                yield Record(number, text, None, "bad_json", "a JSON object was expected on each line")
            else:
                yield Record(number, text, fields)
