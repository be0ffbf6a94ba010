import re

import duckdb
import pytest

from pipelines.ingest.masking import (ALL_PATTERNS, PLAIN_NUMBER, fold, mask_message, mask_pii, mask_raw_record, mask_turns,
                                      widen)
from sentiment.normalize import normalize

# Shapes of unmasked PII, written independently of the detector; used here and by the raw-table
# scan in test_loader.
UNMASKED = re.compile(
    r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dXx]|(?<!\d)\d{16,19}(?!\d)|\d{4} \d{4} \d{4} \d{4}"
    r"|[A-Za-z0-9._%+-]{2,}[@＠][A-Za-z0-9.-]+[.．][A-Za-z]{2,}"
    r"|[0-9零〇一幺二两三四五六七八九](?:\s*(?:(?:嗯|呃|啊|那个|就是)\s*)?[0-9零〇一幺二两三四五六七八九]){10,}"
)

# One row per format of issue 13 (and the ones masked before it): text, masked text, masks.
FORMATS = [
    ("我的手机13812345678请回电", "我的手机138****5678请回电", 1),
    ("联系电话 +86 139-2345-6789", "联系电话 139****6789", 1),
    ("电话：１８６１２３４５６７８", "电话：186****5678", 1),
    ("手机138.1234.5678谢谢", "手机138****5678谢谢", 1),
    ("手机 138 1234 5678", "手机 138****5678", 1),
    ("幺三八，一二三四，五六七八", "****五六七八", 1),
    ("嗯 我手机号是幺三八幺二三四五六七八", "嗯 我手机号是****五六七八", 1),
    ("台湾手机0912-345-678可以打", "台湾手机****5678可以打", 1),
    ("香港号码+852 9123 4567", "香港号码****4567", 1),
    ("澳门电话(+853)6612-3456", "澳门电话****3456", 1),
    ("座机010-6234 5678找王经理", "座机****5678找王经理", 1),
    ("深圳办公室0755-12345678", "深圳办公室****5678", 1),
    ("身份证号码44030619851112341X已提交", "身份证号码440***********341X已提交", 1),
    ("老身份证110105491231002还能用吗", "老身份证110********1002还能用吗", 1),
    ("卡号6222021234567890123扣款两次", "卡号****0123扣款两次", 1),
    ("尾号 6217 0000 1111 2222 的卡", "尾号 ****2222 的卡", 1),
    ("邮箱 wang.xiaoming@163.com 收不到账单", "邮箱 w***@163.com 收不到账单", 1),
    ("邮箱 ｗａｎｇ＠１６３．ｃｏｍ 收不到", "邮箱 w***@163.com 收不到", 1),
    ("邮箱 wang＠qq．com，谢谢", "邮箱 w***@qq.com，谢谢", 1),
    ("手机13712345678 邮箱a@b.cn", "手机137****5678 邮箱a***@b.cn", 2),
    # Round 18: real formats a reviewer found in clear (E.164 without +, line breaks, anti-filter spaces and
    # digits, ASR fillers and 杠, HK/Macau/Taiwan local forms and ids, labelled handles, disguised e-mail).
    ("客户电话 8613947265810", "客户电话 139****5810", 1),
    ("电话139\n4726\n5810", "电话139****5810", 1),
    ("电话 139 - 4726 - 5810", "电话 139****5810", 1),
    ("vx同号139\u200b4726\u200b5810", "vx同号139****5810", 1),
    ("手机1394-7265-810", "手机139****5810", 1),
    ("幺三九 额 四七二六 额 五八幺零", "****五八幺零", 1),
    ("要三九四七二六五八要零", "****五八要零", 1),
    ("座机是零七五五杠二六五八幺幺零四", "座机是****幺幺零四", 1),
    ("电话壹叁玖肆柒贰陆伍捌壹零", "电话****伍捌壹零", 1),
    ("联系①③⑨④⑦②⑥⑤⑧①⓪", "联系139****5810", 1),
    ("身份证320102198807\n154623", "身份证****4623", 1),
    ("香港電話：9123 4567", "香港電話：****4567", 1),
    ("852-9123-4567", "****4567", 1),
    ("家里座机 6552 3301 晚上打", "家里座机 ****3301 晚上打", 1),
    ("電話 02-2712-3456", "電話 ****3456", 1),
    ("(+886)912-345-678", "****5678", 1),
    ("身分證字號：F224681357", "身分證字號：****1357", 1),
    ("市話(02)2712-3456", "市話****3456", 1),
    ("香港身份證 K123456(3)", "香港身份證 ****4563", 1),
    ("护照号码：EA1234567", "护照号码：E****", 1),
    ("加扣扣864721953详聊", "加扣扣****1953详聊", 1),
    ("微信号 wxid_k2j3h4g5f6", "微信号 w****", 1),
    ("车牌京A12345被拖了", "车牌京A****被拖了", 1),
    ("邮箱 zhangwei1990 @ 163.com", "邮箱 z***@163.com", 1),
    ("zhangwei1990(at)163点com", "z***@163点com", 1),
    ("邮箱864721953@qq", "邮箱8***@qq", 1),
    # Round 21: a newcomer's probe found a mobile's groups split by other marks or words, and an address
    # read aloud, in clear in the marts.
    ("电话138，1234，5678请回电", "电话138****5678请回电", 1),
    ("电话138、1234、5678", "电话138****5678", 1),
    ("手机（138）1234-5678", "手机（138****5678", 1),
    ("电话是138，然后是1234，最后5678", "电话是138****5678", 1),
    ("手机号138然后1234再然后5678", "手机号138****5678", 1),
    ("138；1234；5678", "138****5678", 1),
    ("138~1234~5678 找我", "138****5678 找我", 1),
    ("138/1234/5678", "138****5678", 1),
    ("我的邮箱是 zhang san at 163 dot com", "我的邮箱是 z***@163 dot com", 1),
    # Round 22: a breaker's crawler exports and ASR turns: digits as posts dress them up, groups split by
    # symbols, pictographs, markup or a mention, a labelled number spoken, at and dot as ASR or a typist writes them.
    ("加我V❤：138❤0013❤8000", "加我V❤：138****8000", 1),
    ("𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎", "138****8000", 1),
    ("❶❸❽⓿⓿❶❸❽⓿⓿⓿找我", "138****8000找我", 1),
    ("138|0013|8000", "138****8000", 1),
    ("138😊0013😊8000", "138****8000", 1),
    ("１３８＊００１３＊８０００", "138****8000", 1),
    ("我的电话是138<br />0013<br />8000 麻烦回电", "我的电话是138****8000 麻烦回电", 1),
    ("138&nbsp;0013&nbsp;8000", "138****8000", 1),
    ("电话 138 @星河通信客服 0013 8000 快回电", "电话 138****8000 快回电", 1),
    ("我QQ是一二三四五六七八九", "我QQ是****六七八九", 1),
    ("座机号码是六二三四五六七八", "座机号码是****五六七八", 1),
    ("邮箱 zhang san 艾特 qq 点 com", "邮箱 z***@qq 点 com", 1),
    ("zhang@bank-of-x。com", "z***@bank-of-x。com", 1),
    # a mask's kept last four digits and a timestamp after them (a recording named by the caller) read as a card
    ("录音13800138000_20260803091522.wav", "录音138********1522.wav", 2),
    # Round 24: a WeChat id of letters only, after a label that says an id follows (round 23's review).
    ("微信号：zhangsanfeng", "微信号：z****", 1),
    ("加我微信 HappyDay 聊", "加我微信 H**** 聊", 1),
    ("我的vx是xiaomeimei", "我的vx是x****", 1),
    ("wang AT gmail DOT com", "w***@gmail DOT com", 1),
    ("手机138加1234加5678", "手机138****5678", 1),
    ("138 转 1234 转 5678", "138****5678", 1),
    # Round 25: look-alike letters for a mobile's digits, as posts write one past a filter.
    ("加我l3812345678", "加我138****5678", 1),
    ("电话 I38 0013 8000 找我", "电话 138****8000 找我", 1),
    ("vx同号138OO138OOO", "vx同号138****8000", 1),
    ("ｌ３８１２３４５６７８", "138****5678", 1),
    # ... anywhere in the number, in the groups digits may take, and glued to a word after it (a breaker's list)
    ("电话l38OOl38OOO", "电话138****8000", 1),
    ("138 I234 I678", "138****1678", 1),
    ("l38，0013，8000", "138****8000", 1),
    ("(l38)0013-8000", "(138****8000", 1),
    ("l-3-8-0-0-1-3-8-0-0-0", "138****8000", 1),
    ("+86l3812345678", "138****5678", 1),
    ("l3812345678qq同号", "138****5678qq同号", 1),
]


