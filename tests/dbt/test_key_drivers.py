"""The key-driver analysis finds the driver the demo generator planted: during the two-week delivery
outage, customers whose delivery issue began in the outage answer the survey OUTAGE_NPS_DROP points
lower. In the week wholly inside the outage, delivery must be the top negative driver, with the
true impact (computed from the generator's truth and its answer distributions) inside the interval."""

from __future__ import annotations

import csv
import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.generator import NPS_WEIGHTS_RESOLVED, NPS_WEIGHTS_UNRESOLVED, default_incidents
from tests.conftest import DEMO_START, TINY_RECIPE, make_demo

OUTAGE = default_incidents(DEMO_START)[0]
# The Monday-start week wholly inside the outage.
WEEK = OUTAGE.start + timedelta(days=(7 - OUTAGE.start.weekday()) % 7)
DAYS = (WEEK - DEMO_START).days + 7


def _expected_points(resolved: bool, drop: int) -> float:
    """Expected NPS points (promoter +100, detractor -100) of one answer, from the generator's distributions."""
    weights = NPS_WEIGHTS_RESOLVED if resolved else NPS_WEIGHTS_UNRESOLVED
    total = sum(weights)
    promoter = sum(w for score, w in enumerate(weights) if max(0, score - drop) >= 9) / total
    detractor = sum(w for score, w in enumerate(weights) if max(0, score - drop) <= 6) / total
    return 100 * (promoter - detractor)


@pytest.fixture(scope="module")
def outage_demo(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    folder = tmp_path_factory.mktemp("drivers") / "data"
    saved = dict(os.environ)
    os.environ.update({"VOC_DATA_DIR": str(folder), "VOC_SENTIMENT_MODEL_DIR": str(tiny_model),
                       "VOC_SENTIMENT_TRAIN_CONFIG": str(TINY_RECIPE), "VOC_SENTIMENT_ENGINE": "transformer"})
    try:
        from pipelines.runner import run_nightly
        from pipelines.settings import get_settings

        settings = get_settings()
        make_demo(settings, days=DAYS, customers=2500, seed=13)
        assert run_nightly(DEMO_START, DEMO_START + timedelta(days=DAYS - 1)).success
        yield folder
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_planted_outage_is_the_top_negative_driver_with_the_truth_in_its_interval(outage_demo: Path) -> None:
    truth = outage_demo / "ground_truth"
    resolved = {row["call_id"]: row["true_resolved"] == "True"
                for row in csv.DictReader((truth / "calls.csv").open(encoding="utf-8"))}
    points: dict[bool, list[float]] = {True: [], False: []}
    for row in csv.DictReader((truth / "surveys.csv").open(encoding="utf-8")):
        day = datetime.fromisoformat(row["submitted_at"]).date()
        if row["defect"] or row["nps"] == "" or not WEEK <= day < WEEK + timedelta(days=7):
            continue
        points[row["topic"] == OUTAGE.topic].append(
            _expected_points(resolved[row["interaction_id"]], int(row["incident_nps_drop"])))
    assert len(points[True]) >= 30, "enough delivery answers in the outage week"
    true_impact = sum(points[True]) / len(points[True]) - sum(points[False]) / len(points[False])

    with duckdb.connect(str(outage_demo / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute("""SELECT topic_code, negative_rank, nps_impact, nps_impact_lower, nps_impact_upper, quadrant
                               FROM kpi.kpi_key_drivers WHERE period_type = 'week' AND period_start = ?
                               ORDER BY negative_rank""", [WEEK]).fetchall()
    top, rank, impact, lower, upper, quadrant = rows[0]
    assert (top, rank) == (OUTAGE.topic, 1), rows[:3]
    assert lower <= true_impact <= upper, (true_impact, impact, lower, upper)
    assert upper < 0 and quadrant == "优先改进"
