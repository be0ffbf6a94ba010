from pathlib import Path

from sentiment.normalize import normalize
from sentiment.topics import Taxonomy, TopicModel, discover_themes, tokenize

TAXONOMY = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "topic_taxonomy.csv"
CODES = {"delivery", "product_quality", "price_fees", "billing_error", "refund_return", "staff_attitude",
         "waiting_time", "account_login", "network_signal", "repair", "marketing_harassment",
         "privacy_security", "other"}


def test_taxonomy_covers_the_service_topics_of_the_domain() -> None:
    taxonomy = Taxonomy.from_csv(TAXONOMY)
    codes = {t.code for t in taxonomy.topics}
    assert CODES <= codes
    assert all(t.name_zh for t in taxonomy.topics)
    assert {t.parent for t in taxonomy.leaves} <= codes


def test_patterns_then_model_then_other() -> None:
    model = TopicModel(Taxonomy.from_csv(TAXONOMY))
    training = ["快递三天还没到", "物流太慢了", "快递员态度差", "账单多扣了钱", "扣费不对", "话费乱扣",
                "信号太差", "宽带断网", "网速慢"] * 5
    model.fit(training)
    result = model.assign([normalize(t).text for t in ["快遞三天還沒到", "这个月被乱收钱了", "", "今天天气不错"]])
    assert result[0].topic == "delivery" and result[0].method == "pattern" and result[0].evidence == "快递"
    assert result[1].method in {"model", "none"}
    assert result[2].topic == "other" and result[2].method == "none"
    assert all(r.topic in CODES for r in result)


def test_jieba_uses_the_domain_dictionary() -> None:
    assert "七天无理由" in tokenize("说好七天无理由退货却不给退")
    assert "的" not in tokenize("我的快递")


def test_discovery_separates_distinct_themes() -> None:
    texts = [f"充电桩安装排队{i}天" for i in range(20)] + [f"会员积分兑换失败{i}次" for i in range(20)]
    assignment, themes = discover_themes(texts, k=2, top_terms=4)
    assert len(themes) == 2
    assert len(set(assignment[:20])) == 1 and len(set(assignment[20:])) == 1
    assert assignment[0] != assignment[20]
    assert any("充电" in theme.terms for theme in themes) and any("积分" in theme.terms for theme in themes)
