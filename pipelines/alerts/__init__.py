"""Alerts the morning after: rules over the marts, a ledger in the warehouse, delivery by e-mail
and group-bot webhooks. Two nightly steps use it: ``find_alerts`` before publish (so the 告警记录
table on the 运营 dashboard lists tonight's alerts) and ``deliver_alerts`` after publish."""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from pipelines.alerts.config import AlertConfig, load_alert_config
from pipelines.alerts.delivery import deliver
from pipelines.alerts.ledger import record_alerts, record_delivery, undelivered
from pipelines.alerts.rules import Alert, evaluate
from pipelines.warehouse import Warehouse

__all__ = ["Alert", "AlertConfig", "DeliveryReport", "deliver_alerts", "find_alerts", "load_alert_config"]


def find_alerts(config: AlertConfig, start: date, end: date, warehouse: Warehouse) -> tuple[list[Alert], list[Alert]]:
    """Evaluate every enabled rule for events dated ``start``..``end``; return (all found, new to the ledger)."""
    with warehouse.connect() as conn:
        found = evaluate(conn, config, start, end)
        return found, record_alerts(conn, found, config)


@dataclass
class DeliveryReport:
    """What one delivery step did: (alert title, channel, attempts, error or None) per try."""

    sent: list[tuple[str, str, int]] = field(default_factory=list)
    failed: list[tuple[str, str, int, str]] = field(default_factory=list)


def deliver_alerts(config: AlertConfig, start: date, warehouse: Warehouse) -> DeliveryReport:
    """Send every alert of the run's days (and recent failures) a configured channel has not
    received yet, and record each outcome.

    Channels are served side by side, one thread each, and each channel's alerts in order: a mail server
    that times out no longer holds the group bots back, and the step (which holds the warehouse writers'
    pool) ends when the slowest channel is done. Delivery problems are recorded, never raised; the
    warehouse is not held while sending."""
    report = DeliveryReport()
    if not config.channels:
        return report
    with warehouse.connect() as conn:
        todo = undelivered(conn, config, start)
    by_channel: dict[str, list] = defaultdict(list)
    for alert, channel in todo:
        by_channel[channel.name].append((alert, channel))
    outcomes: list = []  # appended by the senders as each alert is done (list.append is atomic)
    stop = threading.Event()  # set when the step is interrupted: senders finish the alert in hand, then stop

    def send_in_order(pairs: list) -> None:
        for alert, channel in pairs:
            if stop.is_set():
                return
            outcomes.append((alert, channel, deliver(channel, alert, config.retry)))

    try:
        with ThreadPoolExecutor(max_workers=max(1, len(by_channel)), thread_name_prefix="alert-channel") as pool:
            try:
                for done in [pool.submit(send_in_order, pairs) for pairs in by_channel.values()]:
                    done.result()
            except BaseException:
                stop.set()
                raise
    finally:  # an interrupted step still records what went out, so the next night does not send it again
        with warehouse.connect() as conn:
            for alert, channel, result in list(outcomes):
                record_delivery(conn, alert, channel, result)
                if result.sent:
                    report.sent.append((alert.title, channel.name, result.attempts))
                else:
                    report.failed.append((alert.title, channel.name, result.attempts, result.error or ""))
    return report
