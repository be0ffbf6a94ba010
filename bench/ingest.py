"""Ingestion throughput and peak memory: 1,000,000 survey rows and 200,000 call transcripts.

Each load runs in a fresh child process so its peak RSS is its own.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import orjson

from pipelines.demo.generator import DemoGenerator, GeneratorConfig, Issue

DAY = date(2026, 8, 1)
SURVEY_ROWS = 1_000_000
SURVEY_FILES = 10
CALLS = 200_000

_WORKER = """
import json, resource, sys, time
from datetime import date
from pipelines.ingest.loader import load_partition
start = time.perf_counter()
report = load_partition(sys.argv[1], date.fromisoformat(sys.argv[2]))
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rows_in": report.rows_in, "rows_loaded": report.rows_loaded,
                  "rows_quarantined": report.rows_quarantined, "peak_rss_mb": peak_mb,
                  "table_rows": dict(report.table_rows)}))
"""


def _generator(root: Path) -> DemoGenerator:
    config = GeneratorConfig(start=DAY, days=1, customers=50_000, seed=1, out=root / "landing",
                             truth_out=root / "truth")
    return DemoGenerator(config)


def write_surveys(root: Path) -> None:
    generator = _generator(root)
    comments = [generator.written_text(topic, sentiment)
                for topic in generator.topics for sentiment in ("negative", "neutral", "positive")
                for _ in range(300)]
    folder = root / "landing" / "surveys" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    per_file = SURVEY_ROWS // SURVEY_FILES
    datetime_base = f"{DAY.isoformat()} 09:00:00"
    serial = 0
    for index in range(SURVEY_FILES):
        encoding = "gb18030" if index % 3 == 0 else "utf-8-sig"
        with (folder / f"surveys_{index:02d}.csv").open("w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle)
            writer.writerow(["survey_id", "customer_id", "interaction_id", "channel", "submitted_at", "nps", "csat", "comment"])
            for _ in range(per_file):
                serial += 1
                writer.writerow([f"SV{serial:09d}", f"C{serial % 50_000:07d}", f"CL{serial:09d}", "app",
                                 datetime_base, serial % 11, 1 + serial % 5, comments[serial % len(comments)]])


def write_calls(root: Path) -> None:
    generator = _generator(root)
    folder = root / "landing" / "calls" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "calls.jsonl").open("wb") as handle:
        for index in range(CALLS):
            customer = generator.customers[index % len(generator.customers)]
            issue = Issue(f"IS{index}", customer, generator.topics[index % len(generator.topics)], DAY, 0.6)
            record, _ = generator.call_record(issue, DAY, 1 + index % 3, None)
            handle.write(orjson.dumps(record) + b"\n")


def _load(root: Path, source: str) -> dict:
    env = {**os.environ, "VOC_DATA_DIR": str(root)}
    done = subprocess.run([sys.executable, "-c", _WORKER, source, DAY.isoformat()], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(root: Path) -> dict:
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    write_surveys(root)
    write_calls(root)
    print(f"  generated bench input in {time.perf_counter() - started:.0f} s", flush=True)
    figures = {}
    for source, unit in (("surveys", "rows"), ("calls", "calls")):
        result = _load(root, source)
        result["rows_per_second"] = round(result["rows_in"] / result["seconds"])
        result["seconds"] = round(result["seconds"], 1)
        result["peak_rss_mb"] = round(result["peak_rss_mb"])
        figures[source] = result
        print(f"  {source}: {result['rows_in']:,} {unit} in {result['seconds']} s "
              f"({result['rows_per_second']:,}/s), peak RSS {result['peak_rss_mb']} MB", flush=True)
    figures["targets"] = {"surveys_1m_seconds": 60, "surveys_peak_rss_mb": 1536}
    figures["met"] = figures["surveys"]["seconds"] < 60 and figures["surveys"]["peak_rss_mb"] < 1536
    shutil.rmtree(root)
    return figures


