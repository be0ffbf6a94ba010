"""Small and one-source nights run to the end and publish; only transient failures are retried."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date

import duckdb
import pytest
from dagster import DagsterInstance, RetryRequested, asset, materialize

from pipelines.dbt_window import END_DATE, START_DATE
from pipelines.warehouse import Warehouse, WarehouseBusyError, is_transient, retry_if_transient
from pipelines.publish import serving_path
from pipelines.settings import Settings
from tests.conftest import DEMO_START, make_demo


def _serving_counts(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(serving_path(settings)), read_only=True) as conn:
        return {
            "fct_contacts": conn.execute("SELECT count(*) FROM marts.fct_contacts").fetchone()[0],
            "fct_survey_responses": conn.execute("SELECT count(*) FROM marts.fct_survey_responses").fetchone()[0],
        }


def test_a_night_of_calls_only_publishes(settings: Settings) -> None:
    from pipelines.runner import run_nightly

    counts = make_demo(settings, days=1, customers=300)
    for source in ("surveys", "social"):
        shutil.rmtree(settings.landing_dir / source)
    outcome = run_nightly(DEMO_START, DEMO_START)
    assert outcome.success, outcome.errors
    assert outcome.published and outcome.stale_tables == []
    # The night's window reached dbt only: a later whole build in this process is not narrowed.
    assert START_DATE not in os.environ and END_DATE not in os.environ
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        calls = conn.execute("SELECT count(*) FROM raw.calls").fetchone()[0]
        quarantined = conn.execute("SELECT count(*) FROM raw.quarantine WHERE source = 'calls'").fetchone()[0]
    assert calls + quarantined == counts["calls"]
    served = _serving_counts(settings)
    assert served["fct_survey_responses"] == 0
    assert served["fct_contacts"] >= calls


def test_a_night_with_one_survey_and_nothing_else_publishes(settings: Settings) -> None:
    from pipelines.runner import run_nightly

    folder = settings.landing_dir / "surveys" / DEMO_START.isoformat()
    folder.mkdir(parents=True)
    (folder / "one.csv").write_text(
        "survey_id,customer_id,interaction_id,channel,submitted_at,nps,csat,comment\n"
        "S1,C1,,app,2026-08-01 10:00:00,3,2,快递三天了还没到\n", encoding="utf-8")
    outcome = run_nightly(DEMO_START, DEMO_START)
    assert outcome.success, outcome.errors
    assert outcome.published
    served = _serving_counts(settings)
    assert served["fct_survey_responses"] == 1
    assert served["fct_contacts"] == 0


def test_posts_from_a_crawler_export_are_addressed_to_the_brand_when_their_text_names_it(settings: Settings) -> None:
    """A social-listening CSV has no mentions_brand column: the raw row keeps NULL, and staging reads the
    text for the brand's accounts (dbt var brand_handles), so such posts still reach the iceberg's level 2."""
    from pipelines.runner import run_nightly

    folder = settings.landing_dir / "social" / DEMO_START.isoformat()
    folder.mkdir(parents=True)
    (folder / "crawler.csv").write_text(
        "博文ID,用户ID,发布时间,博文内容\n"
        "P1,U1,2026-08-01 08:31,@星河通信客服 宽带断了三天了\nP2,U2,2026-08-01 09:00,这家运营商的信号真差\n",
        encoding="utf-8")
    outcome = run_nightly(DEMO_START, DEMO_START)
    assert outcome.success, outcome.errors
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.social_posts WHERE mentions_brand IS NULL").fetchone()[0] == 2
        staged = dict(conn.execute("SELECT post_id, mentions_brand FROM staging.stg_social__posts").fetchall())
    assert staged == {"P1": True, "P2": False}


def test_a_night_with_no_files_at_all_publishes(settings: Settings) -> None:
    from pipelines.runner import run_nightly

    outcome = run_nightly(date(2026, 8, 2), date(2026, 8, 2))
    assert outcome.success, outcome.errors
    assert outcome.published


def test_transient_errors_are_told_apart_from_deterministic_ones() -> None:
    lock = duckdb.IOException('Could not set lock on file "w.duckdb": Conflicting lock is held')
    try:
        try:
            raise lock
        except duckdb.IOException as error:
            raise RuntimeError("loading surveys failed") from error
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    assert is_transient(WarehouseBusyError("busy"))
    assert is_transient(OSError(5, "Input/output error"))
    assert not is_transient(FileNotFoundError("no such file"))
    assert not is_transient(ValueError("After pruning, no terms remain"))
    assert not is_transient(StopIteration())


@pytest.mark.parametrize(("error", "expected_attempts"), [
    (ValueError("a bug does not heal by waiting"), 1),
    (WarehouseBusyError("the warehouse is locked"), 3),
])
def test_only_transient_failures_are_retried(error: Exception, expected_attempts: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.warehouse.TRANSIENT_WAIT_S", 0)
    attempts: list[int] = []

    @asset
    def flaky(context) -> None:  # a string annotation (future import) is refused by Dagster
        attempts.append(context.retry_number)
        with retry_if_transient():
            raise error

    with DagsterInstance.ephemeral() as instance:
        result = materialize([flaky], instance=instance, raise_on_error=False)
    assert not result.success
    assert len(attempts) == expected_attempts


def test_retry_request_passes_through_untouched() -> None:
    with pytest.raises(RetryRequested):
        with retry_if_transient():
            raise RetryRequested(max_retries=1)


def test_a_day_of_two_texts_still_gets_the_topic_classifier(settings: Settings) -> None:
    """The classifier learns from the written training set, not from the day: two texts of two
    topics (too few to learn anything from) still get keywords and classifier, and the night goes on."""
    from tests.conftest import load_day
    from pipelines.nlp.scoring import fit_topic_model

    folder = settings.landing_dir / "surveys" / DEMO_START.isoformat()
    folder.mkdir(parents=True)
    (folder / "two.csv").write_text(
        "survey_id,customer_id,channel,submitted_at,nps,comment\n"
        "S1,C1,app,2026-08-01 10:00,2,快递没到\nS2,C2,app,2026-08-01 11:00,3,网速慢\n", encoding="utf-8")
    load_day("surveys", DEMO_START)
    model = fit_topic_model([DEMO_START], settings.topic_taxonomy, Warehouse.from_settings(settings))
    assert model.classifier is not None and model.training_size > 400
    assert [a.topic for a in model.assign(["快递没到", "网速慢"])] == ["delivery", "network_signal"]


def test_a_changed_kpi_setting_rebuilds_the_history_instead_of_failing_the_night(
        settings: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer changed fcr_window_days as dbt_project.yml invites, re-ran a day, and every night failed the
    KPI reconciliation until a hand-made ``dbt build --full-refresh`` (round 24): the incremental facts kept
    the old window. The next night now sees the change and rebuilds from the full history."""
    from pipelines.runner import run_nightly
    from pipelines.settings import REPO_ROOT

    project = tmp_path / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("VOC_DBT_PROJECT_DIR", str(project))
    make_demo(settings, days=12, customers=1500)
    last = date.fromordinal(DEMO_START.toordinal() + 11)  # older contacts than the window a night re-reads
    assert run_nightly(DEMO_START, last).success

    config = project / "dbt_project.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("fcr_window_days: 7", "fcr_window_days: 2"), encoding="utf-8")
    outcome = run_nightly(last, last)
    assert outcome.success and outcome.published, outcome.errors
    recorded = json.loads((settings.data_dir / "dbt" / "target" / "voc_kpi_vars.json").read_text(encoding="utf-8"))
    assert recorded["fcr_window_days"] == 2
