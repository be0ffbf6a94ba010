"""The five alert rules, each a query over the marts dbt built (dbt owns every definition; a rule
only picks the rows worth telling someone about tonight).

Each rule returns ``Alert`` rows for events dated within the run's days. An alert's ``key`` names
the event itself (a contact, a survey, a topic-week, a topic-day), so the ledger can tell a rerun
or a backfill of the same night from a new event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

import duckdb
import prison
import yaml

from pipelines.alerts.config import AlertConfig
from pipelines.settings import REPO_ROOT

DASHBOARDS_DIR = REPO_ROOT / "dashboards" / "bundle" / "dashboards"
TIER_ZH = {"diamond": "钻石", "gold": "金卡", "silver": "银卡", "standard": "普通"}
CHANNEL_ZH = {"call": "电话", "social": "社媒"}
EVIDENCE_CHARS = 120


@dataclass(frozen=True)
class Alert:
    """One thing to tell: ``facts`` are (label, value) pairs with the numbers; ``evidence`` is what
    the customer said, already PII-masked at ingestion; ``link`` opens the dashboard filtered;
    ``team`` is the agent team of a contact's alert (None for a trend of the whole organisation, or a
    contact no agent handled), which row-level security scopes a service manager's 告警记录 by."""

    key: str
    rule: str
    event_date: date
    title: str
    facts: tuple[tuple[str, str], ...]
    evidence: str
    link: str
    team: str | None = None


def dashboard_link(base_url: str, slug: str, filters: dict[str, str]) -> str:
    """A Superset dashboard URL with native filters (by the column they target) set to one value each."""
    spec = yaml.safe_load((DASHBOARDS_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))
    native = {}
    for item in spec["metadata"].get("native_filter_configuration", []):
        column = ((item.get("targets") or [{}])[0].get("column") or {}).get("name")
        if column in filters:
            value = filters[column]
            native[item["id"]] = {"extraFormData": {"filters": [{"col": column, "op": "IN", "val": [value]}]},
                                  "filterState": {"value": [value], "label": value}, "id": item["id"], "ownState": {}}
    url = f"{base_url.rstrip('/')}/superset/dashboard/{slug}/"
    return url + ("?native_filters=" + quote(prison.dumps(native), safe="") if native else "")


def _evidence(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS] + "…"


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def emerging_topic(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date, end: date) -> list[Alert]:
    rule = config.rules.emerging_topic
    rows = _rows(conn, """
        SELECT k.week_start, k.topic_code, coalesce(k.topic_name_zh, k.topic_code) AS topic, k.volume,
               k.baseline_volume, k.baseline_weeks, k.emerging_z, k.negative_share,
               (SELECT v.text FROM marts.rpt_verbatims AS v
                 WHERE v.topic_code = k.topic_code AND v.event_date >= k.week_start AND v.event_date <= ?
                   AND v.event_date < k.week_start + INTERVAL 7 DAY
                 ORDER BY v.sentiment_score NULLS LAST, v.verbatim_id LIMIT 1) AS evidence
        FROM kpi.kpi_topic_trends AS k
        WHERE k.week_start BETWEEN date_trunc('week', ?::DATE) AND ? AND k.volume >= ?
          AND k.baseline_weeks >= ? AND k.emerging_z >= ?
        ORDER BY k.week_start, k.emerging_z DESC""",
        [end, start, end, rule.min_volume, rule.min_baseline_weeks, rule.min_z])
    return [Alert(
        key=f"emerging_topic:{r['topic_code']}:{r['week_start']}", rule="emerging_topic", event_date=r["week_start"],
        title=f"新兴主题：{r['topic']} 本周声量 {r['volume']}，是基线的 {r['volume'] / r['baseline_volume']:.1f} 倍"
        if r["baseline_volume"] else f"新兴主题：{r['topic']} 本周声量 {r['volume']}（前几周为零）",
        facts=(("主题", r["topic"]), ("周", f"{r['week_start']} 起"), ("本周声量", f"{r['volume']}"),
               ("基线(前{0}周周均)".format(r["baseline_weeks"]), f"{r['baseline_volume']:.1f}"),
               ("显著性 z", f"{r['emerging_z']:.1f}"), ("负面占比", f"{(r['negative_share'] or 0):.0%}")),
        evidence=_evidence(r["evidence"]),
        link=dashboard_link(config.dashboard_url, "voice-of-the-customer", {"topic": r["topic"]}),
    ) for r in rows]


