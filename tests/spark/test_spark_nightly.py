"""The nightly on Spark, end to end, gives the dashboards what the nightly on DuckDB gives them (issue 15).

The same demo days (one landing folder, one pseudonym key) go through the real Dagster nightly
twice, in two data folders: once with ``VOC_ENGINE=duckdb``, once with ``VOC_ENGINE=spark`` on
``local[2]`` (ingestion and NLP writing the Parquet lake, sentiment scored by Spark's executors,
dbt's spark target, the serving snapshot built from Spark's models). Then:

- every KPI mart of the two serving snapshots is equal: the same columns and rows, exact for
  counts, labels and dates, within 1e-9 for rates and other floating-point values, except the
  values computed from the sentiment model's scores (columns named ``*sentiment*``), within 5e-5:
  the model's float32 outputs move by up to ~1e-5 with the batch a text is padded in, and Spark's
  executors batch the texts differently from one process;
- every other table the dashboards read holds the same rows (run-time stamps aside);
- the lake holds one folder per landing day for each raw and nlp table, and the spark warehouse
  file holds no raw or nlp rows of its own (views over the lake), while reconciliation passed.

Time: 38 minutes on the shared 2-core machine at load 11-21, niced (DuckDB nightly 9, Spark nightly
25: NLP's JVM and workers 5, dbt on Spark with its data tests 19); on an idle machine Spark's fixed
costs shrink several-fold. Most of it is per-statement Spark overhead, not data.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DEMO_START, TINY_RECIPE, make_demo
from tests.dbt import BUILD_STAMPS

DAYS = 3
RATE_TOLERANCE = 1e-9
MODEL_TOLERANCE = 5e-5  # measured: at most 7.8e-6 between the engines on these days
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
# Stamps of when a run happened, not of what it computed.
RUN_TIME_COLUMNS = BUILD_STAMPS | {"_loaded_at", "published_at", "created_at", "delivered_at", "run_id",
                                   "first_seen_at", "last_seen_at", "detected_at", "sent_at"}


def _sorted_rows(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[tuple]:
    rows = conn.execute(f"select {', '.join(columns)} from {table}").fetchall()
    return sorted(rows, key=lambda row: tuple((value is None, str(value)) for value in row))


def _assert_same_rows(duck: duckdb.DuckDBPyConnection, spark: duckdb.DuckDBPyConnection, table: str) -> int:
    """Assert ``table`` holds the same rows in both snapshots (floats within 1e-9); returns its rows."""
    described = duck.execute(f"describe {table}").fetchall()
    spark_columns = {name for name, *_ in spark.execute(f"describe {table}").fetchall()}
    columns = [name for name, *_ in described if name not in RUN_TIME_COLUMNS]
    assert set(columns) <= spark_columns, (table, set(columns) - spark_columns)
    floats = {name for name, kind, *_ in described if kind in FLOAT_TYPES or kind.startswith("DECIMAL")}
    # Sort on the exact columns, so float noise never reorders rows.
    ordered = [name for name in columns if name not in floats] + sorted(floats & set(columns))
    expected, actual = _sorted_rows(duck, table, ordered), _sorted_rows(spark, table, ordered)
    assert len(actual) == len(expected), table
    for duck_row, spark_row in zip(expected, actual, strict=True):
        for name, want, got in zip(ordered, duck_row, spark_row, strict=True):
            if name in floats and want is not None and got is not None:
                tolerance = MODEL_TOLERANCE if "sentiment" in name else RATE_TOLERANCE
                assert math.isclose(float(got), float(want), rel_tol=0, abs_tol=tolerance), (table, name, duck_row)
            else:
                assert got == want, (table, name, duck_row, spark_row)
    return len(expected)


def _nightly(engine: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from pipelines.runner import run_nightly
    from pipelines.settings import get_settings

    monkeypatch.setenv("VOC_ENGINE", engine)
    monkeypatch.setenv("VOC_DATA_DIR", str(data_dir))
    outcome = run_nightly(DEMO_START, DEMO_START + timedelta(days=DAYS - 1))
    assert outcome.success and outcome.published, (engine, outcome.errors)
    return get_settings()


@pytest.mark.slow
def test_the_nightly_on_spark_publishes_what_the_nightly_on_duckdb_publishes(
        tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.ingest.reconcile import reconcile
    from pipelines.lake import partition_folder
    from pipelines.nlp.tables import PARTITIONED_TABLES
    from pipelines.publish import serving_path, serving_tables
    from pipelines.settings import get_settings
    from pipelines.warehouse import Warehouse

    monkeypatch.setenv("VOC_SENTIMENT_MODEL_DIR", str(tiny_model))
    monkeypatch.setenv("VOC_SENTIMENT_TRAIN_CONFIG", str(TINY_RECIPE))
    monkeypatch.setenv("VOC_SENTIMENT_ENGINE", "transformer")
    monkeypatch.setenv("VOC_SPARK_MASTER", "local[2]")
    # One landing folder and one pseudonym key: both engines read the same files into the same ids.
    monkeypatch.setenv("VOC_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("VOC_PSEUDONYM_KEY_FILE", str(tmp_path / "pseudonym.key"))
    for name in ("VOC_WAREHOUSE_PATH", "VOC_DBT_WAREHOUSE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOC_DATA_DIR", str(tmp_path / "duckdb"))
    make_demo(get_settings(), days=DAYS, customers=1500, seed=5)

    on_duckdb = _nightly("duckdb", tmp_path / "duckdb", monkeypatch)
    on_spark = _nightly("spark", tmp_path / "spark", monkeypatch)

    for day in range(DAYS):
        landing_day = DEMO_START + timedelta(days=day)
        for schema, table in [("raw", "calls"), ("raw", "call_turns"), ("raw", "surveys"), ("raw", "social_posts"),
                              *(("nlp", table) for table in PARTITIONED_TABLES)]:
            assert (partition_folder(on_spark.lake_dir, schema, table, landing_day) / "data_0.parquet").is_file()
    lake_warehouse = Warehouse.from_settings(on_spark)
    with lake_warehouse.connect(read_only=True) as conn:
        kinds = dict(conn.execute("select table_schema || '.' || table_name, table_type from information_schema.tables "
                                  "where table_schema in ('raw', 'nlp', 'kpi')").fetchall())
    assert kinds["raw.calls"] == kinds["nlp.turn_sentiment"] == kinds["kpi.kpi_fcr"] == "VIEW"
    assert kinds["raw.quarantine"] == kinds["nlp.sentiment_cache"] == "BASE TABLE"
    from pipelines.engine import EngineResource

    checked = reconcile("calls", EngineResource.from_settings(on_spark).bind(lake_warehouse))
    assert checked.rows_loaded > 0 and not checked.mismatches

    with duckdb.connect(str(serving_path(on_duckdb)), read_only=True) as duck, \
            duckdb.connect(str(serving_path(on_spark)), read_only=True) as spark:
        rows = {table: _assert_same_rows(duck, spark, table) for table in serving_tables(on_duckdb.dbt_project_dir)}
    kpis = {table: count for table, count in rows.items() if table.startswith("kpi.")}
    assert len(kpis) >= 11 and all(kpis.values()), kpis
    assert rows["marts.fct_contacts"] > 0 and rows["marts.rpt_verbatims"] > 0
