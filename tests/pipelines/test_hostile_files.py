"""A folder of hostile files: every record is loaded or quarantined with a reason, nothing crashes."""

from __future__ import annotations

import json
import os
import random
import shutil
from datetime import date
from pathlib import Path

import duckdb

from pipelines.ingest.masking import mask_pii
from tests.conftest import load_day
from pipelines.settings import Settings

DAY = date(2026, 8, 1)
HEADER = "survey_id,customer_id,interaction_id,channel,submitted_at,nps,csat,comment\n"
BINARY = random.Random(7).randbytes(4096)


def _survey(i: int, nps: object = 9, csat: object = 5, comment: str = "很满意", when: str = "2026-08-01 10:00:00") -> str:
    return f"S{i},C{i},CL{i},app,{when},{nps},{csat},{comment}\n"


def _call(i: int, **changes: object) -> dict:
    call = {
        "call_id": f"CL{i}", "customer_id": f"C{i}", "customer_tier": "gold", "agent_id": "A1",
        "agent_team": "一线A组", "started_at": "2026-08-01T09:00:00+08:00", "queue_wait_seconds": 12,
        "duration_seconds": 60, "reason_code": "delivery", "resolved_flag": True, "complaint_flag": False,
        "escalation_tier": 1, "transfer_count": 0,
        "turns": [{"speaker": "customer", "start_s": 0, "end_s": 3, "text": "快递 那个 还没到"},
                  {"speaker": "agent", "start_s": 4, "end_s": 6, "text": "马上帮您查"}],
    }
    call.update(changes)
    return call


def _post(i: int, **changes: object) -> dict:
    post = {"post_id": f"P{i}", "author_id": f"U{i}", "author_name": "小王", "posted_at": "Sat Aug 01 10:23:45 +0800 2026",
            "text": "@星河通信客服 快递又丢了[怒]", "reposts": 1, "comments": 0, "likes": 3, "mentions_brand": True}
    post.update(changes)
    return post


def _jsonl(rows: list) -> bytes:
    return b"".join((json.dumps(r, ensure_ascii=False) if not isinstance(r, str) else r).encode() + b"\n" for r in rows)


def write_hostile_landing(settings: Settings) -> dict[str, dict[str, int]]:
    """Write the hostile files; return the independently counted records per source and file."""
    surveys = settings.landing_dir / "surveys" / DAY.isoformat()
    calls = settings.landing_dir / "calls" / DAY.isoformat()
    social = settings.landing_dir / "social" / DAY.isoformat()
    for folder in (surveys, calls, social):
        folder.mkdir(parents=True)
    expected: dict[str, dict[str, int]] = {"surveys": {}, "calls": {}, "social": {}}

    def put(source: str, folder: Path, name: str, data: bytes, records: int) -> None:
        (folder / name).write_bytes(data)
        expected[source][name] = records

    put("surveys", surveys, "a_good.csv", (HEADER + _survey(1) + _survey(2) + "\n\n" + _survey(3)).encode(), 3)
    shutil.copy(surveys / "a_good.csv", surveys / "b_duplicate.csv")
    expected["surveys"]["b_duplicate.csv"] = 3
    gb = "问卷编号,客户编号,服务单号,渠道,提交时间,推荐度,满意度,意见\nS10,C10,CL10,电话,2026/08/01 10:23,3,1,等了半小时没人接\nS11,C11,,微信,2026/08/01 11:00,,4,還可以\n"
    put("surveys", surveys, "c_gb18030.csv", gb.encode("gb18030"), 2)
    put("surveys", surveys, "d_bom.csv", "\ufeff".encode() + (HEADER + _survey(20)).encode(), 1)
    put("surveys", surveys, "e_missing_columns.csv", "survey_id,customer_id,nps\nS30,C30,9\nS31,C31,2\n".encode(), 2)
    out_of_range = HEADER + _survey(40, nps=11) + _survey(41, csat=0) + _survey(42, nps=-1) + _survey(43, nps="", csat="")
    put("surveys", surveys, "f_out_of_range.csv", out_of_range.encode(), 4)
    control = HEADER + _survey(50, comment="好\x00评\x07\x1b") + _survey(51, comment="长" * 100_000) + _survey(52, when="昨天")
    put("surveys", surveys, "g_control_and_long.csv", control.encode(), 3)
    put("surveys", surveys, "h_empty.csv", b"", 0)
    bad_bytes = HEADER.encode() + _survey(60).encode() + b"S61,C61,CL61,app,2026-08-01 10:00:00,9,5,\xff\xfe\xfa\n"
    put("surveys", surveys, "i_bad_bytes.csv", bad_bytes, 2)
    multiline = HEADER + 'S70,C70,CL70,app,2026-08-01 10:00:00,8,4,"第一行\n第二行"\n' + "S71,C71,CL71,app,2026-08-01\n"
    put("surveys", surveys, "j_multiline_and_short_row.csv", multiline.encode(), 2)
    stray_quote = HEADER + _survey(80, comment='"等了三天还没发货') + _survey(81) + _survey(82, comment='"第一行\n第二行"')
    put("surveys", surveys, "k_stray_quote.csv", stray_quote.encode(), 3)
    big5 = HEADER + "".join(_survey(90 + i, comment=text) for i, text in enumerate(
        ["客服態度很好，問題當天就解決了", "等了兩個小時還沒有人接電話，非常失望", "帳單金額不對，請儘快處理"] * 8))
    put("surveys", surveys, "l_big5.csv", big5.encode("big5"), 24)  # Taiwan and Hong Kong exports: GB18030 mojibake
    put("surveys", surveys, "m_binary.csv", BINARY, 1)  # an image or archive renamed .csv: refused whole
    put("surveys", surveys, "n_utf16_no_bom.csv", (HEADER + _survey(100, comment="客服態度很好")).encode("utf-16-le"), 1)

    truncated = json.dumps(_call(3), ensure_ascii=False)[:70]
    call_rows = [
        _call(1), "", _call(2), truncated, "   ", _call(4, customer_id=""), _call(5, turns=[]),
        _call(6, started_at="not a time"), "[1, 2, 3]", _call(7, queue_wait_seconds=-5),
        _call(8, turns=[{"speaker": "robot", "start_s": 0, "end_s": 1, "text": "?"}]), _call(1),
        _call(9, turns=[{"speaker": "customer", "start_s": 0, "end_s": 1, "text": "我的卡号6222021234567890123"}]),
    ]
    put("calls", calls, "calls.jsonl", _jsonl(call_rows), 11)
    post_rows = [_post(1), _post(2, text="   "), _post(3, text="長" * 100_000), _post(4, likes="many"),
                 '{"post_id": "P5", "text": "cut', _post(6, text="繁體字的評論 @星河通信客服")]
    put("social", social, "weibo.jsonl", _jsonl(post_rows), 6)
    put("social", social, "empty.jsonl", b"\n\n", 0)
    return expected


