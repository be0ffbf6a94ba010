"""Publish what dashboards read into a separate serving DuckDB file, swapped in whole.

DuckDB allows one read-write process or many readers, never both, so dashboards never open the
working file. Each publish copies the marts into a new file, ``serving/<time>/serving.duckdb``, and
then atomically replaces the link ``serving.duckdb`` with one pointing at it. A reader with the old
file open keeps its snapshot until its query ends. The new *path* matters: DuckDB reuses a database
already open in the same process under the same path, so Superset (whose connection mutator opens
the link's target) would otherwise answer the next query from the old file while an old query runs.
The file *name* stays ``serving.duckdb``: DuckDB names a database after its file, and Superset lists
schemas under that name (``serving.kpi``), so a dataset an analyst makes on a listed schema still
finds it after the next publish (with ``serving-<time>.duckdb`` until round 24 it did not).
Old versions are deleted once two newer ones exist; on POSIX an open reader keeps its unlinked file.

Nothing is published unless the PII audit (``pipelines.pii_audit``) passes on the warehouse as it is
now: on a failure the link keeps pointing at the last good snapshot.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines.alerts.ledger import ensure_ledger
from pipelines.pii_audit import PiiAuditFailed, latest_audit, run_audit
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse

# The dbt schemas whose every model is published: an analyst's new mart or KPI reaches SQL Lab and charts
# with no Python change. Beside them, the targets seed and the alert ledger (written by the pipeline).
SERVING_SCHEMAS = ("kpi", "marts")
SERVING_EXTRAS = ("seeds.kpi_targets", "alerts.alert_ledger")


def serving_tables(dbt_project_dir: Path) -> tuple[str, ...]:
    """``schema.table`` of every table the snapshot copies: each model of the dbt project (its manifest,
    re-parsed when a file is newer) in ``SERVING_SCHEMAS`` that is built as a table, view or incremental
    (not an ephemeral one), then ``SERVING_EXTRAS``. Raises RuntimeError when dbt cannot parse the project."""
    import json

    from pipelines.defs.dbt import ensure_manifest

    manifest = json.loads(ensure_manifest(dbt_project_dir).read_text(encoding="utf-8"))
    models = sorted(f"{node['schema']}.{node['name']}" for node in manifest["nodes"].values()
                    if node["resource_type"] == "model" and node["schema"] in SERVING_SCHEMAS
                    and node["config"].get("enabled", True) and node["config"].get("materialized") != "ephemeral")
    return (*models, *SERVING_EXTRAS)


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


SNAPSHOT_NAME = "serving.duckdb"


def _prune(folder: Path, keep: Path) -> None:
    """Delete all but the newest ``KEEP_VERSIONS`` snapshot folders, never ``keep``'s, and the single-file
    snapshots (``serving-<time>.duckdb``) of versions before round 24."""
    versions = sorted((path for path in folder.iterdir() if (path / SNAPSHOT_NAME).exists()),
                      key=lambda path: path.stat().st_mtime_ns, reverse=True)
    for old in versions[KEEP_VERSIONS:]:
        if old != keep.parent:
            shutil.rmtree(old, ignore_errors=True)
    for legacy in folder.glob("serving-*.duckdb*"):
        legacy.unlink(missing_ok=True)


def publish(settings: Settings, warehouse: Warehouse, run_id: str | None = None) -> Publication:
    """Copy the serving tables into a new file and swap the link to it; the old file stays until then.

    Audits the warehouse first, unless an audit of this Dagster run (``run_id``, the nightly's
    blocking check) already passed. Raises ``PiiAuditFailed`` and publishes nothing on a finding.
    """
    tables = serving_tables(settings.dbt_project_dir)
    link = serving_path(settings)
    folder = _versions_dir(settings)
    published_at = datetime.now().replace(microsecond=0)
    version = folder / f"{datetime.now():%Y%m%dT%H%M%S%f}"
    version.mkdir()
    staging = version / SNAPSHOT_NAME
    partial = staging.with_suffix(".duckdb.partial")
    counts: dict[str, int] = {}
    with warehouse.connect() as conn:
        audit = latest_audit(conn)
        if run_id is None or audit is None or audit.run_id != run_id:
            audit = run_audit(conn, tables, run_id)
        if not audit.passed:
            raise PiiAuditFailed(f"nothing published, dashboards keep the last good snapshot. {audit.summary()}")
        ensure_ledger(conn)  # a warehouse whose alert step never ran still publishes an empty 告警记录
        conn.execute(f"ATTACH '{partial}' AS serving")
        try:
            for table in tables:
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
