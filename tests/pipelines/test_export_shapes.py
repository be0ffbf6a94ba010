"""Shapes of real exports a reviewer found mishandled (round 18): each file is loaded right or refused whole
with a reason the operator sees, and one odd value never fails the night of the files beside it."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.ingest.check import check_file
from pipelines.pii_audit import run_audit
from pipelines.settings import Settings
from tests.conftest import load_day

DAY = date(2026, 8, 1)
HEADER = "survey_id,customer_id,interaction_id,channel,submitted_at,nps,csat,comment\n"


def _surveys_folder(settings: Settings, source: str = "surveys") -> Path:
    folder = settings.landing_dir / source / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_files_the_source_cannot_read_are_quarantined_whole_not_skipped_unseen(settings: Settings) -> None:
    """A web system's 'Excel export' that is an HTML page, a PDF dropped in the folder and a CSV of calls
    (calls come as JSON) each leave one quarantine row that says why, and a 'refused' file ledger entry."""
    surveys, calls = _surveys_folder(settings), _surveys_folder(settings, "calls")
    (surveys / "good.csv").write_text(HEADER + "S1,C1,CL1,app,2026-08-01 10:00:00,9,5,好\n", encoding="utf-8")
    (surveys / "web_export.xls").write_text("<html><body><table><tr><th>survey_id</th></tr>"
                                            "<tr><td>S2</td></tr></table></body></html>", encoding="utf-8")
    (surveys / "manual.pdf").write_bytes(b"%PDF-1.7 not a survey export")
    (calls / "asr_turns.csv").write_text("call_id,speaker,text\nCL1,坐席,您好\n", encoding="utf-8")
    survey_report, call_report = load_day("surveys", DAY), load_day("calls", DAY)

    assert survey_report.rows_loaded == 1 and survey_report.rows_quarantined == 2
    assert call_report.rows_loaded == 0 and call_report.rows_quarantined == 1
    reasons = dict(_query(settings, "SELECT _source_file, reason_code || ': ' || reason FROM raw.quarantine"))
    assert reasons["surveys/2026-08-01/web_export.xls"].startswith("bad_file: an HTML page")
    assert reasons["surveys/2026-08-01/manual.pdf"].startswith("unsupported_format: surveys takes CSV or TSV")
    assert reasons["calls/2026-08-01/asr_turns.csv"].startswith("unsupported_format: calls takes JSON lines")
    statuses = dict(_query(settings, "SELECT _source_file, status FROM raw.ingest_files"))
    assert statuses == {"surveys/2026-08-01/good.csv": "loaded", "surveys/2026-08-01/manual.pdf": "refused",
                        "surveys/2026-08-01/web_export.xls": "refused", "calls/2026-08-01/asr_turns.csv": "refused"}


def test_a_workbook_is_read_from_its_first_visible_worksheet(settings: Settings) -> None:
    """An exporter's hidden template or last month's sheet comes first: the visible sheet is today's data."""
    workbook = openpyxl.Workbook()
    stale = workbook.active
    stale.title = "上月数据"
    stale.append(HEADER.strip().split(","))
    stale.append(["S900", "C900", "", "app", datetime(2026, 7, 1, 10), 1, 1, "上个月的"])
    stale.sheet_state = "hidden"
    today = workbook.create_sheet("答卷数据")
    today.append(HEADER.strip().split(","))
    for i in (1, 2):
        today.append([f"S{i}", f"C{i}", "", "app", datetime(2026, 8, 1, 10), 9, 5, "今天的"])
    workbook.active = 1
    workbook.save(_surveys_folder(settings) / "wjx.xlsx")
    report = load_day("surveys", DAY)
    assert report.rows_loaded == 2 and report.rows_quarantined == 0
    assert _query(settings, "SELECT survey_id FROM raw.surveys ORDER BY 1") == [("S1",), ("S2",)]


def test_odd_values_are_read_or_refused_on_their_row(settings: Settings) -> None:
    """Excel-protected ids (="S1") are their text; a UTC 'never' (9999-12-31T23:59:59Z) is one bad_timestamp
    row and the file beside it still loads; 上午/下午 times are read; 10分 is a score of 10."""
    folder = _surveys_folder(settings)
    (folder / "protected.csv").write_text(
        HEADER + '="S1",="13800138000",="CL1",app,2026/08/01 下午 3:05:00,10分,5,好\n'
        + "S2,C2,,app,9999-12-31T23:59:59Z,9,5,永不\n", encoding="utf-8")
    (folder / "plain.csv").write_text(HEADER + "S3,13800138000,,app,2026-08-01 上午 9:00,8,4,可以\n", encoding="utf-8")
    report = load_day("surveys", DAY)
    assert report.rows_loaded == 2 and report.reasons == {"bad_timestamp": 1}
    rows = _query(settings, "SELECT survey_id, customer_id, interaction_id, submitted_at, nps FROM raw.surveys ORDER BY 1")
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [("S1", "CL1", datetime(2026, 8, 1, 15, 5), 10),
                                                       ("S3", None, datetime(2026, 8, 1, 9, 0), 8)]
    assert rows[0][1] == rows[1][1] and rows[0][1].startswith("PII-")  # one number, one pseudonym


