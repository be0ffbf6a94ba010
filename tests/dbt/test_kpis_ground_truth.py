"""The most important test: KPI marts equal KPIs recomputed in plain Python from the demo
generator's ground truth (not from the pipeline's own tables)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings
from tests.conftest import DEMO_START, make_demo

DAYS = 24
FCR_WINDOW = timedelta(days=7)
REPEAT_WINDOW = timedelta(days=30)
FOLLOWUP_WINDOW = timedelta(hours=48)


def _truth(settings: Settings, name: str) -> list[dict[str, str]]:
    with (settings.ground_truth_dir / f"{name}.csv").open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if not row.get("defect")]


def _periods(day: date) -> dict[str, date]:
    return {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1)}


def _sequences(events: list[tuple[str, str, datetime, str]]):
    """(customer, topic, time, id) → each event with its previous and next time on the same issue."""
    by_issue: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for customer, topic, when, event_id in events:
        by_issue[(customer, topic)].append((when, event_id))
    for (customer, topic), items in by_issue.items():
        items.sort()
        for i, (when, event_id) in enumerate(items):
            previous = items[i - 1][0] if i else None
            following = items[i + 1][0] if i + 1 < len(items) else None
            yield event_id, topic, when, previous, following


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path):
    """One generated dataset taken through the real nightly run (ingest, NLP, dbt)."""
    import os

    from tests.conftest import TINY_RECIPE

    folder = tmp_path_factory.mktemp("truth") / "data"
    saved = dict(os.environ)
    os.environ.update({"VOC_DATA_DIR": str(folder), "VOC_SENTIMENT_MODEL_DIR": str(tiny_model),
                       "VOC_SENTIMENT_TRAIN_CONFIG": str(TINY_RECIPE), "VOC_SENTIMENT_ENGINE": "transformer"})
    try:
        from pipelines.runner import run_nightly
        from pipelines.settings import get_settings

        settings = get_settings()
        make_demo(settings, days=DAYS, customers=6000, seed=21, defect_rate=0.01)
        outcome = run_nightly(DEMO_START, DEMO_START + timedelta(days=DAYS - 1))
        assert outcome.success, outcome.errors
        yield settings
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _mart(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_fcr_matches_ground_truth(built: Settings) -> None:
    as_of = datetime.combine(DEMO_START + timedelta(days=DAYS), datetime.min.time())
    events, agent_flag = [], {}
    for row in _truth(built, "calls"):
        if row["direction"] == "outbound":
            continue  # the company calling back is not a contact
        events.append((row["customer_id"], row["topic"], datetime.fromisoformat(row["started_at"]), row["call_id"]))
        agent_flag[row["call_id"]] = row["agent_resolved_flag"] == "True"
    for row in _truth(built, "social"):
        if row["is_contact"] == "True":
            when = datetime.strptime(row["posted_at"], "%a %b %d %H:%M:%S %z %Y").replace(tzinfo=None)
            events.append((row["customer_id"], row["topic"], when, row["post_id"]))
    expected: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for event_id, _topic, when, previous, following in _sequences(events):
        if previous is not None and previous >= when - FCR_WINDOW:
            continue  # not a first contact: the issue was already open
        pending = when + FCR_WINDOW > as_of
        resolved = not pending and not (following is not None and following <= when + FCR_WINDOW)
        for period_type, start in _periods(when.date()).items():
            counts = expected[(period_type, start)]
            counts[0] += 1
            counts[1] += pending
            counts[2] += not pending
            counts[3] += resolved
            counts[4] += (not pending) and agent_flag.get(event_id, False)
    rows = _mart(built, """SELECT period_type, period_start, first_contacts, pending_contacts, eligible_contacts,
                                  resolved_contacts, agent_resolved_contacts, fcr_rate
                           FROM kpi.kpi_fcr WHERE dimension = 'all'""")
    actual = {(p, s): [a, b, c, d, e] for p, s, a, b, c, d, e, _ in rows}
    assert actual == dict(expected)
    assert sum(v[1] for k, v in expected.items() if k[0] == "month") > 0, "censoring must be exercised"
    for p, s, _, _, eligible, resolved, _, rate in rows:
        assert (rate is None and eligible == 0) or math.isclose(rate, resolved / eligible)


def test_repeat_complaint_rate_matches_ground_truth(built: Settings) -> None:
    as_of = datetime.combine(DEMO_START + timedelta(days=DAYS), datetime.min.time())
    complaints = [(r["customer_id"], r["topic"], datetime.fromisoformat(r["started_at"]), r["call_id"])
                  for r in _truth(built, "calls") if r["complaint_flag"] == "True"]
    expected: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for _id, _topic, when, _previous, following in _sequences(complaints):
        pending = when + REPEAT_WINDOW > as_of
        repeated = not pending and following is not None and following <= when + REPEAT_WINDOW
        for period_type, start in _periods(when.date()).items():
            counts = expected[(period_type, start)]
            counts[0] += 1
            counts[1] += pending
            counts[2] += repeated
    rows = _mart(built, """SELECT period_type, period_start, complaints, pending_complaints, repeated_complaints
                           FROM kpi.kpi_repeat_complaints WHERE dimension = 'all'""")
    assert {(p, s): [a, b, c] for p, s, a, b, c in rows} == dict(expected)


def test_nps_and_margin_of_error_match_ground_truth(built: Settings) -> None:
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in _truth(built, "surveys"):
        if row["nps"] == "":
            continue
        nps = int(row["nps"])
        for period_type, start in _periods(datetime.fromisoformat(row["submitted_at"]).date()).items():
            counts[(period_type, start)][0 if nps >= 9 else 1 if nps >= 7 else 2] += 1
    rows = _mart(built, """SELECT period_type, period_start, promoters, passives, detractors, responses, nps,
                                  margin_of_error, is_low_n FROM kpi.kpi_nps WHERE dimension = 'all'""")
    assert {(p, s): [a, b, c] for p, s, a, b, c, *_ in rows} == dict(counts)
    for _p, _s, promoters, _passives, detractors, n, nps, moe, low_n in rows:
        p_pro, p_det = promoters / n, detractors / n
        assert math.isclose(nps, 100 * (p_pro - p_det), abs_tol=1e-9)
        assert math.isclose(moe, 100 * 1.96 * math.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n), abs_tol=1e-9)
        assert low_n == (n < 30)


def test_followup_rate_matches_ground_truth(built: Settings) -> None:
    """Detractor answers and logged complaints, each followed up by an outbound call within 48 h or not
    (level-3 cases depend on text detection and are checked in test_nlp, not here)."""
    as_of = datetime.combine(DEMO_START + timedelta(days=DAYS), datetime.min.time())
    calls = _truth(built, "calls")
    outbound: dict[str, list[datetime]] = defaultdict(list)
    for row in calls:
        if row["direction"] == "outbound":
            outbound[row["customer_id"]].append(datetime.fromisoformat(row["started_at"]))
    assert outbound, "the demo must contain outbound follow-up calls"
    triggers = [("complaint", r["customer_id"], datetime.fromisoformat(r["started_at"]))
                for r in calls if r["complaint_flag"] == "True"]
    triggers += [("detractor", r["customer_id"], datetime.fromisoformat(r["submitted_at"]))
                 for r in _truth(built, "surveys") if r["nps"] != "" and int(r["nps"]) <= 6]
    expected: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for kind, customer, when in triggers:
        after = [t for t in outbound[customer] if t > when]
        in_window = bool(after) and min(after) <= when + FOLLOWUP_WINDOW
        pending = not in_window and when + FOLLOWUP_WINDOW > as_of
        for period_type, start in _periods(when.date()).items():
            counts = expected[(period_type, start, kind)]
            counts[0] += 1
            counts[1] += pending
            counts[2] += in_window
    rows = _mart(built, """SELECT period_type, period_start, dimension_value, triggers, pending_triggers,
                                  followed_up_in_window, followup_rate, eligible_triggers
                           FROM kpi.kpi_followup WHERE dimension = 'trigger' AND dimension_value <> 'level_3'""")
    assert {(p, s, v): [a, b, c] for p, s, v, a, b, c, *_ in rows} == dict(expected)
    late = sum(1 for kind, customer, when in triggers if any(when + FOLLOWUP_WINDOW < t for t in outbound[customer]))
    assert late and sum(v[2] for k, v in expected.items() if k[0] == "month") > 0, "both outcomes must occur"
    for *_, followed, rate, eligible in rows:
        assert (rate is None and eligible == 0) or math.isclose(rate, followed / eligible)


def _previous_period(period_type: str, start: date) -> date:
    """The calendar's previous day, Monday-start week or month."""
    if period_type == "day":
        return start - timedelta(days=1)
    if period_type == "week":
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


