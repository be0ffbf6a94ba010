"""NLP assets and the stable CSV commands."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.settings import Settings
from tests.conftest import DEMO_START


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_nightly_scores_every_document_once_with_its_model_version(settings: Settings, small_demo: dict) -> None:
    from pipelines.nlp.scoring import fit_topic_model, score_partition, sentiment_engine
    from pipelines.runner import run_nightly

    outcome = run_nightly(DEMO_START, date(2026, 8, 2))
    assert outcome.success, outcome.errors
    version = sentiment_engine().version
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        assert one("SELECT count(*) FROM nlp.document_sentiment") == one(
            "SELECT (SELECT count(*) FROM raw.surveys) + (SELECT count(*) FROM raw.social_posts)")
        assert one("SELECT count(*) FROM nlp.turn_sentiment") == one("SELECT count(*) FROM raw.call_turns")
        assert one("SELECT count(*) FROM nlp.call_arcs") == one("SELECT count(*) FROM raw.calls")
        assert one("SELECT count(*) FROM nlp.document_topics") == one(
            "SELECT (SELECT count(*) FROM raw.surveys) + (SELECT count(*) FROM raw.social_posts) + (SELECT count(*) FROM raw.calls)")
        assert one(f"SELECT count(*) FROM nlp.document_sentiment WHERE model_version <> '{version}'") == 0
        assert one("SELECT count(*) FROM nlp.document_sentiment WHERE sentiment_label = 'unknown' AND sentiment_score IS NOT NULL") == 0
        assert one("SELECT count(*) FROM nlp.document_sentiment d JOIN raw.surveys s ON d.doc_id = s.survey_id "
                   "WHERE s.comment = '' AND d.sentiment_label <> 'unknown'") == 0
        before = conn.execute("SELECT * FROM nlp.document_sentiment ORDER BY doc_id").fetchall()

    rerun = score_partition(DEMO_START, fit_topic_model([DEMO_START]))
    assert rerun.scored_by_engine == 0 and rerun.cache_hits > 0
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert conn.execute("SELECT * FROM nlp.document_sentiment ORDER BY doc_id").fetchall() == before


def test_escalations_found_in_demo_match_ground_truth(settings: Settings) -> None:
    from pipelines.runner import run_nightly
    from tests.conftest import make_demo

    make_demo(settings, days=6, customers=6000, seed=4)
    assert run_nightly(DEMO_START, date(2026, 8, 6)).success
    truth = {row["call_id"]: row["third_party_escalation"] == "True"
             for row in _rows(settings.ground_truth_dir / "calls.csv") if not row["defect"]}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        found = dict(conn.execute("SELECT doc_id, escalation_risk FROM nlp.escalations WHERE doc_type = 'call'").fetchall())
    assert set(found) == set(truth)
    flagged = {k for k, v in truth.items() if v}
    assert flagged, "the demo must contain escalations"
    recall = sum(found[k] for k in flagged) / len(flagged)
    false_alarms = sum(found[k] for k in truth if not truth[k])
    assert recall >= 0.95 and false_alarms <= 0.01 * len(truth)


@pytest.fixture
def comments_csv(tmp_path: Path) -> Path:
    path = tmp_path / "comments.csv"
    rows = [("1", "快递一个星期还没到，太失望了"), ("2", ""), ("3", "客服态度很好，问题解决了"),
            ("4", "再不解决我就去12315投诉"), ("5", "我不会去投诉的"), ("6", "宽带断网三天了")] * 5
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "评论"])
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("engine", ["snownlp", "transformer"])
def test_sentiment_score_command(settings: Settings, comments_csv: Path, tmp_path: Path, engine: str) -> None:
    out = tmp_path / f"scored_{engine}.csv"
    code = main(["sentiment", "score", "--engine", engine, "--input", str(comments_csv), "--text-column", "评论",
                 "--output", str(out)])
    assert code == 0
    rows = _rows(out)
    assert len(rows) == 30 and list(rows[0]) == ["id", "评论", "sentiment_score", "sentiment_label"]
    for row in rows:
        if row["评论"]:
            assert 0 <= float(row["sentiment_score"]) <= 1
            assert row["sentiment_label"] in {"negative", "neutral", "positive"}
        else:
            assert row["sentiment_label"] == "unknown" and row["sentiment_score"] == ""


def test_escalation_detect_command(comments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "escalation.csv"
    assert main(["escalation", "detect", "--input", str(comments_csv), "--text-column", "评论", "--output", str(out)]) == 0
    flags = {row["id"]: (row["escalation_risk"], row["escalation_evidence"]) for row in _rows(out)}
    assert flags["4"] == ("true", "再不解决我就去12315投诉")
    assert flags["5"] == ("false", "") and flags["1"][0] == "false"


def test_topics_discover_command(comments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "topics.csv"
    assert main(["topics", "discover", "--input", str(comments_csv), "--text-column", "评论", "--k", "3",
                 "--output", str(out)]) == 0
    rows = _rows(out)
    assert {row["topic_id"] for row in rows if not row["评论"]} == {"-1"}
    assert all(row["topic_terms"] for row in rows if row["评论"])
    assert len({row["topic_id"] for row in rows if row["评论"]}) >= 2


def test_csv_commands_explain_bad_input(comments_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["escalation", "detect", "--input", str(comments_csv), "--text-column", "text",
                 "--output", str(tmp_path / "x.csv")]) == 2
    assert "column 'text' not in comments.csv; its columns are: id, 评论" in capsys.readouterr().err
    assert main(["topics", "discover", "--input", str(tmp_path / "missing.csv"), "--text-column", "t",
                 "--output", str(tmp_path / "y.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_topic_candidates_are_discovered_from_unmatched_texts(settings: Settings, small_demo: dict) -> None:
    from pipelines.runner import run_nightly

    assert run_nightly(DEMO_START, date(2026, 8, 3)).success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        rows = conn.execute("SELECT terms, size, examples, window_end FROM nlp.topic_candidates").fetchall()
    assert rows and all(terms and examples for terms, _, examples, _ in rows)
    assert {row[3] for row in rows} == {date(2026, 8, 3)}


def test_csv_commands_read_like_ingestion_and_report_undecodable_rows(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """A GB18030 file whose first Chinese text comes after 64 KiB, CR-only, with one line of bytes
    that are neither UTF-8 nor GB18030: the escalation is found and the bad line is reported."""
    path = tmp_path / "late_gb18030.csv"
    body = "id,评论\r" + "".join(f"{i},ok\r" for i in range(9000))
    path.write_bytes(body.encode("gb18030") + "9000,再不处理我就去12315投诉\r".encode("gb18030")
                     + b"9001,\xff\xfe\xff\r")
    out = tmp_path / "escalation.csv"
    assert main(["escalation", "detect", "--input", str(path), "--text-column", "评论", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 9001
    assert rows[-1]["评论"] == "再不处理我就去12315投诉" and rows[-1]["escalation_risk"] == "true"
    err = capsys.readouterr().err
    assert "1 row(s) of late_gb18030.csv could not be read" in err and "line 9003: encoding" in err