def test_calls_and_posts_as_chinese_platforms_and_apis_write_them(settings: Settings) -> None:
    """Speakers labelled 坐席/客户, numeric agent and author ids, Unix times, 1.2万 counts: loaded; a count
    past what its column holds (a millisecond time in likes) is refused on its row, not the night's write."""
    call = {"call_id": "CL1", "customer_id": "C1", "customer_tier": "gold", "agent_id": 1032, "agent_team": "一线A组",
            "started_at": 1785546000, "queue_wait_seconds": 12, "duration_seconds": 60, "reason_code": "delivery",
            "resolved_flag": True, "complaint_flag": False, "escalation_tier": 1, "transfer_count": 0,
            "turns": [{"speaker": "坐席", "start_s": 0, "end_s": 3, "text": "您好"},
                      {"speaker": "客户", "start_s": 4, "end_s": 6, "text": "快递还没到"}]}
    (_surveys_folder(settings, "calls") / "calls.jsonl").write_text(json.dumps(call, ensure_ascii=False) + "\n",
                                                                     encoding="utf-8")
    posts = [{"post_id": 5012345678901234, "author_id": 6123456789, "posted_at": "2026-08-01 10:00:00",
              "text": "排队两小时", "reposts": "1.2万", "likes": "10万+"},
             {"post_id": "P2", "author_id": "U2", "posted_at": "2026-08-01 11:00:00", "text": "点赞数是时间戳",
              "likes": 1764381600000}]
    (_surveys_folder(settings, "social") / "weibo.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    assert load_day("calls", DAY).rows_loaded == 1
    social = load_day("social", DAY)
    assert social.rows_loaded == 1 and social.reasons == {"out_of_range": 1}
    assert _query(settings, "SELECT speaker FROM raw.call_turns ORDER BY turn_index") == [("agent",), ("customer",)]
    assert _query(settings, "SELECT agent_id, started_at FROM raw.calls") == [("1032", datetime(2026, 8, 1, 9, 0))]
    # A 16-digit Weibo id has a bank card's shape: stored as its pseudonym, so the PII audit passes.
    assert _query(settings, "SELECT post_id LIKE 'PII-%', author_id = '6123456789', reposts, likes "
                            "FROM raw.social_posts") == [(True, True, 12000, 100000)]
    with duckdb.connect(str(settings.warehouse_path)) as conn:
        assert run_audit(conn, ()).passed


def test_a_social_listening_tools_csv_maps_its_chinese_headers(settings: Settings) -> None:
    (_surveys_folder(settings, "social") / "listening.csv").write_text(
        "博文ID,用户ID,博主昵称,发布时间,博文内容,转发,评论,点赞\n"
        'M1,U1,某某,2026-08-01 10:00,排队两小时😭,1.2万,"3,456",8\n'
        "M2,U2,某某,昨天 12:30,又排队,0,0,1\n", encoding="utf-8")
    report = load_day("social", DAY)
    assert report.rows_loaded == 1 and report.reasons == {"bad_timestamp": 1}
    assert _query(settings, "SELECT post_id, reposts, comments, likes FROM raw.social_posts") == [("M1", 12000, 3456, 8)]
    reason = _query(settings, "SELECT reason FROM raw.quarantine")[0][0]
    assert "relative time" in reason and "export absolute times" in reason


def test_json_as_apis_and_people_write_it(settings: Settings) -> None:
    """Weibo's API: posts wrapped in {"statuses": [...]}, the author nested as user.id; one call
    pretty-printed over many lines; and a JSON array with a trailing comma, refused whole with the
    parser's position instead of one bad_json per line."""
    social, calls = _surveys_folder(settings, "social"), _surveys_folder(settings, "calls")
    api = {"statuses": [{"idstr": "M1", "created_at": "Sat Aug 01 10:23:45 +0800 2026", "text": "排队两小时",
                         "user": {"id": 6123456789, "screen_name": "小王"}, "reposts_count": 2}],
           "total_number": 1}
    (social / "api.json").write_text(json.dumps(api, ensure_ascii=False), encoding="utf-8")
    call = {"call_id": "CL1", "customer_id": "C1", "customer_tier": "gold", "agent_id": "A1", "agent_team": "一线A组",
            "started_at": "2026-08-01T09:00:00+08:00", "queue_wait_seconds": 12, "duration_seconds": 60,
            "reason_code": "delivery", "resolved_flag": True, "complaint_flag": False, "escalation_tier": 1,
            "transfer_count": 0, "turns": [{"speaker": "customer", "start_s": 0, "end_s": 3, "text": "在吗"}]}
    (calls / "one_call.json").write_text(json.dumps(call, ensure_ascii=False, indent=2), encoding="utf-8")
    (calls / "broken.json").write_text(json.dumps([call], ensure_ascii=False, indent=2)[:-2] + ",\n]",
                                       encoding="utf-8")
    assert load_day("social", DAY).rows_loaded == 1
    call_report = load_day("calls", DAY)
    assert call_report.rows_loaded == 1 and call_report.reasons == {"bad_file": 1}
    assert _query(settings, "SELECT post_id, author_name, reposts FROM raw.social_posts") == [("M1", "小王", 2)]
    reason = _query(settings, "SELECT reason FROM raw.quarantine")[0][0]
    assert reason.startswith("the file is a JSON array that does not parse (") and "line" in reason


def test_a_mobile_weibo_page_loads_a_post_per_card(settings: Settings, tmp_path: Path) -> None:
    """m.weibo.cn's container pages: {"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {…}}]}}, the author
    two levels down (mblog.user.id); a card without a post is quarantined, and `voc sources check` reports the
    cards' keys, not the wrapper's."""
    post = {"id": "4987000000000101", "mid": "4987000000000101", "created_at": "Sat Aug 01 08:31:00 +0800 2026",
            "text": "宽带又断了", "reposts_count": 1, "comments_count": 2, "attitudes_count": 3,
            "user": {"id": 5512345678, "screen_name": "小王不吃香菜"}}
    page = {"ok": 1, "data": {"cardlistInfo": {"total": 2}, "cards": [{"card_type": 9, "mblog": post},
                                                                     {"card_type": 11, "card_group": []}]}}
    path = _surveys_folder(settings, "social") / "mweibo_page1.json"
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    report = load_day("social", DAY)
    assert report.rows_loaded == 1 and report.reasons == {"missing_field": 1}
    # (post_id: a 16-digit id has a bank card's shape, so it is stored as its pseudonym like any such id)
    assert _query(settings, "SELECT author_id, author_name, text, reposts, comments, likes FROM raw.social_posts") == [
        ("5512345678", "小王不吃香菜", "宽带又断了", 1, 2, 3)]
    check = check_file(path, "social", settings.contracts_dir, settings.max_text_chars, ZoneInfo(settings.timezone))
    assert ("mblog.user.id", "author_id") in check.mapping and not check.unmapped_required


def test_a_title_row_above_the_header_and_a_semicolon_separator(settings: Settings) -> None:
    """Excel reports put a title in a merged first row (and its export time in a second); Excel in a locale
    with decimal commas separates with semicolons; pandas writes its index as a first column without a
    name. The three files load whole."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["客户满意度调查 答卷数据"] + [None] * 7)
    sheet.merge_cells("A1:H1")
    sheet.append(["导出时间：2026-08-02 09:00"] + [None] * 7)  # a second title row: the export time
    sheet.merge_cells("A2:H2")
    sheet.append(HEADER.strip().split(","))
    sheet.append(["S1", "C1", "", "app", datetime(2026, 8, 1, 10), 9, 5, "好"])
    folder = _surveys_folder(settings)
    workbook.save(folder / "report.xlsx")
    (folder / "semicolon.csv").write_text(HEADER.replace(",", ";") + "S2;C2;;app;2026-08-01 10:00:00;8;4;还行\n",
                                          encoding="utf-8")
    (folder / "pandas.csv").write_text("," + HEADER + "0,S3,C3,,app,2026-08-01 10:00:00,8,4,一般\n", encoding="utf-8")
    report = load_day("surveys", DAY)
    assert report.rows_loaded == 3 and report.rows_quarantined == 0


def test_sources_check_says_a_file_is_not_read_as_the_nightly_would(settings: Settings, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    from pipelines.cli import main

    export = tmp_path / "asr_turns.csv"
    export.write_text("call_id,speaker,text\nCL1,坐席,您好\n", encoding="utf-8")
    main(["sources", "check", str(export), "--source", "calls"])
    out = capsys.readouterr().out
    assert "format:    .csv: not a format calls takes (not read)" in out
    assert "unsupported_format: 1" in out and "calls takes JSON lines or a JSON array" in out
