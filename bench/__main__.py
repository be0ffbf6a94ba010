"""`python -m bench`: run every benchmark and write bench/results.json."""

from __future__ import annotations

from pipelines.settings import get_settings

from bench import dbt_build, ingest, sentiment
from bench.results import RESULTS, write_section


def main() -> None:
    work = get_settings().data_dir / "bench"
    print("ingestion benchmark: 1,000,000 survey rows, 200,000 call transcripts")
    write_section("ingest", ingest.run(work / "ingest"))
    print("sentiment benchmark: accuracy and throughput per engine")
    write_section("sentiment", sentiment.run())
    print(f"dbt benchmark: full build and one incremental night on {dbt_build.CONTACTS:,} contacts")
    write_section("dbt", dbt_build.run(work / "dbt"))
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    main()
