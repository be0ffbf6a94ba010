"""The last nightly step: swap a fresh serving snapshot in for the dashboards."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from pipelines.publish import SERVING_TABLES, publish
from pipelines.settings import get_settings
from pipelines.warehouse import WAREHOUSE_POOL, WarehouseResource, retry_if_transient


def publish_deps() -> list[AssetKey]:
    """Every dbt model the serving file copies (dbt asset keys are [schema, model])."""
    return [AssetKey(table.split(".")) for table in SERVING_TABLES]


SERVING_SNAPSHOT_KEY = AssetKey(["serving", "snapshot"])


def serving_snapshot_asset(partitions: PartitionsDefinition) -> AssetsDefinition:
    """The last nightly step, over the nightly run's partitions."""

    @asset(
        key=SERVING_SNAPSHOT_KEY, group_name="publish", kinds={"duckdb"}, deps=publish_deps(),
        partitions_def=partitions, backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        description="The serving DuckDB file dashboards read, rebuilt beside the live one and swapped in whole, "
                    "so dashboards never lock the working file nor see half-built data.",
    )
    def serving_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = get_settings()
        with retry_if_transient():
            publication = publish(settings, warehouse.handle(settings))
        context.log.info(f"published {len(publication.tables)} tables to {publication.path}")
        return MaterializeResult(metadata={"path": str(publication.path), "tables": MetadataValue.json(publication.tables),
                                           "published_at": publication.published_at.isoformat()})

    return serving_snapshot