def test_every_hostile_record_is_accounted_for(settings: Settings) -> None:
    expected = write_hostile_landing(settings)
    reports = {source: load_day(source, DAY) for source in expected}
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        for source, report in reports.items():
            by_file = {Path(f.path).name: f for f in report.files}
            assert {name: f.rows_in for name, f in by_file.items()} == expected[source]
            for file in report.files:
                assert file.rows_in == file.rows_loaded + file.rows_quarantined
            primary = {"surveys": "surveys", "calls": "calls", "social": "social_posts"}[source]
            in_table = conn.execute(f"SELECT count(*) FROM raw.{primary}").fetchone()[0]
            quarantined = conn.execute("SELECT count(*) FROM raw.quarantine WHERE source = ?", [source]).fetchone()[0]
            assert in_table == report.rows_loaded
            assert quarantined == report.rows_quarantined
            assert report.rows_in == sum(expected[source].values())
        blank_reasons = conn.execute(
            "SELECT count(*) FROM raw.quarantine WHERE reason = '' OR reason_code = '' OR raw_content IS NULL"
        ).fetchone()[0]
        assert blank_reasons == 0
        reasons = dict(conn.execute(
            "SELECT source || ':' || _source_file || ':' || _row_number, reason_code FROM raw.quarantine"
        ).fetchall())
        comment = conn.execute("SELECT comment FROM raw.surveys WHERE survey_id = 'S50'").fetchone()[0]
        gb_comment = conn.execute("SELECT comment FROM raw.surveys WHERE survey_id = 'S10'").fetchone()[0]
        multiline = conn.execute("SELECT comment FROM raw.surveys WHERE survey_id = 'S70'").fetchone()[0]
        utf16_comment = conn.execute("SELECT comment FROM raw.surveys WHERE survey_id = 'S100'").fetchone()[0]
        after_stray = conn.execute(
            "SELECT survey_id, comment FROM raw.surveys WHERE survey_id IN ('S81', 'S82') ORDER BY 1").fetchall()
        masked = conn.execute("SELECT text, pii_masks FROM raw.call_turns WHERE call_id = 'CL9'").fetchone()
        statuses = dict(conn.execute("SELECT _source_file, status FROM raw.ingest_files").fetchall())
        encodings = dict(conn.execute("SELECT _source_file, encoding FROM raw.ingest_files").fetchall())
    finally:
        conn.close()

    s = "surveys:surveys/2026-08-01/"
    assert all(reasons[f"{s}b_duplicate.csv:{n}"] == "duplicate_file" for n in (2, 3, 6))
    assert reasons[f"{s}e_missing_columns.csv:2"] == "missing_column"
    assert [reasons[f"{s}f_out_of_range.csv:{n}"] for n in (2, 3, 4, 5)] == ["out_of_range"] * 3 + ["no_score"]
    assert reasons[f"{s}g_control_and_long.csv:3"] == "text_too_long"
    assert reasons[f"{s}g_control_and_long.csv:4"] == "bad_timestamp"
    assert reasons[f"{s}i_bad_bytes.csv:3"] == "encoding"
    assert reasons[f"{s}j_multiline_and_short_row.csv:4"] == "bad_row"
    assert reasons[f"{s}k_stray_quote.csv:2"] == "bad_row"  # the quote never closes: that row only
    assert [reasons[f"{s}l_big5.csv:{n}"] for n in range(2, 26)] == ["encoding"] * 24  # not loaded as mojibake
    assert encodings["surveys/2026-08-01/l_big5.csv"] == "Big5 (Traditional Chinese)"  # what it is, not gb18030
    assert reasons[f"{s}m_binary.csv:1"] == "bad_file"  # one record, not 4 KiB of junk rows
    assert f"{s}n_utf16_no_bom.csv:2" not in reasons  # UTF-16 without its mark is read, not quarantined
    c = "calls:calls/2026-08-01/calls.jsonl:"
    assert reasons[f"{c}4"] == "bad_json" and reasons[f"{c}9"] == "bad_json"
    assert reasons[f"{c}6"] == "missing_field" and reasons[f"{c}7"] == "missing_field"
    assert reasons[f"{c}8"] == "bad_timestamp" and reasons[f"{c}10"] == "out_of_range"
    assert reasons[f"{c}11"] == "bad_value" and reasons[f"{c}12"] == "duplicate_id"
    p = "social:social/2026-08-01/weibo.jsonl:"
    assert [reasons[f"{p}{n}"] for n in (2, 3, 4, 5)] == ["empty_text", "text_too_long", "bad_value", "bad_json"]
    assert comment == "好评"
    assert gb_comment == "等了半小时没人接"
    assert multiline == "第一行\n第二行"
    assert utf16_comment == "客服態度很好"
    assert after_stray == [("S81", "很满意"), ("S82", "第一行\n第二行")]
    assert masked == ("我的卡号****0123", 1)
    assert statuses["surveys/2026-08-01/b_duplicate.csv"] == "duplicate"
    assert statuses["surveys/2026-08-01/h_empty.csv"] == "empty"