def test_nps_change_compares_with_the_calendar_previous_period(built: Settings) -> None:
    """Per tier (diamond customers leave many days and some weeks empty): an empty previous period
    gives no change, never a comparison with an older period."""
    tier_of = {row["customer_id"]: row["tier"] for row in _truth(built, "customers")}
    # A survey takes its call's tier; when that call was quarantined, the customer's tier from any
    # other loaded call (int_customer_tiers), else standard.
    called = {row["customer_id"] for row in _truth(built, "calls")}
    counts: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in _truth(built, "surveys"):
        if row["nps"] == "":
            continue
        tier = tier_of[row["customer_id"]] if row["customer_id"] in called else "standard"
        nps = int(row["nps"])
        for period_type, start in _periods(datetime.fromisoformat(row["submitted_at"]).date()).items():
            counts[(period_type, start, tier)][0 if nps >= 9 else 1 if nps >= 7 else 2] += 1
    score = {key: 100 * (pro - det) / (pro + pas + det) for key, (pro, pas, det) in counts.items()}
    expected = {}
    for (period_type, start, tier), value in score.items():
        before = score.get((period_type, _previous_period(period_type, start), tier))
        expected[(period_type, start, tier)] = None if before is None else value - before
    rows = _mart(built, "SELECT period_type, period_start, dimension_value, nps_change FROM kpi.kpi_nps "
                        "WHERE dimension = 'tier'")
    actual = {(p, s, v): change for p, s, v, change in rows}
    assert set(actual) == set(expected)
    for key, change in expected.items():
        assert (actual[key] is None) == (change is None), key
        assert change is None or math.isclose(actual[key], change, abs_tol=1e-9), key
    older_only = [key for key, change in expected.items() if change is None and any(
        k[0] == key[0] and k[2] == key[2] and k[1] < key[1] for k in score)]
    assert older_only, "an empty previous period after an older non-empty one must be exercised"


