"""The engine of a nightly run as a Dagster resource: ``duckdb`` (one machine) or ``spark``.

The asset graph, its checks and its schedule are the same on both; what the engine changes is
where rows live and what runs the heavy steps:

| step | duckdb | spark |
|---|---|---|
| ingestion (``raw``) | tables in the warehouse file | Parquet per day in the lake, views in the warehouse |
| NLP scoring (``nlp``) | the model in this process | the model on Spark's executors (``mapInPandas``); rows to the lake |
| dbt | target ``dev`` (dbt-duckdb) | target ``spark`` (dbt-spark session); models mounted as views |
| serving snapshot, alerts, PII audit | read the warehouse | the same (through the views) |

The warehouse file stays the control plane on both: quarantine, file ledger, sentiment cache,
audits, alert ledger. The lake is ``Settings.lake_dir``; the master ``VOC_SPARK_MASTER``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource

from pipelines.settings import REPO_ROOT, Settings
from pipelines.warehouse import Warehouse

# Spark's dbt writes these schemas (dbt_project/macros: generate_schema_name keeps a model's own);
# the serving snapshot and alerts read them through views in the warehouse.
SPARK_MODEL_SCHEMAS = frozenset({"staging", "intermediate", "marts", "kpi", "seeds"})


class EngineResource(ConfigurableResource):
    """``name``: ``duckdb`` or ``spark`` (``VOC_ENGINE``); ``lake_dir``: the spark engine's Parquet
    lake; ``spark_master``: its master URL (``VOC_SPARK_MASTER``)."""

    name: str
    lake_dir: str
    spark_master: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "EngineResource":
        return cls(name=settings.engine, lake_dir=str(settings.lake_dir), spark_master=settings.spark_master)

    @property
    def on_spark(self) -> bool:
        return self.name == "spark"

    @property
    def dbt_target(self) -> str:
        """The target of ``dbt_project/profiles.yml`` this engine builds with."""
        return "spark" if self.on_spark else "dev"

    def bind(self, warehouse: Warehouse) -> Warehouse:
        """``warehouse`` as this engine uses it: with its lake on spark, as it is on duckdb."""
        return dataclasses.replace(warehouse, lake=Path(self.lake_dir) if self.on_spark else None)

    def dbt_env(self) -> dict[str, str]:
        """Variables dbt's spark profile reads (master and lake); nothing on duckdb."""
        if not self.on_spark:
            return {}
        # dbt-spark's session runs pyspark in dbt's process: it needs this venv's python on PATH.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return {"VOC_SPARK_MASTER": self.spark_master, "VOC_DBT_LAKE_DIR": self.lake_dir, "PATH": path}


@contextmanager
def spark_session(master: str, app_name: str, driver_memory: str = "1g") -> Iterator["SparkSession"]:  # noqa: F821
    """A plain Spark session (no metastore: Derby admits one process, and dbt holds it) on
    ``master``; its Python workers run this interpreter with the repository importable. The JVM is
    shut down on exit, so a nightly holds one Spark JVM at a time (dbt starts its own later)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    # PySpark takes the workers' Python from the environment when the context starts (the
    # spark.pyspark.python setting only reaches spark-submit): this interpreter, not PATH's python3.
    previous_python = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.driver.memory", driver_memory)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")  # Dagster reads stderr
               .config("spark.executorEnv.PYTHONPATH", pythonpath)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        if previous_python is None:
            os.environ.pop("PYSPARK_PYTHON", None)
        else:
            os.environ["PYSPARK_PYTHON"] = previous_python
        session.stop()
        gateway = SparkContext._gateway
        if gateway is not None:
            gateway.shutdown()
            SparkContext._gateway = None
            SparkContext._jvm = None
