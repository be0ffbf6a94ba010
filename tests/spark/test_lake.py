"""The lake exporter writes exactly the dbt sources, one Parquet folder per landing day."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.lake import dbt_source_tables, export_lake
from pipelines.settings import REPO_ROOT
from pipelines.warehouse import Warehouse

SOURCES_YML = """
version: 2
sources:
  - name: raw
    schema: raw
    tables: [{name: calls}]
  - name: nlp
    tables: [{name: escalations}]
"""


def _project(folder: Path) -> Path:
    (folder / "models" / "staging").mkdir(parents=True)
    (folder / "models" / "staging" / "_sources.yml").write_text(SOURCES_YML, encoding="utf-8")
    return folder


def test_the_project_sources_are_the_raw_and_nlp_tables_dbt_reads() -> None:
    tables = dbt_source_tables(REPO_ROOT / "dbt_project")
    assert ("raw", "calls") in tables and ("nlp", "document_sentiment") in tables
    assert ("raw", "quarantine") not in tables


def test_export_writes_a_folder_per_day_keeps_the_landing_day_and_skips_the_quarantine(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse.duckdb", lock_timeout_s=1)
    with warehouse.connect() as conn:
        conn.execute("""
            create schema raw; create schema nlp;
            create table raw.calls as select * from (values ('c1', date '2026-08-01'), ('c2', date '2026-08-01'),
                ('c3', date '2026-08-02')) as t(call_id, _partition_date);
            create table raw.quarantine as select 'a phone number in clear' as raw_text, date '2026-08-01' as _partition_date;
            create table nlp.escalations (doc_id varchar, _partition_date date);
        """)
    lake = tmp_path / "lake"
    for attempt in range(2):  # a second export replaces the first whole
        assert export_lake(warehouse, _project(tmp_path / f"project{attempt}"), lake) == {"nlp.escalations": 0, "raw.calls": 3}

    days = sorted(path.name for path in (lake / "raw" / "calls").iterdir())
    assert days == ["partition_date=2026-08-01", "partition_date=2026-08-02"]
    rows = duckdb.sql(f"select call_id, _partition_date, partition_date from read_parquet('{lake}/raw/calls/**/*.parquet', "
                      "hive_partitioning = true) order by call_id").fetchall()
    assert [(call, str(landed), str(folder)) for call, landed, folder in rows] == [
        ("c1", "2026-08-01", "2026-08-01"), ("c2", "2026-08-01", "2026-08-01"), ("c3", "2026-08-02", "2026-08-02")]
    # An empty source still tells Spark its columns.
    empty = duckdb.sql(f"describe select * from read_parquet('{lake}/nlp/escalations/*.parquet')").fetchall()
    assert [name for name, *_ in empty] == ["doc_id", "_partition_date"]
    assert not (lake / "raw" / "quarantine").exists()
    assert sorted(path.name for path in (lake / "raw").iterdir()) == ["calls"]  # no hidden leftovers


def test_ingestion_on_the_spark_engine_writes_the_lake_and_reconciles_like_duckdb(settings, small_demo) -> None:
    """Only the sink differs: the same rows and quarantine, Parquet per day, views, reconciliation."""
    from pipelines.ingest.contracts import SOURCE_NAMES
    from pipelines.ingest.loader import load_partition
    from pipelines.ingest.reconcile import reconcile
    from pipelines.lake import partition_folder
    from tests.conftest import DEMO_START

    on_duckdb = Warehouse.from_settings(settings)
    on_lake = Warehouse(settings.data_dir / "control.duckdb", lock_timeout_s=5, lake=settings.lake_dir)
    for attempt in range(2):  # a rerun replaces the day, it does not add to it
        for source in SOURCE_NAMES:
            duck_report = load_partition(source, DEMO_START, settings, on_duckdb)
            lake_report = load_partition(source, DEMO_START, settings, on_lake)
            assert (lake_report.rows_loaded, lake_report.rows_quarantined, dict(lake_report.reasons)) == (
                duck_report.rows_loaded, duck_report.rows_quarantined, dict(duck_report.reasons)), source
            assert lake_report.rows_loaded > 0
            assert not reconcile(source, on_lake).mismatches and reconcile(source, on_lake).rows_loaded == lake_report.rows_loaded
    day_folder = partition_folder(settings.lake_dir, "raw", "call_turns", DEMO_START)
    assert sorted(path.name for path in day_folder.parent.iterdir()) == [day_folder.name]  # no hidden leftovers
    query = "select * exclude (_loaded_at) from raw.{} order by all"
    with on_duckdb.connect(read_only=True) as duck, on_lake.connect(read_only=True) as lake:
        for table in ("calls", "call_turns", "surveys", "social_posts"):
            assert lake.execute(query.format(table)).fetchall() == duck.execute(query.format(table)).fetchall(), table
        assert lake.execute("select table_type from information_schema.tables where table_name = 'calls'").fetchone() == ("VIEW",)
        quarantined = "select source, reason_code, raw_content from raw.quarantine order by all"
        assert lake.execute(quarantined).fetchall() == duck.execute(quarantined).fetchall()