@pytest.mark.parametrize(("text", "expected", "count"), FORMATS)
def test_masks_every_format(text: str, expected: str, count: int) -> None:
    masked, masks = mask_pii(text)
    assert masked == expected
    assert masks == count
    assert not UNMASKED.search(masked)
    assert mask_pii(masked) == (masked, 0)  # masks are never themselves taken for numbers


@pytest.mark.parametrize(("text", "expected", "count"), FORMATS)
def test_normalisation_reveals_nothing(text: str, expected: str, count: int) -> None:
    """What sentiment scoring sees (full-width folded, fillers dropped) holds no clear number."""
    shown = normalize(mask_pii(text)[0], asr=True).text
    assert mask_pii(shown)[1] == 0 and not UNMASKED.search(shown)


ORDINARY = ["订单号2026080112金额1380元", "工号 8848 的客服", "等了 120 分钟", "套餐 58 元 10GB", "2026-08-01 10:23:45",
            "订单 XH2026080112 还没发货", "退款 1,380.00 元", "2026.08.01 到货", "快递单号 SF1234567890123",
            "满意度 5 分，推荐度 10 分", "三四天了", "工单 CL2026080100000002 已关闭",
            # lists of amounts, years and hotlines are no phone, however many digits they add up to
            "价格分别是1380、2599、3999元", "年营收13,800,000,000元", "2019、2020、2021年连续三年购买",
            "打了12315、12345、110都没用", "95588、95533、95599都打过", "保费 13800, 23800, 33800",
            # labels without a number after them
            "电话打了 3 次都没人接", "客服电话 400-820-8820", "QQ音乐会员 15 元一个月", "微信支付 88 元", "车牌识别坏了",
            # shapes of ids and order numbers, which the audit scans in every column: a letter and nine
            # digits, 852 or 02-08 before the digits, a leading 0 before a mobile's shape
            "单号 A123456789", "编号85291234567", "流水 0312345678", "会员号 013800000001",
            "SV-20261129-000123", "CALL-20261129-0001", "TEL-20261129-0001", "Q2026-11-29-0001",
            # prices, years and products after a label word, and words that are no handle
            "手机预算 3000-4000", "手机价格：2999/3999", "Intel 2023-2024 款", "hotel 2808 2809", "新RTX4090显卡",
            "新AX3000路由器", "微信 Android 版", "微信(WeChat)", "I bought it at JD.com", "VIP@qq音乐",
            "QQ空间访问量 12345", "活动时间 2026/11/01-2026/11/11", "2021/2022/2023/2024 连续四年",
            # a mobile's 3-4-4 groups only when no unit says they are amounts or counts; at in English
            "139元、1299元、2399元", "第139期、1299次、2399个", "he lives at 126 Main St",
            # symbols, pictographs and spoken words near numbers that are none
            "❤❤❤ 好评 5 星", "价格 138|199|299", "第①②③条都没做到", "我在艾特你呢", "打电话问了三次", "电话是一二三",
            "QQ会员一共三十元", "m²单价 13800 元", "@客服小王 138 元的套餐", "QQ 群 12 个人",
            # the app's name before a word, and a name too short to be an id
            "微信 Android 版更新后", "用微信 iPhone 版付的", "微信：Tom 发给你了", "微信号是多少",
            "套餐138加1299加2399元", "价格138加运费12元"]
