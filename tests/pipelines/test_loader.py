"""Partition loads: idempotent reruns, failures that leave the last good load, PII never in raw."""

from __future__ import annotations

import csv
import dataclasses
from datetime import date
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.ingest import loader
from pipelines.ingest.loader import IngestError
from pipelines.ingest.contracts import SOURCE_NAMES
from pipelines.settings import Settings
from tests.conftest import DEMO_START, load_day
from tests.pipelines.test_masking import UNMASKED

TABLES = ("surveys", "calls", "call_turns", "social_posts", "quarantine", "ingest_files")


def _counts(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in TABLES}


def _load_all(days: int = 3) -> None:
    for offset in range(days):
        for source in SOURCE_NAMES:
            load_day(source, date.fromordinal(DEMO_START.toordinal() + offset))


def test_rerunning_the_same_day_is_idempotent(settings: Settings, small_demo: dict) -> None:
    _load_all()
    first = _counts(settings)
    load_day("calls", DEMO_START)
    load_day("surveys", DEMO_START)
    _load_all()
    assert _counts(settings) == first
    assert first["calls"] + first["surveys"] + first["social_posts"] + first["quarantine"] == sum(small_demo.values())


def test_a_rerun_without_landing_files_keeps_the_loaded_day(settings: Settings, small_demo: dict) -> None:
    """Round 23's operator review: a rerun after the landing files were purged (or with a mistyped
    VOC_LANDING_DIR) emptied the day's raw tables and reported success. The earlier load is kept; an empty
    file landed on purpose unloads the day."""
    import shutil

    load_day("calls", DEMO_START)
    before = _counts(settings)
    folder = settings.landing_dir / "calls" / DEMO_START.isoformat()
    moved = folder.with_name("moved")
    shutil.move(folder, moved)
    report = load_day("calls", DEMO_START)
    assert report.kept_files >= 1 and _counts(settings) == before
    folder.mkdir()
    (folder / "unload.jsonl").write_bytes(b"")
    assert load_day("calls", DEMO_START).kept_files == 0
    after = _counts(settings)
    assert after["calls"] == after["call_turns"] == 0 and before["calls"] > 0