def complaint_spike(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date, end: date) -> list[Alert]:
    rule = config.rules.complaint_spike
    days = int(rule.baseline_days)
    rows = _rows(conn, f"""
        WITH daily AS (
            SELECT complaint_date AS day, 'topic' AS dimension, topic_code AS value, count(*) AS complaints
            FROM marts.fct_complaints GROUP BY ALL
            UNION ALL
            SELECT complaint_date, 'channel', contact_channel, count(*) FROM marts.fct_complaints GROUP BY ALL
        ),
        dense AS (
            SELECT d.date_day AS day, k.dimension, k.value, coalesce(daily.complaints, 0) AS complaints
            FROM marts.dim_dates AS d
            CROSS JOIN (SELECT DISTINCT dimension, value FROM daily) AS k
            LEFT JOIN daily ON daily.day = d.date_day AND daily.dimension = k.dimension AND daily.value = k.value
        ),
        scored AS (
            SELECT dense.*, avg(complaints) OVER w AS baseline, count(*) OVER w AS baseline_days
            FROM dense WINDOW w AS (PARTITION BY dimension, value ORDER BY day ROWS BETWEEN {days} PRECEDING AND 1 PRECEDING)
        )
        SELECT s.*, (s.complaints - s.baseline) / sqrt(greatest(s.baseline, 0.5)) AS z,
               coalesce(t.name_zh, s.value) AS value_zh,
               (SELECT v.text FROM marts.fct_complaints AS c JOIN marts.rpt_verbatims AS v ON v.verbatim_id = 'call:' || c.complaint_id
                 WHERE c.complaint_date = s.day AND (CASE s.dimension WHEN 'topic' THEN c.topic_code ELSE c.contact_channel END) = s.value
                 ORDER BY v.sentiment_score NULLS LAST, c.complaint_id LIMIT 1) AS evidence
        FROM scored AS s
        LEFT JOIN marts.dim_topics AS t ON s.dimension = 'topic' AND t.topic_code = s.value
        WHERE s.day BETWEEN ? AND ? AND s.complaints >= ? AND s.baseline_days >= least(7, {days})
          AND (s.complaints - s.baseline) / sqrt(greatest(s.baseline, 0.5)) >= ?
        ORDER BY s.day, s.dimension, s.value""", [start, end, rule.min_complaints, rule.min_z])
    alerts = []
    for r in rows:
        label = r["value_zh"] if r["dimension"] == "topic" else CHANNEL_ZH.get(r["value"], r["value"])
        what = "主题" if r["dimension"] == "topic" else "渠道"
        filters = {"topic": label} if r["dimension"] == "topic" else {"channel": label}
        alerts.append(Alert(
            key=f"complaint_spike:{r['dimension']}:{r['value']}:{r['day']}", rule="complaint_spike", event_date=r["day"],
            title=f"投诉激增：{what}「{label}」{r['day']} 登记投诉 {r['complaints']} 件，前{r['baseline_days']}日日均 {r['baseline']:.1f} 件",
            facts=((what, label), ("日期", f"{r['day']}"), ("当日投诉", f"{r['complaints']}"),
                   (f"前{r['baseline_days']}日日均", f"{r['baseline']:.1f}"), ("显著性 z", f"{r['z']:.1f}")),
            evidence=_evidence(r["evidence"]),
            link=dashboard_link(config.dashboard_url, "complaint-iceberg", filters),
        ))
    return alerts


def level3_case(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date, end: date) -> list[Alert]:
    rows = _rows(conn, """
        SELECT c.contact_id, c.contact_channel, c.contact_date, c.contacted_at, c.customer_id, c.customer_tier,
               c.agent_team, coalesce(c.agent_team, '(无坐席)') AS team, coalesce(t.name_zh, c.topic_code) AS topic, v.text AS evidence
        FROM marts.fct_contacts AS c
        LEFT JOIN marts.dim_topics AS t ON t.topic_code = c.topic_code
        LEFT JOIN marts.rpt_verbatims AS v
          ON v.verbatim_id = (CASE c.contact_channel WHEN 'call' THEN 'call:' ELSE 'post:' END) || c.contact_id
        WHERE c.third_party_escalation AND c.contact_date BETWEEN ? AND ?
        ORDER BY c.contacted_at, c.contact_id""", [start, end])
    return [Alert(
        key=f"level3_case:{r['contact_id']}", rule="level3_case", event_date=r["contact_date"],
        title=f"三级投诉：{TIER_ZH.get(r['customer_tier'], r['customer_tier'])}客户 {r['customer_id']} 提到第三方维权（{r['topic']}）",
        facts=(("客户", r["customer_id"]), ("客户等级", TIER_ZH.get(r["customer_tier"], r["customer_tier"])),
               ("渠道", CHANNEL_ZH.get(r["contact_channel"], r["contact_channel"])), ("主题", r["topic"]),
               ("班组", r["team"]), ("时间", f"{r['contacted_at']:%Y-%m-%d %H:%M}")),
        evidence=_evidence(r["evidence"]),
        link=dashboard_link(config.dashboard_url, "complaint-iceberg", {"topic": r["topic"]}), team=r["agent_team"],
    ) for r in rows]


