"""NLP assets and the stable CSV commands."""

from __future__ import annotations

import csv
import io
import hashlib
import subprocess
import sys
from datetime import date
from pathlib import Path
from unittest.mock import patch

import duckdb
import numpy as np
import pytest

from pipelines.cli import main
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse
from tests.conftest import DEMO_START


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_nightly_scores_every_document_once_with_its_model_version(settings: Settings, small_demo: dict) -> None:
    from pipelines.nlp.scoring import fit_topic_model, score_partition, sentiment_engine
    from pipelines.runner import run_nightly

    outcome = run_nightly(DEMO_START, date(2026, 8, 2))
    assert outcome.success, outcome.errors
    version = sentiment_engine(settings).version
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
        for table in ("document_sentiment", "turn_sentiment"):
            assert one(f"SELECT count(*) FROM nlp.{table} WHERE sentiment_label <> 'unknown'") > 0
            # probabilities come together and sum to 1; unknown texts have none
            assert one(f"""SELECT count(*) FROM nlp.{table} WHERE (sentiment_label = 'unknown' AND sentiment_neutral IS NOT NULL)
                           OR (sentiment_neutral IS NULL) <> (sentiment_score IS NULL)
                           OR abs(sentiment_negative + sentiment_neutral + sentiment_positive - 1) > 1e-4""") == 0
        # greeting and bare politeness turns carry no score, so they move no call
        assert one("SELECT count(*) FROM nlp.turn_sentiment WHERE text_normalized IN ('好', '行吧', '好的 谢谢你啊')") > 0
        assert one("SELECT count(*) FROM nlp.turn_sentiment WHERE text_normalized IN ('好', '行吧', '好的 谢谢你啊') "
                   "AND (sentiment_score IS NOT NULL OR sentiment_label <> 'neutral')") == 0
        # every inbound call's text topic comes from the customer's words, and the demo's texts name the reason code
        calls = conn.execute("SELECT t.topic_code, t.confidence, c.reason_code FROM nlp.document_topics t "
                             "JOIN raw.calls c ON t.doc_type = 'call' AND t.doc_id = c.call_id "
                             "WHERE c.direction = 'inbound'").fetchall()  # a follow-up call is about the follow-up
        mismatched = [(topic, reason) for topic, _, reason in calls if topic != reason]
        assert calls and not mismatched, mismatched[:20]
        assert all(0 < confidence <= 1 for topic, confidence, _ in calls if topic != "other")
        # Customers' turns carry the model's (cached) probabilities; agents' are moved to agents' prior.
        priors = sentiment_engine(settings).speaker_priors
        cached = {key: row for key, *row in conn.execute(
            f"SELECT text_hash, p_negative, p_neutral, p_positive FROM nlp.sentiment_cache WHERE model_version = '{version}'"
        ).fetchall()}
        turns = conn.execute("SELECT speaker, text_normalized, sentiment_negative, sentiment_neutral, sentiment_positive "
                             "FROM nlp.turn_sentiment WHERE sentiment_score IS NOT NULL").fetchall()
        for speaker in ("customer", "agent"):
            mine = [(text, row) for who, text, *row in turns if who == speaker]
            model = np.array([cached[hashlib.sha1(text.encode("utf-8")).hexdigest()] for text, _ in mine])
            expected = priors.apply(model, [speaker] * len(mine)) if speaker == "agent" else model
            assert mine and np.array([row for _, row in mine]) == pytest.approx(expected, abs=1e-5)
        before = conn.execute("SELECT * FROM nlp.document_sentiment ORDER BY doc_id").fetchall()

    warehouse = Warehouse.from_settings(settings)
    rerun = score_partition(DEMO_START, fit_topic_model([DEMO_START], settings.topic_taxonomy, warehouse),
                            settings, warehouse)
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
            ("4", "再不解决我就去12315投诉"), ("5", "[链接x]"), ("6", "👍")] * 5
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
    assert len(rows) == 30 and list(rows[0]) == ["id", "评论", "sentiment_score", "sentiment_label", "sentiment_negative",
                                                 "sentiment_neutral", "sentiment_positive"]
    for row in rows:
        probabilities = [row[f"sentiment_{c}"] for c in ("negative", "neutral", "positive")]
        if row["评论"] in ("", "[链接x]"):
            assert row["sentiment_label"] == "unknown" and row["sentiment_score"] == "" and probabilities == [""] * 3
            continue
        assert 0 <= float(row["sentiment_score"]) <= 1
        assert abs(sum(map(float, probabilities)) - 1) < 1e-4
        negative, _, positive = map(float, probabilities)
        assert float(row["sentiment_score"]) == pytest.approx(positive / (positive + negative), abs=1e-5)
        assert row["sentiment_label"] in {"negative", "neutral", "positive"}
        if row["评论"] == "👍":
            assert row["sentiment_label"] == "positive"


