"""Nightly incremental builds give the same marts as one full build over the same days."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DEMO_START, TINY_RECIPE
from tests.dbt import BUILD_STAMPS

DAYS = 3
SLICE = "period_type, period_start, dimension, dimension_value"
TABLES = {
    "marts.fct_contacts": "contact_id", "marts.fct_complaints": "complaint_id",
    "marts.fct_survey_responses": "survey_id", "marts.fct_social_posts": "post_id",
    **{f"kpi.{kpi}": SLICE for kpi in ("kpi_fcr", "kpi_repeat_complaints", "kpi_nps", "kpi_csat", "kpi_sla",
                                       "kpi_recovery", "kpi_iceberg", "kpi_sentiment")},
    "kpi.kpi_key_drivers": "period_type, period_start, topic_code",
}


def _rows(conn: duckdb.DuckDBPyConnection, table: str, key: str) -> list[tuple]:
    schema, name = table.split(".")
    columns = [column for (column,) in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, name]).fetchall() if column not in BUILD_STAMPS]
    return conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}").fetchall()


def _build(folder: Path, tiny_model: Path, nightly: bool) -> dict[str, list[tuple]]:
    from pipelines.runner import run_nightly
    from pipelines.settings import get_settings
    from tests.conftest import make_demo

    saved = dict(os.environ)
    os.environ.update({"VOC_DATA_DIR": str(folder), "VOC_SENTIMENT_MODEL_DIR": str(tiny_model),
                       "VOC_SENTIMENT_TRAIN_CONFIG": str(TINY_RECIPE)})
    try:
        settings = get_settings()
        make_demo(settings, days=DAYS, customers=4000, seed=8)
        last = DEMO_START + timedelta(days=DAYS - 1)
        windows = [(DEMO_START + timedelta(days=i),) * 2 for i in range(DAYS)] if nightly else [(DEMO_START, last)]
        for start, end in windows:
            assert run_nightly(start, end).success
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            return {table: _rows(conn, table, key) for table, key in TABLES.items()}
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.slow
def test_night_by_night_equals_one_full_build(tmp_path: Path, tiny_model: Path) -> None:
    full = _build(tmp_path / "full", tiny_model, nightly=False)
    nightly = _build(tmp_path / "nightly", tiny_model, nightly=True)
    for table in TABLES:
        assert full[table], f"{table} is empty"
        assert nightly[table] == full[table], table
