"""Row validation generated from the source contracts.

``row_model(contract)`` builds a pydantic model from a contract's fields: their types, whether
they are required, nullable or defaulted, identifiers, choices and bounds, list items, and the
contract's named cross-field rules (``RULES``). Adding a field to a contract is therefore all it
takes for it to be validated. The validators accept what source systems really export once the
contract has mapped headers and values (Weibo's ``created_at`` format, Excel's zh-CN dates,
full-width digits, empty strings for missing scores) and yield typed values.
Timestamps become naive Asia/Shanghai wall-clock times, the business time of every KPI.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from collections.abc import Callable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, create_model, model_validator

from pipelines.ingest.contracts import ContractError, FieldContract, SourceContract
from sentiment.contentless import SURVEY_TOOL_BLANKS


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"

class TimestampError(ValueError):
    """Raised for a timestamp in none of the accepted formats."""


class DamagedIdError(ValueError):
    """Raised for an ID a spreadsheet turned into a number (1.39E+10, 13800138000.0)."""


class RuleError(ValueError):
    """A record breaking one of its contract's cross-field rules; ``code`` is the quarantine reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# Excel's zh-CN renderings: 2026/8/1 9:05, 2026/8/1, 2026年8月1日 10:00, 2026年8月1日 10时05分(30秒).
_ZH_TIMESTAMP = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*(\d{1,2})\s*[:时點点]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2}(?:\.\d+)?)\s*秒?|分)?)?"
)
# Excel counts days from 1899-12-30; serials between these bounds are 1954..2119, never a plain ID.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
# Unix time in seconds (10 digits) or milliseconds (13), 2001-09 to 2033-05: no other timestamp is all digits.
# A 12-hour clock's half of the day, as Chinese Excel (上午/下午) and English exports (AM/PM) write it.
_HALF_DAY = re.compile(r"\s*(上午|下午|中午|晚上|凌晨|早上|AM|PM|am|pm|a\.m\.|p\.m\.)\s*")
_AFTERNOON = frozenset({"下午", "晚上", "pm", "p.m."})
_MORNING = frozenset({"上午", "凌晨", "早上", "am", "a.m."})
_RELATIVE = re.compile(r"前$|刚刚|昨天|今天|前天")
# Month and day without a year, as Weibo and crawler exports show this year's posts: 08-03 08:31, 8月3日 08:31.
_YEARLESS = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?")
_UNIX_TIME = re.compile(r"1\d{9}(?:\d{3})?")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_FLOATIFIED = re.compile(r"\d+\.0+")
_NUMBER_STARTS = frozenset("0123456789+-")


def _parse_text_timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        pass
    if half := _HALF_DAY.search(text):  # 2026/11/29 下午 3:05:00, 11/29/2026 12:30 PM
        parsed = _parse_text_timestamp(text[:half.start()] + " " + text[half.end():])
        marker = half.group(1).lower()
        if marker in _AFTERNOON and parsed.hour < 12 or marker == "中午" and parsed.hour < 11:
            return parsed + timedelta(hours=12)
        return parsed - timedelta(hours=12) if marker in _MORNING and parsed.hour == 12 else parsed
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
    if _UNIX_TIME.fullmatch(text):  # seconds or milliseconds since 1970 UTC, as JSON APIs give them
        return datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), tz=dt_timezone.utc)
    raise ValueError(text)


def _yearless(text: str, day: date | None) -> datetime | None:
    """``08-03 08:31`` in the year of ``day`` (the partition the file landed in), or the year before when
    that would put it more than two days after ``day`` (a December post landed in January); None when
    ``text`` is no such form or no day is known."""
    match = _YEARLESS.fullmatch(text)
    if match is None or day is None:
        return None
    month, day_of_month, hour, minute, second = (int(group or 0) for group in match.groups())
    for year in (day.year, day.year - 1):
        try:
            parsed = datetime(year, month, day_of_month, hour, minute, second)
        except ValueError:
            return None
        if parsed.date() <= day + timedelta(days=2):
            return parsed
    return None


