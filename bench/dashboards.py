"""Dashboard latency: every chart's data query through Superset's API on the 10M-contact warehouse.

The queries are the ones the dashboards really send: headless Chromium opens each dashboard once
and records every ``/api/v1/chart/data`` body; each is then replayed with ``force`` (no cache)
``REPEATS`` times and timed end to end (HTTP, Superset, DuckDB on the serving file).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

REPEATS = 10
P95_TARGET_S = 1.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _request_name(body: dict) -> str:
    """What a ``/api/v1/chart/data`` request draws: a chart by its bundle key (charts/<voc_key>.yaml; the
    slice id alone names no chart), else a native filter's values by their columns (a filter's request
    carries no slice id)."""
    form = body.get("form_data") or {}
    if form.get("slice_id") is not None:
        return form.get("voc_key") or form.get("slice_name") or str(form["slice_id"])
    columns = [column if isinstance(column, str) else column.get("label") or column.get("sqlExpression") or "?"
               for query in body.get("queries") or [] for column in query.get("columns") or []]
    return "filter values: " + (", ".join(columns) or form.get("native_filter_id") or "?")


def run(warehouse: Path, work: Path) -> dict:
    os.environ["VOC_DATA_DIR"] = str(work)
    os.environ["VOC_WAREHOUSE_PATH"] = str(warehouse)
    from pipelines import services, superset
    from pipelines.publish import publish
    from pipelines.settings import get_settings
    from pipelines.warehouse import Warehouse
    from tests.dashboards.superset_client import SupersetAPI, check_dashboards

    settings = get_settings()
    started = time.perf_counter()
    publication = publish(settings, Warehouse.from_settings(settings))
    publish_s = time.perf_counter() - started
    print(f"  published the serving file in {publish_s:.0f} s ({publication.tables['marts.fct_contacts']:,} contacts)",
          flush=True)
    superset.import_dashboards(settings)
    service = superset.superset_service(settings, port=services.free_port())
    services.start(service)
    who = superset.login(settings)
    try:
        api = SupersetAPI(service.url, who.username, who.password)
        checks = check_dashboards(service.url, who.username, who.password, api.dashboards(), None, timeout_s=600)
        per_chart: dict[str, dict] = {}
        every: list[float] = []
        for check in checks:
            for body in check.requests:
                slice_id = (body.get("form_data") or {}).get("slice_id")
                timings = []
                for _ in range(REPEATS):
                    t0 = time.perf_counter()
                    api.post("/api/v1/chart/data", {**body, "force": True})
                    timings.append(time.perf_counter() - t0)
                every.extend(timings)
                name = _request_name(body)
                base = key = f"{check.slug}/{slice_id if slice_id is not None else name}"
                n = 1
                while key in per_chart:  # two requests may draw the same thing: number them, never overwrite
                    key, n = f"{base}#{n}", n + 1
                per_chart[key] = {
                    "chart": name, "p50_s": round(statistics.median(timings), 3),
                    "p95_s": round(_percentile(timings, 0.95), 3)}
        worst = max(per_chart.values(), key=lambda c: c["p95_s"])
    finally:
        services.stop("superset")
    return {
        "contacts": publication.tables["marts.fct_contacts"],
        "publish_seconds": round(publish_s, 1),
        "charts": len(per_chart), "repeats": REPEATS,
        "all_queries": {"p50_s": round(statistics.median(every), 3), "p95_s": round(_percentile(every, 0.95), 3)},
        "worst_chart": worst,
        "per_chart": per_chart,
        "target": {"p95_per_chart_s": P95_TARGET_S},
        "met": all(c["p95_s"] < P95_TARGET_S for c in per_chart.values()),
    }
