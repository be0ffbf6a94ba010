"""The nightly job and its 02:00 Asia/Shanghai schedule."""

from datetime import timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)


NIGHTLY_JOB_NAME = "nightly"
MODEL_JOB_NAME = "build_models"
MODEL_SELECTION = AssetSelection.key_prefixes(["models"])

# One process runs the steps one after another: DuckDB allows a single writer, and the
# ``duckdb_writer`` pool keeps separate runs (a backfill beside the schedule) from overlapping.
nightly_job = define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=AssetSelection.all() - MODEL_SELECTION,
    executor_def=in_process_executor,
    description="Load yesterday's landing files, score them, rebuild the KPIs and publish.",
)

model_job = define_asset_job(
    MODEL_JOB_NAME, selection=MODEL_SELECTION, executor_def=in_process_executor,
    description="Build the NLP model artefacts when missing or when their training config changed.",
)


def nightly_schedule_for(timezone: str) -> ScheduleDefinition:
    """02:00 in the business time zone (VOC_TIMEZONE), for the day that just ended."""

    @schedule(
        name="nightly_0200_shanghai",
        cron_schedule="0 2 * * *",
        execution_timezone=timezone,
        job=nightly_job,
        default_status=DefaultScheduleStatus.RUNNING,
        description="At 02:00 business time, run the nightly job for the day that just ended.",
    )
    def nightly_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        # The partitions admit today (files may land early), so the schedule names yesterday itself.
        day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return RunRequest(run_key=f"nightly-{day}", partition_key=day)

    return nightly_schedule
