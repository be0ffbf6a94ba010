"""A small client for Superset's REST API and a headless-Chromium dashboard check, shared by the
browser test and the latency benchmark."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

CHROMIUM = "/usr/bin/chromium"
# No background traffic: this machine has no outside network, and nothing may call out.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]


class SupersetAPI:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        token = self._post("/api/v1/security/login", {"username": username, "password": password,
                                                      "provider": "db", "refresh": False})["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.http.headers.update({"X-CSRFToken": csrf, "Referer": self.base_url})

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(self.base_url + path, json=body, timeout=300)
        if response.status_code >= 400:
            raise AssertionError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def get(self, path: str) -> dict[str, Any]:
        response = self.http.get(self.base_url + path, timeout=120)
        if response.status_code >= 400:
            raise AssertionError(f"GET {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._post(path, body)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        """The raw answer, whatever its status (for tests of what a user may not do)."""
        return self.http.request(method, self.base_url + path, json=body, timeout=300)

    def sql_response(self, database_id: int, sql: str) -> requests.Response:
        body = {"database_id": database_id, "sql": sql, "runAsync": False, "schema": "main",
                "client_id": f"t{time.monotonic_ns() % 10**9}", "tab": "test"}
        return self.request("POST", "/api/v1/sqllab/execute/", body)

    def listing(self, kind: str) -> list[dict[str, Any]]:
        query = "(page_size:100)"
        return self.get(f"/api/v1/{kind}/?q={query}")["result"]

    def dashboards(self) -> list[tuple[str, str, list[int]]]:
        """(slug, title, chart ids) of every dashboard."""
        found = []
        for item in self.listing("dashboard"):
            charts = self.get(f"/api/v1/dashboard/{item['id']}/charts")["result"]
            found.append((item["slug"], item["dashboard_title"], [chart["id"] for chart in charts]))
        return found

    def dataset_id(self, table_name: str) -> int:
        return next(d["id"] for d in self.listing("dataset") if d["table_name"] == table_name)

    def sql(self, database_id: int, sql: str) -> list[dict[str, Any]]:
        body = {"database_id": database_id, "sql": sql, "runAsync": False, "schema": "main",
                "client_id": f"t{time.monotonic_ns() % 10**9}", "tab": "test"}
        return self.post("/api/v1/sqllab/execute/", body)["data"]

    def metric(self, dataset_id: int, metric: str) -> Any:
        """One saved metric over the whole dataset through the chart data API (what charts call)."""
        body = {"datasource": {"id": dataset_id, "type": "table"}, "force": True, "result_format": "json",
                "result_type": "full", "queries": [{"metrics": [metric], "columns": [], "filters": [], "row_limit": 1}]}
        return self.post("/api/v1/chart/data", body)["result"][0]["data"][0][metric]


@dataclass
class DashboardCheck:
    slug: str
    title: str
    chart_ids: list[int]
    rows_by_chart: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    title_shown: bool = False
    screenshot: Path | None = None


def check_dashboards(base_url: str, username: str, password: str, dashboards: list[tuple[str, str, list[int]]],
                     screenshot_dir: Path | None, timeout_s: float = 120) -> list[DashboardCheck]:
    """Log in with headless Chromium, open each dashboard, wait for every chart, record what came back."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 3000}, locale="zh-CN")
        page.goto(f"{base_url}/login/")
        page.fill("#username", username)
        page.fill("#password", password)
        page.keyboard.press("Enter")
        page.wait_for_url("**/superset/welcome/**", timeout=60_000)
        for slug, title, chart_ids in dashboards:
            check = DashboardCheck(slug, title, chart_ids)

            def on_response(response, check=check) -> None:
                if "/api/v1/chart/data" not in response.url or response.request.method != "POST":
                    return
                body = json.loads(response.request.post_data or "{}")
                slice_id = (body.get("form_data") or {}).get("slice_id")
                try:
                    payload = response.json()
                except Exception:  # noqa: BLE001 - a non-JSON answer is itself the failure
                    check.errors.append(f"chart {slice_id}: HTTP {response.status} {response.text()[:200]}")
                    return
                if response.status >= 400:
                    check.errors.append(f"chart {slice_id}: HTTP {response.status} {payload}")
                    return
                check.requests.append(body)
                rows = sum(int(result.get("rowcount") or 0) for result in payload.get("result", []))
                check.rows_by_chart[slice_id] = check.rows_by_chart.get(slice_id, 0) + rows

            page.on("response", on_response)
            page.goto(f"{base_url}/superset/dashboard/{slug}/")
            page.wait_for_selector('[data-test="chart-grid-component"]', timeout=60_000)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                state = page.evaluate("""() => {
                    const holders = Array.from(document.querySelectorAll('[data-test="chart-grid-component"]'));
                    return {holders: holders.length,
                            loading: document.querySelectorAll('[data-test="loading-indicator"], .loading').length,
                            rendered: holders.filter(h => h.querySelector('[data-test="chart-container"]')).length};
                }""")
                if state["loading"] == 0 and state["rendered"] == state["holders"] and \
                        set(check.rows_by_chart) >= set(chart_ids):
                    break
                page.wait_for_timeout(500)
            page.wait_for_timeout(1500)  # let the last charts finish drawing
            alerts = page.evaluate("""() => Array.from(document.querySelectorAll(
                '[data-test="chart-grid-component"] .ant-alert-error, [data-test="chart-grid-component"] [role="alert"]'))
                .map(e => e.innerText.slice(0, 200))""")
            check.errors.extend(f"error shown: {text}" for text in alerts)
            missing = page.evaluate("""() => Array.from(document.querySelectorAll('[data-test="chart-grid-component"]'))
                .filter(h => !h.querySelector('[data-test="chart-container"]')).length""")
            if missing:
                check.errors.append(f"{missing} chart holder(s) without a chart container")
            check.title_shown = title in page.evaluate("() => document.body.innerText")
            if screenshot_dir is not None:
                screenshot_dir.mkdir(parents=True, exist_ok=True)
                check.screenshot = screenshot_dir / f"{slug}.png"
                page.screenshot(path=str(check.screenshot), full_page=False)
            page.remove_listener("response", on_response)
            results.append(check)
        browser.close()
    return results
