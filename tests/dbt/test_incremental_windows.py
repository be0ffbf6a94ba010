"""Nights far past the censoring windows: the incremental scopes (changed customers, censoring
windows, recomputed KPI periods; dbt_project/README.md) give the same tables as one full build.

The demo-based test (test_incremental.py) runs three nights, all inside the FCR window, so every
night recomputes everything; here 45 days of the dbt benchmark's synthetic data (few customers, so
issues repeat within and beyond the 7- and 30-day windows) are built once in full and, beside it,
built to day 41 and then night by night.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from bench.dbt_build import START, _dbt, fill
from tests.dbt import BUILD_STAMPS

DAYS = 45
NIGHTS = 3
PER_DAY = 60
CUSTOMERS = 300
SCHEMAS = ("staging", "intermediate", "marts", "kpi")
# Views are recomputed on read; stg_calls__turns is a view over turns the benchmark does not write.
SKIPPED = {"int_iceberg__signals", "stg_calls__turns"}


def _tables(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """{schema.table: columns but the build stamp} of every dbt table."""
    rows = conn.execute(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t USING (table_schema, table_name) "
        f"WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN {SCHEMAS} ORDER BY c.ordinal_position").fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        if table not in SKIPPED and column not in BUILD_STAMPS:
            tables.setdefault(f"{schema}.{table}", []).append(column)
    return tables


def _rounded(row: tuple) -> tuple:
    """Floats to 12 significant digits: DuckDB's parallel sums may add in another order on a night
    than in a full build, which moves the last binary digit (seen in kpi_key_drivers)."""
    return tuple(float(f"{value:.12g}") if isinstance(value, float) else value for value in row)


def _contents(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {table: sorted((_rounded(row) for row in
                               conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()), key=repr)
                for table, columns in _tables(conn).items()}


def _redeliver_corrected_call(warehouse: Path, night: str) -> str:
    """Re-send the first day's first quickly answered complaint call in `night`'s partition with a
    corrected queue wait and escalation tier (latest_wins): only the contact's own columns change,
    none that its issue's sequence moves, so a night must rewrite it in fct_contacts and
    fct_complaints because int_contacts_unified did. Returns its id."""
    with duckdb.connect(str(warehouse)) as conn:
        (call_id,) = conn.execute(
            "SELECT min(call_id) FROM raw.calls WHERE direction = 'inbound' AND complaint_flag "
            "AND queue_wait_seconds < 30 AND _partition_date = ?", [date.fromisoformat(START)]).fetchone()
        conn.execute("INSERT INTO raw.calls SELECT * REPLACE (queue_wait_seconds + 600 AS queue_wait_seconds, "
                     "CAST(escalation_tier % 4 + 1 AS TINYINT) AS escalation_tier, CAST(? AS DATE) AS _partition_date) "
                     "FROM raw.calls WHERE call_id = ?", [night, call_id])
    return call_id


@pytest.mark.slow
def test_nights_past_the_windows_equal_one_full_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    full, nightly = tmp_path / "full.duckdb", tmp_path / "nightly.duckdb"
    last_night = (date.fromisoformat(START) + timedelta(days=DAYS - 1)).isoformat()
    fill(full, 0, DAYS, PER_DAY, CUSTOMERS)
    corrected = _redeliver_corrected_call(full, last_night)
    assert _dbt(["build", "--full-refresh"], full)["success"]

    fill(nightly, 0, DAYS - NIGHTS, PER_DAY, CUSTOMERS)
    assert _dbt(["build", "--full-refresh"], nightly)["success"]
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "night-logs"))
    for day in range(DAYS - NIGHTS, DAYS):
        fill(nightly, day, 1, PER_DAY, CUSTOMERS)
        night = (date.fromisoformat(START) + timedelta(days=day)).isoformat()
        if night == last_night:
            assert _redeliver_corrected_call(nightly, night) == corrected
        assert _dbt(["build"], nightly, night=night)["success"]

    # A new night's window (environment variables, pipelines/dbt_window.py) keeps dbt's saved parse.
    night_log = (tmp_path / "night-logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Partial parsing enabled" in night_log
    assert "Unable to do partial parsing" not in night_log

    expected, got = _contents(full), _contents(nightly)
    assert set(got) == set(expected)
    assert expected["kpi.kpi_fcr"] and expected["marts.fct_complaints"]
    with duckdb.connect(str(nightly), read_only=True) as conn:  # the correction reached both marts
        assert conn.execute("SELECT queue_wait_seconds >= 600 AND NOT answered_within_sla FROM marts.fct_contacts "
                            "WHERE contact_id = ?", [corrected]).fetchone() == (True,)
        assert conn.execute("SELECT c.escalation_tier = r.escalation_tier FROM marts.fct_complaints AS c "
                            "JOIN raw.calls AS r ON r.call_id = c.complaint_id AND r._partition_date = ? "
                            "WHERE c.complaint_id = ?", [last_night, corrected]).fetchone() == (True,)
    for table in expected:
        assert got[table] == expected[table], table
