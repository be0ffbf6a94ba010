"""The Dagster code location: every domain's assets, checks, jobs and schedules, merged.

Settings are read once, here, when Dagster loads the code location (``voc run`` builds its own
with ``build_definitions``), and passed down: to the definitions' shape (partitions, schedule,
dbt project) and, as resources, to every asset (``settings``, ``warehouse``, ``engine``: duckdb or
spark, ``pipelines.engine``). No other module
reads them at import.
"""

from dagster import Definitions

from pipelines.defs.alerts import alert_assets
from pipelines.defs.dbt import dbt_models_asset, dbt_resource
from pipelines.defs.ingest import ingest_assets, ingest_checks
from pipelines.defs.jobs import model_job, nightly_job, nightly_schedule_for
from pipelines.defs.nlp import nlp_assets
from pipelines.defs.partitions import daily_partitions_for
from pipelines.defs.publish import publish_checks, serving_snapshot_asset
from pipelines.engine import EngineResource
from pipelines.permissions import restrict_new_files
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import SETTINGS_RESOURCE, WarehouseResource


def build_definitions(settings: Settings) -> Definitions:
    partitions = daily_partitions_for(settings)
    return Definitions(
        assets=[*ingest_assets(partitions), *nlp_assets(partitions),
                dbt_models_asset(settings.dbt_project_dir, partitions), *alert_assets(partitions),
                serving_snapshot_asset(partitions, settings.dbt_project_dir)],
        asset_checks=[*ingest_checks, *publish_checks(settings.dbt_project_dir)],
        jobs=[nightly_job, model_job],
        schedules=[nightly_schedule_for(settings.timezone)],
        resources={"dbt": dbt_resource(settings.dbt_project_dir),
                   "warehouse": WarehouseResource.from_settings(settings), SETTINGS_RESOURCE: settings,
                   "engine": EngineResource.from_settings(settings)},
    )


_settings = get_settings()
restrict_new_files(_settings)  # what the daemon and the webserver write is not world-readable
defs = build_definitions(_settings)
