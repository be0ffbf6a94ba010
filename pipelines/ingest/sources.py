"""The three sources: where their files land, how to read them, and which raw rows they make.

Adding a source means adding one ``SourceSpec`` here: the loader, the Dagster assets and the
reconciliation checks are generic over it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel

from pipelines.ingest.masking import mask_pii, mask_turns
from pipelines.ingest.readers import Record, read_csv, read_jsonl
from pipelines.ingest.schemas import CallRow, SocialPostRow, SurveyRow

# Raw rows are plain tuples in the column order of their arrow schema (lineage appended later).
RawRows = dict[str, list[tuple]]

SURVEY_HEADER_ALIASES = {
    "问卷编号": "survey_id", "客户编号": "customer_id", "服务单号": "interaction_id",
    "渠道": "channel", "提交时间": "submitted_at", "推荐度": "nps", "满意度": "csat",
    "意见": "comment", "评价内容": "comment",
}

SURVEY_REQUIRED_COLUMNS = ("survey_id", "customer_id", "channel", "submitted_at")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    suffixes: tuple[str, ...]
    model: type[BaseModel]
    id_field: str
    text_fields: tuple[str, ...]
    tables: dict[str, pa.Schema]
    read: Callable[[Path], Iterator[Record]]
    to_rows: Callable[[BaseModel], RawRows]


def _survey_rows(row: SurveyRow) -> RawRows:
    comment, masks = mask_pii(row.comment)
    return {"surveys": [(
        row.survey_id, row.customer_id, row.interaction_id, row.channel, row.submitted_at,
        row.nps, row.csat, comment, masks,
    )]}


def _call_rows(row: CallRow) -> RawRows:
    # Masked as a whole call: ASR may split one number over two turns of the same speaker.
    masked = mask_turns([(turn.speaker, turn.text) for turn in row.turns])
    turns = [(row.call_id, index, turn.speaker, turn.start_s, turn.end_s, text, masks)
             for index, (turn, (text, masks)) in enumerate(zip(row.turns, masked))]
    total_masks = sum(masks for _, masks in masked)
    call = (
        row.call_id, row.customer_id, row.customer_tier, row.agent_id, row.agent_team,
        row.started_at, row.queue_wait_seconds, row.duration_seconds, row.reason_code,
        row.resolved_flag, row.complaint_flag, row.escalation_tier, row.transfer_count,
        len(row.turns), total_masks, row.direction,
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
        suffixes=(".csv",),
        model=SurveyRow,
        id_field="survey_id",
        text_fields=("comment",),
        tables={"surveys": _schema(
            ("survey_id", pa.string()), ("customer_id", pa.string()), ("interaction_id", pa.string()),
            ("channel", pa.string()), ("submitted_at", _ts), ("nps", pa.int8()), ("csat", pa.int8()),
            ("comment", pa.string()), ("pii_masks", pa.int32()),
        )},
        read=lambda path: read_csv(path, SURVEY_HEADER_ALIASES, SURVEY_REQUIRED_COLUMNS),
        to_rows=_survey_rows,
    ),
    "calls": SourceSpec(
        name="calls",
        suffixes=(".jsonl", ".json"),
        model=CallRow,
        id_field="call_id",
        text_fields=(),
        tables={
            "calls": _schema(
                ("call_id", pa.string()), ("customer_id", pa.string()), ("customer_tier", pa.string()),
                ("agent_id", pa.string()), ("agent_team", pa.string()), ("started_at", _ts),
                ("queue_wait_seconds", pa.int32()), ("duration_seconds", pa.int32()),
                ("reason_code", pa.string()), ("resolved_flag", pa.bool_()),
                ("complaint_flag", pa.bool_()), ("escalation_tier", pa.int8()),
                ("transfer_count", pa.int32()), ("turn_count", pa.int32()), ("pii_masks", pa.int32()),
                ("direction", pa.string()),
            ),
            "call_turns": _schema(
                ("call_id", pa.string()), ("turn_index", pa.int32()), ("speaker", pa.string()),
                ("start_s", pa.float64()), ("end_s", pa.float64()), ("text", pa.string()),
                ("pii_masks", pa.int32()),
            ),
        },
        read=read_jsonl,
        to_rows=_call_rows,
    ),
    "social": SourceSpec(
        name="social",
        suffixes=(".jsonl", ".json"),
        model=SocialPostRow,
        id_field="post_id",
        text_fields=("text",),
        tables={"social_posts": _schema(
            ("post_id", pa.string()), ("author_id", pa.string()), ("author_name", pa.string()),
            ("customer_id", pa.string()), ("posted_at", _ts), ("text", pa.string()),
            ("reposts", pa.int32()), ("comments", pa.int32()), ("likes", pa.int32()),
            ("mentions_brand", pa.bool_()), ("is_repost", pa.bool_()), ("platform", pa.string()),
            ("pii_masks", pa.int32()),
        )},
        read=read_jsonl,
        to_rows=_social_rows,
    ),
}


def text_lengths(spec: SourceSpec, row: BaseModel) -> int:
    """Longest free text in a validated row, turns included."""
    lengths = [len(getattr(row, name)) for name in spec.text_fields]
    if isinstance(row, CallRow):
        lengths.extend(len(turn.text) for turn in row.turns)
    return max(lengths, default=0)
