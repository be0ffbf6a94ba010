"""The Dagster code location: every domain's assets, checks, jobs and schedules, merged."""

from dagster import Definitions

from pipelines.defs.alerts import alert_deliveries, alert_ledger
from pipelines.defs.dbt import dbt_models, dbt_resource
from pipelines.defs.ingest import ingest_assets, ingest_checks
from pipelines.defs.jobs import model_job, nightly_job, nightly_schedule
from pipelines.defs.nlp import nlp_assets
from pipelines.defs.publish import pii_audit, serving_snapshot

defs = Definitions(
    assets=[*ingest_assets, *nlp_assets, dbt_models, alert_ledger, serving_snapshot, alert_deliveries],
    asset_checks=[*ingest_checks, pii_audit],
    jobs=[nightly_job, model_job],
    schedules=[nightly_schedule],
    resources={"dbt": dbt_resource()},
)