def parse_timestamp(value: object, timezone: ZoneInfo, day: date | None = None) -> datetime:
    """Parse ISO 8601, Excel's zh-CN forms (``2026/8/1 9:05``, ``2026/8/1``, ``2026年8月1日 10:00``,
    ``2026年8月1日 10时05分``), an Excel serial date (46235.375), Unix time in seconds or milliseconds
    (1764381600, as a number or text) or Weibo's created_at, in
    half- or full-width digits, to naive wall-clock time in ``timezone`` (the business time zone). Given the
    partition ``day``, a month and day without a year (``08-03 08:31``, ``8月3日 08:31``) too (``_yearless``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = unicodedata.normalize("NFKC", value).strip()
        try:
            parsed = _parse_text_timestamp(text)
        except ValueError:
            if (yearless := _yearless(text, day)) is not None:
                return yearless
            if _YEARLESS.fullmatch(text):
                raise TimestampError(f"timestamp {value.strip()[:40]!r} has no year: land the file in its day's folder "
                                     "(the year is taken from it) or export full dates") from None
            if _RELATIVE.search(text):
                raise TimestampError(f"relative time {value.strip()[:40]!r}: it cannot be placed without the moment "
                                     "it was exported; export absolute times") from None
            raise TimestampError(f"unparseable timestamp {value.strip()[:40]!r}") from None
    else:
        raise TimestampError(f"unparseable timestamp {str(value)[:40]!r}")
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(timezone).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59:59Z, an exporter's "never", is past year 9999 here
            raise TimestampError(f"timestamp {str(value).strip()[:40]!r} is out of range") from None
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


# A count or score as Chinese exports write it: 3,456; 1.2万 and 10万+ (social tools); 10分, 5星 (surveys).
_WRITTEN_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(万|亿|[wWkK])?\+?\s*(?:分|星|颗星)?")
# 小红书 and 抖音 write 1.2w and 1.5k.
_UNITS = {"万": 10_000, "亿": 100_000_000, "w": 10_000, "W": 10_000, "k": 1_000, "K": 1_000}


def _number(value: object) -> object:
    """Blank to None; full-width digits (９, １０) to ASCII, as Chinese input methods type them; thousands
    separators, 万 and 亿 (and w, k), a trailing + and a trailing 分 or 星 read (1.2万 → 12000, 10万+ → 100000: a
    lower bound, as the tool shows it; 1.5k → 1500)."""
    value = _blank_to_none(value)
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if text.isdigit():
        return text
    match = _WRITTEN_NUMBER.fullmatch(text)
    if match is None or (match.group(0) == match.group(1) and "," not in text):
        return text
    number = float(match.group(1).replace(",", "")) * _UNITS.get(match.group(2), 1)
    return str(int(number)) if number.is_integer() else str(number)


# What survey tools write for a question left unanswered (问卷星: (跳过), (空)), full-width brackets or not.
_NO_ANSWER = frozenset(f"{left}{word}{right}" for word in SURVEY_TOOL_BLANKS for left, right in (("(", ")"), ("（", "）")))


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and (not value.strip() or value.strip() in _NO_ANSWER):
        return None
    return value


def _clean_text(value: object) -> object:
    """Text without control characters or edge spaces; a JSON number in a text field (an agent's
    number, a Weibo id: 1032, 6123456789) as its digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value).strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _choice(value: object) -> object:
    """A choice in any case (the contract's value map has turned 微信 into wechat already)."""
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
    """Validation passes the business time zone in its context, and the partition day when there is one:
    ``{"timezone": ZoneInfo(...), "day": date(...)}``."""
    return parse_timestamp(value, info.context["timezone"], info.context.get("day"))


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]


def _required_identifier(value: object) -> object:
    return _identifier("" if value is None else value)


def _optional_identifier(value: object) -> object:
    return _identifier(_blank_to_none(value))


def _optional_text(value: object) -> object:
    value = _blank_to_none(value)
    return None if value is None else _clean_text(value)


def _optional_timestamp(value: object, info: ValidationInfo) -> datetime | None:
    return None if _blank_to_none(value) is None else _timestamp(value, info)


_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT"})
_ROW_CONFIG = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


# What each integer type holds: a count past it (a millisecond timestamp in a likes column) is refused
# on its row rather than failing the partition's write.
_TYPE_RANGE = {"TINYINT": (-2**7, 2**7 - 1), "SMALLINT": (-2**15, 2**15 - 1), "INTEGER": (-2**31, 2**31 - 1),
               "BIGINT": (-2**63, 2**63 - 1)}


def _bounds(field: FieldContract) -> dict[str, float]:
    """The contract's min and max, within what the field's integer type holds."""
    low, high = _TYPE_RANGE.get(field.type, (None, None))
    lows = [bound for bound in (field.minimum, low) if bound is not None]
    highs = [bound for bound in (field.maximum, high) if bound is not None]
    return {**({"ge": max(lows)} if lows else {}), **({"le": min(highs)} if highs else {})}


