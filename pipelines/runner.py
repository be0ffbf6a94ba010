"""Run the nightly job for a range of days through Dagster, recorded in the persistent instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipelines.instance import ensure_dagster_home
from pipelines.settings import get_settings


@dataclass
class RunOutcome:
    """What a run did: failed steps with their errors, whether it published, and, when it did
    not, the serving tables (``schema.table``) that were not rebuilt, whose last good version the
    dashboards keep showing."""

    run_id: str
    success: bool
    failed_steps: list[str]
    errors: list[str]
    published: bool = False
    stale_tables: list[str] = field(default_factory=list)


def run_nightly(start: date, end: date, log_level: str = "INFO") -> RunOutcome:
    """Materialise every asset of the nightly job for ``start..end`` in one Dagster run.

    The programmatic ``voc run``, an entry point: it reads the settings once, now (not those of
    the environment when a module was imported), and builds the definitions from them.
    Raises ``PartitionRangeError`` (one sentence naming the setting) for days outside the partitions.
    """
    from pipelines.defs.partitions import check_partition_range

    settings = get_settings()
    check_partition_range(start, end, settings)
    ensure_dagster_home(settings)
    from dagster import DagsterInstance
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from pipelines.defs.jobs import MODEL_JOB_NAME, NIGHTLY_JOB_NAME
    from pipelines.defs.nlp import SENTIMENT_MODEL_KEY
    from pipelines.definitions import build_definitions
    from pipelines.nlp.model import model_state

    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    defs = build_definitions(settings)
    with DagsterInstance.get() as instance:
        state = model_state(settings)
        recorded = instance.get_latest_materialization_event(SENTIMENT_MODEL_KEY) is not None
        if not state.current or not recorded:
            if not state.current:
                print(f"The sentiment model in {state.path} is missing or was built from another config; building it first")
            built = defs.resolve_job_def(MODEL_JOB_NAME).execute_in_process(
                instance=instance, run_config=run_config, raise_on_error=False)
            if not built.success:
                return _outcome(built)
        job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
        result = job.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
            },
            run_config=run_config,
            raise_on_error=False,
        )
    return _outcome(result)


def _outcome(result) -> RunOutcome:
    from dagster import AssetKey, DagsterEventType

    from pipelines.defs.publish import SERVING_SNAPSHOT_KEY
    from pipelines.publish import SERVING_TABLES

    failed = [event.step_key for event in result.all_events
              if event.event_type == DagsterEventType.STEP_FAILURE and event.step_key]
    errors = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data:
            error = event.step_failure_data.error
            cause = error.cause if error and error.cause else error
            errors.append(f"{event.step_key}: {cause.message.strip() if cause else 'failed'}")
    materialized = {event.asset_key for event in result.all_events
                    if event.event_type == DagsterEventType.ASSET_MATERIALIZATION}
    published = SERVING_SNAPSHOT_KEY in materialized
    stale = [] if published else [table for table in SERVING_TABLES
                                  if AssetKey(table.split(".")) not in materialized]
    return RunOutcome(result.run_id, result.success, failed, errors, published, stale)
