"""A source as one load sees it: its contract (the repository's, extended by the organisation's),
the row model and arrow schemas generated from that contract, and how a valid row becomes raw rows.

Every shape comes from the contract (``pipelines/contracts``). The only code per source is how a
record splits into raw tables when it fills more than one (a call and its turns, ``_SPLITTERS``);
a source with one raw table needs none. Adding a source is its contract and its dbt model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel

from pipelines.ingest.contracts import SourceContract, load_contract
from pipelines.ingest.masking import mask_pii, mask_turns, pseudonymise
from pipelines.ingest.readers import (DELIMITED_SUFFIXES, JSON_SUFFIXES, XLSX_SUFFIXES, HeaderMapper, Record,
                                      read_records)
from pipelines.ingest.schemas import row_model

# Raw rows by table: column name -> value (the loader orders them by the table's arrow schema).
RawRows = dict[str, list[dict[str, object]]]
# (contract, validated row, pseudonym key) -> raw rows
Splitter = Callable[[SourceContract, BaseModel, bytes], RawRows]

_FORMAT_SUFFIXES = {"delimited": DELIMITED_SUFFIXES, "xlsx": XLSX_SUFFIXES, "json": JSON_SUFFIXES}
_ARROW_TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "TINYINT": pa.int8(),
                "SMALLINT": pa.int16(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
                "BOOLEAN": pa.bool_()}


@dataclass(frozen=True)
class Source:
    contract: SourceContract
    model: type[BaseModel]  # validates one record (schemas.row_model)
    tables: dict[str, pa.Schema]  # arrow schema of each raw table, lineage excluded, in contract order
    to_rows: Splitter

    @property
    def name(self) -> str:
        return self.contract.source

    @property
    def primary_table(self) -> str:
        """The raw table with one row per record (the contract's first)."""
        return next(iter(self.tables))


def accepts(contract: SourceContract, path: Path) -> bool:
    """Whether a landed file is one of the formats the source's contract accepts."""
    return any(path.suffix.lower() in _FORMAT_SUFFIXES[kind] for kind in contract.formats)


_FORMAT_WORDS = {"delimited": "CSV or TSV (.csv, .tsv, .txt)", "xlsx": "Excel workbooks (.xlsx, .xls, .xlsb, .ods)",
                 "json": "JSON lines or a JSON array (.jsonl, .ndjson, .json)"}
UNSUPPORTED_FORMAT = "unsupported_format"
# Reason codes that refuse a whole file (one record): ``FileReport.status`` is then 'refused'.
FILE_REFUSALS = ("bad_file", UNSUPPORTED_FORMAT)


def source_records(contract: SourceContract, path: Path, mapper: HeaderMapper) -> Iterator[Record]:
    """The records of a landed file as the source reads them (``readers.read_records``); a file in a
    format the contract does not accept is one ``unsupported_format`` record that names the formats
    it does, so the operator sees it in the quarantine instead of never."""
    if accepts(contract, path):
        yield from read_records(path, mapper)
        return
    kind = path.suffix.lower() or "extensionless"
    yield Record(1, path.name, None, UNSUPPORTED_FORMAT,
                 f"{contract.source} takes {' or '.join(_FORMAT_WORDS[f] for f in contract.formats)}; "
                 f"this {kind} file was not read: export it in one of those formats")


def _masked_fields(contract: SourceContract, table: str, row: BaseModel, key: bytes) -> dict[str, object]:
    """The contract's fields of one raw table: text of ``mask: true`` fields masked, identifiers (and
    ``pseudonymise: true`` fields) that have a personal number's shape replaced by their pseudonym, plus
    ``pii_masks``. Every identifier, not only a customer's: the PII audit scans every column, and a
    16-digit Weibo post id or order number has a bank card's shape; the pseudonym is the same wherever the
    id appears, so joins hold."""
    values: dict[str, object] = {}
    masks = 0
    for name in contract.tables[table].fields:
        value = getattr(row, name)
        field = contract.fields[name]
        if field.mask and value is not None:
            value, found = mask_pii(value)
            masks += found
        elif field.pseudonymise or field.identifier:
            value, replaced = pseudonymise(value, key)
            masks += replaced
        values[name] = value
    values["pii_masks"] = masks
    return values


def _single_table_rows(contract: SourceContract, row: BaseModel, key: bytes) -> RawRows:
    table = next(iter(contract.tables))
    return {table: [_masked_fields(contract, table, row, key)]}


def _call_rows(contract: SourceContract, row: BaseModel, key: bytes) -> RawRows:
    # Masked as a whole call: ASR may split one number over two turns of the same speaker.
    masked = mask_turns([(turn.speaker, turn.text) for turn in row.turns])
    call = _masked_fields(contract, "calls", row, key)
    turns = [{"call_id": call["call_id"], "turn_index": index, "speaker": turn.speaker, "start_s": turn.start_s,
              "end_s": turn.end_s, "text": text, "pii_masks": masks}
             for index, (turn, (text, masks)) in enumerate(zip(row.turns, masked))]
    total_masks = sum(masks for _, masks in masked)
    call.update(turn_count=len(row.turns), pii_masks=total_masks + call["pii_masks"])
    return {"calls": [call], "call_turns": turns}


# Sources whose records fill more than one raw table; every other source has one table per record.
_SPLITTERS: dict[str, Splitter] = {"calls": _call_rows}


def arrow_tables(contract: SourceContract) -> dict[str, pa.Schema]:
    """Arrow schemas of a source's raw tables, from its contract (lineage columns excluded)."""
    return {table: pa.schema([(name, _ARROW_TYPES[duck_type])
                              for name, (duck_type, _) in contract.table_columns(table).items()])
            for table in contract.tables}


def load_source(name: str, contracts_dir: Path | None) -> Source:
    """The source ``name`` with the repository's contract, extended by ``contracts_dir/<name>.yml``
    when that exists (None: the repository's alone). Raises ``ContractError`` for an unusable contract."""
    contract = load_contract(name, contracts_dir)
    return Source(contract, row_model(contract), arrow_tables(contract), _SPLITTERS.get(name, _single_table_rows))


def text_lengths(contract: SourceContract, row: BaseModel) -> int:
    """Longest free text (the contract's masked fields, list items' included) in a validated row."""
    lengths = [len(getattr(row, name) or "") for name in contract.text_fields]
    lengths.extend(len(getattr(item, item_field)) for name, item_field in contract.item_text_fields
                   for item in getattr(row, name))
    return max(lengths, default=0)
