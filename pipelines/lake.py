"""The spark engine's input: the warehouse's raw and nlp tables as a Parquet lake, one folder per day.

Layout (Hive-style partitions, which Spark discovers by itself)::

    <lake>/raw/<table>/partition_date=YYYY-MM-DD/data_0.parquet
    <lake>/nlp/<table>/partition_date=YYYY-MM-DD/data_0.parquet

where ``<lake>`` is ``Settings.lake_dir`` (``$VOC_DATA_DIR/lake``). The tables exported are the dbt
project's sources (``models/**/_*sources.yml``), nothing else: the quarantine keeps raw input that
may hold personal numbers in clear, and stays in the warehouse. The files keep the ``_partition_date``
(landing day) column too, so the staging models read the same columns on both engines. dbt registers
the folders as Spark tables when it starts (macro ``register_lake_sources``).

On the spark engine, ingestion and NLP write the lake themselves, one partition at a time
(``write_partition``), and the DuckDB warehouse holds views over it (``mount_lake_tables``) and over
Spark's models (``mount_spark_models``), so every reader of the warehouse (reconciliation, the PII
audit, alerts, the serving snapshot) is the same on both engines. ``export_lake`` turns a DuckDB
warehouse into a lake once (moving an installation from one engine to the other).
"""

from __future__ import annotations

import shutil
from datetime import date
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


class EngineMismatchError(RuntimeError):
    """A warehouse table holds rows of the duckdb engine where the spark engine wants a lake view."""


def partition_folder(lake_dir: Path, schema: str, table: str, day: date) -> Path:
    """``<lake>/<schema>/<table>/partition_date=YYYY-MM-DD``: one landing day of one table."""
    return lake_dir / schema / table / f"{PARTITION_FOLDER_KEY}={day.isoformat()}"


def write_partition(conn: duckdb.DuckDBPyConnection, schema: str, tables: list[str], lake_dir: Path,
                    day: date) -> dict[str, int]:
    """Write ``schema.<table>`` of ``conn`` (the whole table: one day's rows, typed by the same DDL
    as the warehouse's) as the lake's partition of ``day`` for each of ``tables``; returns rows per
    table. Each folder is written hidden and swapped in with two renames, so Spark and the views
    see a day's old or new rows, never half; an empty table leaves one empty file (its columns)."""
    written = {}
    for table in tables:
        current = partition_folder(lake_dir, schema, table, day)
        new = current.with_name(f".{current.name}.new")
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        conn.execute(f"""copy (select * from "{schema}"."{table}") to '{new / 'data_0.parquet'}' (format parquet)""")
        written[table] = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        _swap_in(new, current)
    return written


def _replace_with_view(conn: duckdb.DuckDBPyConnection, schema: str, table: str, select: str) -> None:
    """``create or replace view schema.table as <select>``, dropping an empty table of that name
    first (the DDL's placeholder); a table with rows is the other engine's data and stays."""
    kind = conn.execute("select table_type from information_schema.tables where table_schema = ? and table_name = ?",
                        [schema, table]).fetchone()
    if kind and kind[0] == "BASE TABLE":
        if conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]:
            raise EngineMismatchError(
                f"{schema}.{table} in the warehouse holds rows of the duckdb engine: with VOC_ENGINE=spark use a "
                "new VOC_DATA_DIR, or export it once with `python -m pipelines.lake`")
        conn.execute(f'drop table "{schema}"."{table}"')
    conn.execute(f'create schema if not exists "{schema}"')
    conn.execute(f'create or replace view "{schema}"."{table}" as {select}')


def mount_lake_tables(conn: duckdb.DuckDBPyConnection, lake_dir: Path, schema: str, tables: list[str]) -> list[str]:
    """Make each ``schema.<table>`` of the warehouse a view over its lake folder (all days; a
    column a later contract added reads NULL in older days); returns the tables mounted, those
    with at least one day written. Views list the files at each query, so a new day needs no new view."""
    mounted = []
    for table in tables:
        files = lake_dir / schema / table / f"{PARTITION_FOLDER_KEY}=*" / "*.parquet"
        if next(files.parent.parent.glob(f"{files.parent.name}/{files.name}"), None) is None:
            continue
        _replace_with_view(conn, schema, table,
                           f"select * from read_parquet('{files}', union_by_name = true, hive_partitioning = false)")
        mounted.append(table)
    return mounted


def mount_spark_models(conn: duckdb.DuckDBPyConnection, lake_dir: Path, schemas: set[str]) -> list[str]:
    """Make every table Spark's dbt build wrote in ``schemas`` (managed Parquet under
    ``<lake>/warehouse/<schema>.db/<table>``) a view of the same name in the warehouse; returns them.

    A day-partitioned model keeps its ``partition_date`` in folder names (read back as a DATE);
    a table without files (an empty partitioned model) is skipped.
    """
    mounted = []
    for folder in sorted((lake_dir / "warehouse").glob("*.db/*")):
        schema, table = folder.parent.name.removesuffix(".db"), folder.name
        if schema not in schemas or not folder.is_dir() or next(folder.rglob("*.parquet"), None) is None:
            continue
        _replace_with_view(conn, schema, table,
                           f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)")
        mounted.append(f"{schema}.{table}")
    return mounted


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
