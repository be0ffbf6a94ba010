"""PII masking applied to every free-text field before anything downstream sees it.

Masks keep just enough to stay useful to a service agent (a mobile's prefix and last four
digits, a card's last four) and never the full number. Full-width digits ("１３８…") are
folded to ASCII first so they cannot slip past the patterns. Bank cards are masked on shape (16-19 digits, optionally grouped
in fours) without a Luhn check: over-masking an order number is cheaper than leaking a card.
"""

from __future__ import annotations

import re

_PATTERN = re.compile(
    r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
    r"|(?P<idcard>(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx]))"
    r"|(?P<bankcard>(?<!\d)\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?!\d))"
    r"|(?P<mobile>(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d))"
)
# ASR speaks numbers ("幺三八…") and scatters fillers between digit groups; a run of eleven or more
# digits in any script, spaces and fillers allowed, is masked too, unless it is one plain ASCII
# number (an order or serial number, which the patterns above already judged).
_DIGIT = "0-9零〇一幺二两三四五六七八九"
_SPOKEN_RUN = re.compile(rf"[{_DIGIT}](?:\s*(?:(?:嗯|呃|啊|那个|就是)\s*)?[{_DIGIT}]){{10,}}")
_PLAIN_NUMBER = re.compile(r"\d+")
_DIGITS_ONLY = re.compile(r"\D")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group()
    if kind == "email":
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = _DIGITS_ONLY.sub("", text)
    if kind == "idcard":
        return f"{text[:3]}***********{text[-4:]}"
    if kind == "bankcard":
        return f"****{digits[-4:]}"
    return f"{digits[-11:-8]}****{digits[-4:]}"


def _replace_spoken(match: re.Match[str]) -> str:
    text = match.group()
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    digits = re.sub(rf"[^{_DIGIT}]", "", text)
    return f"****{digits[-4:]}"


def mask_pii(text: str) -> tuple[str, int]:
    """Return the text with mobiles, ID cards, bank cards, e-mails and spoken number runs masked,
    and the number of masks applied."""
    if not text:
        return text, 0
    if not text.isascii():
        text = text.translate(_FULLWIDTH_DIGITS)
    text, masks = _PATTERN.subn(_replace, text)
    if len(text) >= 11 and not text.isascii():
        spoken = 0

        def counted(match: re.Match[str]) -> str:
            nonlocal spoken
            replaced = _replace_spoken(match)
            spoken += replaced != match.group()
            return replaced

        text = _SPOKEN_RUN.sub(counted, text)
        masks += spoken
    return text, masks
