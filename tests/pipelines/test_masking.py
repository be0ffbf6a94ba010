import re

import pytest

from pipelines.ingest.masking import mask_pii

# Shapes of unmasked PII; used here and by the raw-table scan in test_loader.
UNMASKED = re.compile(
    r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dXx]|(?<!\d)\d{16,19}(?!\d)|\d{4} \d{4} \d{4} \d{4}"
    r"|[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|[0-9零〇一幺二两三四五六七八九](?:\s*(?:(?:嗯|呃|啊|那个|就是)\s*)?[0-9零〇一幺二两三四五六七八九]){10,}"
)


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("我的手机13812345678请回电", "我的手机138****5678请回电", 1),
        ("联系电话 +86 139-2345-6789", "联系电话 139****6789", 1),
        ("电话：１８６１２３４５６７８", "电话：186****5678", 1),
        ("身份证号码44030619851112341X已提交", "身份证号码440***********341X已提交", 1),
        ("卡号6222021234567890123扣款两次", "卡号****0123扣款两次", 1),
        ("尾号 6217 0000 1111 2222 的卡", "尾号 ****2222 的卡", 1),
        ("邮箱 wang.xiaoming@163.com 收不到账单", "邮箱 w***@163.com 收不到账单", 1),
        ("手机13712345678 邮箱a@b.cn", "手机137****5678 邮箱a***@b.cn", 2),
    ],
)
def test_masks_real_looking_numbers(text: str, expected: str, count: int) -> None:
    masked, masks = mask_pii(text)
    assert masked == expected
    assert masks == count
    assert not UNMASKED.search(masked)


@pytest.mark.parametrize(
    "text",
    ["订单号2026080112金额1380元", "工号 8848 的客服", "等了 120 分钟", "套餐 58 元 10GB", "2026-08-01 10:23:45"],
)
def test_leaves_ordinary_numbers_alone(text: str) -> None:
    assert mask_pii(text) == (text, 0)


def test_number_inside_longer_digit_run_is_not_a_mobile() -> None:
    masked, masks = mask_pii("流水号 913812345678000")
    assert masks == 0 and masked == "流水号 913812345678000"


@pytest.mark.parametrize(("text", "expected"), [
    ("嗯 我手机号是幺三八幺二三四五六七八", "嗯 我手机号是****五六七八"),
    ("卡号六二二二 嗯 零二一二 三四五六 七八九零", "卡号****七八九零"),
    ("我的 手机 1 3 8 1 2 3 4 5 6 7 8", "我的 手机 ****5678"),
])
def test_spoken_and_scattered_numbers_from_asr(text: str, expected: str) -> None:
    masked, masks = mask_pii(text)
    assert masked == expected and masks == 1


def test_plain_words_with_numerals_are_not_numbers() -> None:
    text = "一个一个地说 三四天了 第一二三次"
    assert mask_pii(text) == (text, 0)


def test_empty_text() -> None:
    assert mask_pii("") == ("", 0)
