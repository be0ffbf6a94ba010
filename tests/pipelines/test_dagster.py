"""The Dagster code location: definitions, the nightly schedule and a real run with its checks."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from pipelines.settings import Settings
from pipelines.warehouse import Warehouse


def test_definitions_schedule_and_pool() -> None:
    from pipelines.definitions import defs

    keys = set(defs.resolve_all_asset_keys())
    assert {AssetKey(["raw", t]) for t in ("surveys", "calls", "call_turns", "social_posts")} <= keys
    schedule = defs.resolve_schedule_def("nightly_0200_shanghai")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    job = defs.resolve_job_def("nightly")
    assert job.partitions_def is not None
    writers = [node for node in job.graph.node_defs if node.name.startswith("ingest_")]
    assert len(writers) == 3
    for node in job.graph.node_defs:  # asset steps and checks alike touch the DuckDB file
        assert node.pool == "duckdb_writer"
    for node in job.graph.node_defs:  # retries are asked for by transient failures only (pipelines/warehouse.py)
        assert node.retry_policy is None


def test_schedule_targets_the_previous_day() -> None:
    from dagster import build_schedule_context

    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("nightly_0200_shanghai")

    tick = datetime(2026, 9, 15, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    context = build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
    request = next(iter(schedule.evaluate_tick(context).run_requests or []))
    assert request.partition_key == "2026-09-14"


def test_voc_run_materialises_every_asset_and_checks_pass(settings: Settings, small_demo: dict) -> None:
    from pipelines.runner import run_nightly

    outcome = run_nightly(date(2026, 8, 1), date(2026, 8, 3))
    assert outcome.success, outcome.errors
    with DagsterInstance.get() as instance:
        from pipelines.defs.nlp import SENTIMENT_MODEL_KEY

        assert instance.get_latest_materialization_event(SENTIMENT_MODEL_KEY) is not None
        for table in ("surveys", "calls", "call_turns", "social_posts"):
            key = AssetKey(["raw", table])
            assert instance.get_materialized_partitions(key) == {"2026-08-01", "2026-08-02", "2026-08-03"}
        for check, asset in (("surveys_rows_reconcile", "surveys"), ("calls_rows_reconcile", "calls"),
                             ("social_rows_reconcile", "social_posts")):
            record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
                [AssetCheckKey(AssetKey(["raw", asset]), check)]
            )
            execution = record[AssetCheckKey(AssetKey(["raw", asset]), check)]
            assert execution.status.value == "SUCCEEDED"
            assert execution.event.dagster_event.asset_check_evaluation_data.passed
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        loaded = conn.execute("SELECT count(*) FROM raw.calls").fetchone()[0]
        quarantined = conn.execute("SELECT count(*) FROM raw.quarantine WHERE source='calls'").fetchone()[0]
    assert loaded + quarantined == small_demo["calls"]
    assert (settings.dagster_home / "dagster.yaml").exists()


def test_reconcile_check_fails_when_rows_go_missing(settings: Settings, small_demo: dict) -> None:
    from tests.conftest import load_day
    from pipelines.ingest.reconcile import reconcile

    load_day("surveys", date(2026, 8, 1))
    warehouse = Warehouse.from_settings(settings)
    assert reconcile("surveys", warehouse).mismatches == []
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        conn.execute("DELETE FROM raw.surveys WHERE rowid IN (SELECT rowid FROM raw.surveys LIMIT 1)")
    mismatches = reconcile("surveys", warehouse).mismatches
    assert len(mismatches) == 1 and mismatches[0]["in_table"] == mismatches[0]["logged_loaded"] - 1


def test_assets_get_the_settings_the_definitions_were_built_with(settings: Settings) -> None:
    """Settings are resources built once, not re-read by each step from the environment."""
    from dataclasses import replace

    from pipelines.definitions import build_definitions
    from pipelines.warehouse import SETTINGS_RESOURCE, WarehouseResource

    elsewhere = replace(settings, warehouse_path=settings.data_dir / "elsewhere.duckdb")
    resources = build_definitions(elsewhere).resources
    assert resources[SETTINGS_RESOURCE] is elsewhere
    assert resources["warehouse"] == WarehouseResource(path=str(elsewhere.warehouse_path),
                                                       lock_timeout_s=settings.db_lock_timeout_s)


def test_the_engine_is_a_resource_that_picks_the_sink_and_the_dbt_target(settings: Settings) -> None:
    """VOC_ENGINE=spark changes a resource, not the asset graph: same assets and checks, the lake bound."""
    from dataclasses import replace

    from pipelines.definitions import build_definitions
    from pipelines.warehouse import Warehouse

    duck, spark = build_definitions(settings), build_definitions(replace(settings, engine="spark"))
    assert [a.keys for a in duck.assets] == [a.keys for a in spark.assets]
    assert [c.check_keys for c in duck.asset_checks] == [c.check_keys for c in spark.asset_checks]
    warehouse = Warehouse.from_settings(settings)
    assert duck.resources["engine"].dbt_target == "dev" and duck.resources["engine"].bind(warehouse).lake is None
    assert spark.resources["engine"].dbt_target == "spark"
    assert spark.resources["engine"].bind(warehouse).lake == settings.lake_dir
    assert spark.resources["engine"].dbt_env()["VOC_DBT_LAKE_DIR"] == str(settings.lake_dir)
