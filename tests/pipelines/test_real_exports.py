"""Files shaped like real exports: every row loaded or quarantined with the right reason, by the
loader, by ``voc sources check`` (same files, writes nothing) and by the real nightly run."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.cli import main
from pipelines.ingest.loader import pseudonym_key
from pipelines.ingest.masking import pseudonymise
from pipelines.ingest.readers import Encoding, detect_encoding, read_json, text_lines
from pipelines.ingest.schemas import parse_timestamp
from pipelines.settings import Settings
from tests.conftest import load_day
from tests.pipelines import real_exports
from tests.pipelines.test_hostile_files import _call

DAY = date(2026, 8, 1)


def _expected(*counts: dict[str, int]) -> tuple[int, Counter]:
    loaded = sum(c.get("loaded", 0) for c in counts)
    reasons = Counter()
    for c in counts:
        reasons.update({k: v for k, v in c.items() if k != "loaded"})
    return loaded, reasons


def _land_real_exports(settings: Settings) -> dict[str, dict[str, int]]:
    folder = settings.landing_dir / "surveys" / DAY.isoformat()
    folder.mkdir(parents=True)
    settings.contracts_dir.mkdir(parents=True)
    (settings.contracts_dir / "surveys.yml").write_text(real_exports.WJX_CONTRACT, encoding="utf-8")
    return {
        "wjx.xlsx": real_exports.write_wjx_xlsx(folder / "wjx.xlsx"),
        "excel_zh.csv": real_exports.write_excel_gb18030_csv(folder / "excel_zh.csv"),
        "mac.csv": real_exports.write_cr_only_csv(folder / "mac.csv"),
        "unicode_text.txt": real_exports.write_utf16_tsv(folder / "unicode_text.txt"),
    }


def test_real_exports_load_or_quarantine_with_the_right_reason(settings: Settings) -> None:
    expected = _land_real_exports(settings)
    report = load_day("surveys", DAY)
    by_file = {Path(f.path).name: f for f in report.files}
    for name, counts in expected.items():
        file = by_file[name]
        assert file.rows_in == sum(counts.values()), name  # the CR-only file is 3 rows, not 1
        assert file.rows_loaded == counts["loaded"], name
    loaded, reasons = _expected(*expected.values())
    assert report.rows_loaded == loaded and report.reasons == reasons
    assert {Path(f.path).name: f.encoding for f in report.files} == {
        "wjx.xlsx": "xlsx", "excel_zh.csv": "gb18030", "mac.csv": "utf-8", "unicode_text.txt": "utf-16"}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        rows = {r[0]: r[1:] for r in conn.execute(
            "SELECT survey_id, customer_id, channel, submitted_at, nps, csat, comment FROM raw.surveys").fetchall()}
        damaged = conn.execute("SELECT reason FROM raw.quarantine WHERE reason_code = 'damaged_id'").fetchall()
    assert rows["10001"] == ("C001", "wechat", datetime(2026, 8, 1, 9, 5), 9, 5, "客服很耐心，问题解决了")
    assert rows["10002"][2:4] == (datetime(2026, 8, 1, 10, 5), 9)  # 2026年8月1日 10时05分, full-width ９
    assert rows["10003"][1:3] == ("store", datetime(2026, 8, 1, 9, 5))
    # A number cell holding an ID keeps its digits, and an ID that is a phone number reaches no table
    # in clear: it becomes the same keyed pseudonym as the number typed any other way.
    key = pseudonym_key(settings.pseudonym_key_file)
    assert rows["10004"][0] == pseudonymise("13800138000", key)[0] == pseudonymise("+86 138-0013-8000", key)[0]
    assert rows["10004"][0].startswith("PII-") and "13800138000" not in rows["10004"][0]
    assert rows["G5"][2] == datetime(2026, 8, 1, 10, 5)
    assert rows["M2"][5] == "网页打不开\r刷新也没用"
    assert rows["U1"][1] == "chat" and rows["U2"][5] == "投诉无门，我要打12315"
    assert all("spreadsheet" in reason and "Text" in reason for (reason,) in damaged)


def test_sources_check_reports_the_same_files(settings: Settings, capsys: pytest.CaptureFixture) -> None:
    expected = _land_real_exports(settings)
    folder = settings.landing_dir / "surveys" / DAY.isoformat()
    for name, counts in expected.items():
        assert main(["sources", "check", str(folder / name)]) == 0, name
        out = capsys.readouterr().out
        assert f"{counts['loaded']} would load, {sum(counts.values()) - counts['loaded']} would be quarantined" in out
        for reason, count in counts.items():
            if reason != "loaded":
                assert f"  {reason}: {count}" in out
    assert not settings.warehouse_path.exists()  # a dry run writes nothing
    main(["sources", "check", str(folder / "wjx.xlsx")])
    out = capsys.readouterr().out
    assert "3、您向朋友推荐我们的可能性有多大？  ->  nps" in out
    assert "format:    Excel workbook" in out and "来源详情" in out.split("unused headers:")[1]
    main(["sources", "check", str(folder / "unicode_text.txt")])
    out = capsys.readouterr().out
    assert "TSV" in out and "utf-16" in out
    main(["sources", "check", str(folder / "mac.csv")])
    assert "line endings CR" in capsys.readouterr().out


def test_sources_check_fails_when_a_required_field_is_unmapped(settings: Settings, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "wjx.xlsx"
    real_exports.write_wjx_xlsx(path)  # no contract extension: the ids and the channel map to nothing
    assert main(["sources", "check", str(path), "--source", "surveys"]) == 1
    captured = capsys.readouterr()
    assert "required fields not mapped: survey_id, customer_id, channel" in captured.out
    assert "contracts" in captured.err


def test_numbered_survey_questions_map_without_a_contract_extension(settings: Settings, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """问卷星 and 腾讯问卷 head each column with its numbered question; the scores and the comment must
    not be dropped as unused (a newcomer's export lost both, and the check said nothing)."""
    path = tmp_path / "wjx.xlsx"
    real_exports.write_wjx_xlsx(path)
    main(["sources", "check", str(path), "--source", "surveys"])
    out = capsys.readouterr().out
    mapping = dict(re.findall(r"^  (\S+)\s+->  (\S+)$", out, re.MULTILINE))
    assert {header: mapping[header] for header in ("序号", "3、您向朋友推荐我们的可能性有多大？", "4、您对本次服务的满意程度",
                                                   "5、您对我们还有什么意见或建议？")} == {
        "序号": "(unused)",  # it restarts at 1 in every questionnaire: the organisation maps a unique id
        "3、您向朋友推荐我们的可能性有多大？": "nps", "4、您对本次服务的满意程度": "csat",
        "5、您对我们还有什么意见或建议？": "comment"}
    # what no header feeds is named, with what to do about it
    assert "optional fields no header feeds: interaction_id (they load empty" in out


@pytest.mark.parametrize(("header", "field"), [
    ("2、您对本次服务的满意度", "csat"), ("Q3. 您对我们还有什么意见或建议？", "comment"), ("第1题 推荐度（NPS）", "nps"),
    ("推荐度（NPS）", "nps"), ("留言*", "comment"), ("提交时间：", "submitted_at"), ("2026年满意度调查备注", None),
])
def test_a_question_number_or_mark_around_a_header_is_ignored(header: str, field: str | None) -> None:
    from pipelines.ingest.sources import load_source
    contract = load_source("surveys", None).contract
    assert contract.map_header([header])[0] == [field]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026/8/1 9:05", datetime(2026, 8, 1, 9, 5)),
    ("2026/8/1", datetime(2026, 8, 1)),
    ("2026年8月1日 10:00", datetime(2026, 8, 1, 10, 0)),
    ("2026年8月1日 10时05分", datetime(2026, 8, 1, 10, 5)),
    ("２０２６年８月１日", datetime(2026, 8, 1)),
    ("46235.375", datetime(2026, 8, 1, 9, 0)),
    ("2026-08-01T09:00:00+08:00", datetime(2026, 8, 1, 9, 0)),
])
def test_excel_zh_cn_timestamps(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, ZoneInfo("Asia/Shanghai")) == expected