_TO_FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


@pytest.mark.parametrize("pattern", ALL_PATTERNS, ids=lambda p: p.name)
def test_each_pattern_masks_its_example(pattern) -> None:
    for example in (pattern.example, pattern.example.translate(_TO_FULLWIDTH)):
        masked, masks = mask_pii(f"客户说{example}，请核实")
        assert masks == 1 and example not in masked and masked.startswith("客户说")


def _python_finds(pattern, text: str) -> bool:
    return any(not (pattern.name == "spoken_digits" and re.fullmatch(PLAIN_NUMBER, m.group()))
               for m in re.finditer(pattern.python_regex, fold(text)))


@pytest.mark.parametrize("pattern", ALL_PATTERNS, ids=lambda p: p.name)
def test_duckdb_finds_on_stored_text_what_python_finds_on_folded_text(pattern) -> None:
    """The audit's SQL (widened, unfolded) and masking's Python (folded) agree, in either width."""
    texts = [text for text, _, _ in FORMATS] + [p.example for p in ALL_PATTERNS] + ORDINARY
    texts += [text.translate(_TO_FULLWIDTH) for text in texts] + [mask_pii(text)[0] for text in texts]
    if pattern.name == "spoken_digits":
        sql = (f"SELECT len(list_filter(regexp_extract_all(?, ?), lambda m: NOT regexp_full_match(m, "
               f"'{widen(PLAIN_NUMBER)}'))) > 0")
    else:
        sql = "SELECT regexp_matches(?, ?)"
    with duckdb.connect() as conn:
        sql_finds = {text: conn.execute(sql, [text, pattern.sql_regex]).fetchone()[0] for text in texts}
    assert sql_finds == {text: _python_finds(pattern, text) for text in texts}
    assert any(sql_finds.values())


