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