def test_file_seen_on_an_earlier_day_is_not_loaded_again(settings: Settings) -> None:
    write_hostile_landing(settings)
    load_day("surveys", DAY)
    later = settings.landing_dir / "surveys" / "2026-08-02"
    later.mkdir(parents=True)
    shutil.copy(settings.landing_dir / "surveys" / DAY.isoformat() / "a_good.csv", later / "resent.csv")
    report = load_day("surveys", date(2026, 8, 2))
    assert report.rows_in == 3 and report.rows_loaded == 0 and report.reasons == {"duplicate_file": 3}
    assert report.files[0].duplicate_of == "surveys/2026-08-01/a_good.csv"
    # The operator moves the misfiled first copy away and re-runs its day: the second is then a duplicate of
    # nothing loaded, and status says which day to re-run.
    from pipelines.status import orphaned_duplicates
    from pipelines.warehouse import Warehouse

    for name in ("a_good.csv", "b_duplicate.csv"):  # b_duplicate.csv holds the same bytes
        (settings.landing_dir / "surveys" / DAY.isoformat() / name).unlink()
    load_day("surveys", DAY)
    assert [(day, name) for day, _, name, _ in orphaned_duplicates(Warehouse.from_settings(settings))] == [
        (date(2026, 8, 2), "surveys/2026-08-02/resent.csv")]
    load_day("surveys", date(2026, 8, 2))
    assert orphaned_duplicates(Warehouse.from_settings(settings)) == []