@pytest.mark.parametrize("text", ORDINARY)
def test_leaves_ordinary_numbers_alone(text: str) -> None:
    assert mask_pii(text) == (text, 0)


def test_number_inside_longer_digit_run_is_not_a_mobile() -> None:
    masked, masks = mask_pii("流水号 913812345678000")
    assert masks == 0 and masked == "流水号 913812345678000"


@pytest.mark.parametrize(("text", "expected"), [
    ("卡号六二二二 嗯 零二一二 三四五六 七八九零", "卡号****七八九零"),
    ("我的 手机 1 3 8 1 2 3 4 5 6 7 8", "我的 手机 138****5678"),  # a mobile spelt digit by digit
    ("号码是幺三八 然后 一二三四 对 五六七八", "号码是****五六七八"),
])
def test_spoken_and_scattered_numbers_from_asr(text: str, expected: str) -> None:
    masked, masks = mask_pii(text)
    assert masked == expected and masks == 1


def test_plain_words_with_numerals_are_not_numbers() -> None:
    text = "一个一个地说 三四天了 第一二三次"
    assert mask_pii(text) == (text, 0)


def test_empty_text() -> None:
    assert mask_pii("") == ("", 0)


def test_a_number_split_over_two_customer_turns_is_masked_in_both() -> None:
    turns = [("agent", "请问您的手机号"), ("customer", "我手机是幺三八一二三四"), ("agent", "嗯您说"),
             ("customer", "五六七八 谢谢"), ("agent", "好的已记录")]
    masked = mask_turns(turns)
    assert masked == [("请问您的手机号", 0), ("我手机是****", 1), ("嗯您说", 0), ("**** 谢谢", 1), ("好的已记录", 0)]
    joined = " ".join(text for (speaker, _), (text, _) in zip(turns, masked) if speaker == "customer")
    assert mask_pii(joined)[1] == 0 and not UNMASKED.search(joined)


