"""The narrowed `unique` test of a night (dbt_project/macros/generic_tests.sql): on a night it checks
the keys of the rows the night wrote against the whole table, so a duplicate a night creates fails
it, while an older duplicate is left to the full build's check."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from bench.dbt_build import START, _dbt, fill

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
    night_vars = ["--vars", json.dumps({"start_date": night, "end_date": night})]
    assert _dbt(UNIQUE_CALL_ID + night_vars, warehouse)["success"]

    _duplicate_a_call(warehouse, START)  # an older duplicate: not written by this night
    assert _dbt(UNIQUE_CALL_ID + night_vars, warehouse)["success"]
    assert not _dbt(UNIQUE_CALL_ID, warehouse)["success"]

    _duplicate_a_call(warehouse, night)  # a duplicate in the night's partition
    assert not _dbt(UNIQUE_CALL_ID + night_vars, warehouse)["success"]
