"""dbt timings on 10 million contacts: a full build, then one nightly incremental day.

Ten million contacts are about 100 million call turns: generating and ingesting them through
`voc generate` / `voc run` would take hours on two cores, so this benchmark writes the `raw` and
`nlp` tables that dbt reads directly in DuckDB SQL, with the same columns, topic mix, repeat
contacts and incident-free noise (a customer keeps one tier, as in the demo generator). The dbt
project is exactly the one the nightly run builds; the night is the 121st day, built incrementally
(dbt_project/README.md, "Incremental strategy"). Figures: wall seconds, CPU seconds of the dbt
process (DuckDB's threads included) and its peak RSS, with the 1-minute load average before each
build, since the machine is shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipelines.dbt_window import window_env
from pipelines.ingest.tables import raw_ddl
from pipelines.nlp.tables import NLP_DDL
from pipelines.settings import REPO_ROOT

CONTACTS = int(os.environ.get("VOC_BENCH_CONTACTS", 10_000_000))
DAYS = 120
START = "2026-08-01"
TOPICS = ["delivery", "product_quality", "price_fees", "billing_error", "refund_return", "staff_attitude",
          "waiting_time", "account_login", "network_signal", "repair", "marketing_harassment",
          "privacy_security", "other"]

_DBT = """
import json, resource, sys, time
from dbt.cli.main import dbtRunner
args = json.loads(sys.argv[1])
start = time.perf_counter()
result = dbtRunner().invoke(args)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "success": result.success,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


def fill(path: Path, first_day: int, days: int, per_day: int, customers: int) -> None:
    """Write days first_day..first_day + days - 1 (from START) of `per_day` calls a day (with arcs,
    topics, escalations), surveys and posts, spread over `customers` customers (each keeps one tier)."""
    topics = "[" + ", ".join(f"'{t}'" for t in TOPICS) + "]"
    lineage = "'bench.jsonl', 'bench', i, now()::TIMESTAMP, d"
    with duckdb.connect(str(path)) as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(raw_ddl(None))
        conn.execute(NLP_DDL)
        conn.execute(f"""
            CREATE OR REPLACE TEMP TABLE ids AS
            SELECT i, DATE '{START}' + CAST((i // {per_day}) AS INTEGER) AS d,
                   CAST(hash(i) % 1000000007 AS BIGINT) AS h
            FROM range({first_day} * {per_day}, ({first_day} + {days}) * {per_day}) t(i)""")
        conn.execute(f"""
            INSERT INTO raw.calls SELECT
                'CL' || i, 'C' || (h % {customers}),
                ['diamond','gold','silver','standard'][1 + (h % {customers}) // 7 % 4],
                'A' || (h // 11) % 200, ['一线A组','一线B组','一线C组','专家组'][1 + (h // 13) % 4],
                d + INTERVAL (8 * 3600 + (h // 17) % 50000) SECOND, ((h // 19) % 90)::INTEGER, (60 + (h // 23) % 600)::INTEGER,
                {topics}[1 + (h // 29) % 13], (h // 31) % 10 < 7, (h // 37) % 10 < 3, (1 + (h // 41) % 4)::TINYINT,
                ((h // 43) % 5 = 0)::INTEGER, CASE WHEN h % 50 = 0 THEN 'outbound' ELSE 'inbound' END, 8, 0, {lineage}
            FROM ids""")
        conn.execute(f"""
            INSERT INTO nlp.call_arcs (call_id, customer_start_score, customer_end_score, customer_min_score,
                                       agent_mean_score, scored_customer_turns, recovered, deteriorated, start_label,
                                       end_label, model_version, _partition_date, customer_mean_score, call_label)
            SELECT call_id, 0.2, 0.7, 0.1, 0.6, 4, hash(call_id) % 10 = 0, hash(call_id) % 20 = 0,
                   CASE WHEN hash(call_id) % 2 = 0 THEN 'negative' ELSE 'neutral' END, 'positive', 'bench',
                   _partition_date, 0.45, CASE WHEN hash(call_id) % 3 = 0 THEN 'negative' ELSE 'neutral' END
            FROM raw.calls WHERE _partition_date >= DATE '{START}' + {first_day}""")
        conn.execute(f"""
            INSERT INTO nlp.document_topics (doc_type, doc_id, topic_code, method, confidence, evidence, model_version,
                                             _partition_date)
            SELECT 'call', call_id, reason_code, 'pattern', 1.0, NULL, 'bench', _partition_date
            FROM raw.calls WHERE _partition_date >= DATE '{START}' + {first_day}""")
        conn.execute(f"""
            INSERT INTO nlp.escalations (doc_type, doc_id, escalation_risk, escalation_confidence, model_version,
                                         _partition_date)
            SELECT 'call', 'CL' || i, h % 100 = 0, CASE WHEN h % 100 = 0 THEN 0.9 ELSE 0.0 END, 'bench', d FROM ids""")
        conn.execute(f"""
            INSERT INTO raw.surveys SELECT 'SV' || i, 'C' || (h % {customers}), 'CL' || i, 'call',
                d + INTERVAL 20 HOUR, (h // 47 % 11)::TINYINT, (1 + h // 53 % 5)::TINYINT, '满意', 0, {lineage}
            FROM ids WHERE h % 3 = 0""")
        conn.execute(f"""
            INSERT INTO raw.social_posts SELECT 'WB' || i, 'U' || (h % 1000000), '用户',
                CASE WHEN h % 5 = 0 THEN 'C' || (h % {customers}) END, d + INTERVAL 12 HOUR,
                '快递太慢了', 0, 0, 0, h % 4 = 0, false, 'weibo', 0, {lineage}
            FROM ids WHERE h % 5 < 2""")
        for doc_type, table, key in (("survey", "surveys", "survey_id"), ("post", "social_posts", "post_id")):
            conn.execute(f"""
                INSERT INTO nlp.document_sentiment (doc_type, doc_id, text_normalized, sentiment_score,
                                                    sentiment_label, model_version, _partition_date,
                                                    sentiment_negative, sentiment_neutral, sentiment_positive)
                SELECT '{doc_type}', {key}, '', 0.3, 'negative', 'bench', _partition_date, 0.6, 0.3, 0.1
                FROM raw.{table} WHERE _partition_date >= DATE '{START}' + {first_day}""")
            conn.execute(f"""
                INSERT INTO nlp.document_topics (doc_type, doc_id, topic_code, method, confidence, evidence,
                                                 model_version, _partition_date)
                SELECT '{doc_type}', {key}, 'delivery', 'pattern', 1.0, NULL, 'bench', _partition_date
                FROM raw.{table} WHERE _partition_date >= DATE '{START}' + {first_day}""")