def test_a_number_the_agent_reads_back_is_masked_in_both_speakers_turns() -> None:
    turns = [("customer", "幺三九 零零幺三"), ("agent", "九零零零 对吧"), ("customer", "对的")]
    assert mask_turns(turns) == [("****", 1), ("**** 对吧", 1), ("对的", 0)]


def test_split_ascii_mobile_and_a_turn_masked_alone_too() -> None:
    masked = mask_turns([("customer", "号码 138 1234"), ("customer", "5678"), ("customer", "卡号6222021234567890123")])
    assert masked == [("号码 ****", 1), ("****", 1), ("卡号****0123", 1)]


@pytest.mark.parametrize("turns", [
    [("customer", "幺三九 四七二六"), ("customer", "额 五八幺零")],  # 额: ASR's 呃
    [("customer", "座机零七五五"), ("customer", "杠 二六五八幺幺零四")],  # a landline read with 杠
])
def test_a_number_split_over_turns_by_a_filler_or_a_spoken_dash_is_masked(turns: list[tuple[str, str]]) -> None:
    joined = " ".join(text for text, _ in mask_turns(turns))
    assert all(masks == 1 for _, masks in mask_turns(turns))
    assert mask_pii(joined)[1] == 0 and "二六五八" not in joined and "四七二六" not in joined


def test_an_identifier_of_letters_keeps_them_in_its_pseudonym() -> None:
    """A Hong Kong ID is its letters and digits: two that share their digits are two people."""
    from pipelines.ingest.masking import pseudonymise

    key = b"k" * 32
    assert pseudonymise("K123456(3)", key)[1]
    assert pseudonymise("K123456(3)", key)[0] != pseudonymise("A123456(3)", key)[0]


def test_numbers_in_separate_turns_are_not_joined_into_one() -> None:
    turns = [("customer", "等了 120"), ("customer", "分钟 工号 8848")]
    assert mask_turns(turns) == [("等了 120", 0), ("分钟 工号 8848", 0)]


def test_an_identifier_that_is_a_personal_number_becomes_a_stable_pseudonym() -> None:
    from pipelines.ingest.masking import pseudonymise

    key, other_key = b"k" * 32, b"o" * 32
    token, replaced = pseudonymise("13800138000", key)
    assert replaced and token.startswith("PII-") and len(token) == 20
    assert mask_pii(token) == (token, 0)  # a pseudonym never looks like a number itself
    for same in ("138-0013-8000", "+86 138 0013 8000", "１３８００１３８０００"):
        assert pseudonymise(same, key)[0] == token, same
    assert pseudonymise("13800138001", key)[0] != token
    assert pseudonymise("13800138000", other_key)[0] != token  # keyed: the key is the installation's secret
    assert pseudonymise("Wang@163.com", key)[0] == pseudonymise("wang@163.com", key)[0]
    for ordinary in ("C000123", "CL2026080100000002", "", None):
        assert pseudonymise(ordinary, key) == (ordinary, False)


def test_an_ids_short_road_gives_the_answer_masking_gives() -> None:
    """``pseudonymise`` judges letter-and-digit tokens without the full match; on random tokens and on ids
    that hold a personal number, its answer is always ``mask_pii``'s."""
    import random

    from pipelines.ingest.masking import _has_personal_shape

    rng = random.Random(5)
    alphabet = "0123456789" * 4 + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    tokens = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 22))) for _ in range(5000)]
    tokens += [f"{prefix}{number}" for prefix in ("", "SV", "JDVA", "vx", "A", "0", "86")
               for number in (13812345678, 2026112912345678, 440306198511123412, 85291234567, 912345678)]
    assert [t for t in tokens if _has_personal_shape(t) != (mask_pii(t)[1] > 0)] == []
    assert sum(_has_personal_shape(t) for t in tokens) > 20