def _annotation(field: FieldContract, model_name: str) -> Any:
    """The pydantic type of one field: its value type and constraints, with the before-validator
    that turns exported text into it (blank to None for a nullable field)."""
    nullable = field.nullable
    if field.type == "LIST":
        item = _model(f"{model_name}_{field.name}", field.items, ())
        return Annotated[list[item], Field(min_length=1 if field.required else 0)]
    if field.type == "VARCHAR" and field.identifier:
        if field.required:
            return Annotated[str, BeforeValidator(_required_identifier), Field(min_length=1, max_length=64)]
        return Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_optional_identifier)]
    if field.type == "VARCHAR" and field.choices:
        kind, before = Literal[field.choices], _choice
    elif field.type == "VARCHAR":
        if nullable:
            return Annotated[str | None, BeforeValidator(_optional_text)]
        if field.default:  # a blank cell says no more than a missing column (平台 left empty: weibo)
            default = str(field.default)
            return Annotated[str, BeforeValidator(lambda value: _clean_text(value) or default)]
        return Annotated[str, BeforeValidator(_clean_text), Field(min_length=1 if field.required else 0)]
    elif field.type == "TIMESTAMP":
        return Annotated[datetime | None, BeforeValidator(_optional_timestamp)] if nullable else Timestamp
    elif field.type in _INTEGER_TYPES:
        kind, before = Annotated[int, Field(**_bounds(field))], _number
    elif field.type == "DOUBLE":
        kind, before = Annotated[float, Field(**_bounds(field))], _number
    elif field.type == "BOOLEAN":
        kind, before = bool, _flag
    else:
        raise ContractError(f"field {field.name!r} has type {field.type}, which no validator handles "
                            "(VARCHAR, TIMESTAMP, TINYINT, SMALLINT, INTEGER, BIGINT, DOUBLE, BOOLEAN, LIST)")
    if nullable:
        return Annotated[kind | None, BeforeValidator(lambda value: before(_blank_to_none(value)))]
    return Annotated[kind, BeforeValidator(before)]


def _model(name: str, fields: dict[str, FieldContract], rules: tuple[str, ...]) -> type[BaseModel]:
    definitions = {
        field.name: (_annotation(field, name), ... if field.required else field.default)
        for field in fields.values()
    }
    unknown = [rule for rule in rules if rule not in RULES]
    if unknown:
        raise ContractError(f"unknown rule(s) {', '.join(unknown)}; the rules are {', '.join(RULES)}")
    validators = {rule: model_validator(mode="after")(RULES[rule]) for rule in rules}
    return create_model(name, __config__=_ROW_CONFIG, __validators__=validators, **definitions)


def row_model(contract: SourceContract) -> type[BaseModel]:
    """The pydantic model validating one record of ``contract``'s source (context: ``{"timezone": ZoneInfo}``).

    Raises ``ContractError`` for a field type or rule no validator handles."""
    return _model(f"{contract.source.title()}Row", contract.fields, contract.rules)


def _needs_a_score(row: BaseModel) -> BaseModel:
    """A survey answers at least one of its two questions; either alone is a response."""
    if row.nps is None and row.csat is None:
        raise RuleError("no_score", "no score: a survey needs an NPS (0-10) or a CSAT (1-5)")
    return row


# A turn may end this long after the call's talk time (holds, a duration rounded down) and still be the call's.
_TURN_OVERRUN_SECONDS = 600


def _turn_times(row: BaseModel) -> BaseModel:
    """Each ASR turn ends after it starts, and within the call: a turn ending at 96,120 s of a 95 s call was
    timed in milliseconds, and a call's turn times feed its timeline."""
    for index, turn in enumerate(row.turns, start=1):
        if turn.end_s < turn.start_s:
            raise RuleError("bad_value", f"turn {index} ends ({turn.end_s:g} s) before it starts ({turn.start_s:g} s)")
        if turn.end_s > 2 * row.duration_seconds + _TURN_OVERRUN_SECONDS:
            raise RuleError("bad_value", f"turn {index} ends at {turn.end_s:g} s, long after the call's "
                                         f"{row.duration_seconds} s of talk: turn times in milliseconds? Send seconds")
    return row


# Cross-field rules a contract names under ``rules``: each takes the validated row and returns it.
RULES: dict[str, Callable[[BaseModel], BaseModel]] = {"needs_a_score": _needs_a_score, "turn_times": _turn_times}

