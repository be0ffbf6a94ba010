"""Source contracts: the one statement of each source's shape, and what must agree with it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.contracts import (
    DBT_SOURCES_PATH,
    SOURCE_NAMES,
    ContractError,
    dbt_sources_yaml,
    load_contract,
)
from pipelines.ingest.sources import load_source
from pipelines.ingest.tables import raw_ddl


def test_dbt_source_yaml_is_generated_from_the_contracts() -> None:
    generated = dbt_sources_yaml([load_contract(source) for source in SOURCE_NAMES])
    assert DBT_SOURCES_PATH.read_text(encoding="utf-8") == generated, "run `voc sources dbt-yaml`"


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
