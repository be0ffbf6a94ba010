"""A small client for Superset's REST API and a headless-Chromium dashboard check, shared by the
browser test and the latency benchmark."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

CHROMIUM = "/usr/bin/chromium"
BEACON_WAIT_S = 15  # the longest a sign-in waits for the login page's own event post (see log_in)
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


@contextmanager
def browser_page() -> Iterator[Any]:
    """A page of headless Chromium (this machine's, no background traffic), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1600, "height": 3000}, locale="zh-CN")
        finally:
            browser.close()


def _page_text(page: Any, limit: int = 300) -> str:
    """The first ``limit`` characters the page shows, for a failure message; never raises (the page
    may be mid-navigation)."""
    try:
        return page.evaluate(f"() => document.body ? document.body.innerText.slice(0, {limit}) : ''")
    except Exception as unreadable:  # noqa: BLE001 - a message part, not a check
        return f"(unreadable: {unreadable})"


def log_in(page: Any, base_url: str, username: str, password: str, timeout_ms: int = 90_000,
           welcome_ms: int = 90_000) -> None:
    """Sign in through Superset's own login form, as a person does.

    Superset's frontend posts the login page's own load events (``/superset/log/``) a second or two
    after the page loads. Anonymous, that post is redirected to the login page, and both replies set
    the session cookie; one that lands after the sign-in's reply replaces the signed-in session, and
    the next page is the login page again (the CI failure of 2026-12, and a role test here on two busy
    cores). A person types for longer than that; a script must wait. So the form is filled once the
    page is idle and that post has come back (or after ``BEACON_WAIT_S`` if none comes), and sent with
    its button, so the form's own handler runs.
    Raises AssertionError naming every page the browser was sent to, with status, when the browser
    does not reach the welcome page within ``welcome_ms`` of sending the form: a failed sign-in must
    say why.
    """
    trail: list[str] = []
    beacon_back: list[bool] = []

    def on_response(response: Any) -> None:
        if response.request.resource_type == "document" or "/login" in response.url or response.status >= 400:
            trail.append(f"{response.request.method} {response.url.removeprefix(base_url)} -> {response.status}")

    def on_finished(request: Any) -> None:
        if "superset/log" in request.url and request.redirected_to is None:
            beacon_back.append(True)

    page.on("response", on_response)
    page.on("requestfinished", on_finished)
    try:
        page.goto(f"{base_url}/login/", wait_until="networkidle", timeout=timeout_ms)
        deadline = time.monotonic() + BEACON_WAIT_S
        while not beacon_back and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        page.fill('[data-test="username-input"]', username)
        page.fill('[data-test="password-input"]', password)
        page.click('[data-test="login-button"]')
        page.wait_for_url("**/superset/welcome/**", timeout=welcome_ms)
    except Exception as error:  # noqa: BLE001 - re-raised with what the server answered
        raise AssertionError(f"sign-in as {username} did not reach the welcome page: {type(error).__name__}; "
                             f"pages: {trail}; now at {page.url}; page shows: {_page_text(page)!r}") from error
    finally:
        page.remove_listener("response", on_response)
        page.remove_listener("requestfinished", on_finished)


def check_dashboards(base_url: str, username: str, password: str, dashboards: list[tuple[str, str, list[int]]],
                     screenshot_dir: Path | None, timeout_s: float = 300) -> list[DashboardCheck]:
    """Log in with headless Chromium, open each dashboard, wait for every chart, record what came back.

    ``timeout_s`` bounds each dashboard, from opening it to its last chart: generous, because this
    checks what is drawn, not how fast (on two busy cores the grid alone once took over a minute;
    speed is ``python -m bench dashboards``). Waiting ends as soon as every chart has its rows.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    results = []
    with browser_page() as page:
        try:
            log_in(page, base_url, username, password)
        except AssertionError as first:
            # The event post may come back later than BEACON_WAIT_S on very busy cores (see log_in):
            # one more attempt, and the first failure, with its pages, stays visible as a warning.
            warnings.warn(f"first sign-in failed, trying once more: {first}", stacklevel=1)
            log_in(page, base_url, username, password)
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
            deadline = time.monotonic() + timeout_s
            page.goto(f"{base_url}/superset/dashboard/{slug}/", timeout=timeout_s * 1000)
            try:
                page.wait_for_selector('[data-test="chart-grid-component"]',
                                       timeout=max(1.0, deadline - time.monotonic()) * 1000)
            except PlaywrightTimeoutError:
                check.errors.append(f"no chart grid within {timeout_s:.0f} s at {page.url}; "
                                    f"page shows: {_page_text(page)!r}")
                page.remove_listener("response", on_response)
                results.append(check)
                continue
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
    return results
