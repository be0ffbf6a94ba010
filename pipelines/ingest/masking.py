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


def mask_pii(text: str) -> tuple[str, int]:
    """Return the text with mobiles, ID cards, bank cards and e-mails masked, and the mask count."""
    if not text:
        return text, 0
    if not text.isascii():
        text = text.translate(_FULLWIDTH_DIGITS)
    return _PATTERN.subn(_replace, text)
