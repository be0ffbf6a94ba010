"""Ingestion throughput and peak memory: 1,000,000 CSV survey rows, 200,000 XLSX survey rows
(a survey tool's export, on the next day) and 200,000 call transcripts.

Each load runs in a fresh child process so its peak RSS is its own. ``run(root, scale=0.1)``
runs a tenth of every size, for a quick check that nothing regressed.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

from pipelines.demo.generator import DemoGenerator, GeneratorConfig, Issue

DAY = date(2026, 8, 1)
XLSX_DAY = DAY + timedelta(days=1)
SURVEY_ROWS = 1_000_000
SURVEY_FILES = 10
XLSX_ROWS = 200_000
CALLS = 200_000

_WORKER = """
import json, resource, sys, time
from datetime import date
from pipelines.ingest.loader import load_partition
from pipelines.settings import get_settings
from pipelines.warehouse import Warehouse
settings = get_settings()
start = time.perf_counter()
report = load_partition(sys.argv[1], date.fromisoformat(sys.argv[2]), settings, Warehouse.from_settings(settings))
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


def _comments(generator: DemoGenerator) -> list[str]:
    return [generator.written_text(topic, sentiment)
            for topic in generator.topics for sentiment in ("negative", "neutral", "positive")
            for _ in range(300)]


def write_surveys(root: Path, rows: int) -> None:
    generator = _generator(root)
    comments = _comments(generator)
    folder = root / "landing" / "surveys" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    per_file = rows // SURVEY_FILES
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


def write_xlsx_surveys(root: Path, rows: int) -> None:
    """A 问卷星-style workbook: question-text headers (mapped by a contract extension), date cells,
    number cells holding IDs."""
    from openpyxl import Workbook

    generator = _generator(root)
    comments = _comments(generator)
    folder = root / "landing" / "surveys" / XLSX_DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    contracts = root / "contracts"
    contracts.mkdir(parents=True, exist_ok=True)
    (contracts / "surveys.yml").write_text(
        'columns:\n  survey_id: {aliases: ["序号"]}\n  customer_id: {aliases: ["/客户编号/"]}\n'
        '  channel: {aliases: ["/渠道/"]}\n  nps: {aliases: ["/推荐.*可能性/"]}\n'
        '  comment: {aliases: ["/意见|建议/"]}\n', encoding="utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("答卷数据")
    sheet.append(["序号", "提交答卷时间", "所用时间", "1、您的客户编号", "2、您联系我们的渠道",
                  "3、您向朋友推荐我们的可能性有多大？", "4、您对本次服务的满意程度", "5、您的意见或建议"])
    submitted = datetime.combine(XLSX_DAY, datetime.min.time()).replace(hour=9)
    for serial in range(1, rows + 1):
        sheet.append([serial, submitted, "95秒", 13_800_000_000 + serial % 50_000, "微信", serial % 11,
                      "非常满意" if serial % 5 == 0 else 1 + serial % 4, comments[serial % len(comments)]])
    book.save(folder / "wjx_export.xlsx")


def write_calls(root: Path, calls: int) -> None:
    generator = _generator(root)
    folder = root / "landing" / "calls" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "calls.jsonl").open("wb") as handle:
        for index in range(calls):
            customer = generator.customers[index % len(generator.customers)]
            issue = Issue(f"IS{index}", customer, generator.topics[index % len(generator.topics)], DAY, 0.6)
            record, _ = generator.call_record(issue, DAY, 1 + index % 3, None)
            handle.write(orjson.dumps(record) + b"\n")


def _load(root: Path, source: str, day: date) -> dict:
    env = {**os.environ, "VOC_DATA_DIR": str(root)}
    for name in ("VOC_LANDING_DIR", "VOC_WAREHOUSE_PATH", "VOC_CONTRACTS_DIR"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-c", _WORKER, source, day.isoformat()], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(root: Path, scale: float = 1.0) -> dict:
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    write_surveys(root, int(SURVEY_ROWS * scale))
    write_xlsx_surveys(root, int(XLSX_ROWS * scale))
    write_calls(root, int(CALLS * scale))
    print(f"  generated bench input in {time.perf_counter() - started:.0f} s", flush=True)
    figures = {"scale": scale}
    for name, source, day, unit in (("surveys", "surveys", DAY, "CSV rows"), ("surveys_xlsx", "surveys", XLSX_DAY, "XLSX rows"),
                                    ("calls", "calls", DAY, "calls")):
        result = _load(root, source, day)
        result["rows_per_second"] = round(result["rows_in"] / result["seconds"])
        result["seconds"] = round(result["seconds"], 1)
        result["peak_rss_mb"] = round(result["peak_rss_mb"])
        figures[name] = result
        print(f"  {name}: {result['rows_in']:,} {unit} in {result['seconds']} s "
              f"({result['rows_per_second']:,}/s), peak RSS {result['peak_rss_mb']} MB", flush=True)
    figures["targets"] = {"surveys_1m_seconds": 60, "surveys_peak_rss_mb": 1536, "surveys_xlsx_200k_seconds": 60}
    figures["met"] = (figures["surveys"]["seconds"] < 60 * scale and figures["surveys"]["peak_rss_mb"] < 1536
                      and figures["surveys_xlsx"]["seconds"] < 60 * scale)
    shutil.rmtree(root)
    return figures