def test_a_breakers_landing_day_loads_every_file_and_keeps_no_number_in_clear(settings: Settings) -> None:
    """Round 22's breaker: files in a sub-folder, a GBK-encoded file name, a file named by the caller's mobile,
    a call whose own ``records`` key is no API wrapper, an API page nested two levels down, an HTML error page
    saved as .json, and quarantined JSON whose text hides a number in ASCII escapes or splits it over turns."""
    calls = settings.landing_dir / "calls" / DAY.isoformat()
    (calls / "batch_0801").mkdir(parents=True)
    (calls / "batch_0801" / "calls.jsonl").write_bytes(_jsonl([_call(1)]))
    (calls / "13800138000_20260801091522.json").write_bytes(_jsonl([_call(2)]))
    (calls / "single_call.json").write_text(json.dumps(
        _call(3, records=[{"url": "https://rec.example.com/a.mp3", "seconds": 95}]), indent=2), encoding="utf-8")
    (calls / "api_page.json").write_text(json.dumps(
        {"code": 0, "msg": "success", "data": {"total": 2, "list": [_call(4), _call(5)]}}), encoding="utf-8")
    (calls / "asr_result.json").write_text(
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n", encoding="utf-8")
    spoken = "我手机号是幺三八零零幺三八零零零"
    escaped = json.dumps(_call(6, started_at="昨天"), ensure_ascii=True).replace(
        json.dumps("快递 那个 还没到", ensure_ascii=True), json.dumps(spoken, ensure_ascii=True))
    split = _call(7, started_at="昨天", turns=[{"speaker": "customer", "start_s": 0, "end_s": 3, "text": "我号码是幺三八 零零一三"},
                                              {"speaker": "agent", "start_s": 4, "end_s": 5, "text": "嗯"},
                                              {"speaker": "customer", "start_s": 6, "end_s": 7, "text": "八零零零"}])
    (calls / "bad_times.jsonl").write_bytes(escaped.encode() + b"\n" + _jsonl([split]))
    gbk_name = "舆情导出.jsonl".encode("gb18030")
    social = settings.landing_dir / "social" / DAY.isoformat()
    social.mkdir(parents=True)
    Path(os.fsdecode(os.fsencode(social) + b"/" + gbk_name)).write_bytes(_jsonl([_post(1)]))

    report = load_day("calls", DAY)
    assert report.rows_loaded == 5 and report.reasons == {"bad_file": 1, "bad_timestamp": 2}
    social_report = load_day("social", DAY)
    assert social_report.rows_loaded == 1
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        files = {name for (name,) in conn.execute("SELECT _source_file FROM raw.ingest_files").fetchall()}
        quarantined = [text for (text,) in conn.execute(
            "SELECT raw_content FROM raw.quarantine WHERE reason_code = 'bad_timestamp'").fetchall()]
    assert "calls/2026-08-01/batch_0801/calls.jsonl" in files and "social/2026-08-01/舆情导出.jsonl" in files
    assert "calls/2026-08-01/138********1522.json" in files and not any("13800138000" in f for f in files)
    assert len(quarantined) == 2 and all("幺三八" not in text and "\\u" not in text for text in quarantined)
    assert all("零零一三" not in text and mask_pii(text)[1] == 0 for text in quarantined)


def test_crawler_exports_of_posts_and_impossible_turn_times(settings: Settings) -> None:
    """Round 22's breaker: counts as 小红书 and 抖音 write them (1.2w, 1.5k) and Weibo's zero-count button text,
    times without a year (the year is the landing day's), the header repeated mid-file (files joined), and
    ASR turns timed in milliseconds or ending before they start."""
    social = settings.landing_dir / "social" / DAY.isoformat()
    social.mkdir(parents=True)
    header = "博文ID,用户ID,发布时间,博文内容,转发,评论,点赞\n"
    (social / "crawler.csv").write_text(
        header + "P1,U1,08-01 08:31,信号差,1.2w,1.5k,赞\n" + "P2,U2,7月31日 22:05,宽带又断了,转发,评论,3\n"
        + header + "P3,U3,12-31 23:59,去年的帖子,0,0,0\n", encoding="utf-8")
    calls = settings.landing_dir / "calls" / DAY.isoformat()
    calls.mkdir(parents=True)
    turns = [{"speaker": "customer", "start_s": 0, "end_s": 3000, "text": "喂"},
             {"speaker": "agent", "start_s": 3500, "end_s": 96120, "text": "您好"}]
    backwards = [{"speaker": "customer", "start_s": 5.0, "end_s": 1.0, "text": "喂"}]
    (calls / "calls.jsonl").write_bytes(_jsonl([_call(1), _call(2, turns=turns), _call(3, turns=backwards)]))

    report = load_day("social", DAY)
    assert report.rows_loaded == 3 and report.reasons == {"bad_row": 1}
    calls_report = load_day("calls", DAY)
    assert calls_report.rows_loaded == 1 and calls_report.reasons == {"bad_value": 2}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        posts = conn.execute("SELECT post_id, posted_at, reposts, comments, likes FROM raw.social_posts ORDER BY 1").fetchall()
        reasons = [r for (r,) in conn.execute("SELECT reason FROM raw.quarantine ORDER BY reason").fetchall()]
    assert [(p, str(t), r, c, l) for p, t, r, c, l in posts] == [
        ("P1", "2026-08-01 08:31:00", 12000, 1500, 0), ("P2", "2026-07-31 22:05:00", 0, 0, 3),
        ("P3", "2025-12-31 23:59:00", 0, 0, 0)]
    assert any("the header row again" in r for r in reasons)
    assert any("milliseconds" in r for r in reasons) and any("before it starts" in r for r in reasons)
