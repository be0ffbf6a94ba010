"""Alerts: found before publish (so the serving snapshot's 告警记录 lists them), delivered after it.

A delivery failure is recorded in the ledger and never fails the run; the publish has happened by then.
"""

from collections import Counter
from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    ResourceParam,
    asset,
)

from pipelines.alerts import deliver_alerts, find_alerts, load_alert_config
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_POOL, WarehouseResource

# The marts the rules read (dbt asset keys are [schema, model]).
RULE_INPUTS = [AssetKey(["kpi", "kpi_topic_trends"]), AssetKey(["marts", "fct_complaints"]),
               AssetKey(["marts", "fct_contacts"]), AssetKey(["marts", "fct_survey_responses"]),
               AssetKey(["marts", "rpt_verbatims"]), AssetKey(["marts", "dim_dates"]), AssetKey(["marts", "dim_topics"])]
ALERT_LEDGER_KEY = AssetKey(["alerts", "alert_ledger"])


def _table(rows: list[tuple], header: tuple[str, ...]) -> MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in rows[:200]]
    return MetadataValue.md("\n".join(lines) if rows else "(none)")


def alert_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    """The ledger (before publish) and the deliveries (after it), over the nightly run's partitions."""

    @asset(
        key=ALERT_LEDGER_KEY, group_name="alerts", kinds={"duckdb"}, deps=RULE_INPUTS,
        partitions_def=partitions, backfill_policy=BackfillPolicy.single_run(), pool=WAREHOUSE_POOL,
        description="Alert rules (alerts.yaml) over tonight's marts: emerging topic, complaint spike, level-3 case, "
                    "high-value detractor, third complaint. New alerts go into alerts.alert_ledger; a rerun adds none.",
    )
    def alert_ledger(context: AssetExecutionContext, warehouse: WarehouseResource,
                     settings: ResourceParam[Settings]) -> MaterializeResult:
        config = load_alert_config(settings.alerts_config, settings.superset_port)
        window = context.partition_key_range
        found, new = find_alerts(config, date.fromisoformat(window.start), date.fromisoformat(window.end),
                                 warehouse.handle())
        context.log.info(f"{len(found)} alerts for {window.start}..{window.end}, {len(new)} new")
        by_rule = Counter(alert.rule for alert in new)
        return MaterializeResult(metadata={
            "found": len(found), "new": len(new), "new_by_rule": MetadataValue.json(dict(by_rule)),
            "channels": MetadataValue.json([channel.name for channel in config.channels]),
            "new_alerts": _table([(a.event_date, a.rule, a.title) for a in new], ("date", "rule", "title")),
        })

    @asset(
        key=AssetKey(["alerts", "alert_deliveries"]), group_name="alerts", kinds={"python"},
        deps=[ALERT_LEDGER_KEY, AssetKey(["serving", "snapshot"])],
        partitions_def=partitions, backfill_policy=BackfillPolicy.single_run(), pool=WAREHOUSE_POOL,
        description="Sends the ledger's undelivered alerts by e-mail and 企业微信 / 钉钉 / 飞书 / JSON webhooks, after "
                    "publish; retries with backoff, records every outcome in alerts.alert_deliveries, never fails the run.",
    )
    def alert_deliveries(context: AssetExecutionContext, warehouse: WarehouseResource,
                         settings: ResourceParam[Settings]) -> MaterializeResult:
        config = load_alert_config(settings.alerts_config, settings.superset_port)
        report = deliver_alerts(config, date.fromisoformat(context.partition_key_range.start),
                                warehouse.handle())
        for title, channel, attempts, error in report.failed:
            context.log.warning(f"alert not delivered to {channel} after {attempts} attempts: {error} ({title})")
        if not config.channels:
            context.log.info("no alert channel configured: alerts stay in the ledger as not delivered")
        return MaterializeResult(metadata={
            "sent": len(report.sent), "failed": len(report.failed),
            "sent_alerts": _table(report.sent, ("title", "channel", "attempts")),
            "failed_alerts": _table(report.failed, ("title", "channel", "attempts", "error")),
        })

    return [alert_ledger, alert_deliveries]