def test_what_normalisation_reveals_is_masked_before_any_model_or_table_sees_it() -> None:
    """Markup that masking cannot read through (a link between a number's groups) is stripped by
    normalisation; the nightly masks its output again (``normalized_text``)."""
    from pipelines.nlp.scoring import normalized_text

    raw = '电话138<a href="https://weibo.cn/n/x">0013</a>8000 快回电'
    assert mask_pii(raw)[1] == 0
    assert normalized_text(raw) == "电话138****8000 快回电"


@pytest.mark.parametrize(("text", "masked"), [
    # A security review's forms (round 23), each reaching the dashboards in clear before:
    ("我手机1-3-9-0-0-1-3-8-0-0-1一直打不通", "我手机139****8001一直打不通"),
    ("回电请拨 1.3.7.2.2.3.3.4.4.5.5", "回电请拨 137****4455"),
    ("电话打 138-12-34-56-78 找我", "电话打 138****5678 找我"),
    ("13-812-345-678 打我", "138****5678 打我"),
    ("客服说加wx：zhangwei1990 再联系", "客服说加wx：z**** 再联系"),
    ("wx号zhangwei_88", "wx号z****"),
    ("你加我wx zhangsan_88", "你加我wx z****"),
    ("有事Q我：864721953", "有事Q我：****1953"),
    ("我QQ是Q 864721953", "我QQ是Q ****1953"),
    ("扣扣号 864 721 953 加我", "扣扣号 ****1953 加我"),
    ("发票发我邮箱 lisi(AT)163.com", "发票发我邮箱 l***@163.com"),
    ("发票发到 王小明@163.com 吧", "发票发到 王***@163.com 吧"),
    ("作者 wxid_k2j3h4g5f6", "作者 w****"),
    ("客户编号 4.40306198511123E+17 有误", "客户编号 **** 有误"),  # an ID card in Excel's notation
])
def test_disguised_contact_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_pii(text)[0] == masked


@pytest.mark.parametrize("text", ["Q1 2026 销量 12345 台", "订单Q20261129001", "IP 是 192.168.1.10", "FAQ 12345",
                                  "2026-11-29 13:45 到货", "第 1-3 章", "V1.2.3.4", "1.5 倍 2.3 倍",
                                  "价格 1.38e+05 元", "i3-8100 处理器", "SKU l38123456789",
                                  "I3 8100 和 I5 9400", "编号 Ol3812345678",
                                  "数量|35 1000 2000", "|38 1234 5678| 三列", "WiFi密码 l38OO138", "I3-13100F"])
def test_regrouped_and_lettered_numbers_that_are_no_contact_stay(text: str) -> None:
    assert mask_pii(text) == (text, 0)


def test_a_quarantine_reason_and_a_cut_off_json_line_hide_no_number_in_escapes() -> None:
    """``repr`` in a reason writes a zero-width space or a line break as an escape, and a JSON line that does
    not parse keeps its \\u escapes: both broke a number apart for the patterns (round 23's review)."""
    assert mask_message("channel: bad value (got " + repr("138\u200b0013\u200b8002") + ")") == \
        "channel: bad value (got '138****8002')"
    assert mask_message("unparseable timestamp " + repr("电话\t136\t1234\t5678")) == \
        "unparseable timestamp '电话 136****5678'"
    assert mask_message("nps: out of range (got '9')") == "nps: out of range (got '9')"
    cut = '{"text": "\\u5e7a\\u4e09\\u4e5d\\u96f6\\u96f6\\u5e7a\\u4e09\\u516b\\u96f6\\u96f6\\u56db", "mail": "wangwu\\u0040qq.com'
    masked = mask_raw_record(cut)
    assert "\\u5e7a" not in masked and masked.endswith('"mail": "w***@qq.com') and "八零零四" in masked
