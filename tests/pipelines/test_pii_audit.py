"""The PII audit: it finds every format when masking is switched off, and a failed audit blocks publish."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta

import duckdb
import pytest

from pipelines.ingest.masking import ALL_PATTERNS, mask_pii
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse
from tests.conftest import DEMO_START, make_demo
from tests.pipelines.test_masking import FORMATS, UNMASKED

SPLIT_CALL_ID = "CLSPLIT1"


def _plant(settings: Settings, day: date) -> None:
    """Land, for ``day``, one survey per pattern example and per issue-13 format, and a call whose
    mobile number ASR split over two customer turns."""
    texts = [f"客户留言{p.example}请回电" for p in ALL_PATTERNS] + [text for text, _, _ in FORMATS]
    folder = settings.landing_dir / "surveys" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "planted.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["survey_id", "customer_id", "interaction_id", "channel", "submitted_at", "nps", "csat", "comment"])
        for index, text in enumerate(texts):
            writer.writerow([f"PL{day:%m%d}{index:04d}", "C0000001", "", "app", f"{day} 10:00:00", 3, 2, text])
    call = {
        "call_id": f"{SPLIT_CALL_ID}{day:%m%d}", "customer_id": "C0000001", "customer_tier": "gold",
        "agent_id": "A001", "agent_team": "billing", "started_at": f"{day} 11:00:00", "queue_wait_seconds": 30,
        "duration_seconds": 60, "reason_code": "billing", "resolved_flag": False, "complaint_flag": True,
        "turns": [
            {"speaker": "agent", "start_s": 0, "end_s": 2, "text": "您好请问有什么可以帮您"},
            {"speaker": "customer", "start_s": 2, "end_s": 6, "text": "账单多扣了钱 太失望了 我手机是幺三八一二三四"},
            {"speaker": "agent", "start_s": 6, "end_s": 7, "text": "嗯您说"},
            {"speaker": "customer", "start_s": 7, "end_s": 9, "text": "五六七八 尽快回电"},
        ],
    }
    folder = settings.landing_dir / "calls" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "planted.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(call, ensure_ascii=False) + "\n")


def _masking_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a masking bug would do: every text loaded as it came."""
    import pipelines.ingest.sources as sources

    monkeypatch.setattr(sources, "mask_pii", lambda text: (text, 0))
    monkeypatch.setattr(sources, "mask_turns", lambda turns: [(text, 0) for _, text in turns])


