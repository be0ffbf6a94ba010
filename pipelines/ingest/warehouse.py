"""The working DuckDB file: connections that wait politely for the single writer, and raw DDL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.ingest.contracts import SOURCE_NAMES, load_contract
from pipelines.settings import get_settings

LINEAGE_COLUMNS = """
    _source_file VARCHAR NOT NULL,
    _file_hash VARCHAR NOT NULL,
    _row_number BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL,
    _partition_date DATE NOT NULL
"""

# The source tables' DDL derives from the repository's contracts (pipelines/contracts); the
# quarantine and the file ledger are the loader's own.
RAW_DDL = "\n".join([
    "CREATE SCHEMA IF NOT EXISTS raw;",
    *(contract.table_ddl(table, LINEAGE_COLUMNS)
      for contract in (load_contract(source) for source in SOURCE_NAMES) for table in contract.tables),
    f"""CREATE TABLE IF NOT EXISTS raw.quarantine (
    source VARCHAR NOT NULL, reason_code VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    raw_content VARCHAR NOT NULL, {LINEAGE_COLUMNS});""",
    """CREATE TABLE IF NOT EXISTS raw.ingest_files (
    source VARCHAR NOT NULL, _partition_date DATE NOT NULL, _source_file VARCHAR NOT NULL,
    _file_hash VARCHAR NOT NULL, encoding VARCHAR NOT NULL, status VARCHAR NOT NULL,
    duplicate_of VARCHAR, rows_in BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL, _loaded_at TIMESTAMP NOT NULL);""",
])


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB write lock for longer than we are willing to wait."""


def _is_lock_error(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds the file lock."""
    settings = get_settings()
    path = path or settings.warehouse_path
    if read_only and not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `voc run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.db_lock_timeout_s
    delay = 0.2
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not _is_lock_error(error) or time.monotonic() > deadline:
                if _is_lock_error(error):
                    raise WarehouseBusyError(
                        f"{path} is locked by another process (a running pipeline?) "
                        f"for more than {settings.db_lock_timeout_s:.0f} s"
                    ) from error
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def warehouse(read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = connect(read_only=read_only)
    try:
        if not read_only:
            conn.execute(RAW_DDL)
        yield conn
    finally:
        conn.close()