def test_line_endings_and_encodings_are_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"a,b\r1,2\r\n3,4\n5,6\r")
    assert [line for line, _ in text_lines(path, detect_encoding(path))] == ["a,b\r", "1,2\r\n", "3,4\n", "5,6\r"]
    late = tmp_path / "late_gb.csv"  # the first Chinese text comes after 64 KiB
    late.write_bytes(("id,text\n" + "x,ascii only\n" * 8000 + "y,我要去12315投诉\n").encode("gb18030"))
    assert detect_encoding(late) == Encoding("gb18030", True)
    mixed = tmp_path / "mostly_utf8.csv"  # one pasted GB18030 line among UTF-8 ones
    mixed.write_bytes("id,text\n1,很好\n2,不错\n".encode() + "3,太差了\n".encode("gb18030"))
    decoded = list(text_lines(mixed, detect_encoding(mixed)))
    assert decoded[-1] == ("3,太差了\n", "fallback") and decoded[1] == ("1,很好\n", "ok")


TRADITIONAL = ["客服態度很好，問題當天就解決了", "等了兩個小時還沒有人接電話，非常失望", "帳單金額不對，請儘快處理",
               "寬頻經常斷線，已經報修三次了", "退款還沒到帳，請儘快處理"]


def test_a_file_in_another_encoding_is_named_not_read_as_gb18030_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    traditional = "id,comment\n" + "".join(f"{i},{text}\n" for i, text in enumerate(TRADITIONAL * 6))
    path.write_bytes(traditional.encode("big5"))  # 30 rows, 400 non-ASCII characters
    assert detect_encoding(path) == Encoding("gb18030", True, "Big5 (Traditional Chinese)")
    french = "id,comment\n" + "Très déçu: livraison très en retard, aucune réponse du service après-vente\n" * 60
    path.write_bytes(french.encode("cp1252"))
    assert detect_encoding(path).foreign == "a Western code page such as Windows-1252"
    # UTF-16 without its byte-order mark is read: its NUL bytes say which end is which
    path.write_bytes("id,comment\n1,服务很好\n".encode("utf-16-le"))
    assert detect_encoding(path) == Encoding("utf-16-le", True)
    path.write_bytes(b"id,comment\n1,ok\n".decode().encode("utf-16-be"))  # valid UTF-8 too, yet no text
    assert detect_encoding(path) == Encoding("utf-16-be", True)
    path.write_bytes("id,comment\n1,服务很好\n".encode("utf-16-le")[:-1])  # cut inside a character: named
    assert detect_encoding(path).foreign == "UTF-16 without a byte-order mark"


