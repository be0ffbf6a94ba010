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


def _assign(*texts: str) -> list:
    return TopicModel(Taxonomy.from_csv(TAXONOMY)).assign([normalize(t).text for t in texts])


def test_new_codes_for_invoices_order_changes_and_price_protection() -> None:
    found = _assign("麻烦帮我开一张电子发票，抬头写公司", "我地址填错了能帮我改地址吗", "刚买完就降价了，能申请价保吗",
                    "帮我取消订单吧不想要了")
    assert [a.topic for a in found] == ["invoice", "order_change", "price_fees", "order_change"]
    assert all(a.method == "pattern" and 0.5 < a.confidence <= 1 for a in found)


def test_asking_for_a_person_is_not_a_waiting_complaint() -> None:
    alone, queued = _assign("转人工", "转人工排队排了半小时")
    assert alone.topic != "waiting_time"
    assert queued.topic == "waiting_time"


def test_a_negated_problem_does_not_fire_but_a_missing_thing_does() -> None:
    clean, invoice, signal, fine = _assign("这个手机没有质量问题", "没有质量问题，就是想开发票", "家里完全没信号",
                                           "质量没问题")
    assert clean.topic == "other" and clean.confidence == 0.0
    assert invoice.topic == "invoice"
    assert signal.topic == "network_signal"
    assert fine.topic == "product_quality" and fine.confidence < 0.5  # a passing mention, weakly


def test_calls_take_their_topic_from_customer_turns_with_confidence() -> None:
    model = TopicModel(Taxonomy.from_csv(TAXONOMY))
    calls = [["在吗", "[订单x]", "你好 我想开个发票", "好的 谢谢"], ["[链接x]", "好的"], ["快递还没到", "还有发票也没开"]]
    invoice, nothing, delivery = model.assign_calls([[normalize(t, asr=True).text for t in turns] for turns in calls])
    assert invoice.topic == "invoice" and invoice.evidence == "发票" and invoice.confidence > 0.7
    assert nothing.topic == "other" and nothing.method == "none"
    assert delivery.topic == "delivery"  # the first thing the caller says weighs most


def test_the_model_fallback_survives_a_small_day() -> None:
    for texts in ([], ["快递没到"], ["快递没到", "发票"], ["", "   "], ["发票"] * 3 + ["快递"] * 3):
        model = TopicModel(Taxonomy.from_csv(TAXONOMY)).fit([normalize(t).text for t in texts])
        assert model.assign(["我要开发票", "随便聊聊"])[0].topic == "invoice"
    trained = TopicModel(Taxonomy.from_csv(TAXONOMY)).fit(["快递没到", "快递太慢", "要开发票", "发票抬头错了"])
    assert trained.classifier is not None and trained.training_size == 4


def test_discovery_strips_weibo_markup_and_keeps_negations() -> None:
    markup = ('又没信号了<br /><a href="https://m.weibo.cn/status/123">网页链接</a>'
              '<span class="url-icon"><img alt="[怒]" src="https://h5.sinaimg.cn/x.png"></span>')
    words = tokenize(markup)
    assert "没信号" in words
    assert not {"href", "br", "span", "status", "url", "icon", "img"} & set(words)
    assert "不满意" in tokenize("我很不满意") and "满意" not in tokenize("我很不满意")


def test_discovery_handles_degenerate_corpora() -> None:
    assignment, themes = discover_themes(["信号太差了"] * 30, k=4)
    assert len(themes) == 1 and assignment == [0] * 30 and "信号" in themes[0].terms[0]
    assignment, themes = discover_themes(["只有一条关于发票的意见"], k=8)
    assert assignment == [0] and len(themes) == 1 and themes[0].size == 1
    assert discover_themes([], k=3) == ([], [])
    assert discover_themes(["", "123", "[订单x]"], k=3) == ([-1, -1, -1], [])
