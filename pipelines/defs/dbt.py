"""dbt models as Dagster assets: sources map onto the ingestion and NLP asset keys, so landing
files to KPI marts is one lineage graph; dbt tests become asset checks.

The manifest is re-parsed whenever a file of the dbt project is newer than it, so an analyst's
new ``.sql`` + YAML shows up in the nightly job without any Python change.
"""

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, BackfillPolicy, PartitionsDefinition, ResourceParam
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.dbt_window import window_environment
from pipelines.engine import SPARK_MODEL_SCHEMAS, EngineResource
from pipelines.lake import mount_spark_models
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_POOL, WarehouseResource, retry_if_transient

_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv"}


def _newest_source(project_dir: Path) -> float:
    newest = 0.0
    for folder in ("models", "seeds", "macros", "tests", "snapshots", "analyses"):
        for path in (project_dir / folder).rglob("*"):
            if path.suffix in _PROJECT_SUFFIXES:
                newest = max(newest, path.stat().st_mtime)
    return max(newest, (project_dir / "dbt_project.yml").stat().st_mtime)


def ensure_manifest(project_dir: Path) -> Path:
    """Parse the project if its manifest is missing or older than any of its files."""
    manifest = project_dir / "target" / "manifest.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source(project_dir):
        return manifest
    from dbt.cli.main import dbtRunner

    # Parse into a private folder, then rename: two processes starting at once (parallel test
    # workers, a CLI beside the daemon) never read each other's half-written manifest.
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=manifest.parent.resolve(), prefix=".parse-") as scratch:
        result = dbtRunner().invoke(["parse", "--quiet", "--project-dir", str(project_dir),
                                     "--profiles-dir", str(project_dir), "--target-path", scratch])
        parsed = Path(scratch) / "manifest.json"
        if not result.success or not parsed.exists():
            raise RuntimeError(f"dbt could not parse {project_dir}: {result.exception}")
        os.replace(parsed, manifest)
    return manifest


class VocTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, marts, kpi); sources keep [source, table]."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "dbt_seeds"
        fqn = dbt_resource_props.get("fqn", [])
        layer = fqn[-2] if len(fqn) >= 3 and fqn[-2] == "kpi" else (fqn[1] if len(fqn) > 2 else "dbt")
        return f"dbt_{layer}"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)


def dbt_models_asset(project_dir: Path, partitions: PartitionsDefinition) -> AssetsDefinition:
    """Every model, seed and test of the dbt project in ``project_dir`` (VOC_DBT_PROJECT_DIR)."""

    @dbt_assets(
        manifest=ensure_manifest(project_dir),
        dagster_dbt_translator=VocTranslator(),
        partitions_def=partitions,
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
                   engine: EngineResource, settings: ResourceParam[Settings]):
        """Build (run + test) the selected models for the run's days on the engine's target;
        incremental facts use the window. On spark, the models Spark wrote then become views in the
        warehouse, where alerts, the PII audit and the serving snapshot read them."""
        # dbt runs as a child process and reads its warehouse (and on spark its master and lake) from
        # the environment; these variables are dbt's alone (profiles.yml), so setting them never
        # redirects the pipeline's own settings.
        os.environ["VOC_DBT_WAREHOUSE_PATH"] = str(warehouse.handle().path)
        os.environ.update(engine.dbt_env())
        window = context.partition_key_range
        # The target folder is kept between nights: dbt re-parses only what changed since.
        target = settings.data_dir / "dbt" / ("target" if engine.dbt_target == "dev" else f"target-{engine.dbt_target}")
        changed = changed_kpi_vars(project_dir, target)
        arguments = ["build", "--target", engine.dbt_target]
        if changed:
            context.log.info(f"KPI settings in dbt_project.yml changed since the last build ({changed}): every model "
                             "is rebuilt from the full history (--full-refresh), so no stored row keeps the old definition")
            arguments.append("--full-refresh")
        with window_environment(window.start, window.end):  # dbt's process starts inside cli()
            invocation = dbt.cli(arguments, context=context, target_path=target)
        yield from invocation.stream()
        record_kpi_vars(project_dir, target)  # only after a build that succeeded (a failed one raised above)
        if engine.on_spark:
            handle = engine.bind(warehouse.handle())
            with retry_if_transient(), handle.connect() as conn:
                mounted = mount_spark_models(conn, handle.lake, SPARK_MODEL_SCHEMAS)
            context.log.info(f"{len(mounted)} Spark models mounted as views in {handle.path}")

    return dbt_models


_KPI_VARS_FILE = "voc_kpi_vars.json"


def _kpi_vars(project_dir: Path) -> dict[str, Any]:
    import yaml

    return (yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8")) or {}).get("vars") or {}


def changed_kpi_vars(project_dir: Path, target: Path) -> str:
    """The project's ``vars`` (the KPI parameters) that differ from those of the last successful build into
    ``target``, as ``name old → new``; empty when none did or no build recorded them yet.

    Incremental models keep the rows earlier nights computed, so a new FCR window (``fcr_window_days``)
    would otherwise apply to the night's rows only, and the KPI reconciliation tests would fail until
    someone ran ``dbt build --full-refresh`` by hand (a newcomer's first hour, round 24)."""
    import json

    recorded = target / _KPI_VARS_FILE
    if not recorded.exists():
        return ""
    before, now = json.loads(recorded.read_text(encoding="utf-8")), _kpi_vars(project_dir)
    return ", ".join(f"{name} {before.get(name)!r} → {now.get(name)!r}" for name in sorted(set(before) | set(now))
                     if before.get(name) != now.get(name))


def record_kpi_vars(project_dir: Path, target: Path) -> None:
    import json

    target.mkdir(parents=True, exist_ok=True)
    (target / _KPI_VARS_FILE).write_text(json.dumps(_kpi_vars(project_dir), ensure_ascii=False, sort_keys=True),
                                         encoding="utf-8")


def dbt_resource(project_dir: Path) -> DbtCliResource:
    # The dbt installed beside this Python, whatever PATH says (cron, the Dagster daemon, CI).
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(project_dir=str(project_dir), profiles_dir=str(project_dir),
                          dbt_executable=str(executable))

