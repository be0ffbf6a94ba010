"""The alert ledger in the warehouse: what was found, and what was delivered where.

``alerts.alert_ledger``: one row per alert (its key names the event, so a rerun or backfill of the
same night finds the same key and adds nothing). ``alerts.alert_deliveries``: one row per alert and
channel with status ``sent`` or ``failed``, attempts and the last error; a ``sent`` row is never
sent again, a ``failed`` one is tried again by the next run. The ledger's ``delivery_status``
sums it up: ``not_delivered`` (no channel configured for the rule), ``pending``, ``sent``, ``failed``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta

import duckdb

from pipelines.alerts.config import AlertConfig, Channel
from pipelines.alerts.delivery import DeliveryResult
from pipelines.alerts.messages import RULE_ZH
from pipelines.alerts.rules import Alert

LEDGER_DDL = """
CREATE SCHEMA IF NOT EXISTS alerts;
CREATE TABLE IF NOT EXISTS alerts.alert_ledger (
    alert_key VARCHAR PRIMARY KEY, rule VARCHAR NOT NULL, rule_name_zh VARCHAR NOT NULL,
    event_date DATE NOT NULL, title VARCHAR NOT NULL, facts VARCHAR NOT NULL, evidence VARCHAR NOT NULL,
    link VARCHAR NOT NULL, found_at TIMESTAMP NOT NULL, channels VARCHAR NOT NULL,
    delivery_status VARCHAR NOT NULL, delivered_at TIMESTAMP, team VARCHAR);
CREATE TABLE IF NOT EXISTS alerts.alert_deliveries (
    alert_key VARCHAR NOT NULL, channel VARCHAR NOT NULL, channel_type VARCHAR NOT NULL,
    status VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_error VARCHAR, updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (alert_key, channel));
"""
# A failed delivery is tried again by later runs for this many days after its event.
RETRY_DAYS = 7


# A ledger written before alerts carried their team (round 24) gets the column, filled from the 班组 fact
# its contact alerts already stated, so row-level security scopes old rows as it does new ones.
LEDGER_MIGRATION = """
ALTER TABLE alerts.alert_ledger ADD COLUMN IF NOT EXISTS team VARCHAR;
UPDATE alerts.alert_ledger SET team = nullif(facts ->> '$."班组"', '(无坐席)')
WHERE team IS NULL AND facts ->> '$."班组"' IS NOT NULL;
"""


def ensure_ledger(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(LEDGER_DDL)
    conn.execute(LEDGER_MIGRATION)


def record_alerts(conn: duckdb.DuckDBPyConnection, alerts: list[Alert], config: AlertConfig) -> list[Alert]:
    """Add alerts not seen before; return only those (a rerun returns none)."""
    ensure_ledger(conn)
    known = {row[0] for row in conn.execute("SELECT alert_key FROM alerts.alert_ledger").fetchall()}
    new = [alert for alert in alerts if alert.key not in known]
    now = datetime.now().replace(microsecond=0)
    for alert in new:
        channels = [channel.name for channel in config.channels if channel.wants(alert.rule)]
        conn.execute("""INSERT INTO alerts.alert_ledger (alert_key, rule, rule_name_zh, event_date, title, facts,
                            evidence, link, found_at, channels, delivery_status, team)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", [
            alert.key, alert.rule, RULE_ZH[alert.rule], alert.event_date, alert.title,
            json.dumps(dict(alert.facts), ensure_ascii=False), alert.evidence, alert.link, now,
            ", ".join(channels), "pending" if channels else "not_delivered", alert.team])
    return new


def _alert(row: tuple) -> Alert:
    key, rule, event_date, title, facts, evidence, link, team = row
    return Alert(key, rule, event_date, title, tuple(json.loads(facts).items()), evidence, link, team)


def undelivered(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date) -> list[tuple[Alert, Channel]]:
    """(alert, channel) pairs a configured channel wants and has not received, for events from
    RETRY_DAYS before the run's first day on (a failure of last week is tried again tonight)."""
    ensure_ledger(conn)
    sent = {(key, channel) for key, channel in conn.execute(
        "SELECT alert_key, channel FROM alerts.alert_deliveries WHERE status = 'sent'").fetchall()}
    rows = conn.execute("""SELECT alert_key, rule, event_date, title, facts, evidence, link, team FROM alerts.alert_ledger
                           WHERE event_date >= ? ORDER BY event_date, alert_key""",
                        [start - timedelta(days=RETRY_DAYS)]).fetchall()
    alerts = [dataclasses.replace(alert, link=rebased(alert.link, config.dashboard_url)) for alert in map(_alert, rows)]
    return [(alert, channel) for alert in alerts for channel in config.channels
            if channel.wants(alert.rule) and (alert.key, channel.name) not in sent]


def rebased(link: str, dashboard_url: str) -> str:
    """An alert's dashboard link on today's ``dashboard_url``: an alert found before the address was set (or
    moved) is sent with the address people open Superset at now, its dashboard and filters kept."""
    at = link.find("/superset/dashboard/")
    return dashboard_url.rstrip("/") + link[at:] if at >= 0 else link


def record_delivery(conn: duckdb.DuckDBPyConnection, alert: Alert, channel: Channel, result: DeliveryResult) -> None:
    now = datetime.now().replace(microsecond=0)
    conn.execute("""
        INSERT INTO alerts.alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (alert_key, channel) DO UPDATE SET status = excluded.status, channel_type = excluded.channel_type,
            attempts = alert_deliveries.attempts + excluded.attempts, last_error = excluded.last_error,
            updated_at = excluded.updated_at""",
        [alert.key, channel.name, channel.type, "sent" if result.sent else "failed", result.attempts, result.error, now])
    conn.execute("""
        UPDATE alerts.alert_ledger SET
            delivery_status = CASE WHEN EXISTS (SELECT 1 FROM alerts.alert_deliveries d
                                                 WHERE d.alert_key = ? AND d.status = 'failed') THEN 'failed' ELSE 'sent' END,
            delivered_at = CASE WHEN ? THEN coalesce(delivered_at, ?) ELSE delivered_at END
        WHERE alert_key = ?""", [alert.key, result.sent, now, alert.key])