@pytest.mark.parametrize("text", [
    "id,comment\n" + "".join(f"{i},{t}\n" for i, t in enumerate(TRADITIONAL * 6)),  # Traditional, saved as GB18030
    "id,comment\n1,客服堃哥很耐心，点赞\n2,李昇处理得很快\n",  # names outside GB2312
    "id,comment\n" + "Loved the café, Nestlé formula, Pokémon cards\n" * 400,  # Excel keeps é in GB18030
    "id,comment\n" + "维生素D 含量 10μg 太少，β-胡萝卜素也不够 Σ(っ °Д °;)っ\n" * 30,  # Greek, Cyrillic, kaomoji
    "id,comment\n1,客服很耐心👍\n2,太差了[怒]\n",  # emoji
])
def test_a_genuine_gb18030_export_is_never_turned_away(tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("gb18030"))
    assert detect_encoding(path) == Encoding("gb18030", True)


def test_calls_as_one_json_array(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    path.write_bytes(real_exports.calls_as_json_array([_call(1), _call(2), "not an object"]))
    records = list(read_json(path))
    assert [r.row_number for r in records] == [1, 2, 3]
    assert records[0].fields["call_id"] == "CL1" and records[1].fields["turns"][0]["speaker"] == "customer"
    assert records[2].reason_code == "bad_json"


def test_three_nights_of_cumulative_exports_and_real_files_publish(settings: Settings) -> None:
    """The real nightly over real-shaped files, then two more nights of cumulative exports with a
    correction: every night exits 0 and publishes; KPI counts equal the distinct responses."""
    from pipelines.publish import serving_path
    from pipelines.runner import run_nightly

    expected = _land_real_exports(settings)
    days = ["2026-08-01", "2026-08-02", "2026-08-03"]
    final_nps = real_exports.write_cumulative_exports(settings.landing_dir, days)
    for day in days:
        outcome = run_nightly(date.fromisoformat(day), date.fromisoformat(day))
        assert outcome.success, outcome.errors
        assert outcome.published
    loaded, _ = _expected(*expected.values())
    with duckdb.connect(str(serving_path(settings)), read_only=True) as conn:
        facts = dict(conn.execute("SELECT survey_id, nps FROM marts.fct_survey_responses").fetchall())
        kpi_n = conn.execute(
            "SELECT responses FROM kpi.kpi_nps WHERE period_type = 'month' AND dimension = 'all'").fetchall()
    assert len(facts) == loaded + len(final_nps)
    assert {k: facts[k] for k in final_nps} == final_nps  # R1 carries its correction
    with_nps = sum(1 for v in facts.values() if v is not None)
    assert sum(n for (n,) in kpi_n) == with_nps
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        deliveries = conn.execute("SELECT count(*) FROM raw.surveys WHERE survey_id LIKE 'R%'").fetchone()[0]
        staged = conn.execute("SELECT count(*), count(DISTINCT survey_id) FROM staging.stg_surveys__responses").fetchone()
    assert deliveries == 2 + 3 + 4  # every delivery kept in raw: the history
    assert staged[0] == staged[1] == len(facts)


def test_reject_policy_quarantines_re_deliveries_with_the_first_day(settings: Settings) -> None:
    settings.contracts_dir.mkdir(parents=True)
    (settings.contracts_dir / "surveys.yml").write_text("redelivery: reject\n", encoding="utf-8")
    real_exports.write_cumulative_exports(settings.landing_dir, ["2026-08-01", "2026-08-02"])
    first = load_day("surveys", date(2026, 8, 1))
    second = load_day("surveys", date(2026, 8, 2))
    assert first.rows_loaded == 2
    assert second.rows_loaded == 1 and second.reasons == {"already_loaded": 2}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        reasons = [r[0] for r in conn.execute(
            "SELECT reason FROM raw.quarantine WHERE reason_code = 'already_loaded'").fetchall()]
    assert all("first loaded on 2026-08-01" in reason for reason in reasons)
    assert load_day("surveys", date(2026, 8, 1)).rows_loaded == 2  # a rerun of day 1 is not a re-delivery


def test_sources_check_says_what_to_do_with_a_file_it_cannot_read(settings: Settings, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    """A Big5 export is to be saved again (not given aliases: its header is mojibake); binary data is refused
    whole in one line; UTF-16 without its byte-order mark is read."""
    header = "survey_id,customer_id,interaction_id,channel,submitted_at,nps,csat,comment\n"
    big5 = tmp_path / "big5.csv"
    big5.write_bytes(("問卷編號,客戶編號,服務單號,渠道,提交時間,推薦度,滿意度,意見\n"
                      + "T1,C1,,電話,2026/8/1 9:05,9,5,客服態度很好，問題當天就解決了，非常感謝您們的幫忙\n" * 20).encode("big5"))
    assert main(["sources", "check", str(big5)]) == 1
    captured = capsys.readouterr()
    assert "probably Big5" in captured.err and "save it again as CSV UTF-8" in captured.err
    assert "aliases" not in captured.err and "mapping: not shown" in captured.out
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 16)
    assert main(["sources", "check", str(binary)]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == ("error: the file is refused whole: binary data, not text (a file of another kind "
                                    "named .csv or .txt): export the data again as CSV UTF-8 or .xlsx")
    utf16 = tmp_path / "java_export.csv"
    utf16.write_bytes((header + "U1,C1,,app,2026-08-01 09:00:00,9,5,很好\r\n").encode("utf-16-be"))
    assert main(["sources", "check", str(utf16)]) == 0
    out = capsys.readouterr().out
    assert "encoding:  utf-16-be, line endings CRLF+LF" in out and "1 would load, 0 would be quarantined" in out
