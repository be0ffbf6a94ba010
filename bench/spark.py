"""DuckDB against Spark ``local[1]`` and ``local[2]`` on the same generated data (issue 15).

For each size (contacts over ``DAYS`` days, written by ``bench.dbt_build.fill`` exactly as the dbt
benchmark does), the same dbt project is built:

- **full build**: every model and seed from nothing (``--full-refresh``);
- **one night**: one more day landed, the incremental run for that day.

On DuckDB in the warehouse file; on Spark from the Parquet lake exported from that warehouse
(``pipelines.lake.export_lake``, not timed: on the spark engine ingestion writes the lake itself),
one lake and metastore per master. Data tests are left out on both engines (``dbt run``-like
``build --exclude-resource-type test``): the figure is the engine's work on the models.

**NLP scoring throughput**: the sentiment student over the same ``NLP_TEXTS`` service texts, in
this process (the duckdb engine's path) and through ``SparkScorer`` (``mapInPandas`` on the
executors: the spark engine's path).

Every figure: wall seconds, CPU seconds of the whole process tree (dbt's Python, Spark's JVM and its
Python workers, DuckDB's threads; read from /proc before the tree exits) and the 1-minute load
average before it, since the machine is shared.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from collections.abc import Callable
from pathlib import Path

from bench import dbt_build
from pipelines.dbt_window import window_env
from pipelines.settings import REPO_ROOT

# Contacts per dbt size; set empty (VOC_BENCH_SPARK_CONTACTS=) to measure the NLP scoring alone.
SIZES = [int(size) for size in os.environ.get("VOC_BENCH_SPARK_CONTACTS", "1000000,10000000").split(",") if size.strip()]
DAYS = 30
MASTERS = ("local[1]", "local[2]")
ENGINES = os.environ.get("VOC_BENCH_SPARK_ENGINES", ",".join(("duckdb", *MASTERS))).split(",")
NLP_TEXTS = int(os.environ.get("VOC_BENCH_SPARK_TEXTS", 4000))

# Runs in a child process: dbt (or the scorer) with the CPU time of every descendant added up
# just before exiting (Spark's JVM is a child that RUSAGE_CHILDREN would not see: it is not waited for).
_TIMED = """
import json, sys, time, psutil
def tree_cpu():
    total = 0.0
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total
job = json.loads(sys.argv[1])
start = time.perf_counter()
if job["kind"] == "dbt":
    from dbt.cli.main import dbtRunner
    result = dbtRunner().invoke(job["args"])
    figures = {"success": result.success}
else:
    from bench.spark import score_texts
    figures = score_texts(job["master"], job["texts"])
