"""The alert rules and channels file (``alerts.yaml``, or ``VOC_ALERTS_CONFIG``), validated.

Every field has the default documented in the repository's ``alerts.yaml``. ``${VAR}`` in a
channel's values is replaced from the environment, so secrets stay out of the file.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

RULE_NAMES = ("emerging_topic", "complaint_spike", "level3_case", "vip_detractor", "repeat_complainer")


class _Strict(BaseModel):
    # No NaN or infinity (min_z: .nan would compare false with every z and mute the rule silently).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _mail_address(value: str) -> str:
    """``value`` (``a@b.cn`` or ``名字 <a@b.cn>``) if it is an address with a domain; ValueError otherwise."""
    spec = parseaddr(value)[1]
    try:
        address = Address(addr_spec=spec)
    except Exception:  # noqa: BLE001 - the email package raises several kinds for a malformed address
        address = None
    if address is None or not address.username or not address.domain:
        raise ValueError("not an e-mail address (name@example.com)")
    return value


class EmergingTopicRule(_Strict):
    enabled: bool = True
    min_volume: int = Field(10, ge=1)
    min_baseline_weeks: int = Field(4, ge=1)
    min_z: float = 3.0


class ComplaintSpikeRule(_Strict):
    enabled: bool = True
    baseline_days: int = Field(28, ge=1)
    min_complaints: int = Field(5, ge=1)
    min_z: float = 3.0


class Level3CaseRule(_Strict):
    enabled: bool = True


class VipDetractorRule(_Strict):
    enabled: bool = True
    tiers: tuple[Literal["diamond", "gold", "silver", "standard"], ...] = ("diamond", "gold")


class RepeatComplainerRule(_Strict):
    enabled: bool = True
    complaints: int = Field(3, ge=2)
    window_days: int = Field(30, ge=1)


class Rules(_Strict):
    emerging_topic: EmergingTopicRule = EmergingTopicRule()
    complaint_spike: ComplaintSpikeRule = ComplaintSpikeRule()
    level3_case: Level3CaseRule = Level3CaseRule()
    vip_detractor: VipDetractorRule = VipDetractorRule()
    repeat_complainer: RepeatComplainerRule = RepeatComplainerRule()


class Retry(_Strict):
    attempts: int = Field(3, ge=1)
    first_wait_s: float = Field(1.0, ge=0)
    timeout_s: float = Field(10.0, gt=0)


SIGNED_TYPES = ("dingtalk", "feishu")  # the bots whose requests may carry a signature


class Channel(_Strict):
    """One destination. ``smtp`` needs host, sender and recipients; the bots and ``webhook`` need url.
    ``secret`` is the signing secret of a 钉钉 bot with 加签 or a 飞书 bot with 签名校验 (SEC…), for those two only."""

    name: str
    type: Literal["smtp", "wecom", "dingtalk", "feishu", "webhook"]
    rules: tuple[str, ...] = RULE_NAMES
    url: str | None = None
    host: str | None = None
    port: int = 25
    ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str | None = None
    recipients: tuple[str, ...] = ()
    secret: str | None = None

    @field_validator("sender")
    @classmethod
    def _sender_is_an_address(cls, value: str | None) -> str | None:
        return None if value is None else _mail_address(value)

    @field_validator("recipients")
    @classmethod
    def _recipients_are_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_mail_address(address) for address in value)

    def wants(self, rule: str) -> bool:
        return rule in self.rules


class AlertConfig(_Strict):
    dashboard_url: str = "http://127.0.0.1:8088"
    rules: Rules = Rules()
    retry: Retry = Retry()
    channels: tuple[Channel, ...] = ()

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_url_is_absolute(cls, value: str) -> str:
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("give the address people open Superset at, with http:// or https:// "
                             "(e.g. https://voc.example.cn): links in alerts are built on it")
        return value


class AlertConfigError(ValueError):
    """The alerts file is unreadable or invalid; the message names the file and the field."""


def _expand(value: object, unset: list[str]) -> object:
    """``${VAR}`` read from the environment; the names of unset ones are added to ``unset``."""
    if isinstance(value, str):
        def read(match: re.Match[str]) -> str:
            if match.group(1) not in os.environ:
                unset.append(match.group(1))
            return os.environ.get(match.group(1), "")

        return re.sub(r"\$\{(\w+)\}", read, value)
    if isinstance(value, list):
        return [_expand(v, unset) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, unset) for k, v in value.items()}
    return value


def _problems(error: ValidationError) -> str:
    """Every problem as ``where: what``, without the values given: a mistyped key's value may be a
    password or a bot's address with its token, already read from the environment."""
    return "; ".join(f"{'.'.join(str(part) for part in item['loc']) or 'top level'}: {item['msg']}"
                     for item in error.errors(include_input=False, include_url=False))


def load_alert_config(path: Path, superset_port: int = 8088) -> AlertConfig:
    """Read and validate ``path``. AlertConfigError, naming the file and the key, for a file that is
    missing (a mistyped ``VOC_ALERTS_CONFIG`` would otherwise mean no channel, silently), not UTF-8,
    not YAML or not a mapping, a value of the wrong kind, or a ``${VAR}`` that is not set. An empty
    file means every default; without ``dashboard_url``, links point at this machine's Superset on
    ``superset_port`` (``VOC_SUPERSET_PORT``)."""
    if not path.exists():
        raise AlertConfigError(f"{path} does not exist (VOC_ALERTS_CONFIG): give the alerts file, or leave "
                               "the variable unset for the repository's alerts.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise AlertConfigError(f"{path} is not UTF-8 text: save it as UTF-8") from None
    except yaml.YAMLError as error:
        raise AlertConfigError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(raw, dict):
        raise AlertConfigError(f"{path}: the top level must be a mapping (rules:, channels:, retry:), "
                               f"not a {type(raw).__name__}")
    raw.setdefault("dashboard_url", f"http://127.0.0.1:{superset_port}")
    unset: list[str] = []
    channels = raw.get("channels") or []
    raw["channels"] = [_expand(channel, unset) for channel in channels] if isinstance(channels, list) else channels
    if unset:
        raise AlertConfigError(f"{path}: environment variable(s) {', '.join(sorted(set(unset)))} not set "
                               "(named as ${VAR} in channels)")
    try:
        config = AlertConfig.model_validate(raw)
    except ValidationError as error:
        raise AlertConfigError(f"{path}: {_problems(error)}") from None
    names = [channel.name for channel in config.channels]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # the ledger knows a channel by its name: two would share what each was sent
        raise AlertConfigError(f"{path}: more than one channel named {', '.join(map(repr, repeated))}; "
                               "give each its own name")
    for channel in config.channels:
        unknown = set(channel.rules) - set(RULE_NAMES)
        if unknown:
            raise AlertConfigError(f"{path}: channel {channel.name!r} names unknown rules {sorted(unknown)}")
        needed = ("host", "sender", "recipients") if channel.type == "smtp" else ("url",)
        missing = [field for field in needed if not getattr(channel, field)]
        if missing:
            raise AlertConfigError(f"{path}: channel {channel.name!r} ({channel.type}) needs {', '.join(missing)}")
        if channel.ssl and channel.starttls:
            raise AlertConfigError(f"{path}: channel {channel.name!r} sets both ssl and starttls: ssl: true for a server "
                                   "that speaks TLS from the start (port 465), starttls: true for one that upgrades (587)")
        if channel.secret and channel.type not in SIGNED_TYPES:
            raise AlertConfigError(f"{path}: channel {channel.name!r} ({channel.type}) takes no secret: signing is "
                                   "for dingtalk (加签) and feishu (签名校验) bots")
    return config
