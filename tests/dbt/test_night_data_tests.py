"""The narrowed `unique` test of a night (dbt_project/macros/generic_tests.sql): on a night it checks
the keys of the rows the night wrote against the whole table, so a duplicate a night creates fails
it, while an older duplicate is left to the full build's check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from bench.dbt_build import START, _dbt, fill
from pipelines.settings import REPO_ROOT

PROJECT = REPO_ROOT / "dbt_project"

DAYS = 4
# Staging tests warn (dbt_project.yml); --warn-error makes a finding fail the run.
UNIQUE_CALL_ID = ["test", "--warn-error", "--select", "unique_stg_calls__calls_call_id"]


def _duplicate_a_call(warehouse: Path, as_of_partition: str) -> None:
    """Stage a second copy of one call, as if delivered in `as_of_partition`."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("INSERT INTO staging.stg_calls__calls BY NAME "
                     "SELECT * REPLACE (CAST(? AS DATE) AS partition_date) FROM staging.stg_calls__calls "
                     "WHERE partition_date = DATE '" + START + "' LIMIT 1", [as_of_partition])


@pytest.mark.slow
def test_a_night_catches_its_own_duplicates_and_a_full_check_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    warehouse = tmp_path / "warehouse.duckdb"
    fill(warehouse, 0, DAYS, 20, 50)
    assert _dbt(["run", "--full-refresh", "--select", "stg_calls__calls"], warehouse)["success"]
    night = (date.fromisoformat(START) + timedelta(days=DAYS - 1)).isoformat()
    assert _dbt(UNIQUE_CALL_ID, warehouse, night=night)["success"]

    _duplicate_a_call(warehouse, START)  # an older duplicate: not written by this night
    assert _dbt(UNIQUE_CALL_ID, warehouse, night=night)["success"]
    assert not _dbt(UNIQUE_CALL_ID, warehouse)["success"]

    _duplicate_a_call(warehouse, night)  # a duplicate in the night's partition
    assert not _dbt(UNIQUE_CALL_ID, warehouse, night=night)["success"]


def test_the_window_is_refused_as_vars(tmp_path: Path) -> None:
    """--vars start_date/end_date would be silently ignored (the window is two environment
    variables): the run stops and says which ones to set."""
    warehouse = tmp_path / "warehouse.duckdb"
    fill(warehouse, 0, 1, 5, 5)
    done = subprocess.run([sys.executable, "-m", "dbt.cli.main", "compile", "--select", "fct_contacts",
                           "--vars", json.dumps({"start_date": START, "end_date": START}),
                           "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          env={**os.environ, "VOC_DBT_WAREHOUSE_PATH": str(warehouse)}, capture_output=True, text=True)
    assert done.returncode != 0
    assert "VOC_DBT_START_DATE" in done.stdout + done.stderr
