"""The alert rules and channels file (``alerts.yaml``, or ``VOC_ALERTS_CONFIG``), validated.

Every field has the default documented in the repository's ``alerts.yaml``. ``${VAR}`` in a
channel's values is replaced from the environment, so secrets stay out of the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

RULE_NAMES = ("emerging_topic", "complaint_spike", "level3_case", "vip_detractor", "repeat_complainer")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Channel(_Strict):
    """One destination. ``smtp`` needs host, sender and recipients; the bots and ``webhook`` need url."""

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

    def wants(self, rule: str) -> bool:
        return rule in self.rules


class AlertConfig(_Strict):
    dashboard_url: str = "http://127.0.0.1:8088"
    rules: Rules = Rules()
    retry: Retry = Retry()
    channels: tuple[Channel, ...] = ()


class AlertConfigError(ValueError):
    """The alerts file is unreadable or invalid; the message names the file and the field."""


def _expand(value: object) -> object:
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


def load_alert_config(path: Path) -> AlertConfig:
    """Read and validate ``path``; a missing file means every default (no channel)."""
    if not path.exists():
        return AlertConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        raw["channels"] = [_expand(channel) for channel in raw.get("channels") or []]
        config = AlertConfig.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as error:
        first = str(error).splitlines()
        raise AlertConfigError(f"{path}: {' '.join(first[:3])}") from None
    for channel in config.channels:
        unknown = set(channel.rules) - set(RULE_NAMES)
        if unknown:
            raise AlertConfigError(f"{path}: channel {channel.name!r} names unknown rules {sorted(unknown)}")
        needed = ("host", "sender", "recipients") if channel.type == "smtp" else ("url",)
        missing = [field for field in needed if not getattr(channel, field)]
        if missing:
            raise AlertConfigError(f"{path}: channel {channel.name!r} ({channel.type}) needs {', '.join(missing)}")
    return config
