"""The last nightly steps: audit for clear PII, then swap a fresh serving snapshot in for the dashboards."""

from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    ResourceParam,
    asset,
    asset_check,
)

from pipelines.defs.alerts import ALERT_LEDGER_KEY
from pipelines.defs.nlp import NLP_TABLES, nlp_key
from pipelines.pii_audit import run_audit
from pipelines.publish import publish, serving_tables
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_POOL, WarehouseResource, retry_if_transient

SERVING_SNAPSHOT_KEY = AssetKey(["serving", "snapshot"])


def publish_deps(dbt_project_dir: Path) -> list[AssetKey]:
    """Every dbt model the serving file copies (dbt asset keys are [schema, model])."""
    return [AssetKey(table.split(".")) for table in serving_tables(dbt_project_dir)]


def publish_checks(dbt_project_dir: Path) -> list[AssetChecksDefinition]:
    """The PII audit, blocking the publish, over the serving tables of the dbt project in ``dbt_project_dir``."""

    @asset_check(
        asset=ALERT_LEDGER_KEY, name="pii_audit", blocking=True, pool=WAREHOUSE_POOL,
        additional_deps=[key for key in publish_deps(dbt_project_dir) if key != ALERT_LEDGER_KEY]
        + [nlp_key(table) for table in (*NLP_TABLES, "topic_candidates")],
        description="Every text column of raw, nlp and the serving tables scanned with the masking detector; "
                    "any clear phone, ID, card or e-mail fails, and the blocked publish keeps the last good snapshot.",
    )
    def pii_audit(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
                  settings: ResourceParam[Settings]) -> AssetCheckResult:
        # On the alert ledger, the last table to take texts (masked evidence from the verbatims, which
        # join a call's customer turns), and after everything the snapshot copies; blocking, so a failure
        # stops the publish and the alert deliveries downstream of it.
        with retry_if_transient(), warehouse.handle().connect() as conn:
            result = run_audit(conn, serving_tables(settings.dbt_project_dir), context.run.run_id)
        context.log.info(result.summary())
        return AssetCheckResult(
            passed=result.passed,
            severity=AssetCheckSeverity.ERROR,
            description=result.summary(),
            metadata={
                "tables": result.tables, "columns": result.columns, "rows_scanned": result.rows_scanned,
                "seconds": result.seconds,
                "findings": MetadataValue.json([finding.__dict__ for finding in result.findings[:50]]),
            },
        )

    return [pii_audit]


def serving_snapshot_asset(partitions: PartitionsDefinition, dbt_project_dir: Path) -> AssetsDefinition:
    """The last nightly step, over the nightly run's partitions, after every model it copies."""

    @asset(
        key=SERVING_SNAPSHOT_KEY, group_name="publish", kinds={"duckdb"}, deps=publish_deps(dbt_project_dir),
        partitions_def=partitions, backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        description="The serving DuckDB file dashboards read, rebuilt beside the live one and swapped in whole, "
                    "so dashboards never lock the working file nor see half-built data; refused while the PII "
                    "audit fails.",
    )
    def serving_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource,
                         settings: ResourceParam[Settings]) -> MaterializeResult:
        with retry_if_transient():
            publication = publish(settings, warehouse.handle(), run_id=context.run.run_id)
        context.log.info(f"published {len(publication.tables)} tables to {publication.path}")
        return MaterializeResult(metadata={"path": str(publication.path), "tables": MetadataValue.json(publication.tables),
                                           "published_at": publication.published_at.isoformat()})

    return serving_snapshot
