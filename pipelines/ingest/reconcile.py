"""Reconciliation of what came in against what was loaded or quarantined."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.contracts import load_contract
from pipelines.ingest.tables import raw_ddl
from pipelines.lake import mount_lake_tables
from pipelines.warehouse import Warehouse


@dataclass
class Reconciliation:
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    mismatches: list[dict] = field(default_factory=list)


def reconcile(source: str, warehouse: Warehouse) -> Reconciliation:
    """Compare the file log with the rows actually present, per partition."""
    primary = next(iter(load_contract(source).tables))  # one row per record
    # On the spark engine the raw tables are views over the lake (pipelines.lake): read the same way.
    with warehouse.connect(ddl=raw_ddl(None, source_tables=warehouse.lake is None)) as conn:
        loaded_from = f"raw.{primary}"
        if warehouse.lake is not None and not mount_lake_tables(conn, warehouse.lake, "raw", [primary]):
            loaded_from = "(SELECT NULL::DATE AS _partition_date WHERE false)"  # nothing in the lake yet
        rows = conn.execute(
            f"""
            WITH files AS (
                SELECT _partition_date, sum(rows_in) AS rows_in, sum(rows_loaded) AS rows_loaded,
                       sum(rows_quarantined) AS rows_quarantined
                FROM raw.ingest_files WHERE source = ? GROUP BY 1),
            loaded AS (SELECT _partition_date, count(*) AS n FROM {loaded_from} GROUP BY 1),
            quarantined AS (SELECT _partition_date, count(*) AS n FROM raw.quarantine
                            WHERE source = ? GROUP BY 1)
            SELECT coalesce(f._partition_date, l._partition_date, q._partition_date)::VARCHAR,
                   coalesce(f.rows_in, 0), coalesce(f.rows_loaded, 0), coalesce(f.rows_quarantined, 0),
                   coalesce(l.n, 0), coalesce(q.n, 0)
            FROM files f
            FULL JOIN loaded l USING (_partition_date)
            FULL JOIN quarantined q USING (_partition_date)
            ORDER BY 1
            """,
            [source, source],
        ).fetchall()
    result = Reconciliation()
    for day, rows_in, rows_loaded, rows_quarantined, in_table, in_quarantine in rows:
        result.rows_in += rows_in
        result.rows_loaded += rows_loaded
        result.rows_quarantined += rows_quarantined
        if rows_in != rows_loaded + rows_quarantined or rows_loaded != in_table or rows_quarantined != in_quarantine:
            result.mismatches.append({
                "partition": day, "rows_in": rows_in, "logged_loaded": rows_loaded,
                "logged_quarantined": rows_quarantined, "in_table": in_table, "in_quarantine": in_quarantine,
            })
    return result
