"""The one partitioning scheme of the nightly run: a day in business time (landing date)."""

from dagster import DailyPartitionsDefinition

from pipelines.settings import get_settings

_settings = get_settings()

# end_offset=1 makes today a valid partition too, so files landing today can be loaded early.
daily_partitions = DailyPartitionsDefinition(
    start_date=_settings.partition_start, timezone=_settings.timezone, end_offset=1
)
