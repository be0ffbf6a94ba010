"""Ingestion assets (landing files → ``raw`` schema) and their reconciliation checks."""


from datetime import date

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    ResourceParam,
    asset_check,
    multi_asset,
)

from pipelines.ingest.contracts import load_contract
from pipelines.ingest.loader import load_partition
from pipelines.ingest.reconcile import reconcile
from pipelines.ingest.contracts import SOURCE_NAMES
from pipelines.engine import EngineResource
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_POOL, WarehouseResource, retry_if_transient


def raw_key(table: str) -> AssetKey:
    return AssetKey(["raw", table])


def _ingest_asset(source: str, partitions: PartitionsDefinition) -> AssetsDefinition:
    # Descriptions and metadata come from the repository's contract (pipelines/contracts).
    contract = load_contract(source, None)
    specs = [
        AssetSpec(raw_key(table.name), description=" ".join(table.description.split()), group_name="ingest",
                  kinds={"duckdb"}, partitions_def=partitions,
                  metadata={"record_key": contract.key, "redelivery": contract.redelivery,
                            "formats": ", ".join(contract.formats),
                            "contract": f"pipelines/contracts/{source}.yml"})
        for table in contract.tables.values()
    ]

    @multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def _asset(context: AssetExecutionContext, warehouse: WarehouseResource, engine: EngineResource,
               settings: ResourceParam[Settings]):
        handle = engine.bind(warehouse.handle())
        keys = context.partition_keys
        loaded = quarantined = rows_in = masks = 0
        reasons: dict[str, int] = {}
        table_rows = dict.fromkeys(contract.tables, 0)
        for position, key in enumerate(keys, start=1):
            with retry_if_transient():
                report = load_partition(source, date.fromisoformat(key), settings, handle)
            loaded += report.rows_loaded
            quarantined += report.rows_quarantined
            rows_in += report.rows_in
            masks += report.pii_masks
            for code, count in report.reasons.items():
                reasons[code] = reasons.get(code, 0) + count
            for table in contract.tables:
                table_rows[table] += report.table_rows[table]
            if report.kept_files:
                context.log.warning(
                    f"{source} {key} ({position}/{len(keys)}): no landing file in "
                    f"{settings.landing_dir / source / key}; the {report.kept_files} file(s) loaded earlier are kept. "
                    "Restore the files to reload the day, or land an empty file there to unload it")
                continue
            context.log.info(
                f"{source} {key} ({position}/{len(keys)}): {len(report.files)} files, "
                f"{report.rows_loaded:,} loaded, {report.rows_quarantined:,} quarantined"
            )
        for table in contract.tables:
            yield MaterializeResult(
                asset_key=raw_key(table),
                metadata={
                    "dagster/row_count": table_rows[table],
                    "partitions": len(keys),
                    "rows_in": rows_in,
                    "rows_loaded": loaded,
                    "rows_quarantined": quarantined,
                    "quarantine_reasons": MetadataValue.json(reasons),
                    "pii_masks": masks,
                },
            )

    return _asset


def _reconcile_check(source: str):
    primary = next(iter(load_contract(source, None).tables))

    @asset_check(asset=raw_key(primary), name=f"{source}_rows_reconcile", blocking=False,
                 pool=WAREHOUSE_POOL,
                 description="rows in = rows loaded + rows quarantined, per file and partition, "
                             "and the raw and quarantine tables hold exactly those rows.")
    def _check(warehouse: WarehouseResource, engine: EngineResource) -> AssetCheckResult:
        result = reconcile(source, engine.bind(warehouse.handle()))
        return AssetCheckResult(
            passed=not result.mismatches,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_in": result.rows_in,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "mismatched_partitions": MetadataValue.json(result.mismatches[:20]),
            },
        )

    return _check


def ingest_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    return [_ingest_asset(source, partitions) for source in SOURCE_NAMES]


ingest_checks = [_reconcile_check(source) for source in SOURCE_NAMES]
