import pytest

from sentiment.escalation import detect_escalation


@pytest.mark.parametrize(("text", "channel"), [
    ("再不解决我就去12315投诉", "consumer_body"),
    ("嗯 那个 我已经打了 幺二三幺五 了", "consumer_body"),
    ("已經向消費者協會投訴了", "consumer_body"),
    ("已经打了工信部的投诉电话", "regulator"),
    ("我会向金融监管部门反映", "regulator"),
    ("我要找媒体曝光你们！", "media"),
    ("这事我要让它上热搜", "media"),
    ("我会请律师发律师函", "legal"),
    ("准备去法院起诉你们", "legal"),
    ("不会去投诉，不过我已经找了记者", "media"),
])
def test_threats_and_reports_are_flagged_with_evidence(text: str, channel: str) -> None:
    result = detect_escalation(text)
    assert result.risk and result.channel == channel
    assert result.evidence and result.evidence in detect_escalation.__globals__["normalize"](text).text


@pytest.mark.parametrize("text", [
    "我不会去12315投诉的，但希望改进",
    "暂时不打算找媒体",
    "我也不想去消协，希望你们重视",
    "没打算起诉，只想退款",
    "快递太慢了，非常不满意",
    "",
    None,
])
def test_negated_or_absent_threats_are_not_flagged(text: str | None) -> None:
    result = detect_escalation(text)
    assert not result.risk and result.evidence is None
