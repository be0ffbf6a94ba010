"""``voc sources check``: what loading a file would do, without writing anything.

An operator runs it on a new export before dropping it into landing: it reads the file with the
same readers, contract and validation as the nightly load and reports the format, the encoding,
which header feeds which field, and how many rows would load or be quarantined, by reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.ingest.contracts import SOURCE_NAMES, ContractError
from pipelines.ingest.loader import KeyLedger, check_record
from pipelines.ingest.readers import (binary_content, delimiter, detect_encoding, file_format, html_page, line_endings,
                                      read_records)
from pipelines.ingest.sources import accepts, load_source, source_records

EXAMPLES_PER_REASON = 3


@dataclass
class FileCheck:
    """The dry-run result for one file. ``mapping`` pairs each header (or JSON key) of the file
    with the field it feeds (None: unused); ``examples`` holds up to three (row, reason, raw) per
    reason code."""

    path: Path
    source: str
    contract_files: list[str]
    file_format: str
    encoding: str
    line_endings: str | None
    mapping: list[tuple[str, str | None]] = field(default_factory=list)
    unmapped_required: list[str] = field(default_factory=list)
    unmapped_optional: list[str] = field(default_factory=list)
    foreign_encoding: str | None = None  # what a text file in neither UTF-8 nor GB18030 probably is
    file_defaults: dict[str, object] = field(default_factory=dict)  # what the file's name gives empty fields
    rows_loaded: int = 0
    quarantined: Counter = field(default_factory=Counter)
    examples: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.unmapped_required


def guess_source(path: Path) -> str:
    """The source a file belongs to: named by a landing folder in its path, else by its format
    (tables are surveys; JSON with ``turns`` is calls, other JSON social)."""
    for part in reversed(path.resolve().parts[:-1]):
        if part in SOURCE_NAMES:
            return part
    if file_format(path) != "json":
        return "surveys"
    first = next((record for record in read_records(path, lambda keys: ([None] * len(keys), []))
                  if record.fields is not None), None)
    return "calls" if first is not None and "turns" in first.fields else "social"


def _landing_day(path: Path) -> date | None:
    """The day of a file in a landing day folder (``…/<source>/2026-08-03/x.csv``, or a sub-folder of it): the
    year of a timestamp without one comes from it, as in the nightly. None elsewhere."""
    for folder in path.parents:
        try:
            return date.fromisoformat(folder.name)
        except ValueError:
            continue
    return None


def check_file(path: Path, source: str | None, contracts_dir: Path, max_text_chars: int,
               timezone: ZoneInfo) -> FileCheck:
    """Read ``path`` as ``source`` would be loaded (the source is guessed when None); write nothing.

    Raises ``ContractError`` for an unknown source or an unusable contract, ``FileNotFoundError``
    for a missing file. Re-deliveries across days are not checked: that needs the warehouse.
    """
    if path.is_dir():
        raise FileNotFoundError(f"{path} is a folder; give one file of it (each export is checked on its own)")
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    source = source or guess_source(path)
    if source not in SOURCE_NAMES:
        raise ContractError(f"unknown source {source!r}; sources are {', '.join(SOURCE_NAMES)}")
    spec = load_source(source, contracts_dir)
    contract = spec.contract
    kind = file_format(path)
    binary = kind != "xlsx" and binary_content(path)
    encoding = detect_encoding(path) if kind != "xlsx" and not binary else None
    if not accepts(contract, path):
        shown_format = f"{path.suffix.lower() or 'no extension'}: not a format {source} takes (not read)"
    elif html_page(path):
        shown_format = "an HTML page (not read)"
    elif binary:
        shown_format = "binary data, not text (not read)"
    elif kind == "delimited":
        shown_format = {"\t": "TSV (tab-separated)", ";": "CSV (semicolon-separated)",
                        "|": "CSV (pipe-separated)"}.get(delimiter(path, encoding), "CSV")
    else:
        shown_format = {"xlsx": "Excel workbook (first visible worksheet)", "json": "JSON (lines or one array)"}[kind]
    result = FileCheck(
        path=path, source=source, contract_files=[str(origin) for origin in contract.origins],
        file_format=shown_format,
        encoding=("binary workbook" if kind == "xlsx" else "none (binary data)" if encoding is None else
                  f"neither UTF-8 nor GB18030: probably {encoding.foreign}" if encoding.foreign else
                  encoding.codec + ("" if encoding.clean else " (some bytes fit neither UTF-8 nor GB18030)")),
        line_endings=None if encoding is None else line_endings(path, encoding.codec),
        foreign_encoding=encoding.foreign if encoding is not None else None,
    )

    first_read = False

    def mapper(headers: list[str]) -> tuple[list[str | None], list[str]]:
        """The contract's mapping; the header (or the first record's keys) is reported: the last call before
        the first record, since a JSON wrapper's own keys ({"ok": 1, "data": {"cards": …}}) are mapped first,
        to tell a wrapper from a record."""
        mapped = contract.map_header(headers)
        if not first_read:
            result.mapping = list(zip(headers, mapped[0]))
            result.unmapped_required = mapped[1]
            fed = set(mapped[0])
            result.unmapped_optional = [name for name, spec_ in contract.fields.items()
                                        if not spec_.required and name not in fed]
        return mapped

    keys = KeyLedger()
    result.file_defaults = contract.file_defaults(path.name)
    for record in source_records(contract, path, mapper):
        first_read = True
        row, code, reason = check_record(record, spec, keys, max_text_chars, timezone, day=_landing_day(path),
                                         file_defaults=result.file_defaults)
        if row is not None:
            result.rows_loaded += 1
            continue
        result.quarantined[code] += 1
        examples = result.examples.setdefault(code, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append((record.row_number, reason, record.raw))
    return result


def render(check: FileCheck) -> str:
    """The report ``voc sources check`` prints."""
    lines = [
        f"file:      {check.path}",
        f"source:    {check.source} (contract: {' + '.join(check.contract_files)})",
        f"format:    {check.file_format}",
        f"encoding:  {check.encoding}" + (f", line endings {check.line_endings}" if check.line_endings else ""),
        "mapping:",
    ]
    if check.foreign_encoding:  # its header is mojibake: nothing to map until the file is saved again
        lines[-1] += " not shown: the header does not read as UTF-8 or GB18030"
        unused = []
    else:
        width = max((len(header) for header, _ in check.mapping), default=0)
        for header, name in check.mapping:
            lines.append(f"  {header:<{width}}  ->  {name or '(unused)'}")
        unused = [header for header, name in check.mapping if name is None]
        lines.append(f"unused headers: {', '.join(unused) if unused else 'none'}")
        lines.append("required fields not mapped: " + (", ".join(check.unmapped_required) or "none"))
    for name, value in check.file_defaults.items():
        lines.append(f"from the file name: {name} = {value} where a row leaves it empty")
    if unused and check.unmapped_optional:
        lines.append(f"optional fields no header feeds: {', '.join(check.unmapped_optional)} (they load empty; if an "
                     f"unused header holds one, add it to that field's aliases in the contract)")
    total_quarantined = sum(check.quarantined.values())
    if not check.rows_loaded and not total_quarantined:
        lines.append("rows: none: the file holds no records (the nightly logs it as empty)")
    else:
        lines.append(f"rows: {check.rows_loaded:,} would load, {total_quarantined:,} would be quarantined")
    for code, count in check.quarantined.most_common():
        lines.append(f"  {code}: {count:,}")
        for row_number, reason, raw in check.examples[code]:
            shown = raw if len(raw) <= 120 else raw[:117] + "..."
            lines.append(f"    row {row_number}: {reason}")
            lines.append(f"      {shown!r}")
    return "\n".join(lines)
