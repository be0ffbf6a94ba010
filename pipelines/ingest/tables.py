"""DDL of the ``raw`` schema: the source tables derive from the contracts; the quarantine and
the file ledger are the loader's own."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.contracts import SOURCE_NAMES, load_contract

LINEAGE_COLUMNS = """
    _source_file VARCHAR NOT NULL,
    _file_hash VARCHAR NOT NULL,
    _row_number BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL,
    _partition_date DATE NOT NULL
"""

_LOADER_DDL = f"""CREATE TABLE IF NOT EXISTS raw.quarantine (
    source VARCHAR NOT NULL, reason_code VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    raw_content VARCHAR NOT NULL, {LINEAGE_COLUMNS});
CREATE TABLE IF NOT EXISTS raw.ingest_files (
    source VARCHAR NOT NULL, _partition_date DATE NOT NULL, _source_file VARCHAR NOT NULL,
    _file_hash VARCHAR NOT NULL, encoding VARCHAR NOT NULL, status VARCHAR NOT NULL,
    duplicate_of VARCHAR, rows_in BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL, _loaded_at TIMESTAMP NOT NULL);"""


def raw_ddl(contracts_dir: Path | None, source_tables: bool = True) -> str:
    """Idempotent DDL of every raw table, from the contracts extended by ``contracts_dir``
    (None: the repository's contracts alone, enough for a step that reads their columns only).
    ``source_tables=False``: the quarantine and the file ledger only (a warehouse whose source
    tables are views over the spark engine's lake, ``pipelines.lake``)."""
    return "\n".join([
        "CREATE SCHEMA IF NOT EXISTS raw;",
        *(contract.table_ddl(table, LINEAGE_COLUMNS)
          for contract in (load_contract(source, contracts_dir) for source in SOURCE_NAMES if source_tables)
          for table in contract.tables),
        _LOADER_DDL,
    ])


def source_tables_of(contracts_dir: Path | None) -> list[str]:
    """Names of the raw tables the contracts define (quarantine and ledger excluded)."""
    return [table for source in SOURCE_NAMES for table in load_contract(source, contracts_dir).tables]