def vip_detractor(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date, end: date) -> list[Alert]:
    tiers = list(config.rules.vip_detractor.tiers)
    rows = _rows(conn, """
        SELECT s.survey_id, s.submitted_date, s.submitted_at, s.customer_id, s.customer_tier, s.nps, s.csat,
               s.agent_team, coalesce(s.agent_team, '(无坐席)') AS team, coalesce(t.name_zh, s.topic_code) AS topic, s.comment
        FROM marts.fct_survey_responses AS s
        LEFT JOIN marts.dim_topics AS t ON t.topic_code = s.topic_code
        WHERE s.nps_category = 'detractor' AND list_contains(?, s.customer_tier) AND s.submitted_date BETWEEN ? AND ?
        ORDER BY s.submitted_at, s.survey_id""", [tiers, start, end])
    return [Alert(
        key=f"vip_detractor:{r['survey_id']}", rule="vip_detractor", event_date=r["submitted_date"],
        title=f"高价值客户贬损：{TIER_ZH[r['customer_tier']]}客户 {r['customer_id']} 推荐度 {r['nps']} 分（{r['topic']}）",
        facts=(("客户", r["customer_id"]), ("客户等级", TIER_ZH[r["customer_tier"]]), ("推荐度(0-10)", f"{r['nps']}"),
               ("满意度(1-5)", "" if r["csat"] is None else f"{r['csat']}"), ("主题", r["topic"]), ("班组", r["team"]),
               ("时间", f"{r['submitted_at']:%Y-%m-%d %H:%M}")),
        evidence=_evidence(r["comment"]),
        link=dashboard_link(config.dashboard_url, "operations", {"customer_tier": TIER_ZH[r["customer_tier"]]}),
        team=r["agent_team"],
    ) for r in rows]


def repeat_complainer(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date, end: date) -> list[Alert]:
    rule = config.rules.repeat_complainer
    rows = _rows(conn, f"""
        WITH counted AS (
            SELECT c.*, count(*) OVER recent AS complaints_in_window,
                   string_agg(DISTINCT coalesce(t.name_zh, c.topic_code), '、') OVER recent AS topics
            FROM marts.fct_complaints AS c
            LEFT JOIN marts.dim_topics AS t ON t.topic_code = c.topic_code
            WINDOW recent AS (PARTITION BY c.customer_id ORDER BY c.complained_at
                              RANGE BETWEEN INTERVAL {int(rule.window_days)} DAY PRECEDING AND CURRENT ROW)
        )
        SELECT counted.*, v.text AS evidence
        FROM counted LEFT JOIN marts.rpt_verbatims AS v ON v.verbatim_id = 'call:' || counted.complaint_id
        WHERE complaints_in_window = ? AND complaint_date BETWEEN ? AND ?
        ORDER BY complained_at, complaint_id""", [rule.complaints, start, end])
    return [Alert(
        key=f"repeat_complainer:{r['complaint_id']}", rule="repeat_complainer", event_date=r["complaint_date"],
        title=f"重复投诉：客户 {r['customer_id']} {rule.window_days} 天内第 {r['complaints_in_window']} 次投诉",
        facts=(("客户", r["customer_id"]), ("客户等级", TIER_ZH.get(r["customer_tier"], r["customer_tier"])),
               (f"{rule.window_days}天内投诉", f"{r['complaints_in_window']}"), ("涉及主题", r["topics"]),
               ("班组", r["agent_team"] or "(无坐席)"), ("时间", f"{r['complained_at']:%Y-%m-%d %H:%M}")),
        evidence=_evidence(r["evidence"]),
        link=dashboard_link(config.dashboard_url, "complaint-iceberg", {"customer_tier": TIER_ZH.get(r["customer_tier"], "")}),
        team=r["agent_team"],
    ) for r in rows]


RULES: dict[str, Callable[[duckdb.DuckDBPyConnection, AlertConfig, date, date], list[Alert]]] = {
    "emerging_topic": emerging_topic, "complaint_spike": complaint_spike, "level3_case": level3_case,
    "vip_detractor": vip_detractor, "repeat_complainer": repeat_complainer,
}


def evaluate(conn: duckdb.DuckDBPyConnection, config: AlertConfig, start: date, end: date) -> list[Alert]:
    """Every enabled rule's alerts for events dated ``start``..``end``."""
    alerts: list[Alert] = []
    for name, rule in RULES.items():
        if getattr(config.rules, name).enabled:
            alerts.extend(rule(conn, config, start, end))
    return alerts