def test_audit_finds_every_pattern_in_raw_when_masking_is_off(settings: Settings,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import load_day
    from pipelines.pii_audit import latest_audit, run_audit
    from pipelines.publish import serving_tables

    _plant(settings, DEMO_START)
    for source in ("surveys", "calls"):
        load_day(source, DEMO_START)
    with Warehouse.from_settings(settings).connect() as conn:
        clean = run_audit(conn, serving_tables(settings.dbt_project_dir))
    assert clean.passed, clean.summary()
    assert clean.columns >= 10 and clean.rows_scanned > len(ALL_PATTERNS)

    _masking_off(monkeypatch)
    for source in ("surveys", "calls"):
        load_day(source, DEMO_START)
    with Warehouse.from_settings(settings).connect() as conn:
        result = run_audit(conn, serving_tables(settings.dbt_project_dir))
        recorded = latest_audit(conn)
    assert not result.passed
    found = {(f.table, f.column, f.pattern) for f in result.findings}
    for pattern in ALL_PATTERNS:
        assert ("raw.surveys", "comment", pattern.name) in found, pattern.name
    assert ("raw.call_turns", "text", "spoken_digits") not in found  # each half is too short alone
    for finding in result.findings:
        assert finding.rows >= 1 and "*" in finding.example and not UNMASKED.search(finding.example)
    assert recorded is not None and recorded.findings == result.findings and "FAILED" in recorded.summary()


def test_nightly_blocks_publish_on_clear_pii_and_keeps_the_last_good_snapshot(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from pipelines.cli import main
    from pipelines.pii_audit import PiiAuditFailed
    from pipelines.publish import publish, serving_path
    from pipelines.runner import run_nightly

    make_demo(settings, days=2, customers=300)
    _plant(settings, DEMO_START)
    assert run_nightly(DEMO_START, DEMO_START).success
    good = serving_path(settings).resolve()
    with duckdb.connect(str(good), read_only=True) as conn:
        joined = conn.execute("SELECT text FROM marts.rpt_verbatims WHERE verbatim_id = ?",
                              [f"call:{SPLIT_CALL_ID}{DEMO_START:%m%d}"]).fetchone()[0]
        verbatims = [text for (text,) in conn.execute("SELECT text FROM marts.rpt_verbatims").fetchall()]
    # The dashboards join a call's customer turns; the number ASR split over two is masked in both.
    assert "尽快回电" in joined and mask_pii(joined)[1] == 0 and not UNMASKED.search(joined)
    assert [text for text in verbatims if mask_pii(text)[1]] == []

    day = DEMO_START + timedelta(days=1)
    _plant(settings, day)
    _masking_off(monkeypatch)
    capsys.readouterr()
    assert main(["run", "--start", day.isoformat()]) == 1
    failure = capsys.readouterr().err
    assert "FAILED in: alerts__alert_ledger_pii_audit" in failure and "Traceback" not in failure
    assert "raw.surveys.comment" in failure and "dashboards keep the last good snapshot" in failure
    # Dagster's run ids are UUIDs, whose last group is all digits one time in 280: no number of anyone's.
    assert not UNMASKED.search(re.sub(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", "<run id>", failure))
    assert serving_path(settings).resolve() == good  # dashboards keep the last good snapshot
    with duckdb.connect(str(good), read_only=True) as conn:
        assert conn.execute("SELECT data_through FROM voc_publication").fetchone()[0] == DEMO_START
    with pytest.raises(PiiAuditFailed, match="nothing published"):
        publish(settings, Warehouse.from_settings(settings))
    assert serving_path(settings).resolve() == good

    assert main(["status"]) == 0
    printed = capsys.readouterr().out
    assert "PII audit" in printed and "FAILED" in printed
    for table in ("raw.surveys", "marts.rpt_verbatims"):
        assert table in printed, table
    # The models' text is masked again after normalisation (``normalized_text``), even when ingestion's is off.
    assert "nlp.document_sentiment" not in printed
    # From the audit on: the load table above it is counts, whose columns the spoken-digit check reads as one run.
    assert not UNMASKED.search(printed[printed.index("PII audit"):])


def test_quarantined_content_and_reason_are_masked(settings: Settings) -> None:
    from tests.conftest import load_day
    from pipelines.pii_audit import run_audit
    from pipelines.publish import serving_tables

    folder = settings.landing_dir / "surveys" / DEMO_START.isoformat()
    folder.mkdir(parents=True)
    (folder / "bad.csv").write_text(
        "survey_id,customer_id,channel,submitted_at,nps,comment\n"
        f"S1,C1,app,{DEMO_START} 10:00:00,13812345678,邮箱 wang@163.com 身份证44030619851112341X\n",
        encoding="utf-8")
    report = load_day("surveys", DEMO_START)
    assert report.reasons == {"out_of_range": 1}
    with Warehouse.from_settings(settings).connect() as conn:
        reason, content = conn.execute("SELECT reason, raw_content FROM raw.quarantine").fetchone()
        audit = run_audit(conn, serving_tables(settings.dbt_project_dir))
    assert "138****5678" in reason and "138****5678" in content and "w***@163.com" in content
    assert not UNMASKED.search(reason + content) and audit.passed, audit.summary()


def test_the_audit_tries_only_changed_parts_and_never_clears_a_clear_one(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-audit tries only the days whose rows changed (re-reading the whole warehouse every night took
    minutes at a million contacts); an edit of an old day's row is found; a part with clear PII stays a
    finding, counted over every row, until it is gone; a changed detector tries everything again."""
    import pipelines.pii_audit as pii_audit
    from pipelines.pii_audit import latest_audit, run_audit

    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute("CREATE SCHEMA raw; CREATE TABLE raw.surveys "
                 "(survey_id VARCHAR, comment VARCHAR, nps INTEGER, _partition_date DATE)")
    conn.execute("INSERT INTO raw.surveys SELECT 'S' || i, '第' || i || '次来电，订单 CL20260801' || i, 5, "
                 "DATE '2026-08-01' + (i // 100)::INTEGER FROM range(200) AS t(i)")  # two days of 100 rows
    conn.execute("CREATE TABLE raw.agents AS SELECT 'A' || i AS agent_id FROM range(10) AS t(i)")  # no DATE: one part
    first = run_audit(conn, ())
    assert first.passed and first.values_checked == 200 + 200 + 10  # the ids and the comments, distinct
    again = run_audit(conn, ())
    assert again.passed and again.values_checked == 0 and again.rows_scanned == 210

    # A new day, and one row of the first day edited in place: those two parts are tried, the second day is not.
    conn.execute("INSERT INTO raw.surveys VALUES ('S900', '手机13812345678请回电', 1, '2026-08-03'), "
                 "('S901', '手机13812345678请回电', 1, '2026-08-03'), ('S902', '还是没人回电', 1, '2026-08-03')")
    conn.execute("UPDATE raw.surveys SET comment = '已回电' WHERE survey_id = 'S7'")
    found = run_audit(conn, ())
    assert found.values_checked == 100 + 100 + 3 + 2 and not found.passed  # day 1 (one comment new), day 3
    assert {(f.table, f.column) for f in found.findings} == {("raw.surveys", "comment")}
    assert ("mobile_cn", 2) in {(f.pattern, f.rows) for f in found.findings}
    still = run_audit(conn, ())
    assert not still.passed and still.values_checked == 5  # the day with the clear comment was not recorded clean
    assert {(str(part), rows) for part, rows in conn.execute(
        "SELECT part, row_count FROM audit.clean_parts WHERE table_name = 'raw.surveys'").fetchall()} == {
        ("2026-08-01", 100), ("2026-08-02", 100)}

    conn.execute("DELETE FROM raw.surveys WHERE survey_id IN ('S900', 'S901')")
    cleared = run_audit(conn, ())
    assert cleared.passed and cleared.values_checked == 2
    after = run_audit(conn, ())
    assert after.passed and after.values_checked == 0
    assert latest_audit(conn).values_checked == 0 and "0 values of new or changed parts checked" in after.summary()
    assert conn.execute("SELECT count(*) FROM audit.clean_parts").fetchone()[0] == 3 + 1

    conn.execute("UPDATE raw.agents SET agent_id = 'A3-2026' WHERE agent_id = 'A3'")  # a table without days: all of it
    edited = run_audit(conn, ())
    assert edited.passed and edited.values_checked == 10
    monkeypatch.setattr(pii_audit, "DETECTOR", "a-changed-pattern")
    assert run_audit(conn, ()).values_checked == 201 + 201 + 10  # with S902 and its comment


def test_an_audit_ledger_from_before_the_value_set_is_read_and_extended(tmp_path) -> None:
    from pipelines.pii_audit import latest_audit, run_audit

    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute("""CREATE SCHEMA audit; CREATE TABLE audit.pii_audits (
        audited_at TIMESTAMP NOT NULL, passed BOOLEAN NOT NULL, tables INTEGER NOT NULL,
        columns INTEGER NOT NULL, rows_scanned BIGINT NOT NULL, seconds DOUBLE NOT NULL,
        findings VARCHAR NOT NULL, run_id VARCHAR)""")
    conn.execute("INSERT INTO audit.pii_audits VALUES ('2026-11-01 02:00:00', true, 3, 9, 1000, 12.5, '[]', 'r1')")
    old = latest_audit(conn)
    assert old.passed and old.values_checked is None and "not seen before" not in old.summary()
    conn.execute("CREATE SCHEMA raw; CREATE TABLE raw.posts AS SELECT '好评' AS text")
    assert run_audit(conn, (), "r2").values_checked == 1
    assert latest_audit(conn).run_id == "r2"


def test_the_audit_reads_what_publish_copies_whatever_the_collation_names_or_types(tmp_path) -> None:
    """Four ways a reviewer got a clear number past the audit (stop 41): a case-insensitive collation
    (``hash`` and ``DISTINCT`` took ``f224681357`` and ``F224681357`` for one value, and Taiwan IDs and plates
    need capitals); a ``SELECT *`` view whose column list ``information_schema`` had not caught up with on a
    new connection; a column named like the audit's own alias; and JSON, lists and structs, never read."""
    from pipelines.pii_audit import run_audit

    path = str(tmp_path / "warehouse.duckdb")
    conn = duckdb.connect(path)
    conn.execute("CREATE SCHEMA raw; CREATE TABLE raw.tags (tag VARCHAR COLLATE NOCASE, note VARCHAR, d DATE)")
    conn.execute("INSERT INTO raw.tags VALUES ('身分證字號：f224681357', '好评', '2026-08-01')")
    assert run_audit(conn, ()).passed  # lower case is no Taiwan ID
    conn.execute("UPDATE raw.tags SET tag = upper(tag)")  # only the case changes
    assert {f.pattern for f in run_audit(conn, ()).findings} == {"id_tw"}
    conn.execute("DELETE FROM raw.tags; INSERT INTO raw.tags VALUES ('车牌京a12345', '好评', '2026-08-01'), "
                 "('vip', '车牌京A12345', '2026-08-01')")  # a NOCASE column's twin of another column's plate
    assert {(f.column, f.pattern) for f in run_audit(conn, ()).findings} == {("note", "licence_plate")}
    conn.execute("DROP TABLE raw.tags")

    conn.execute("CREATE SCHEMA staging; CREATE TABLE staging.base (id VARCHAR, comment VARCHAR, d DATE)")
    conn.execute("INSERT INTO staging.base VALUES ('S1', '好评', '2026-08-01')")
    conn.execute("CREATE SCHEMA marts; CREATE VIEW marts.v AS SELECT * FROM staging.base")
    assert run_audit(conn, ("marts.v",)).passed
    conn.execute("ALTER TABLE staging.base ADD COLUMN phone VARCHAR; UPDATE staging.base SET phone = '13812345678'")
    conn.close()
    conn = duckdb.connect(path)  # as the nightly would: nothing has bound the view again
    assert ("marts.v", "phone") in {(f.table, f.column) for f in run_audit(conn, ("marts.v",)).findings}
    conn.execute("DROP VIEW marts.v")

    conn.execute("CREATE TABLE raw.odd (audit_part VARCHAR, part VARCHAR, c0 VARCHAR, _partition_date DATE)")
    conn.execute("INSERT INTO raw.odd VALUES ('2026-08-01', 'x0', '好评', '2026-08-01')")
    assert run_audit(conn, ()).passed
    conn.execute("INSERT INTO raw.odd VALUES ('2026-08-01', '手机13812345678', '好评', '2026-08-02')")
    assert {(f.table, f.column) for f in run_audit(conn, ()).findings} == {("raw.odd", "part")}
    conn.execute("DROP TABLE raw.odd")

    conn.execute("CREATE TABLE raw.nested (meta JSON, tags VARCHAR[], who STRUCT(phone VARCHAR), n BIGINT)")
    conn.execute("INSERT INTO raw.nested VALUES ('{\"tel\": \"13812345678\"}', ['13912345678'], "
                 "{'phone': '13712345678'}, 4403061985111234)")  # a 64-bit key: numbers are not text
    found = run_audit(conn, ())
    assert {f.column for f in found.findings} == {"meta", "tags", "who"}
    assert all("*" in f.example and "12345678" not in f.example for f in found.findings)


def test_the_latest_audit_is_the_one_recorded_last_whatever_its_clock(tmp_path) -> None:
    """``audited_at`` is the auditing process's local time: a failed audit from a process in UTC, after a
    pass from one in Asia/Shanghai, must not hide behind the pass's later-looking clock."""
    from pipelines.pii_audit import latest_audit, run_audit

    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    conn.execute("CREATE SCHEMA raw; CREATE TABLE raw.posts AS SELECT '好评' AS text")
    assert run_audit(conn, (), "shanghai").passed
    conn.execute("UPDATE audit.pii_audits SET audited_at = audited_at + INTERVAL 8 HOUR")
    conn.execute("INSERT INTO raw.posts VALUES ('手机13812345678')")
    assert not run_audit(conn, (), "utc").passed
    latest = latest_audit(conn)
    assert latest.run_id == "utc" and not latest.passed