SLOWEST = 5


def _slowest(target: Path) -> list[dict]:
    """The SLOWEST nodes (models and tests) of the run whose artifacts are in `target`:
    [{"node": unique_id, "seconds": execution_time}], slowest first (dbt's run_results.json)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    ranked = sorted(results, key=lambda result: result["execution_time"], reverse=True)[:SLOWEST]
    return [{"node": result["unique_id"], "seconds": round(result["execution_time"], 1)} for result in ranked]


def _dbt(args: list[str], warehouse: Path, target: Path | None = None, night: str | None = None) -> dict:
    """Run dbt on `warehouse` in a child process: {"seconds", "success", "cpu_seconds", "peak_rss_mb"},
    and "slowest" (see _slowest) when `target` (dbt's artifact folder) is given. `night` (ISO date)
    makes it the nightly run of that day (pipelines.dbt_window)."""
    env = {**os.environ, "VOC_WAREHOUSE_PATH": str(warehouse), "VOC_DBT_WAREHOUSE_PATH": str(warehouse),
           **(window_env(night) if night else {})}
    project = REPO_ROOT / "dbt_project"
    full = args + ["--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    if target is not None:
        full += ["--target-path", str(target)]
    done = subprocess.run([sys.executable, "-c", _DBT, json.dumps(full)], env=env, capture_output=True, text=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if target is not None:
        measured["slowest"] = _slowest(target)
    return measured


def run(work: Path, keep: bool = False) -> dict:
    """Build, then time one night; ``keep`` leaves the warehouse for the dashboard benchmark."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    per_day = CONTACTS // DAYS
    started = time.perf_counter()
    customers = max(1, CONTACTS // 3)
    fill(warehouse, 0, DAYS, per_day, customers)
    print(f"  wrote {per_day * DAYS:,} calls and their surveys, posts and NLP rows in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    load_before = {"full_build": os.getloadavg()[0]}
    # One artifact folder for both builds, as the nightly keeps $VOC_DATA_DIR/dbt/target between
    # nights: the night then re-parses only what changed (dbt's partial parsing), as it does in production.
    full = _dbt(["build", "--full-refresh"], warehouse, target=work / "target")
    print(f"  full build: {full['seconds']:.0f} s ({full['cpu_seconds']:.0f} CPU s), peak RSS {full['peak_rss_mb']:.0f} MB, "
          f"success {full['success']}", flush=True)
    fill(warehouse, DAYS, 1, per_day, customers)
    night = (date.fromisoformat(START) + timedelta(days=DAYS)).isoformat()
    load_before["incremental_night"] = os.getloadavg()[0]
    incremental = _dbt(["build"], warehouse, target=work / "target", night=night)
    print(f"  incremental night ({night}): {incremental['seconds']:.0f} s ({incremental['cpu_seconds']:.0f} CPU s), "
          f"peak RSS {incremental['peak_rss_mb']:.0f} MB, success {incremental['success']}; slowest: "
          + ", ".join(f"{node['node']} {node['seconds']} s" for node in incremental["slowest"]), flush=True)
    if not keep:
        shutil.rmtree(work)
    return {
        "contacts": per_day * DAYS,
        "full_build": {k: round(v, 1) if isinstance(v, float) else v for k, v in full.items() if k != "slowest"},
        # seconds, cpu_seconds (the dbt process, DuckDB's threads included) and the slowest nodes.
        "incremental_night": {k: round(v, 1) if isinstance(v, float) else v for k, v in incremental.items()},
        "targets": {"full_build_seconds": 300, "incremental_night_seconds": 30},
        "met": full["seconds"] < 300 and incremental["seconds"] < 30 and full["success"] and incremental["success"],
        # On a shared machine wall time grows with the other jobs; CPU seconds much less so.
        "load_average_1m_before": {k: round(v, 1) for k, v in load_before.items()},
        "note": "raw and nlp tables written directly in DuckDB SQL (see bench/dbt_build.py docstring)",
    }
