"""Source contracts: the one statement of each source's shape, and what must agree with it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.ingest.contracts import (
    CONTRACTS_DIR,
    DBT_SOURCES_FILE,
    SOURCE_NAMES,
    ContractError,
    dbt_sources_yaml,
    load_contract,
)
from pipelines.ingest.sources import load_source
from pipelines.ingest.tables import raw_ddl
from pipelines.settings import Settings
from tests.conftest import load_day

DAY = date(2026, 8, 1)


def test_dbt_source_yaml_is_generated_from_the_contracts() -> None:
    generated = dbt_sources_yaml([load_contract(source) for source in SOURCE_NAMES])
    repository_dbt_project = CONTRACTS_DIR.parent.parent / "dbt_project"
    assert (repository_dbt_project / DBT_SOURCES_FILE).read_text(encoding="utf-8") == generated, "run `voc sources dbt-yaml`"


def test_row_models_raw_tables_and_contracts_agree() -> None:
    conn = duckdb.connect(":memory:")
    conn.execute(raw_ddl(None))
    for source in SOURCE_NAMES:
        spec = load_source(source, None)
        contract = spec.contract
        assert set(spec.model.model_fields) == set(contract.fields), source
        assert list(spec.tables) == list(contract.tables)
        for table in contract.tables:
            columns = contract.table_columns(table)
            described = conn.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = ? AND column_name NOT LIKE '\\_%' ESCAPE '\\' "
                "ORDER BY ordinal_position", [table]).fetchall()
            assert [(name, kind) for name, kind, _ in described] == [(n, t) for n, (t, _) in columns.items()]
            assert spec.tables[table].names == list(columns)
            for name, _, nullable in described:
                field = contract.fields.get(name)
                assert (nullable == "YES") == bool(field and name in contract.tables[table].fields and field.nullable)
            assert all(description for _, description in columns.values())


def test_an_organisation_extends_a_contract_without_code(tmp_path: Path) -> None:
    (tmp_path / "surveys.yml").write_text(
        'columns:\n  survey_id: {aliases: ["序号"]}\n  nps: {aliases: ["/推荐.*可能性/"]}\n'
        '  csat: {values: {"超级满意": 5}}\nredelivery: reject\n', encoding="utf-8")
    contract = load_contract("surveys", tmp_path)
    fields, missing = contract.map_header(["序号", "问卷编号", "3、您向朋友推荐我们的可能性有多大？", "客户编号"])
    assert fields == ["survey_id", None, "nps", "customer_id"]  # the organisation's alias comes first
    assert missing == ["channel", "submitted_at"]
    assert contract.prepare({"csat": "超级满意", "channel": "微信"}) == {"csat": 5, "channel": "wechat"}
    assert contract.redelivery == "reject" and len(contract.origins) == 2


def test_a_file_name_names_one_platform_as_a_word_in_any_width_and_an_organisation_adds_its_own(tmp_path: Path) -> None:
    """A breaker's names (round 25): zhihui_kefu (智慧客服) is no 知乎 and fxhsales no 小红书; ＸＨＳ导出 is; a name
    naming two platforms says nothing of which rows are whose."""
    contract = load_contract("social", tmp_path)
    named = {name: contract.file_defaults(name).get("platform") for name in (
        "小红书笔记导出.csv", "XHS_export.xlsx", "ＸＨＳ导出.csv", "Ｗｅｉｂｏ_export.csv", "XiaoHongShu_2024.csv",
        "zhihui_kefu_export.csv", "fxhsales_q3.csv", "weibold.csv", "黑猫警长.csv", "weibo_douyin_compare.csv",
        "微博舆情_小红书补充.csv", "export_final.csv")}
    assert named == {"小红书笔记导出.csv": "xiaohongshu", "XHS_export.xlsx": "xiaohongshu", "ＸＨＳ导出.csv": "xiaohongshu",
                     "Ｗｅｉｂｏ_export.csv": "weibo", "XiaoHongShu_2024.csv": "xiaohongshu",
                     "zhihui_kefu_export.csv": None, "fxhsales_q3.csv": None, "weibold.csv": None, "黑猫警长.csv": None,
                     "weibo_douyin_compare.csv": None, "微博舆情_小红书补充.csv": None, "export_final.csv": None}
    assert contract.prepare({"platform": "XHS"})["platform"] == "xiaohongshu"
    assert contract.prepare({"platform": "Weibo"})["platform"] == "weibo"
    assert contract.prepare({"platform": " "}, {"platform": "douyin"}) == {"platform": "douyin"}
    assert contract.prepare({"platform": "知乎"}, {"platform": "douyin"}) == {"platform": "zhihu"}

    (tmp_path / "social.yml").write_text("columns:\n  platform: {file_name_defaults: {weibo: weibo_intl, 红书: redbook}}\n",
                                         encoding="utf-8")
    extended = load_contract("social", tmp_path)
    assert extended.file_defaults("Weibo_API.json") == {"platform": "weibo_intl"}  # their word replaces ours
    assert extended.file_defaults("红书导出.csv") == {"platform": "redbook"}
    assert extended.file_defaults("抖音评论.xlsx") == {"platform": "douyin"}


@pytest.mark.parametrize(("content", "message"), [
    ("columns:\n  nps_score: {aliases: [推荐]}\n", "'nps_score' is not one of .* a new field needs its type"),
    ("columns:\n  branch: {type: VARCHAR}\n", "'branch' is optional: give it a default or nullable: true"),
    ("columns:\n  nps: {aliases: ['/推荐(/']}\n", "not a valid regex"),
    ("redelivery: sometimes\n", "redelivery"),
    ("columns: [1, 2\n", "cannot be read"),
])
def test_a_broken_extension_is_one_sentence_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "surveys.yml").write_text(content, encoding="utf-8")
    with pytest.raises(ContractError, match=message) as error:
        load_contract("surveys", tmp_path)
    assert str(tmp_path / "surveys.yml") in str(error.value) and "\n" not in str(error.value)


def test_a_field_added_by_an_extension_loads_end_to_end_without_code(settings: Settings) -> None:
    """The contract extension is the only change: validation, the raw column (added to a table
    made before it) and the dbt source YAML all follow."""
    header = "问卷编号,客户编号,渠道,提交时间,推荐度,门店编号,您等待了多少分钟"
    for offset, rows in enumerate([["S0,C0,微信,2026/8/1 9:05,9,SH000,1"],
                                   ["S1,C1,微信,2026/8/2 9:05,9,SH001,５", "S2,C2,电话,2026/8/2,3,,12",
                                    "S3,C3,app,2026-08-02,7,BJ002,-4", "S4,C4,app,2026-08-02,7,1.2E+5,4"]]):
        folder = settings.landing_dir / "surveys" / (DAY + timedelta(days=offset)).isoformat()
        folder.mkdir(parents=True)
        (folder / "export.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert load_day("surveys", DAY).rows_loaded == 1  # before the extension: the two columns are unused

    settings.contracts_dir.mkdir(parents=True)
    (settings.contracts_dir / "surveys.yml").write_text(
        "columns:\n"
        "  store_code: {type: VARCHAR, nullable: true, identifier: true, description: Store surveyed.,"
        " aliases: [门店编号]}\n"
        "  wait_minutes: {type: INTEGER, nullable: true, min: 0, description: Minutes waited.,"
        " aliases: ['/等待.*分钟/']}\n", encoding="utf-8")
    report = load_day("surveys", DAY + timedelta(days=1))
    assert report.rows_loaded == 2 and report.reasons == {"out_of_range": 1, "damaged_id": 1}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        rows = conn.execute("SELECT survey_id, store_code, wait_minutes FROM raw.surveys ORDER BY 1").fetchall()
        kinds = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'raw' AND table_name = 'surveys'").fetchall())
    assert rows == [("S0", None, None), ("S1", "SH001", 5), ("S2", None, 12)]
    assert kinds["store_code"] == "VARCHAR" and kinds["wait_minutes"] == "INTEGER"

    generated = dbt_sources_yaml([load_contract(source, settings.contracts_dir) for source in SOURCE_NAMES])
    surveys = next(table for table in yaml.safe_load(generated)["sources"][0]["tables"] if table["name"] == "surveys")
    assert {"name": "wait_minutes", "description": "Minutes waited.", "data_type": "integer"} in surveys["columns"]
