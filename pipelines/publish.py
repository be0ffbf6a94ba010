"""Publish what dashboards read into a separate serving DuckDB file, swapped in whole.

DuckDB allows one read-write process or many readers, never both, so dashboards never open the
working file: the nightly run copies the marts into ``serving.duckdb.next`` beside the live
serving file and ``os.replace``s it, atomically. A reader with the old file open keeps reading
the old snapshot until its query ends; the next query opens the new file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.ingest.warehouse import warehouse
from pipelines.settings import Settings, get_settings

SERVING_TABLES = (
    "kpi.kpi_fcr", "kpi.kpi_repeat_complaints", "kpi.kpi_nps", "kpi.kpi_csat", "kpi.kpi_sentiment",
    "kpi.kpi_iceberg", "kpi.kpi_sla", "kpi.kpi_recovery", "kpi.kpi_topic_trends",
    "marts.fct_contacts", "marts.fct_complaints", "marts.fct_survey_responses", "marts.fct_social_posts",
    "marts.dim_customers", "marts.dim_topics", "marts.dim_dates", "seeds.kpi_targets",
)


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]
    published_at: datetime


def serving_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / "serving.duckdb"


def publish(settings: Settings | None = None) -> Publication:
    """Copy the serving tables into a new file and swap it in; the old file stays until then."""
    settings = settings or get_settings()
    target = serving_path(settings)
    staging = target.with_name(target.name + ".next")
    staging.unlink(missing_ok=True)
    published_at = datetime.now().replace(microsecond=0)
    counts: dict[str, int] = {}
    with warehouse() as conn:
        conn.execute(f"ATTACH '{staging}' AS serving")
        try:
            for table in SERVING_TABLES:
                schema, name = table.split(".")
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS serving.{schema}")
                conn.execute(f"CREATE TABLE serving.{schema}.{name} AS SELECT * FROM {table}")
                counts[table] = conn.execute(f"SELECT count(*) FROM serving.{schema}.{name}").fetchone()[0]
            conn.execute("CREATE TABLE serving.main.voc_publication AS SELECT ?::TIMESTAMP AS published_at, "
                         "(SELECT max(_partition_date) FROM raw.calls) AS data_through", [published_at])
        finally:
            conn.execute("DETACH serving")
    os.replace(staging, target)
    return Publication(target, counts, published_at)
