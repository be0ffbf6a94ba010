"""The Dagster code location: every domain's assets, checks, jobs and schedules, merged."""

from dagster import Definitions

from pipelines.defs.dbt import dbt_models, dbt_resource
from pipelines.defs.ingest import ingest_assets, ingest_checks
from pipelines.defs.jobs import model_job, nightly_job, nightly_schedule
from pipelines.defs.nlp import nlp_assets
from pipelines.defs.publish import serving_snapshot
from pipelines.warehouse import WarehouseResource

defs = Definitions(
    assets=[*ingest_assets, *nlp_assets, dbt_models, serving_snapshot],
    asset_checks=[*ingest_checks],
    jobs=[nightly_job, model_job],
    schedules=[nightly_schedule],
    # The warehouse's path and lock wait come from the settings when a step runs, unless the run
    # configures them (``voc run`` passes its own settings'): see WarehouseResource.
    resources={"dbt": dbt_resource(), "warehouse": WarehouseResource()},
)
