"""The three sources: their row models, the arrow schemas of their raw tables, and how a valid
row becomes raw rows. Their shape (fields, aliases, value maps, key, formats, descriptions) is
stated in the source contracts (``pipelines/contracts``); tests check these against them.

Adding a source means its contract, one ``SourceSpec`` here and its dbt model: the loader, the
Dagster assets and the reconciliation checks are generic over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel

from pipelines.ingest.contracts import SourceContract, load_contract
from pipelines.ingest.masking import mask_pii, mask_turns, pseudonymise
from pipelines.ingest.readers import DELIMITED_SUFFIXES, JSON_SUFFIXES, XLSX_SUFFIXES
from pipelines.ingest.schemas import CallRow, SocialPostRow, SurveyRow

# Raw rows by table: column name -> value (the loader orders them by the table's arrow schema).
RawRows = dict[str, list[dict[str, object]]]

_FORMAT_SUFFIXES = {"delimited": DELIMITED_SUFFIXES, "xlsx": XLSX_SUFFIXES, "json": JSON_SUFFIXES}


@dataclass(frozen=True)
class SourceSpec:
    name: str
    model: type[BaseModel]
    tables: dict[str, pa.Schema]
    to_rows: Callable[[SourceContract, BaseModel, bytes], RawRows]  # (contract, row, pseudonym key)


def accepts(contract: SourceContract, path: Path) -> bool:
    """Whether a landed file is one of the formats the source's contract accepts."""
    return any(path.suffix.lower() in _FORMAT_SUFFIXES[kind] for kind in contract.formats)


def _masked_fields(contract: SourceContract, table: str, row: BaseModel, key: bytes) -> dict[str, object]:
    """The contract's fields of one raw table: text of ``mask: true`` fields masked, identifiers of
    ``pseudonymise: true`` fields that are personal numbers replaced by their pseudonym, plus ``pii_masks``."""
    values: dict[str, object] = {}
    masks = 0
    for name in contract.tables[table].fields:
        value = getattr(row, name)
        field = contract.fields[name]
        if field.mask:
            value, found = mask_pii(value)
            masks += found
        elif field.pseudonymise:
            value, replaced = pseudonymise(value, key)
            masks += replaced
        values[name] = value
    values["pii_masks"] = masks
    return values


def _single_table_rows(table: str) -> Callable[[SourceContract, BaseModel, bytes], RawRows]:
    def to_rows(contract: SourceContract, row: BaseModel, key: bytes) -> RawRows:
        return {table: [_masked_fields(contract, table, row, key)]}

    return to_rows


def _call_rows(contract: SourceContract, row: CallRow, key: bytes) -> RawRows:
    # Masked as a whole call: ASR may split one number over two turns of the same speaker.
    masked = mask_turns([(turn.speaker, turn.text) for turn in row.turns])
    turns = [{"call_id": row.call_id, "turn_index": index, "speaker": turn.speaker, "start_s": turn.start_s,
              "end_s": turn.end_s, "text": text, "pii_masks": masks}
             for index, (turn, (text, masks)) in enumerate(zip(row.turns, masked))]
    total_masks = sum(masks for _, masks in masked)
    call = _masked_fields(contract, "calls", row, key)
    call.update(turn_count=len(row.turns), pii_masks=total_masks + call["pii_masks"])
    return {"calls": [call], "call_turns": turns}


_ARROW_TYPES = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "TINYINT": pa.int8(),
                "INTEGER": pa.int32(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_()}


def _tables(source: str) -> dict[str, pa.Schema]:
    """Arrow schemas of a source's raw tables, from its contract (the raw tuples follow this order)."""
    contract = load_contract(source)
    return {table: pa.schema([(name, _ARROW_TYPES[duck_type])
                              for name, (duck_type, _) in contract.table_columns(table).items()])
            for table in contract.tables}


SOURCES: dict[str, SourceSpec] = {
    "surveys": SourceSpec(
        name="surveys",
        model=SurveyRow,
        tables=_tables("surveys"),
        to_rows=_single_table_rows("surveys"),
    ),
    "calls": SourceSpec(
        name="calls",
        model=CallRow,
        tables=_tables("calls"),
        to_rows=_call_rows,
    ),
    "social": SourceSpec(
        name="social",
        model=SocialPostRow,
        tables=_tables("social"),
        to_rows=_single_table_rows("social_posts"),
    ),
}


def text_lengths(contract: SourceContract, row: BaseModel) -> int:
    """Longest free text (the contract's masked fields) in a validated row, turns included."""
    lengths = [len(getattr(row, name)) for name in contract.text_fields]
    if isinstance(row, CallRow):
        lengths.extend(len(turn.text) for turn in row.turns)
    return max(lengths, default=0)