def test_sentiment_score_reads_a_text_past_pythons_csv_field_limit(settings: Settings, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """A 200,000-character review (over csv's default 131,072) is scored, not dropped as a malformed row."""
    path, out = tmp_path / "long.csv", tmp_path / "long_scored.csv"
    long_review = "房间很干净，早餐也不错，前台服务热情。" * 11_000
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("id", "评论"), ("1", long_review), ("2", "不错")])
    assert main(["sentiment", "score", "--engine", "transformer", "--input", str(path), "--text-column", "评论",
                 "--output", str(out)]) == 0
    assert "could not be read" not in capsys.readouterr().err
    rows = _rows(out)
    assert [row["id"] for row in rows] == ["1", "2"] and len(rows[0]["评论"]) == len(long_review) > 200_000
    assert rows[0]["sentiment_label"] in {"negative", "neutral", "positive"}


def test_a_field_past_the_readers_limit_is_reported_by_line(settings: Settings, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:
    path, out = tmp_path / "long.csv", tmp_path / "long_scored.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("id", "评论"), ("1", "很好" * 100), ("2", "不错")])
    previous = csv.field_size_limit(150)  # the 16 MiB limit, scaled down
    try:
        assert main(["sentiment", "score", "--input", str(path), "--text-column", "评论", "--output", str(out)]) == 2  # a row left out: the run says so
    finally:
        csv.field_size_limit(previous)
    assert "line 2: text_too_long: a field is over 150 characters, the CSV reader's limit" in capsys.readouterr().err
    assert [row["id"] for row in _rows(out)] == ["2"]


def test_sentiment_score_reads_agents_with_their_prior(settings: Settings, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    import json

    from sentiment.speaker_prior import shift_prior

    path, out = tmp_path / "turns.csv", tmp_path / "turns_scored.csv"
    texts = ["1 - 2天", "4点快递员走了呢"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["角色", "内容"])
        writer.writerows([(who, text) for text in texts for who in ("客户", "客服", "AGENT", "客户经理", "")])
    assert main(["sentiment", "score", "--engine", "transformer", "--input", str(path), "--text-column", "内容",
                 "--speaker-column", "角色", "--output", str(out)]) == 0
    assert ("4 row(s) have a '角色' that names neither a customer nor an agent ('客户经理' x2, '(empty)' x2)"
            in capsys.readouterr().err)
    rows = _rows(out)
    card = json.loads((settings.sentiment_model_dir / "voc_model.json").read_text(encoding="utf-8"))["class_priors"]

    def probabilities(row: dict[str, str]) -> list[float]:
        return [float(row[f"sentiment_{c}"]) for c in ("negative", "neutral", "positive")]

    for i in range(0, len(rows), 5):
        customer, agent, agent_en, manager, blank = rows[i:i + 5]
        # Customers, unnamed and blank speakers are read as text alone; agents by Bayes' rule to agents' prior.
        assert probabilities(customer) == probabilities(manager) == probabilities(blank)
        assert probabilities(agent) == probabilities(agent_en)
        expected = shift_prior([probabilities(customer)], card["calibration"], card["speakers"]["agent"])[0]
        assert probabilities(agent) == pytest.approx(expected.tolist(), abs=1e-5)
        assert float(agent["sentiment_negative"]) < float(customer["sentiment_negative"])
        assert agent["sentiment_score"] == customer["sentiment_score"]  # the opinion's direction is the text's
    assert main(["sentiment", "score", "--input", str(path), "--text-column", "内容", "--speaker-column", "speaker",
                 "--output", str(tmp_path / "x.csv")]) == 2
    assert "column 'speaker' not in turns.csv; its columns are: 角色, 内容" in capsys.readouterr().err
    for column, message in (("", "--speaker-column needs the name of the column"),
                            ("内容", "--speaker-column and --text-column both name '内容'")):
        assert main(["sentiment", "score", "--input", str(path), "--text-column", "内容", "--speaker-column", column,
                     "--output", str(tmp_path / "x.csv")]) == 2
        assert message in capsys.readouterr().err
    assert main(["sentiment", "score", "--engine", "snownlp", "--input", str(path), "--text-column", "内容",
                 "--speaker-column", "角色", "--output", str(tmp_path / "snow.csv")]) == 0
    assert "records no speaker priors; --speaker-column changes nothing" in capsys.readouterr().err


@pytest.mark.parametrize(("encoding", "first_bytes"), [("utf-8-sig", b"\xef\xbb\xbf"),
                                                     ("gb18030", "id,评论".encode("gb18030"))])
def test_output_can_be_written_for_excel(comments_csv: Path, tmp_path: Path, encoding: str, first_bytes: bytes) -> None:
    out = tmp_path / f"for_excel_{encoding}.csv"
    assert main(["escalation", "detect", "--input", str(comments_csv), "--text-column", "评论", "--output", str(out),
                 "--output-encoding", encoding]) == 0
    assert out.read_bytes().startswith(first_bytes)
    written = list(csv.DictReader(out.read_text(encoding=encoding).splitlines()))
    expected = list(csv.DictReader(comments_csv.read_text(encoding="gb18030").splitlines()))
    assert [row["评论"] for row in written] == [row["评论"] for row in expected]
    assert written[3]["escalation_risk"] == "true"  # 再不解决我就去12315投诉


def test_teacher_engine_without_a_teacher_is_a_one_line_error(settings: Settings, comments_csv: Path,
                                                              tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["sentiment", "score", "--engine", "transformer-large", "--input", str(comments_csv),
                 "--text-column", "评论", "--output", str(tmp_path / "out.csv")])
    assert code == 2 and "voc train sentiment" in capsys.readouterr().err


def test_escalation_detect_command(comments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "escalation.csv"
    assert main(["escalation", "detect", "--input", str(comments_csv), "--text-column", "评论", "--output", str(out)]) == 0
    rows = _rows(out)
    assert list(rows[0]) == ["id", "评论", "escalation_risk", "escalation_evidence", "escalation_category",
                             "escalation_confidence"]
    flags = {row["id"]: tuple(row[c] for c in list(row)[2:]) for row in rows}
    assert flags["4"][:3] == ("true", "再不解决我就去12315投诉", "consumer_association")
    assert 0.9 <= float(flags["4"][3]) <= 1  # rules 0.92 mixed with the model's probability
    # No third party named: the model alone reads it, unflagged and under 0.5 (sentiment.escalation, step 9).
    assert flags["5"][:3] == ("false", "", "") and float(flags["5"][3]) < 0.5 and flags["1"][0] == "false"


def test_topics_discover_command(comments_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "topics.csv"
    assert main(["topics", "discover", "--input", str(comments_csv), "--text-column", "评论", "--k", "3",
                 "--output", str(out)]) == 0
    rows = _rows(out)
    contentless = {"", "[链接x]", "👍"}  # nothing to discover a theme in: no theme, not a crash
    assert {row["topic_id"] for row in rows if row["评论"] in contentless} == {"-1"}
    assert all(row["topic_terms"] for row in rows if row["评论"] not in contentless)
    assert len({row["topic_id"] for row in rows if row["评论"] not in contentless}) >= 2


def test_csv_commands_explain_bad_input(comments_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["escalation", "detect", "--input", str(comments_csv), "--text-column", "text",
                 "--output", str(tmp_path / "x.csv")]) == 2
    assert "column 'text' not in comments.csv; its columns are: id, 评论" in capsys.readouterr().err
    assert main(["topics", "discover", "--input", str(tmp_path / "missing.csv"), "--text-column", "t",
                 "--output", str(tmp_path / "y.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("id,评论,评论\n1,服务太差,服务很好\n", encoding="utf-8")
    before = comments_csv.read_bytes()
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04" + b"cut off mid-way" * 4)
    text_workbook = tmp_path / "comments.xlsx"  # a CSV saved under a workbook's name
    text_workbook.write_text("id,评论\n1,服务很好\n", encoding="utf-8")
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(b"PK\x03\x04" + bytes(60))
    no_bom = tmp_path / "no_bom.csv"
    no_bom.write_bytes("id,评论\n1,服务很好\n".encode("utf-16-le"))
    unreadable = tmp_path / "unreadable.csv"  # too few non-ASCII characters to name; no byte is GB18030 or UTF-8
    unreadable.write_bytes("id,评论\n".encode() + b"1,tr\xe8s d\xe9\xe7u\xff\n2,\xff\xfe\xfa\n")
    big5 = tmp_path / "big5.csv"
    big5.write_bytes(("id,評論\n" + "1,客服態度很好，問題當天就解決了\n2,帳單金額不對，請儘快處理\n" * 12).encode("big5"))
    small_big5 = tmp_path / "small_big5.csv"  # two lines: under the 300 characters a long sample is judged on
    small_big5.write_bytes("id,評論\n1,客服態度很差，我要去消費者協會投訴\n2,物流太慢了\n".encode("big5"))
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 16)
    web_page = tmp_path / "export.xls"  # a web system's "Excel export"
    web_page.write_text("<html><body><table><tr><th>评论</th></tr><tr><td>很好</td></tr></table></body></html>",
                        encoding="utf-8")
    for arguments, message in [
        (["--input", str(tmp_path), "--output", str(tmp_path / "z.csv")], "is a folder; give one CSV"),
        (["--input", str(empty), "--output", str(tmp_path / "z.csv")], "empty.csv is empty (0 bytes)"),
        (["--input", str(repeated), "--output", str(tmp_path / "z.csv")], "more than one column named '评论'"),
        (["--input", str(comments_csv), "--output", str(tmp_path)], "is a folder; give the path of the CSV"),
        (["--input", str(comments_csv), "--output", str(comments_csv.parent / "." / comments_csv.name)],
         "is the input file"),
        (["--input", str(comments_csv), "--output", str(comments_csv / "out.csv")], "cannot write --output"),
        (["--input", str(damaged), "--output", str(tmp_path / "z.csv")], "damaged.xlsx cannot be read: not a readable"),
        (["--input", str(text_workbook), "--output", str(tmp_path / "z.csv")],
         "comments.xlsx is a text file (CSV?) under a workbook's name, not an Excel workbook; rename it to comments.csv"),
        (["--input", str(renamed), "--output", str(tmp_path / "z.csv")], "is an Excel workbook (XLSX) under another"),
        (["--input", str(binary), "--output", str(tmp_path / "z.csv")], "photo.csv is binary data, not text"),
        (["--input", str(unreadable), "--output", str(tmp_path / "z.csv")],
         "none of the 2 rows of unreadable.csv could be read (line 2: bytes that are neither"),
        (["--input", str(big5), "--output", str(tmp_path / "z.csv")], "neither UTF-8 nor GB18030 but probably Big5 (Traditional Chinese)"),
        (["--input", str(small_big5), "--output", str(tmp_path / "z.csv")], "probably Big5 (Traditional Chinese)"),
        (["--input", str(web_page), "--output", str(tmp_path / "z.csv")], "export.xls is an HTML page, not a spreadsheet"),
    ]:
        assert main(["sentiment", "score", "--engine", "snownlp", "--text-column", "评论", *arguments]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "z.csv").exists()
    assert comments_csv.read_bytes() == before  # the refused same-file run left the input whole
    # UTF-16 without its byte-order mark is read, not refused
    assert main(["sentiment", "score", "--engine", "snownlp", "--text-column", "评论", "--input", str(no_bom),
                 "--output", str(tmp_path / "no_bom_scored.csv")]) == 0
    assert "服务很好" in (tmp_path / "no_bom_scored.csv").read_text(encoding="utf-8")
    assert main(["sentiment", "score", "--engine", "snownlp", "--model-dir", str(tmp_path), "--input",
                 str(comments_csv), "--text-column", "评论", "--output", str(tmp_path / "z.csv")]) == 2
    assert "--model-dir is for the transformer engines" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_row_of_empty_fields_keeps_its_place_in_the_output(tmp_path: Path, suffix: str) -> None:
    """Output row N is input row N, so an analyst can paste the new columns beside the original sheet."""
    rows = [["id", "评论"], ["1", "客服很耐心"], ["", ""], ["2", "等了三天没人管"], ["", ""], ["", ""]]
    source = tmp_path / f"answers{suffix}"
    if suffix == ".csv":
        source.write_text("".join(",".join(row) + "\n" for row in rows) + "\n", encoding="utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append([value or None for value in row])
        book.active.cell(row=8, column=1, value=None).number_format = "@"  # a formatted, empty row at the end
        book.save(source)
    out = tmp_path / "scored.csv"
    assert main(["sentiment", "score", "--engine", "snownlp", "--input", str(source), "--text-column", "评论",
                 "--output", str(out)]) == 0
    scored = _rows(out)
    assert [(row["id"], row["评论"]) for row in scored] == [("1", "客服很耐心"), ("", ""), ("2", "等了三天没人管")]
    assert scored[1]["sentiment_label"] == "unknown"


def test_escalation_detect_explains_a_broken_third_party_list(comments_csv: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture) -> None:
    parties = tmp_path / "third_parties.csv"
    parties.write_text("party_code,category,name_zh,keywords,needs,not_when,not_near\nx,police,警察,警察,none,,\n",
                       encoding="utf-8")
    monkeypatch.setenv("VOC_ESCALATION_PARTIES", str(parties))
    assert main(["escalation", "detect", "--input", str(comments_csv), "--text-column", "评论",
                 "--output", str(tmp_path / "x.csv")]) == 2
    error = capsys.readouterr().err
    assert f"third-party list {parties} (VOC_ESCALATION_PARTIES) cannot be used: row 2:" in error
    assert "Traceback" not in error


def test_topic_candidates_are_discovered_from_unmatched_texts(settings: Settings, small_demo: dict) -> None:
    from pipelines.runner import run_nightly

    assert run_nightly(DEMO_START, date(2026, 8, 3)).success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        rows = conn.execute("SELECT terms, size, examples, window_end FROM nlp.topic_candidates").fetchall()
    assert rows and all(terms and examples for terms, _, examples, _ in rows)
    assert {row[3] for row in rows} == {date(2026, 8, 3)}


def test_topics_assign_command_for_comments_and_dialogues(settings: Settings, tmp_path: Path) -> None:
    comments = tmp_path / "comments.csv"
    comments.write_text("id,评论\n1,发票抬头开错了\n2,快递三天没到\n3,\n4,今天天气不错\n", encoding="utf-8")
    out = tmp_path / "assigned.csv"
    assert main(["topics", "assign", "--input", str(comments), "--text-column", "评论", "--output", str(out)]) == 0
    rows = {row["id"]: row for row in _rows(out)}
    assert (rows["1"]["topic_code"], rows["1"]["topic_name"]) == ("invoice", "发票")
    assert rows["2"]["topic_code"] == "delivery" and 0.5 < float(rows["2"]["topic_confidence"]) <= 1
    assert rows["3"]["topic_code"] == "other" and float(rows["3"]["topic_confidence"]) == 0

    dialogues = tmp_path / "dialogues.csv"
    with dialogues.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call", "dialogue"])
        writer.writerow(["a", "客服:您好，请问有什么可以帮您？退款的话我帮您查\n客户:[订单x]\n客户:我想改一下收货地址\n客服:好的"])
        writer.writerow(["b", "客服:您好，转人工请稍等\n客户:转人工"])
    out = tmp_path / "calls.csv"
    assert main(["topics", "assign", "--input", str(dialogues), "--text-column", "dialogue", "--source", "calls",
                 "--output", str(out)]) == 0
    rows = {row["call"]: row for row in _rows(out)}
    assert rows["a"]["topic_code"] == "order_change"  # the agent's 退款 never counts
    assert rows["b"]["topic_code"] != "waiting_time"
    assert list(rows["a"]) == ["call", "dialogue", "topic_code", "topic_name", "topic_confidence"]


def test_csv_commands_read_standard_input_and_write_standard_output(comments_csv: Path) -> None:
    """``-`` is standard input or output, as in any Unix filter; a pipe such as /dev/stdin is read too."""
    command = [sys.executable, "-m", "pipelines.cli", "topics", "discover", "--text-column", "评论", "--k", "3",
               "--output", "-", "--output-encoding", "gb18030"]
    for source in ("-", "/dev/stdin"):
        done = subprocess.run([*command, "--input", source], input=comments_csv.read_bytes(), capture_output=True,
                              cwd=comments_csv.parent, timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        rows = list(csv.DictReader(io.StringIO(done.stdout.decode("gb18030"))))
        assert len(rows) == 30 and rows[0]["评论"] == "快递一个星期还没到，太失望了" and rows[0]["topic_terms"]
        assert "30 rows written" in done.stderr.decode()
        assert not (comments_csv.parent / "-").exists()


def test_topics_discover_says_when_it_finds_fewer_themes_than_asked(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    few = tmp_path / "few.csv"
    few.write_text("评论\n" + "又没信号了\n话费扣错了\n" * 6, encoding="utf-8")
    assert main(["topics", "discover", "--input", str(few), "--text-column", "评论", "--k", "5",
                 "--output", str(tmp_path / "themes.csv")]) == 0
    assert "note: 2 theme(s), not the 5 asked for (--k)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["topics", "discover", "--input", str(few), "--text-column", "评论", "--k", "abc",
              "--output", str(tmp_path / "themes.csv")])
    assert "argument --k: 'abc' is not a whole number" in capsys.readouterr().err


def test_topics_discover_command_on_identical_texts(tmp_path: Path) -> None:
    same = tmp_path / "same.csv"
    same.write_text("评论\n" + "又没信号了\n" * 12, encoding="utf-8")
    out = tmp_path / "themes.csv"
    assert main(["topics", "discover", "--input", str(same), "--text-column", "评论", "--k", "4",
                 "--output", str(out)]) == 0
    rows = _rows(out)
    assert len(rows) == 12 and {row["topic_id"] for row in rows} == {"0"}
    assert rows[0]["topic_terms"] == "没信号"

def test_csv_commands_read_like_ingestion_and_report_undecodable_rows(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """A GB18030 file whose first Chinese text comes after 64 KiB, CR-only, with one line of bytes
    that are neither UTF-8 nor GB18030: the escalation is found and the bad line is reported."""
    path = tmp_path / "late_gb18030.csv"
    body = "id,评论\r" + "".join(f"{i},ok\r" for i in range(9000))
    path.write_bytes(body.encode("gb18030") + "9000,再不处理我就去12315投诉\r".encode("gb18030")
                     + b"9001,\xff\xfe\xff\r")
    out = tmp_path / "escalation.csv"
    # A row missing from the output is a failed run (exit 2), with the rest written and the line named.
    assert main(["escalation", "detect", "--input", str(path), "--text-column", "评论", "--output", str(out)]) == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 9001
    assert rows[-1]["评论"] == "再不处理我就去12315投诉" and rows[-1]["escalation_risk"] == "true"
    err = capsys.readouterr().err
    assert "1 row(s) of late_gb18030.csv could not be read" in err and "line 9003: encoding" in err
    assert "holds the other 9,001: fix those lines and run again" in err


def test_csv_commands_keep_trailing_empty_fields_and_never_leave_a_partial_output(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture) -> None:
    """Trailing commas (an exporter's empty columns) cost no row; a run that fails midway leaves the earlier
    output as it was, and no half-written file."""
    path = tmp_path / "trailing.csv"
    path.write_text("id,text,code\n1,好,A,\n2,我要去12315投诉,B,,\n3,差,C\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["escalation", "detect", "--input", str(path), "--text-column", "text", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["1", "2", "3"] and rows[1]["escalation_risk"] == "true"
    before = out.read_bytes()
    with patch("pipelines.nlp.csv_tools._chunks", side_effect=KeyboardInterrupt):  # Ctrl-C mid-way
        assert main(["escalation", "detect", "--input", str(path), "--text-column", "text", "--output", str(out)]) == 130
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_dialogue_lines_are_read_by_any_speaker_label_the_exports_use() -> None:
    from pipelines.nlp.csv_tools import customer_turns

    dialogue = ("用户:网速太慢了\n客服：您好请问\n[客户] 宽带断了三天\n顾客： 信号差\n备注：这一行续写上一轮\n"
                "customer: refund please\n客户(138****8000): 退款\n客服(工号1032):好的\n客户 : 谢谢")
    assert customer_turns(dialogue) == ["网速太慢了", "宽带断了三天", "信号差 备注:这一行续写上一轮", "refund please",
                                        "退款", "谢谢"]


def test_a_column_without_words_is_questioned(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, out = tmp_path / "ids.csv", tmp_path / "out.csv"
    path.write_text("id,text\n812327257,好\n812327258,差\n", encoding="utf-8")
    assert main(["escalation", "detect", "--input", str(path), "--text-column", "id", "--output", str(out)]) == 0
    assert "no row's 'id' holds words" in capsys.readouterr().err
    assert main(["escalation", "detect", "--input", str(path), "--text-column", "text", "--output", str(out)]) == 0
    assert "holds words" not in capsys.readouterr().err

