"""One alert in each channel's payload format, all in Chinese with the numbers, the (masked)
evidence and a link to the filtered dashboard.

Formats: 企业微信 group bot ``markdown``; 钉钉 custom robot ``markdown``; 飞书 custom bot
``interactive`` card with a markdown element and a button; a generic JSON webhook; e-mail.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formatdate

from pipelines.alerts.rules import Alert

RULE_ZH = {"emerging_topic": "新兴主题", "complaint_spike": "投诉激增", "level3_case": "三级投诉(第三方维权)",
           "vip_detractor": "高价值客户贬损", "repeat_complainer": "重复投诉"}


def markdown(alert: Alert, with_title: bool = True) -> str:
    lines = [f"**{alert.title}**"] if with_title else []
    lines.append(f"> 规则：{RULE_ZH[alert.rule]} · 日期：{alert.event_date}")
    lines += [f"- {label}：{value}" for label, value in alert.facts]
    if alert.evidence:
        lines.append(f"> 原话（已脱敏）：「{alert.evidence}」")
    lines.append(f"[打开看板]({alert.link})")
    return "\n".join(lines)


def plain_text(alert: Alert) -> str:
    lines = [alert.title, f"规则：{RULE_ZH[alert.rule]}  日期：{alert.event_date}", ""]
    lines += [f"{label}：{value}" for label, value in alert.facts]
    if alert.evidence:
        lines += ["", f"原话（已脱敏）：「{alert.evidence}」"]
    lines += ["", f"打开看板：{alert.link}", "", f"告警编号：{alert.key}"]
    return "\n".join(lines)


def wecom(alert: Alert) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": markdown(alert)}}


def dingtalk(alert: Alert) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": markdown(alert)}}


def feishu(alert: Alert) -> dict:
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"template": "red", "title": {"tag": "plain_text", "content": alert.title}},
        "elements": [
            {"tag": "markdown", "content": markdown(alert, with_title=False)},
            {"tag": "action", "actions": [{"tag": "button", "type": "primary", "url": alert.link,
                                           "text": {"tag": "plain_text", "content": "打开看板"}}]},
        ],
    }}


def generic(alert: Alert) -> dict:
    return {"alert_key": alert.key, "rule": alert.rule, "rule_name": RULE_ZH[alert.rule],
            "event_date": alert.event_date.isoformat(), "title": alert.title,
            "facts": dict(alert.facts), "evidence": alert.evidence, "link": alert.link}


WEBHOOK_PAYLOADS = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu, "webhook": generic}


def email(alert: Alert, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    """The alert as an e-mail, with the Date and Message-ID headers RFC 5322 asks of the sender (mail
    systems score a message without them as spam). The Message-ID is the alert's key hashed under the
    sender's domain, so a retry of the same alert carries the same id and a mail client shows it once."""
    message = EmailMessage()
    message["Subject"] = f"[VoC 告警] {alert.title}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2].strip("> ") or "voc.invalid"
    message["Message-ID"] = f"<{hashlib.sha256(alert.key.encode()).hexdigest()[:32]}.alert@{domain}>"
    message["X-VoC-Alert-Key"] = alert.key
    message.set_content(plain_text(alert))
    return message
