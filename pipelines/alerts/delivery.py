"""Send one alert to one channel, retrying with exponential backoff (tenacity) and paced to the group
bots' published rate limits (limits).

``deliver`` never raises for a delivery problem: it returns a ``DeliveryResult`` saying how many
attempts were made and the last error, for the ledger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from time import sleep, time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from tenacity import Retrying, stop_after_attempt, wait_exponential

from pipelines.alerts.config import Channel, Retry
from pipelines.alerts.messages import WEBHOOK_PAYLOADS, email
from pipelines.alerts.rules import Alert


class DeliveryError(RuntimeError):
    """The receiver refused or could not be reached."""


@dataclass(frozen=True)
class DeliveryResult:
    sent: bool
    attempts: int
    error: str | None


def receiver(url: str) -> str:
    """The part of a webhook address that may be shown (scheme, host and port): the bots' tokens sit in the
    query (WeCom's key, DingTalk's access_token) or in the path (Feishu's hook id)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "(address not shown)"


# A receiver's answer that means "accepted": the bots' errcode/code 0, and the 200 that some generic
# webhooks echo in their body ({"code": 200, "msg": "ok"}).
_ACCEPTED_CODES = (0, 200, "0", "200", None)


def _post_json(url: str, payload: dict, timeout_s: float) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            answer = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} from {receiver(url)}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        # OSError: refused, reset, timed out; HTTPException: an answer that is not HTTP or is cut off;
        # ValueError: an address urllib cannot use. None may fail the night.
        raise DeliveryError(f"{receiver(url)} unreachable: {type(error).__name__}: {error}") from None
    # The group bots answer HTTP 200 with an error code in the body (errcode / code != 0).
    try:
        result = json.loads(answer) if answer.strip() else {}
    except json.JSONDecodeError:
        return
    code = result.get("errcode", result.get("code", 0)) if isinstance(result, dict) else 0
    if code not in _ACCEPTED_CODES:
        raise DeliveryError(f"receiver answered error {code}: {result.get('errmsg') or result.get('msg')}")


def _send_mail(channel: Channel, alert: Alert, timeout_s: float) -> None:
    message = email(alert, channel.sender or "", channel.recipients)
    try:
        if channel.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(channel.host or "", channel.port, timeout=timeout_s,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(channel.host or "", channel.port, timeout=timeout_s)
        with server:
            if channel.starttls:
                server.starttls(context=ssl.create_default_context())
            if channel.username:
                server.login(channel.username, channel.password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        raise DeliveryError(f"SMTP {channel.host}:{channel.port}: {error}") from None


def _signature(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()).decode()


def signed(channel: Channel, payload: dict, now_s: float) -> tuple[str, dict]:
    """The address and body of one request, signed when the channel has a ``secret``, as each bot checks it.

    钉钉 (custom robot, 安全设置 加签): ``timestamp`` in milliseconds and ``sign`` = Base64(HMAC-SHA256, key =
    secret, message = "timestamp\nsecret"), URL-encoded, added to the address. 飞书 (custom bot, 签名校验):
    ``timestamp`` in seconds and ``sign`` = Base64(HMAC-SHA256, key = "timestamp\nsecret", empty message),
    added to the body. A signature is made per attempt: both bots refuse one more than an hour old.
    """
    url = channel.url or ""
    if not channel.secret:
        return url, payload
    if channel.type == "dingtalk":
        stamp = str(int(now_s * 1000))
        sign = urllib.parse.quote_plus(_signature(channel.secret, f"{stamp}\n{channel.secret}"))
        return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}", payload
    stamp = str(int(now_s))
    return url, {"timestamp": stamp, "sign": _signature(f"{stamp}\n{channel.secret}", ""), **payload}


# What each group bot accepts, from its documentation: 企业微信 群机器人 20 条/分钟; 钉钉 自定义机器人 20 条/分钟
# (more and the bot is silenced for 10 minutes); 飞书 自定义机器人 100 次/分钟 and 5 次/秒.
BOT_RATE_LIMITS = {"wecom": "20/minute", "dingtalk": "20/minute", "feishu": "5/second;100/minute"}


class Pacer:
    """Holds each send to a group bot back until its published rate limit allows it (a moving window, kept
    by ``limits``, per channel name): a night of 30 alerts reaches a 钉钉 group in two minutes instead of
    losing the ten over 20 to errcode 130101. Every attempt counts, retries included; mail is not paced."""

    def __init__(self, wait: Callable[[float], None] = sleep) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()
        self._wait = wait

    def before_send(self, channel: Channel) -> None:
        items = parse_many(BOT_RATE_LIMITS[channel.type]) if channel.type in BOT_RATE_LIMITS else []
        while True:
            with self._lock:
                full = [item for item in items if not self._limiter.test(item, channel.name)]
                if not full:
                    for item in items:
                        self._limiter.hit(item, channel.name)
                    return
                until = max(self._limiter.get_window_stats(item, channel.name).reset_time for item in full)
            self._wait(max(0.05, until - time()))


PACER = Pacer()  # one per process: the limits are the bots', whichever step sends


def send_once(channel: Channel, alert: Alert, timeout_s: float) -> None:
    """One attempt, paced to the receiver's rate limit; raises DeliveryError."""
    PACER.before_send(channel)
    if channel.type == "smtp":
        _send_mail(channel, alert, timeout_s)
    else:
        _post_json(*signed(channel, WEBHOOK_PAYLOADS[channel.type](alert), time()), timeout_s)


def deliver(channel: Channel, alert: Alert, retry: Retry) -> DeliveryResult:
    """Send with up to ``retry.attempts`` attempts, waiting first_wait_s, then twice as long, ..."""
    attempts = 0
    try:
        for attempt in Retrying(stop=stop_after_attempt(retry.attempts), reraise=True,
                                wait=wait_exponential(multiplier=retry.first_wait_s, min=retry.first_wait_s)):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                send_once(channel, alert, retry.timeout_s)
    except DeliveryError as error:
        return DeliveryResult(False, attempts, str(error))
    except Exception as error:  # noqa: BLE001 - a delivery problem of a kind not foreseen never fails the night
        return DeliveryResult(False, attempts, f"{type(error).__name__}: {error}")
    return DeliveryResult(True, attempts, None)
