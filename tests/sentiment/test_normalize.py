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


def test_weibo_api_markup_is_stripped_and_emoji_images_kept() -> None:
    raw = ('<a href="https://m.weibo.cn/search?containerid=231522">#星河通信#</a>又丢件了'
           '<span class="url-icon"><img alt=[怒] src="https://h5.sinaimg.cn/m/emoticon/icon/angry.png"></span><br />'
           '<a href="http://t.cn/A6x"><span class="url-icon"><img src="link.png"></span>'
           '<span class="surl-text">网页链接</span></a>')
    result = normalize(raw)
    assert result.text == "星河通信 又丢件了[怒]"
    assert result.emojis == ("[怒]",)


def test_placeholders_numbers_and_politeness_are_not_content() -> None:
    from sentiment.normalize import content_kind

    for text in ["[链接x]", "[订单x] [数字x]", "1234567890", "？？！", "XH2026080112"]:
        assert content_kind(normalize(text).text) == "placeholder", text
    for text in ["好的", "谢谢", "好的 谢谢你啊", "你好 在吗", "嗯嗯", "没有了"]:
        assert content_kind(normalize(text, asr=True).text) == "politeness", text
    assert content_kind("") == "empty"
    assert content_kind("[订单x] 这个订单怎么还没发货") == "content"
    assert normalize("[订单x]").emojis == ()  # a placeholder is no emoji