def test_topic_baseline_averages_the_calendar_weeks_before(built: Settings) -> None:
    """The trailing baseline averages the previous calendar weeks, counting quiet weeks as 0."""
    weeks = {_periods(DEMO_START + timedelta(days=i))["week"] for i in range(DAYS)}
    rows = _mart(built, "SELECT week_start, topic_code, volume, baseline_volume, baseline_weeks FROM kpi.kpi_topic_trends")
    volume = {(w, t): v for w, t, v, _, _ in rows}
    topics = {t for _, t, *_ in rows}
    assert {(w, t) for w in weeks for t in topics} == set(volume), "every calendar week for every topic"
    assert any(v == 0 for v in volume.values()), "a quiet week must be exercised"
    n = 8
    for week, topic, _, baseline, baseline_weeks in rows:
        before = [volume[(w, topic)] for w in sorted(weeks) if week - timedelta(weeks=n) <= w < week]
        assert baseline_weeks == len(before)
        assert (baseline is None) == (not before)
        assert baseline is None or math.isclose(baseline, sum(before) / len(before))


def test_iceberg_logged_levels_match_ground_truth(built: Settings) -> None:
    expected: dict[tuple[str, date, str], int] = defaultdict(int)
    for row in _truth(built, "calls"):
        if row["complaint_flag"] == "True":
            for period_type, start in _periods(datetime.fromisoformat(row["started_at"]).date()).items():
                expected[(period_type, start, row["topic"])] += 1
                expected[(period_type, start, "all")] += 1
    rows = _mart(built, """SELECT period_type, period_start, dimension_value, level_1_logged_complaints,
                                  estimated_silent_dissatisfied, visibility_ratio FROM kpi.kpi_iceberg""")
    actual = {(p, s, v): level_1 for p, s, v, level_1, _, _ in rows if level_1}
    assert actual == dict(expected)
    for *_, level_1, silent, visibility in rows:
        assert silent == 26 * level_1
        assert visibility is None or 0 <= visibility <= 1


def test_every_column_of_every_mart_is_documented(built: Settings) -> None:
    import json

    from pipelines.defs.dbt import ensure_manifest

    manifest = json.loads(ensure_manifest(built.dbt_project_dir).read_text())
    documented = {(n["schema"], n["name"]): set(n["columns"]) for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and n["schema"] in {"marts", "kpi"}}
    rows = _mart(built, "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema IN ('marts', 'kpi')")
    actual: dict[tuple[str, str], set[str]] = defaultdict(set)
    for schema, table, column in rows:
        actual[(schema, table)].add(column)
    assert set(actual) == set(documented)
    for key, columns in actual.items():
        assert columns == documented[key], f"{key}: undocumented {columns - documented[key]}, stale {documented[key] - columns}"


