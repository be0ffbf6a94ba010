"""The same dbt project on Spark gives the same KPIs as on DuckDB (issue 15, first stage).

Three demo days go through the real DuckDB nightly (ingest, NLP, dbt); the warehouse's raw and nlp
tables are exported to the Parquet lake; dbt builds every model again with ``--target spark`` on
``local[2]``; then every KPI mart Spark wrote (Parquet under the lake's warehouse folder, read back
with DuckDB) must equal DuckDB's: the same columns and rows, exact for counts, labels and dates,
within 1e-9 for rates and other floating-point values. 9 minutes (537 s) on a 2-core machine at load 16,
most of it Spark (its JVM's start, then ~40 models on 2 threads); dbt's data tests run on DuckDB only.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DEMO_START, TINY_RECIPE, make_demo

DAYS = 3
RATE_TOLERANCE = 1e-9
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def _spark_table_glob(lake_dir: Path, schema: str, table: str) -> str:
    """Spark's managed Parquet files of ``schema.table`` (spark.sql.warehouse.dir in profiles.yml)."""
    return str(lake_dir / "warehouse" / f"{schema}.db" / table / "**" / "*.parquet")


def _sorted_rows(conn: duckdb.DuckDBPyConnection, sql: str, columns: list[str]) -> list[tuple]:
    rows = conn.execute(f"select {', '.join(columns)} from {sql}").fetchall()
    return sorted(rows, key=lambda row: tuple((value is None, str(value)) for value in row))


def _assert_same_table(conn: duckdb.DuckDBPyConnection, table: str, spark_files: str) -> int:
    """Assert DuckDB's ``kpi.<table>`` equals Spark's; returns its row count."""
    described = conn.execute(f"describe kpi.{table}").fetchall()
    columns = [name for name, *_ in described]
    floats = {name for name, kind, *_ in described if kind in FLOAT_TYPES or kind.startswith("DECIMAL")}
    spark_columns = [name for name, *_ in conn.execute(f"describe select * from read_parquet('{spark_files}')").fetchall()]
    assert sorted(spark_columns) == sorted(columns), table
    # Sort on the exact columns, so float noise never reorders rows.
    exact = [name for name in columns if name not in floats]
    ordered = exact + sorted(floats)
    duck = _sorted_rows(conn, f"kpi.{table}", ordered)
    spark = _sorted_rows(conn, f"read_parquet('{spark_files}')", ordered)
    assert len(spark) == len(duck), table
    for duck_row, spark_row in zip(duck, spark, strict=True):
        for name, expected, actual in zip(ordered, duck_row, spark_row, strict=True):
            if name in floats and expected is not None and actual is not None:
                assert math.isclose(float(actual), float(expected), rel_tol=0, abs_tol=RATE_TOLERANCE), (table, name, duck_row)
            else:
                assert actual == expected, (table, name, duck_row)
    return len(duck)


def _dbt_on_spark(project_dir: Path, target_path: Path, dbt_vars: dict[str, str]) -> subprocess.CompletedProcess:
    """``dbt build --target spark`` on local[2], models and seeds (data tests run on DuckDB)."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "VOC_SPARK_MASTER": "local[2]", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(bin_dir / "dbt"), "build", "--target", "spark", "--profiles-dir", str(project_dir),
         "--project-dir", str(project_dir), "--target-path", str(target_path),
         "--exclude-resource-type", "test", "--vars", json.dumps(dbt_vars)],
        cwd=project_dir, env=env, capture_output=True, text=True, timeout=1500,
    )


@pytest.mark.slow
def test_every_kpi_mart_on_spark_equals_duckdb(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.lake import export_lake
    from pipelines.runner import run_nightly
    from pipelines.settings import get_settings
    from pipelines.warehouse import Warehouse

    monkeypatch.setenv("VOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOC_SENTIMENT_MODEL_DIR", str(tiny_model))
    monkeypatch.setenv("VOC_SENTIMENT_TRAIN_CONFIG", str(TINY_RECIPE))
    monkeypatch.setenv("VOC_SENTIMENT_ENGINE", "transformer")
    for name in ("VOC_LANDING_DIR", "VOC_WAREHOUSE_PATH", "VOC_DBT_WAREHOUSE_PATH"):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    make_demo(settings, days=DAYS, customers=2000, seed=5)
    start, end = DEMO_START, DEMO_START + timedelta(days=DAYS - 1)
    assert run_nightly(start, end).success

    exported = export_lake(Warehouse.from_settings(settings), settings.dbt_project_dir, settings.lake_dir)
    assert exported["raw.calls"] > 0 and exported["nlp.document_sentiment"] > 0
    assert (settings.lake_dir / "raw" / "calls" / f"partition_date={start.isoformat()}").is_dir()

    built = _dbt_on_spark(settings.dbt_project_dir, settings.data_dir / "dbt" / "spark-target",
                          {"start_date": start.isoformat(), "end_date": end.isoformat()})
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        tables = [name for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'kpi' order by 1").fetchall()]
        assert len(tables) >= 11
        rows = {table: _assert_same_table(conn, table, _spark_table_glob(settings.lake_dir, "kpi", table))
                for table in tables}
    assert all(count > 0 for count in rows.values()), rows