figures.update(seconds=time.perf_counter() - start, cpu_seconds=tree_cpu())
print(json.dumps(figures))
"""


def _timed(job: dict, env: dict[str, str]) -> dict:
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", _TIMED, json.dumps(job)], env={**os.environ, **env},
                          capture_output=True, text=True, cwd=REPO_ROOT)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"benchmark step failed: {done.stderr.strip().splitlines()[-1:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {key: round(value, 1) if isinstance(value, float) else value for key, value in figures.items()} | {
        "load_average_1m_before": round(load, 1)}


def _dbt_job(args: list[str], target: str) -> dict:
    project = REPO_ROOT / "dbt_project"
    return {"kind": "dbt", "args": ["build", "--target", target, "--exclude-resource-type", "test", "--quiet",
                                    "--project-dir", str(project), "--profiles-dir", str(project), *args]}


def score_texts(master: str | None, count: int) -> dict:
    """Score ``count`` service texts with the configured student, in process (``master`` None) or
    through Spark on ``master``; returns docs/s (model time only, after one warm-up call)."""
    from pipelines.engine import spark_session
    from pipelines.nlp.scoring import sentiment_engine
    from pipelines.nlp.spark_scoring import SparkScorer
    from pipelines.settings import get_settings

    settings = get_settings()
    with (REPO_ROOT / "bench" / "data" / "topic_eval.csv").open(encoding="utf-8", newline="") as handle:
        base = [row["text"] for row in csv.DictReader(handle)]
    texts = [f"{base[i % len(base)]}（第{i}单）" for i in range(count)]
    engine = sentiment_engine(settings)
    if master is None:
        engine.predict_proba(texts[:64])
        started = time.perf_counter()
        engine.predict_proba(texts)
        return {"texts": count, "docs_per_second": round(count / (time.perf_counter() - started), 1)}
    with spark_session(master, "voc-bench-nlp") as spark:
        scorer = SparkScorer(spark, settings.sentiment_engine, str(settings.sentiment_model_dir),
                             str(settings.model_cache_dir))
        scorer(texts[:64 * spark.sparkContext.defaultParallelism])  # workers start and load the model
        started = time.perf_counter()
        scorer(texts)
        return {"texts": count, "docs_per_second": round(count / (time.perf_counter() - started), 1)}


def _build(engine: str, work: Path, warehouse: Path, args: list[str], window: dict[str, str] | None = None) -> dict:
    """One dbt build on ``engine`` (``duckdb`` or a Spark master) of the data in ``warehouse``;
    ``window``: the nightly window's variables (pipelines.dbt_window), none for a full build."""
    window = window or {}
    if engine == "duckdb":
        env = {"VOC_WAREHOUSE_PATH": str(warehouse), "VOC_DBT_WAREHOUSE_PATH": str(warehouse)}
        return _timed(_dbt_job(args, "dev"), env | window)
    from pipelines.lake import export_lake
    from pipelines.warehouse import Warehouse

    lake = work / f"lake-{engine.strip('local[]')}"  # one lake and metastore per master
    export_lake(Warehouse(warehouse, 60), REPO_ROOT / "dbt_project", lake)
    return _timed(_dbt_job(args, "spark"), {"VOC_SPARK_MASTER": engine, "VOC_DBT_LAKE_DIR": str(lake)} | window)


def _one_size(contacts: int, work: Path, engines: list[str]) -> dict[str, dict]:
    """Full build, then one more day and its night, on each engine; {engine: {full_build, one_night}}."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    per_day = contacts // DAYS
    dbt_build.fill(warehouse, 0, DAYS, per_day, max(1, contacts // 3))
    figures: dict[str, dict] = {}
    for engine in engines:
        figures[engine] = {"contacts": per_day * DAYS, "full_build": _build(engine, work, warehouse, ["--full-refresh"])}
        print(f"  {contacts:,} contacts, {engine} full build: {figures[engine]['full_build']}", flush=True)
    dbt_build.fill(warehouse, DAYS, 1, per_day, max(1, contacts // 3))
    night = (date.fromisoformat(dbt_build.START) + timedelta(days=DAYS)).isoformat()
    for engine in engines:
        figures[engine]["one_night"] = _build(engine, work, warehouse, [], window_env(night))
        print(f"  {contacts:,} contacts, {engine} night: {figures[engine]['one_night']}", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return figures


def run(work: Path, save: Callable[[dict], None]) -> None:
    """NLP throughput, then every size, on ``ENGINES``; ``save`` gets this run's figures after each
    step (bench/__main__.py merges them into the ``spark`` section), so a run killed half-way keeps
    what it measured."""
    figures: dict = {"nlp_scoring": {}, "dbt": {}}
    figures["note"] = ("dbt build without data tests on both engines, over the same generated data "
                       f"({DAYS} days, bench.dbt_build.fill); Spark reads the Parquet lake exported from the DuckDB "
                       "warehouse; on Spark a night rebuilds the incremental models whole (dbt_project/macros/spark.sql). "
                       "cpu_seconds: the whole process tree (JVM and Python workers included). See bench/SCALING.md.")
    for engine in ENGINES:
        master = None if engine == "duckdb" else engine
        figures["nlp_scoring"]["in_process" if master is None else master] = result = _timed(
            {"kind": "nlp", "master": master, "texts": NLP_TEXTS}, {})
        print(f"  NLP scoring, {engine}: {result}", flush=True)
        save(figures)
    for contacts in SIZES:
        size = figures["dbt"].setdefault(f"{contacts:,}", {})
        size.update(_one_size(contacts, work / f"{contacts}", ENGINES))
        save(figures)
