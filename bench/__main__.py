"""`python -m bench`: run every benchmark and write bench/results.json."""

from __future__ import annotations

import json
import shutil
import sys

from pipelines.settings import get_settings

from bench import dashboards, dbt_build, escalation, ingest, sentiment, spark, topics
from bench.results import RESULTS, write_section


def _merged(section: str, figures: dict) -> dict:
    """``figures`` over the section as bench/results.json holds it now, key by key at every depth:
    a run of some engines or sizes keeps the others' figures."""
    def merge(old: dict, new: dict) -> dict:
        return {**old, **{key: merge(old[key], value) if isinstance(value, dict) and isinstance(old.get(key), dict)
                          else value for key, value in new.items()}}

    current = json.loads(RESULTS.read_text()).get(section, {}) if RESULTS.exists() else {}
    return merge(current, figures)


SECTIONS = ("ingest", "sentiment", "escalation", "topics", "spark", "dbt")
USAGE = (f"usage: python -m bench [SECTION ...]: run the named sections ({', '.join(SECTIONS)}; all when none "
         f"is named; dbt also measures the dashboards) and write their figures into {RESULTS}")


def main() -> None:
    """Run every section, or those named on the command line (``SECTIONS``)."""
    arguments = sys.argv[1:]
    if {"-h", "--help"} & set(arguments):
        print(USAGE)
        return
    unknown = [name for name in arguments if name not in SECTIONS]
    if unknown:
        sys.exit(f"python -m bench: no section {', '.join(unknown)}; the sections are {', '.join(SECTIONS)}")
    wanted = set(arguments) or set(SECTIONS)
    work = get_settings().data_dir / "bench"
    if "ingest" in wanted:
        print("ingestion benchmark: 1,000,000 CSV survey rows, 200,000 XLSX survey rows, 200,000 call transcripts")
        write_section("ingest", ingest.run(work / "ingest"))
    if "sentiment" in wanted:
        print("sentiment benchmark: accuracy and throughput per engine")
        write_section("sentiment", sentiment.run())
    if "escalation" in wanted:
        print("escalation benchmark: precision and recall on the hand-written sets, throughput")
        write_section("escalation", escalation.run())
    if "topics" in wanted:
        print("topic benchmark: accuracy over the full taxonomy on bench/data/topic_eval.csv")
        write_section("topics", topics.run())
    if "spark" in wanted:
        print(f"spark benchmark: duckdb vs spark {' vs '.join(spark.MASTERS)} on {', '.join(f'{n:,}' for n in spark.SIZES)} contacts")
        spark.run(work / "spark", lambda figures: write_section("spark", _merged("spark", figures)))
    if "dbt" not in wanted:
        print(f"results written to {RESULTS}")
        return
    print(f"dbt benchmark: full build and one incremental night on {dbt_build.CONTACTS:,} contacts")
    write_section("dbt", dbt_build.run(work / "dbt", keep=True))
    print("dashboard benchmark: p50/p95 of every chart's data query through Superset on the same warehouse")
    write_section("dashboards", dashboards.run(work / "dbt" / "warehouse.duckdb", work / "dashboards"))
    shutil.rmtree(work / "dbt", ignore_errors=True)
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    main()
