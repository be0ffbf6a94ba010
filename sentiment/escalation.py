"""Complaint level 3: texts that threaten or report going to a third party.

Patterns cover consumer bodies (12315, also as ASR speaks it: 幺二三幺五; 消费者协会/消协), regulators (银保监, 金融监管, 工信部,
市场监管, 通信管理局), the media (曝光, 记者, 媒体, 电视台, 上热搜) and the law (律师函, 起诉,
法院, 仲裁). A match preceded closely by a negation (不会, 不想, 没打算, 暂时不…) in the same
clause is not a threat: "不会去投诉" is a customer staying inside. The evidence is the clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sentiment.normalize import normalize

THIRD_PARTIES = {
    "consumer_body": r"12315|幺二三幺五|一二三一五|消费者协会|消协|消保委",
    "regulator": r"银保监|金融监管|工信部|市场监管|通信管理局|监管部门|监管局|人民银行|银监会|证监会",
    "media": r"曝光|记者|媒体|电视台|报社|上热搜|发到网上|网上曝|微博曝",
    "legal": r"律师函|律师|起诉|法院|仲裁|打官司|诉讼",
}
_THREAT = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in THIRD_PARTIES.items()))
_NEGATION = re.compile(r"(不会|不想|不打算|没打算|暂时不|并不|没有要|不至于|不用|别|不必|无需)[^，。！？,.!?；;]{0,8}$")
_CLAUSE_END = re.compile(r"[，。！？,.!?；;\n]")


@dataclass(frozen=True)
class Escalation:
    risk: bool
    channel: str | None
    evidence: str | None


def _clause(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = _CLAUSE_END.search(text, end)
    return text[left:right.start() if right else len(text)].strip()


def detect_escalation(text: str | None) -> Escalation:
    """Flag a third-party threat or report, with the clause that shows it."""
    normalised = normalize(text).text
    for match in _THREAT.finditer(normalised):
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(normalised, 0, match.start())), default=0)
        if _NEGATION.search(normalised[clause_start:match.start()]):
            continue
        return Escalation(True, match.lastgroup, _clause(normalised, match.start(), match.end()))
    return Escalation(False, None, None)
