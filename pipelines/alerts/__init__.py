"""Alerts the morning after: rules over the marts, a ledger in the warehouse, delivery by e-mail
and group-bot webhooks. Two nightly steps use it: ``find_alerts`` before publish (so the 告警记录
table on the 运营 dashboard lists tonight's alerts) and ``deliver_alerts`` after publish."""

from __future__ import annotations

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
    Delivery problems are recorded, never raised; the warehouse is not held while sending."""
    report = DeliveryReport()
    if not config.channels:
        return report
    with warehouse.connect() as conn:
        todo = undelivered(conn, config, start)
    outcomes = []
    try:
        for alert, channel in todo:
            outcomes.append((alert, channel, deliver(channel, alert, config.retry)))
    finally:  # an interrupted step still records what went out, so the next night does not send it again
        with warehouse.connect() as conn:
            for alert, channel, result in outcomes:
                record_delivery(conn, alert, channel, result)
                if result.sent:
                    report.sent.append((alert.title, channel.name, result.attempts))
                else:
                    report.failed.append((alert.title, channel.name, result.attempts, result.error or ""))
    return report
