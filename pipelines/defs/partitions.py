"""The one partitioning scheme of the nightly run: a day in business time (landing date).

The first partition is ``VOC_PARTITION_START`` (an early default), or the earliest day the
landing folder holds if that is earlier, so any history that lands can be loaded.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import DailyPartitionsDefinition

from pipelines.settings import Settings


class PartitionRangeError(ValueError):
    """Days outside the partitions the nightly job knows, said in one sentence naming the setting."""


def earliest_landing_day(landing_dir: Path) -> date | None:
    """The earliest ``<source>/<YYYY-MM-DD>/`` folder under the landing folder, if any."""
    days = []
    for folder in landing_dir.glob("*/*"):
        try:
            days.append(date.fromisoformat(folder.name))
        except ValueError:
            continue
    return min(days, default=None)


def first_partition_day(settings: Settings) -> date:
    configured = date.fromisoformat(settings.partition_start)
    earliest = earliest_landing_day(settings.landing_dir)
    return min(configured, earliest) if earliest else configured


def last_partition_day(settings: Settings) -> date:
    """Tomorrow's date is never a partition; today is (end_offset=1: files may land early)."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def check_partition_range(start: date, end: date, settings: Settings) -> None:
    """Raise ``PartitionRangeError`` unless every day of ``start..end`` is a partition."""
    first, last = first_partition_day(settings), last_partition_day(settings)
    if start < first:
        raise PartitionRangeError(
            f"{start} is before the first daily partition {first}: set VOC_PARTITION_START={start} "
            "(or earlier) and run again")
    if end > last:
        raise PartitionRangeError(
            f"{end} is after today ({last} in {settings.timezone}), the last daily partition: "
            "choose an end date up to today")


def daily_partitions_for(settings: Settings) -> DailyPartitionsDefinition:
    # end_offset=1 makes today a valid partition too, so files landing today can be loaded early.
    start = first_partition_day(settings)
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=settings.timezone, end_offset=1)