def test_loaded_rows_match_the_generator(settings: Settings, small_demo: dict) -> None:
    _load_all()
    with open(settings.ground_truth_dir / "calls.csv", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    clean = {row["call_id"] for row in truth if not row["defect"]}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        loaded = {row[0] for row in conn.execute("SELECT call_id FROM raw.calls").fetchall()}
        quarantined = conn.execute("SELECT count(*) FROM raw.quarantine WHERE source = 'calls'").fetchone()[0]
    assert loaded == clean
    assert quarantined == len(truth) - len(clean)


def test_failed_run_leaves_the_earlier_load_untouched(settings: Settings, small_demo: dict,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _load_all()
    before = _counts(settings)
    monkeypatch.setenv("VOC_BATCH_ROWS", "10")  # flush several batches before the failure
    calls_seen = 0
    load_source = loader.load_source

    def failing_source(name, contracts_dir):
        source = load_source(name, contracts_dir)

        def failing_to_rows(contract, row, key):
            nonlocal calls_seen
            calls_seen += 1
            if calls_seen == 20:
                raise OSError("disk full (simulated)")
            return source.to_rows(contract, row, key)

        return dataclasses.replace(source, to_rows=failing_to_rows)

    monkeypatch.setattr(loader, "load_source", failing_source)
    with pytest.raises(IngestError, match="previous data for that day kept"):
        load_day("calls", DEMO_START)
    assert calls_seen == 20
    assert _counts(settings) == before


def test_no_unmasked_pii_reaches_raw_text(settings: Settings) -> None:
    from tests.conftest import make_demo

    make_demo(settings, days=4, customers=8000, seed=3)
    _load_all(4)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        texts = conn.execute(
            "SELECT comment FROM raw.surveys UNION ALL SELECT text FROM raw.call_turns "
            "UNION ALL SELECT text FROM raw.social_posts UNION ALL SELECT author_name FROM raw.social_posts"
        ).fetchall()
        masks = conn.execute(
            "SELECT (SELECT sum(pii_masks) FROM raw.call_turns) + (SELECT sum(pii_masks) FROM raw.surveys)"
            " + (SELECT sum(pii_masks) FROM raw.social_posts)"
        ).fetchone()[0]
    leaks = [text for (text,) in texts if UNMASKED.search(text)]
    # The generator plants PII after these phrases only; each must have been masked.
    markers = ("我手机号是", "身份证号", "卡号", "邮箱是")
    planted = 0
    for path in settings.landing_dir.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("gb18030" if "满意度" in path.name else "utf-8", errors="replace")
            planted += sum(text.count(marker) for marker in markers)
    assert planted > 0, "the demo plants PII in its texts"
    assert masks >= planted
    assert leaks == []


def test_batch_writer_and_reasons_are_reported(settings: Settings, small_demo: dict) -> None:
    report = load_day("calls", DEMO_START)
    assert report.rows_in == report.rows_loaded + report.rows_quarantined
    assert report.table_rows["call_turns"] > report.table_rows["calls"] > 0
    assert sum(report.reasons.values()) == report.rows_quarantined


def test_describe_validation_error_is_readable() -> None:
    from pydantic import ValidationError

    from pipelines.ingest.contracts import load_contract
    from pipelines.ingest.schemas import row_model

    contract = load_contract("surveys")
    with pytest.raises(ValidationError) as caught:
        row_model(contract).model_validate({"survey_id": "S", "customer_id": "", "channel": "fax",
                                            "submitted_at": "2026-08-01", "nps": "12"},
                                           context={"timezone": ZoneInfo("Asia/Shanghai")})
    code, reason = loader.describe_validation_error(caught.value, contract.text_fields)
    assert code == "missing_field"
    assert "customer_id: required value is missing or empty" in reason
    assert "channel" in reason and "nps" in reason and "'12'" in reason


def test_a_social_export_without_a_platform_column_takes_the_platform_its_file_name_names(
        settings: Settings, capsys: pytest.CaptureFixture) -> None:
    """小红书 and 抖音 exports from social-listening tools carry no platform column; they were all loaded as weibo
    (stop 37 left it). The file's name says which platform; a column, where there is one, says it per row."""
    folder = settings.landing_dir / "social" / DEMO_START.isoformat()
    folder.mkdir(parents=True)
    header = "帖子ID,作者ID,发布时间,内容\n"
    (folder / "小红书笔记导出_1201.csv").write_text(
        header + f"X1,U1,{DEMO_START} 09:00:00,这家银行的APP太难用了\nX2,U2,{DEMO_START} 09:05:00,客服态度很好\n", encoding="utf-8")
    (folder / "Douyin_comments.csv").write_text(header + f"D1,U3,{DEMO_START} 10:00:00,排队两小时\n", encoding="utf-8")
    (folder / "舆情监测_全平台.csv").write_text(
        "帖子ID,作者ID,发布时间,内容,平台\n"
        f"M1,U4,{DEMO_START} 11:00:00,信用卡年费乱收,新浪微博\nM2,U5,{DEMO_START} 11:00:00,网点排队太久,小红书\n"
        f"M3,U6,{DEMO_START} 11:00:00,还可以,\n", encoding="utf-8")
    from pipelines.cli import main

    assert main(["sources", "check", str(folder / "小红书笔记导出_1201.csv")]) == 0
    assert "from the file name: platform = xiaohongshu" in capsys.readouterr().out
    report = load_day("social", DEMO_START)
    assert report.rows_loaded == 6 and report.rows_quarantined == 0
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        platforms = dict(conn.execute("SELECT post_id, platform FROM raw.social_posts").fetchall())
    assert platforms == {"X1": "xiaohongshu", "X2": "xiaohongshu", "D1": "douyin", "M1": "weibo", "M2": "xiaohongshu",
                         "M3": "weibo"}
