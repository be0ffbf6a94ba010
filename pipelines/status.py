"""What has been loaded, per source and day, and whether the last PII audit passed: the operator's
morning questions."""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.pii_audit import AuditResult, latest_audit
from pipelines.warehouse import Warehouse


def load_status(warehouse: Warehouse, start: date | None = None,
                end: date | None = None) -> tuple[list[tuple], list[tuple]]:
    """Rows of (day, source, files, rows_in, loaded, quarantined) and (source, reason, count)."""
    where = "WHERE _partition_date BETWEEN ? AND ?" if start and end else ""
    params = [start, end] if where else []
    with warehouse.connect(read_only=True) as conn:
        days = conn.execute(
            f"""SELECT _partition_date, source, count(*) FILTER (WHERE status <> 'empty'),
                       sum(rows_in), sum(rows_loaded), sum(rows_quarantined)
                FROM raw.ingest_files {where} GROUP BY 1, 2 ORDER BY 1, 2""",
            params,
        ).fetchall()
        reasons = conn.execute(
            f"""SELECT source, reason_code, count(*) FROM raw.quarantine {where}
                GROUP BY 1, 2 ORDER BY 1, 3 DESC""",
            params,
        ).fetchall()
    return days, reasons


def days_without_files(days: list[tuple]) -> dict[str, list[date]]:
    """Per source, the days of the loaded span (the first to the last day any source loaded) on which that
    source had no file, or only empty ones: an export that never came is otherwise silent, since the night
    loads what landed. ``days`` are ``load_status``'s first rows; sources without a gap are left out."""
    if not days:
        return {}
    first, last = min(row[0] for row in days), max(row[0] for row in days)
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    had_files: dict[str, set[date]] = {}
    for day, source, files, *_ in days:
        seen = had_files.setdefault(source, set())
        if files:
            seen.add(day)
    gaps = {source: [day for day in span if day not in seen] for source, seen in had_files.items()}
    return {source: missing for source, missing in sorted(gaps.items()) if missing}


def days_with_older_topics(warehouse: Warehouse) -> list[date]:
    """Days whose documents were given topics by another taxonomy (or topic training set) than the latest
    day's: after an analyst adds a topic and re-runs recent days, the older days never mention it, so
    topic trends and the emerging-topic alert read it as new (a newcomer's first hour, round 24). Empty
    when every day agrees or no topic was assigned yet."""
    import duckdb

    try:
        with warehouse.connect(read_only=True) as conn:
            rows = conn.execute(
                """WITH latest AS (SELECT arg_max(model_version, _partition_date) AS version FROM nlp.document_topics)
                   SELECT DISTINCT _partition_date FROM nlp.document_topics, latest
                   WHERE model_version <> latest.version ORDER BY 1""").fetchall()
    except duckdb.Error:  # no nlp schema yet, or the spark engine keeps it in the lake
        return []
    return [row[0] for row in rows]


def audit_status(warehouse: Warehouse) -> AuditResult | None:
    """The last PII audit of the warehouse (None before the first nightly publish)."""
    with warehouse.connect(read_only=True) as conn:
        return latest_audit(conn)


def orphaned_duplicates(warehouse: Warehouse) -> list[tuple]:
    """Files set aside as ``duplicate`` of a file that is no longer loaded (its day was re-run after the
    operator removed it): their rows are in no table until their own day is re-run. Rows of (day, source,
    file, duplicate_of)."""
    with warehouse.connect(read_only=True) as conn:
        return conn.execute(
            """SELECT f._partition_date, f.source, f._source_file, f.duplicate_of FROM raw.ingest_files f
               WHERE f.status = 'duplicate' AND NOT EXISTS (
                   SELECT 1 FROM raw.ingest_files g
                   WHERE g.source = f.source AND g._file_hash = f._file_hash AND g.status = 'loaded')
               ORDER BY 1, 2, 3""").fetchall()
