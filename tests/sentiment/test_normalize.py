from sentiment.normalize import normalize


def test_traditional_becomes_simplified_and_original_is_kept() -> None:
    result = normalize("這個服務態度還可以，網路很差")
    assert result.text == "这个服务态度还可以,网路很差"
    assert result.original == "這個服務態度還可以，網路很差"


def test_full_width_becomes_half_width() -> None:
    assert normalize("ＡＢＣ１２３！　好").text == "ABC123! 好"


def test_weibo_emoji_codes_are_kept_as_signal() -> None:
    result = normalize("又丢件了[怒][怒] 真服了[抓狂]")
    assert "[怒][怒]" in result.text and "[抓狂]" in result.text
    assert result.emojis == ("[怒]", "[怒]", "[抓狂]")


def test_urls_mentions_hashtags_and_reposts() -> None:
    result = normalize("//@用户1234: #星河通信# @星河通信客服 快递丢了 http://t.cn/A6abc")
    assert result.text == "星河通信 快递丢了"
    assert result.mentions == ("@星河通信客服",)


def test_html_entities() -> None:
    assert normalize("价格&amp;服务 &lt;差&gt;").text == "价格&服务 <差>"


def test_asr_fillers_only_dropped_for_call_turns() -> None:
    spoken = "嗯 那个 我的 快递 就是 还没到 啊"
    assert normalize(spoken, asr=True).text == "我的 快递 还没到"
    assert normalize(spoken).text == spoken


def test_empty_and_none() -> None:
    assert normalize(None).text == "" and normalize("   ").text == ""


def test_cache_key_depends_on_normalised_text_only() -> None:
    assert normalize("這個很好").key == normalize("这个很好").key
    assert normalize("这个很好").key != normalize("这个不好").key
