"""Row contracts for the three sources, as pydantic models.

Each model accepts what source systems really export (Chinese CSV headers and channel names,
Weibo's ``created_at`` format, empty strings for missing scores) and yields typed values.
Timestamps become naive Asia/Shanghai wall-clock times, the business time of every KPI.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from pipelines.settings import get_settings

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TZ = ZoneInfo(get_settings().timezone)
_WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"

CHANNEL_ALIASES = {
    "电话": "call", "热线": "call", "call": "call", "phone": "call",
    "手机app": "app", "app": "app", "微信": "wechat", "wechat": "wechat",
    "营业厅": "store", "门店": "store", "store": "store", "官网": "web", "web": "web",
    "在线客服": "chat", "chat": "chat", "短信": "sms", "sms": "sms",
}
CUSTOMER_TIERS = ("diamond", "gold", "silver", "standard")


class TimestampError(ValueError):
    """Raised for a timestamp in none of the accepted formats."""


def parse_timestamp(value: object) -> datetime:
    """Parse ISO 8601, 'YYYY/MM/DD HH:MM[:SS]' (Excel) or Weibo's created_at, to Shanghai time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            try:
                parsed = datetime.strptime(text, _WEIBO_FORMAT)
            except ValueError:
                raise TimestampError(f"unparseable timestamp {text[:40]!r}") from None
    else:
        raise TimestampError(f"unparseable timestamp {str(value)[:40]!r}")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(_TZ).replace(tzinfo=None)
    return parsed


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _clean_text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value).strip()
    return value


def _channel(value: object) -> object:
    if isinstance(value, str):
        return CHANNEL_ALIASES.get(value.strip().lower(), value.strip().lower())
    return value


def _flag(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "y", "是"}:
            return True
        if lowered in {"0", "false", "no", "n", "否"}:
            return False
    return value


Timestamp = Annotated[datetime, BeforeValidator(parse_timestamp)]
Text = Annotated[str, BeforeValidator(_clean_text)]
RequiredId = Annotated[str, BeforeValidator(_clean_text), Field(min_length=1, max_length=64)]
OptionalId = Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_blank_to_none)]
Count = Annotated[int, BeforeValidator(_blank_to_none), Field(ge=0)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Channel = Annotated[
    Literal["call", "app", "wechat", "store", "web", "chat", "sms"], BeforeValidator(_channel)
]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class SurveyRow(_Row):
    survey_id: RequiredId
    customer_id: RequiredId
    interaction_id: OptionalId = None
    channel: Channel
    submitted_at: Timestamp
    nps: Annotated[Annotated[int, Field(ge=0, le=10)] | None, BeforeValidator(_blank_to_none)] = None
    csat: Annotated[Annotated[int, Field(ge=1, le=5)] | None, BeforeValidator(_blank_to_none)] = None
    comment: Text = ""

    @model_validator(mode="after")
    def _has_a_score(self) -> "SurveyRow":
        if self.nps is None and self.csat is None:
            raise ValueError("no score: a survey needs an NPS (0-10) or a CSAT (1-5)")
        return self


class CallTurn(_Row):
    speaker: Literal["customer", "agent"]
    start_s: Annotated[float, Field(ge=0)]
    end_s: Annotated[float, Field(ge=0)]
    text: Text = ""


class CallRow(_Row):
    call_id: RequiredId
    customer_id: RequiredId
    customer_tier: Literal["diamond", "gold", "silver", "standard"] = "standard"
    agent_id: RequiredId
    agent_team: RequiredId
    started_at: Timestamp
    queue_wait_seconds: Count
    duration_seconds: Count
    reason_code: RequiredId
    resolved_flag: Flag
    complaint_flag: Flag
    escalation_tier: Annotated[int, Field(ge=1, le=4)] = 1
    transfer_count: Count = 0
    # An outbound call (a follow-up, 回访) is the company calling, not a customer contact; older
    # exports without the field hold inbound calls only.
    direction: Literal["inbound", "outbound"] = "inbound"
    turns: Annotated[list[CallTurn], Field(min_length=1)]


class SocialPostRow(_Row):
    post_id: RequiredId
    author_id: RequiredId
    author_name: Text = ""
    customer_id: OptionalId = None
    posted_at: Timestamp
    text: Annotated[str, BeforeValidator(_clean_text), Field(min_length=1)]
    reposts: Count = 0
    comments: Count = 0
    likes: Count = 0
    mentions_brand: Flag = False
    is_repost: Flag = False
    platform: Text = "weibo"
