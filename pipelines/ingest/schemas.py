"""Row contracts for the three sources, as pydantic models.

Each model accepts what source systems really export once the source contract has mapped
headers and values (Weibo's ``created_at`` format, Excel's zh-CN dates, full-width digits, empty
strings for missing scores) and yields typed values.
Timestamps become naive Asia/Shanghai wall-clock times, the business time of every KPI.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"

CUSTOMER_TIERS = ("diamond", "gold", "silver", "standard")


class TimestampError(ValueError):
    """Raised for a timestamp in none of the accepted formats."""


class DamagedIdError(ValueError):
    """Raised for an ID a spreadsheet turned into a number (1.39E+10, 13800138000.0)."""


# Excel's zh-CN renderings: 2026/8/1 9:05, 2026/8/1, 2026年8月1日 10:00, 2026年8月1日 10时05分(30秒).
_ZH_TIMESTAMP = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:时點点]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2}(?:\.\d+)?)\s*秒?|分)?)?"
)
# Excel counts days from 1899-12-30; serials between these bounds are 1954..2119, never a plain ID.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_FLOATIFIED = re.compile(r"\d+\.0+")
_NUMBER_STARTS = frozenset("0123456789+-")


def _parse_text_timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        pass
    try:
        return datetime.strptime(text, _WEIBO_FORMAT)
    except ValueError:
        pass
    if match := _ZH_TIMESTAMP.fullmatch(text):
        year, month, day, hour, minute, second = match.groups()
        seconds = float(second or 0)
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                        int(seconds), round((seconds % 1) * 1_000_000))
    if _EXCEL_SERIAL.fullmatch(text):
        return _EXCEL_EPOCH + timedelta(days=float(text))
    raise ValueError(text)


def parse_timestamp(value: object, timezone: ZoneInfo) -> datetime:
    """Parse ISO 8601, Excel's zh-CN forms (``2026/8/1 9:05``, ``2026/8/1``, ``2026年8月1日 10:00``,
    ``2026年8月1日 10时05分``), an Excel serial date (46235.375) or Weibo's created_at, in
    half- or full-width digits, to naive wall-clock time in ``timezone`` (the business time zone)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = unicodedata.normalize("NFKC", value).strip()
        try:
            parsed = _parse_text_timestamp(text)
        except ValueError:
            raise TimestampError(f"unparseable timestamp {value.strip()[:40]!r}") from None
    else:
        raise TimestampError(f"unparseable timestamp {str(value)[:40]!r}")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone).replace(tzinfo=None)
    return parsed


def _identifier(value: object) -> object:
    """An ID as text; one a spreadsheet rounded or turned into a float is refused as damaged."""
    if value is None:
        return None
    value = _clean_text(value)
    # The cheap test first: a damaged ID starts with a digit or sign and holds a '.' or an 'e'.
    if (isinstance(value, str) and value[:1] in _NUMBER_STARTS and ("." in value or "e" in value or "E" in value)
            and (_SCIENTIFIC.fullmatch(value) or _FLOATIFIED.fullmatch(value))):
        raise DamagedIdError(
            f"{value!r} is an ID a spreadsheet turned into a number"
            f"{' and rounded (scientific notation): the real ID is lost' if 'e' in value.lower() else ''}; "
            "re-export with the ID column formatted as Text (Excel: select the column, Format Cells > Text, "
            "or import the CSV with that column as Text)"
        )
    return value


def _number(value: object) -> object:
    """Blank to None; full-width digits (９, １０) to ASCII, as Chinese input methods type them."""
    value = _blank_to_none(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    return value


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
    """Channel codes in any case; the contract's value map has turned 微信 into wechat already."""
    if isinstance(value, str):
        return value.strip().lower()
    return value


def _flag(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "y", "是"}:
            return True
        if lowered in {"0", "false", "no", "n", "否"}:
            return False
    return value


def _timestamp(value: object, info: ValidationInfo) -> datetime:
    """Validation passes the business time zone in its context: ``{"timezone": ZoneInfo(...)}``."""
    return parse_timestamp(value, info.context["timezone"])


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
Text = Annotated[str, BeforeValidator(_clean_text)]
RequiredId = Annotated[str, BeforeValidator(lambda value: _identifier("" if value is None else value)),
                       Field(min_length=1, max_length=64)]
OptionalId = Annotated[Annotated[str, Field(max_length=64)] | None,
                       BeforeValidator(lambda value: _identifier(_blank_to_none(value)))]
Count = Annotated[int, BeforeValidator(_number), Field(ge=0)]
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
    nps: Annotated[Annotated[int, Field(ge=0, le=10)] | None, BeforeValidator(_number)] = None
    csat: Annotated[Annotated[int, Field(ge=1, le=5)] | None, BeforeValidator(_number)] = None
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
