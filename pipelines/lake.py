"""The spark engine's input: the warehouse's raw and nlp tables as a Parquet lake, one folder per day.

Layout (Hive-style partitions, which Spark discovers by itself)::

    <lake>/raw/<table>/partition_date=YYYY-MM-DD/data_0.parquet
    <lake>/nlp/<table>/partition_date=YYYY-MM-DD/data_0.parquet

where ``<lake>`` is ``Settings.lake_dir`` (``$VOC_DATA_DIR/lake``). The tables exported are the dbt
project's sources (``models/**/_*sources.yml``), nothing else: the quarantine keeps raw input that
may hold personal numbers in clear, and stays in the warehouse. The files keep the ``_partition_date``
(landing day) column too, so the staging models read the same columns on both engines. dbt registers
the folders as Spark tables when it starts (macro ``register_lake_sources``).

This is the first stage of issue 15: the lake is exported from a DuckDB warehouse that ingestion and
NLP already filled. Ingestion and NLP writing the lake directly, per partition, is a later stage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import yaml

from pipelines.warehouse import Warehouse

LANDING_DAY_COLUMN = "_partition_date"
PARTITION_FOLDER_KEY = "partition_date"


def dbt_source_tables(project_dir: Path) -> list[tuple[str, str]]:
    """(schema, table) of every source declared in the dbt project's ``models/**/*.yml``, sorted."""
    tables = set()
    for path in (project_dir / "models").rglob("*.yml"):
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources", []):
            schema = source.get("schema", source["name"])
            tables.update((schema, table.get("identifier", table["name"])) for table in source.get("tables", []))
    return sorted(tables)


def _write_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path) -> int:
    """Write one table into ``folder`` (which must not exist); returns its row count.

    An empty table becomes one empty Parquet file, so Spark still learns its columns.
    """
    rows = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    folder.mkdir(parents=True)
    if rows == 0:
        conn.execute(f"""copy (select * from "{schema}"."{table}") to '{folder / 'empty.parquet'}' (format parquet)""")
    else:
        conn.execute(
            f"""copy (select *, {LANDING_DAY_COLUMN} as {PARTITION_FOLDER_KEY} from "{schema}"."{table}")
                to '{folder}' (format parquet, partition_by ({PARTITION_FOLDER_KEY}), overwrite_or_ignore)"""
        )
    return rows


def _swap_in(new: Path, current: Path) -> None:
    """Replace ``current`` with ``new``: two renames, so a reader sees the old or the new table whole
    (hidden ``.``-folders are ignored by Spark)."""
    retired = current.with_name(f".{current.name}.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if current.exists():
        current.rename(retired)
    new.rename(current)
    shutil.rmtree(retired, ignore_errors=True)


def export_lake(warehouse: Warehouse, project_dir: Path, lake_dir: Path) -> dict[str, int]:
    """Export the source tables of the dbt project in ``project_dir`` from ``warehouse`` under
    ``lake_dir``; returns ``{"schema.table": rows}``.

    Each table is rewritten whole into a hidden folder and then swapped in. Raises
    ``FileNotFoundError`` when the warehouse does not exist and ``duckdb.CatalogException`` when
    a source table is missing from it.
    """
    exported: dict[str, int] = {}
    with warehouse.connect(read_only=True) as conn:
        for schema, table in dbt_source_tables(project_dir):
            current = lake_dir / schema / table
            new = current.with_name(f".{table}.new")
            shutil.rmtree(new, ignore_errors=True)
            exported[f"{schema}.{table}"] = _write_table(conn, schema, table, new)
            _swap_in(new, current)
    return exported


def main() -> int:
    """``python -m pipelines.lake``: export the settings' warehouse to their lake, one line per table."""
    from pipelines.settings import get_settings

    settings = get_settings()
    try:
        exported = export_lake(Warehouse.from_settings(settings), settings.dbt_project_dir, settings.lake_dir)
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"error: {error}".splitlines()[0])
        return 1
    for table, rows in exported.items():
        print(f"{table}: {rows} rows → {settings.lake_dir / table.replace('.', '/')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
