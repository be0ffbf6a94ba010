"""The serving snapshot: a separate file, swapped whole, readable while the next one is written."""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.settings import Settings
from pipelines.warehouse import Warehouse
from tests.conftest import DEMO_START


def test_nightly_run_publishes_a_serving_file_and_swaps_it(settings: Settings, small_demo: dict) -> None:
    from pipelines.publish import publish, serving_path, serving_tables
    from pipelines.runner import run_nightly

    assert run_nightly(DEMO_START, date(2026, 8, 2)).success
    path = serving_path(settings)
    reader = duckdb.connect(str(path), read_only=True)  # a dashboard query holding the old snapshot
    try:
        tables = {f"{s}.{t}" for s, t in reader.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema <> 'main'").fetchall()}
        assert tables == set(serving_tables(settings.dbt_project_dir)) and "marts.dim_periods" in tables
        old = reader.execute("SELECT sum(first_contacts) FROM kpi.kpi_fcr WHERE period_type = 'month' AND dimension = 'all'").fetchone()[0]
        assert run_nightly(date(2026, 8, 3), date(2026, 8, 3)).success  # publishes while the reader is open
        still_old = reader.execute("SELECT sum(first_contacts) FROM kpi.kpi_fcr WHERE period_type = 'month' AND dimension = 'all'").fetchone()[0]
        assert still_old == old
    finally:
        reader.close()
    with duckdb.connect(str(path), read_only=True) as fresh:
        new = fresh.execute("SELECT sum(first_contacts) FROM kpi.kpi_fcr WHERE period_type = 'month' AND dimension = 'all'").fetchone()[0]
        through = fresh.execute("SELECT data_through FROM voc_publication").fetchone()[0]
    assert new > old and through == date(2026, 8, 3)
    assert path.is_symlink() and path.resolve().parent.parent == path.parent / "serving"
    # The file keeps its name, so DuckDB (and Superset's schema list: serving.kpi) names the database the same
    assert path.resolve().name == "serving.duckdb"
    assert not list((path.parent / "serving").glob("*/*.partial"))
    publication = publish(settings, Warehouse.from_settings(settings))
    assert publication.tables["kpi.kpi_fcr"] > 0
    assert path.resolve() == publication.path  # each publish is a new file, so readers in one process see it
    assert len(list(publication.path.parent.parent.glob("*/serving.duckdb"))) <= 2  # old snapshots are pruned
