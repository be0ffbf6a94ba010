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

from pipelines.ingest.masking import mask_pii
from pipelines.ingest.contracts import SourceContract
from pipelines.ingest.readers import DELIMITED_SUFFIXES, JSON_SUFFIXES, XLSX_SUFFIXES
from pipelines.ingest.schemas import CallRow, SocialPostRow, SurveyRow

# Raw rows are plain tuples in the column order of their arrow schema (lineage appended later).
RawRows = dict[str, list[tuple]]

_FORMAT_SUFFIXES = {"delimited": DELIMITED_SUFFIXES, "xlsx": XLSX_SUFFIXES, "json": JSON_SUFFIXES}


@dataclass(frozen=True)
class SourceSpec:
    name: str
    model: type[BaseModel]
    tables: dict[str, pa.Schema]
    to_rows: Callable[[BaseModel], RawRows]


def accepts(contract: SourceContract, path: Path) -> bool:
    """Whether a landed file is one of the formats the source's contract accepts."""
    return any(path.suffix.lower() in _FORMAT_SUFFIXES[kind] for kind in contract.formats)


def _survey_rows(row: SurveyRow) -> RawRows:
    comment, masks = mask_pii(row.comment)
    return {"surveys": [(
        row.survey_id, row.customer_id, row.interaction_id, row.channel, row.submitted_at,
        row.nps, row.csat, comment, masks,
    )]}


def _call_rows(row: CallRow) -> RawRows:
    turns = []
    total_masks = 0
    for index, turn in enumerate(row.turns):
        text, masks = mask_pii(turn.text)
        total_masks += masks
        turns.append((row.call_id, index, turn.speaker, turn.start_s, turn.end_s, text, masks))
    call = (
        row.call_id, row.customer_id, row.customer_tier, row.agent_id, row.agent_team,
        row.started_at, row.queue_wait_seconds, row.duration_seconds, row.reason_code,
        row.resolved_flag, row.complaint_flag, row.escalation_tier, row.transfer_count,
        len(row.turns), total_masks,
    )
    return {"calls": [call], "call_turns": turns}


def _social_rows(row: SocialPostRow) -> RawRows:
    text, masks = mask_pii(row.text)
    author_name, name_masks = mask_pii(row.author_name)
    return {"social_posts": [(
        row.post_id, row.author_id, author_name, row.customer_id, row.posted_at, text,
        row.reposts, row.comments, row.likes, row.mentions_brand, row.is_repost, row.platform,
        masks + name_masks,
    )]}


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields))


_ts = pa.timestamp("us")

SOURCES: dict[str, SourceSpec] = {
    "surveys": SourceSpec(
        name="surveys",
        model=SurveyRow,
        tables={"surveys": _schema(
            ("survey_id", pa.string()), ("customer_id", pa.string()), ("interaction_id", pa.string()),
            ("channel", pa.string()), ("submitted_at", _ts), ("nps", pa.int8()), ("csat", pa.int8()),
            ("comment", pa.string()), ("pii_masks", pa.int32()),
        )},
        to_rows=_survey_rows,
    ),
    "calls": SourceSpec(
        name="calls",
        model=CallRow,
        tables={
            "calls": _schema(
                ("call_id", pa.string()), ("customer_id", pa.string()), ("customer_tier", pa.string()),
                ("agent_id", pa.string()), ("agent_team", pa.string()), ("started_at", _ts),
                ("queue_wait_seconds", pa.int32()), ("duration_seconds", pa.int32()),
                ("reason_code", pa.string()), ("resolved_flag", pa.bool_()),
                ("complaint_flag", pa.bool_()), ("escalation_tier", pa.int8()),
                ("transfer_count", pa.int32()), ("turn_count", pa.int32()), ("pii_masks", pa.int32()),
            ),
            "call_turns": _schema(
                ("call_id", pa.string()), ("turn_index", pa.int32()), ("speaker", pa.string()),
                ("start_s", pa.float64()), ("end_s", pa.float64()), ("text", pa.string()),
                ("pii_masks", pa.int32()),
            ),
        },
        to_rows=_call_rows,
    ),
    "social": SourceSpec(
        name="social",
        model=SocialPostRow,
        tables={"social_posts": _schema(
            ("post_id", pa.string()), ("author_id", pa.string()), ("author_name", pa.string()),
            ("customer_id", pa.string()), ("posted_at", _ts), ("text", pa.string()),
            ("reposts", pa.int32()), ("comments", pa.int32()), ("likes", pa.int32()),
            ("mentions_brand", pa.bool_()), ("is_repost", pa.bool_()), ("platform", pa.string()),
            ("pii_masks", pa.int32()),
        )},
        to_rows=_social_rows,
    ),
}


def text_lengths(contract: SourceContract, row: BaseModel) -> int:
    """Longest free text (the contract's masked fields) in a validated row, turns included."""
    lengths = [len(getattr(row, name)) for name, field in contract.fields.items()
               if field.mask and field.type == "VARCHAR"]
    if isinstance(row, CallRow):
        lengths.extend(len(turn.text) for turn in row.turns)
    return max(lengths, default=0)