def test_dbt_docs_generate_describes_every_mart(built: Settings) -> None:
    import json
    import os
    import subprocess
    import sys

    project = built.dbt_project_dir
    env = {**os.environ, "VOC_WAREHOUSE_PATH": str(built.warehouse_path), "VOC_DBT_WAREHOUSE_PATH": str(built.warehouse_path)}
    done = subprocess.run([sys.executable, "-m", "dbt.cli.main", "docs", "generate", "--project-dir", str(project),
                           "--profiles-dir", str(project), "--target-path", str(built.data_dir / "dbt_docs")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    catalog = json.loads((built.data_dir / "dbt_docs" / "catalog.json").read_text())
    manifest = json.loads((built.data_dir / "dbt_docs" / "manifest.json").read_text())
    marts = [key for key, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and node["schema"] in {"marts", "kpi"}]
    assert len(marts) >= 15
    for key in marts:
        assert manifest["nodes"][key]["description"]
        assert key in catalog["nodes"], f"{key} missing from the catalog"


@pytest.mark.parametrize("history", ["recorded", "from_before_the_codes"])
def test_topic_baseline_leaves_out_weeks_whose_taxonomy_lacked_the_topic(built: Settings, tmp_path, history: str) -> None:
    """An analyst adds a topic and re-runs the recent days: the weeks scored before could not mention it, so
    they are no baseline for it (they made it "emerging", round 24), while other topics keep theirs. Days
    scored before the codes were recorded (an upgraded warehouse) are read from what their version assigned."""
    import os
    import shutil
    import subprocess
    import sys

    with duckdb.connect(str(built.warehouse_path), read_only=True) as conn:
        days = conn.execute("SELECT _partition_date, count(*), count(DISTINCT topic_code) FROM nlp.topic_codes "
                            "GROUP BY 1 ORDER BY 1").fetchall()
        topic = conn.execute("SELECT topic_code FROM kpi.kpi_topic_trends GROUP BY 1 ORDER BY sum(volume) DESC "
                             "LIMIT 1").fetchone()[0]
    assert [day for day, *_ in days] == [DEMO_START + timedelta(days=i) for i in range(DAYS)]  # the nightly wrote each
    assert len({codes for _, codes, _ in days}) == 1 and all(codes == distinct > 2 for _, codes, distinct in days)

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse_path, warehouse)
    weeks = sorted({_periods(DEMO_START + timedelta(days=i))["week"] for i in range(DAYS)})
    older = DEMO_START + timedelta(days=8)  # days before it were scored by a taxonomy without the topic
    with duckdb.connect(str(warehouse)) as conn:
        if history == "recorded":
            conn.execute("DELETE FROM nlp.topic_codes WHERE topic_code = ? AND _partition_date < ?", [topic, older])
        else:  # no codes recorded then, and the older version never assigned the topic
            conn.execute("DELETE FROM nlp.topic_codes WHERE _partition_date < ?", [older])
            conn.execute("UPDATE nlp.document_topics SET model_version = 'taxonomy-older', topic_code = "
                         "CASE WHEN topic_code = ? THEN 'other' ELSE topic_code END WHERE _partition_date < ?",
                         [topic, older])
    project = built.dbt_project_dir
    done = subprocess.run([sys.executable, "-m", "dbt.cli.main", "run", "--full-refresh", "--select",
                           "stg_nlp__document_topics", "stg_nlp__topic_codes", "int_topic_codes_by_day",
                           "kpi_topic_trends", "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          env={**os.environ, "VOC_DBT_WAREHOUSE_PATH": str(warehouse)},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute("SELECT week_start, topic_code, volume, baseline_volume, baseline_weeks "
                            "FROM kpi.kpi_topic_trends").fetchall()
        assigned = {code for (code,) in conn.execute("SELECT DISTINCT topic_code FROM nlp.document_topics "
                                                     "WHERE model_version = 'taxonomy-older'").fetchall()}
    # the topics the older days' model is taken not to know: the one removed, or all it never assigned
    lacking = {topic} if history == "recorded" else {code for _, code, *_ in rows} - assigned
    assert topic in lacking and len(lacking) < len({code for _, code, *_ in rows}) / 2
    unknown = {w for w in weeks if w <= _periods(older - timedelta(days=1))["week"]}
    assert 2 <= len(unknown) < len(weeks)
    volume = {(w, t): v for w, t, v, _, _ in rows}
    for week, code, _, baseline, baseline_weeks in rows:
        before = [w for w in weeks if week - timedelta(weeks=8) <= w < week and (code not in lacking or w not in unknown)]
        assert baseline_weeks == len(before), (week, code)
        assert (baseline is None) == (not before)
        assert baseline is None or math.isclose(baseline, sum(volume[(w, code)] for w in before) / len(before))
    assert any(code == topic and baseline is None and week not in (weeks[0],) for week, code, _, baseline, _ in rows)
