"""Run the nightly job for a range of days through Dagster, recorded in the persistent instance."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import date

from pipelines.instance import ensure_dagster_home
from pipelines.settings import Settings, get_settings


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
        for note in release_dead_runs(instance):
            print(note)
        state = model_state(settings)
        recorded = instance.get_latest_materialization_event(SENTIMENT_MODEL_KEY) is not None
        if not state.current or not recorded:
            if not state.current:
                print(f"The sentiment model in {state.path} is missing or was built from another config; building it first")
            built = defs.resolve_job_def(MODEL_JOB_NAME).execute_in_process(
                instance=instance, run_config=run_config, raise_on_error=False, tags=process_tags())
            if not built.success:
                return _outcome(built, settings)
        job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
        result = job.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
                **process_tags(),
            },
            run_config=run_config,
            raise_on_error=False,
        )
    return _outcome(result, settings)


PID_TAG, HOST_TAG = "voc/pid", "voc/host"


def process_tags() -> dict[str, str]:
    """Tags naming the process and machine an in-process run of ``voc run`` lives in, so a later run can
    tell that it died (``release_dead_runs``)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def release_dead_runs(instance) -> list[str]:
    """Mark failed every run of ``voc run`` on this machine still recorded as started whose process is gone
    (killed with -9, out of memory, a reboot), and free the ``duckdb_writer`` slot it held: otherwise every
    later run waits for that slot forever. A run without the tags (the daemon's schedule) is left to Dagster;
    a process id the system has reused counts as alive, so nothing running is ever released. Returns one
    note per released run."""
    from dagster import DagsterRunStatus, RunsFilter

    notes = []
    started = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING]))
    for run in started:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if not pid or host != socket.gethostname() or not pid.isdigit() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"process {pid} ended without finishing the run (killed?); "
                                                "released by the next voc run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        notes.append(f"note: run {run.run_id} (process {pid}) ended without finishing; it is marked failed and its "
                     "DuckDB writer slot freed")
    return notes


def _outcome(result, settings: Settings) -> RunOutcome:
    from dagster import AssetKey, DagsterEventType

    from pipelines.defs.publish import SERVING_SNAPSHOT_KEY
    from pipelines.publish import serving_tables

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
    stale = [] if published else [table for table in serving_tables(settings.dbt_project_dir)
                                  if AssetKey(table.split(".")) not in materialized]
    return RunOutcome(result.run_id, result.success, failed, errors, published, stale)
