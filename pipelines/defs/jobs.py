"""The nightly job and its 02:00 Asia/Shanghai schedule."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)

from pipelines.defs.partitions import daily_partitions

NIGHTLY_JOB_NAME = "nightly"

# One process runs the steps one after another: DuckDB allows a single writer, and the
# ``duckdb_writer`` pool keeps separate runs (a backfill beside the schedule) from overlapping.
nightly_job = define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=in_process_executor,
    description="Load yesterday's landing files, score them, rebuild the KPIs and publish.",
)

# For a daily-partitioned job this targets the previous (last complete) day.
nightly_schedule = build_schedule_from_partitioned_job(
    nightly_job, hour_of_day=2, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING,
    name="nightly_0200_shanghai",
)
