"""Publish what dashboards read into a separate serving DuckDB file, swapped in whole.

DuckDB allows one read-write process or many readers, never both, so dashboards never open the
working file. Each publish copies the marts into a new file, ``serving/serving-<time>.duckdb``, and
then atomically replaces the link ``serving.duckdb`` with one pointing at it. A reader with the old
file open keeps its snapshot until its query ends. The new *path* matters: DuckDB reuses a database
already open in the same process under the same path, so Superset (whose connection mutator opens
the link's target) would otherwise answer the next query from the old file while an old query runs.
Old versions are deleted once two newer ones exist; on POSIX an open reader keeps its unlinked file.

Nothing is published unless the PII audit (``pipelines.pii_audit``) passes on the warehouse as it is
now: on a failure the link keeps pointing at the last good snapshot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.alerts.ledger import ensure_ledger
from pipelines.pii_audit import PiiAuditFailed, latest_audit, run_audit
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse

SERVING_TABLES = (
    "kpi.kpi_fcr", "kpi.kpi_repeat_complaints", "kpi.kpi_nps", "kpi.kpi_csat", "kpi.kpi_sentiment",
    "kpi.kpi_iceberg", "kpi.kpi_sla", "kpi.kpi_recovery", "kpi.kpi_topic_trends", "kpi.kpi_followup", "kpi.kpi_key_drivers",
    "marts.fct_followups",
    "marts.fct_contacts", "marts.fct_complaints", "marts.fct_survey_responses", "marts.fct_social_posts",
    "marts.dim_customers", "marts.dim_topics", "marts.dim_dates", "seeds.kpi_targets",
    "marts.rpt_iceberg_levels", "marts.rpt_verbatims", "marts.rpt_contacts_daily", "alerts.alert_ledger",
)


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]
    published_at: datetime


KEEP_VERSIONS = 2


def serving_path(settings: Settings) -> Path:
    """The stable path dashboards connect to: a link to the current snapshot file."""
    return settings.data_dir / "serving.duckdb"


def _versions_dir(settings: Settings) -> Path:
    folder = settings.data_dir / "serving"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _swap_link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` atomically (a plain file left by an older version is replaced too)."""
    temporary = link.with_name(link.name + ".swap")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(target, link.parent))
    os.replace(temporary, link)


def _prune(folder: Path, keep: Path) -> None:
    versions = sorted(folder.glob("serving-*.duckdb"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in versions[KEEP_VERSIONS:]:
        if old != keep:
            old.unlink(missing_ok=True)


def publish(settings: Settings, warehouse: Warehouse, run_id: str | None = None) -> Publication:
    """Copy the serving tables into a new file and swap the link to it; the old file stays until then.

    Audits the warehouse first, unless an audit of this Dagster run (``run_id``, the nightly's
    blocking check) already passed. Raises ``PiiAuditFailed`` and publishes nothing on a finding.
    """
    link = serving_path(settings)
    folder = _versions_dir(settings)
    published_at = datetime.now().replace(microsecond=0)
    staging = folder / f"serving-{datetime.now():%Y%m%dT%H%M%S%f}.duckdb"
    partial = staging.with_suffix(".duckdb.partial")
    partial.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with warehouse.connect() as conn:
        audit = latest_audit(conn)
        if run_id is None or audit is None or audit.run_id != run_id:
            audit = run_audit(conn, SERVING_TABLES, run_id)
        if not audit.passed:
            raise PiiAuditFailed(f"nothing published, dashboards keep the last good snapshot. {audit.summary()}")
        ensure_ledger(conn)  # a warehouse whose alert step never ran still publishes an empty 告警记录
        conn.execute(f"ATTACH '{partial}' AS serving")
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
    partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
    os.replace(partial, staging)
    _swap_link(link, staging)
    _prune(folder, keep=staging)
    return Publication(staging, counts, published_at)
