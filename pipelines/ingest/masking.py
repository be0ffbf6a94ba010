"""The PII detector: named patterns in one table, used to mask every free text before loading
and, compiled for DuckDB, to audit every text column afterwards (``pipelines.pii_audit``).

Each pattern is written once, as a core regex that Python's ``re`` and DuckDB's RE2 read alike
(``[0-9]``, never ``\\d`` or ``\\s``, which differ between the two; no look-arounds, which RE2 lacks).
Digit boundaries are stated as character classes: Python turns them into look-arounds, SQL into
``(^|[^...])`` guards. For SQL, ``widen`` also lets each ASCII character match its full-width
form, so the audit finds on stored text what masking finds on folded text (DuckDB's ``translate``
is too slow to fold every value).

Matching runs on the text with full-width forms folded to ASCII (``１３８``, ``＠``, ``．``), the
fold ``sentiment.normalize`` applies before scoring, and with the digits posts dress up (``❶``, ``𝟏``, ``⓿``)
folded to ASCII digits; what normalisation removes besides (markup, mentions, fillers) could join a
number's groups, so the nightly masks its output again. The fold maps one character to one, so a
match's span in the folded text is its span in the original, and only the matched characters are
replaced: the rest of the text keeps its original (full-width) punctuation.

Kinds (``PATTERNS``, then spoken digits): e-mail (also disguised: ``(at)``, 艾特, 点com, `` at … dot com``); mainland ID
numbers (18 and 15 digits); bank cards; mobiles and landlines of the mainland, Hong Kong, Macau
and Taiwan, with or without the country code (+86, 0086, the bare 86 of E.164 exports); numbers a
label marks as a phone (電話：9123 4567, 座机 6552 3301: local numbers look like any 7-8 digits
otherwise), a QQ number, a WeChat id, a Taiwan ID, a passport or travel permit or a number plate
(or a plate with its middle dot, 粤B·D12345); Hong Kong and Macau ID numbers. A label's value follows
spaces or punctuation only. The audit scans every text column with these patterns, ids included, so a
shape that ids and order numbers also take (a letter and nine digits, an 11-digit number starting 852,
a leading 0) counts only with its label or its separators; an id that still has a personal number's
shape is stored as its pseudonym (``pseudonymise``, ``sources``). Digit groups may be split by spaces
(also no-break and zero-width ones), line breaks, dots, dashes, underscores or middle dots; a mainland
mobile's three groups also by other punctuation, brackets or joining words (138，然后1234，最后5678).

Masks keep just enough to stay useful to a service agent (a mobile's prefix and last four digits,
a card's last four) and never the whole number. Cards are masked on shape (16-19 digits) without
a Luhn check: over-masking an order number is cheaper than leaking a card. Known gaps, by design:
but for a mainland mobile, a number split by HTML (``<br />``, ``&nbsp;``; the nightly masks normalised text again,
``pipelines.nlp.scoring.normalized_text``) or by slashes, an unlabelled local number (8 digits
are an amount as often as a phone), a card glued to Latin letters (VISA4392…, like a system's id), an
American Express number (15 digits, rare here), the 0 once dialled before an out-of-town mobile.

Why not ``phonenumbers``' ``PhoneNumberMatcher``: measured on these formats (version 9.0.43), with
region CN and leniency VALID it takes bare 10-digit order numbers (``订单号2026080112``) for
landlines and needs region TW to see ``0912-345-678``; it cannot see numbers spoken by ASR nor run
inside DuckDB for the audit. Phones therefore stay in this table, beside ID, card and e-mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import orjson

from sentiment.normalize import ASR_FILLERS, FULLWIDTH_TO_ASCII

_DIGITS_ONLY = re.compile(r"[^0-9]")


def _keep_prefix_and_last4(text: str) -> str:
    digits = _DIGITS_ONLY.sub("", text)
    return f"{digits[-11:-8]}****{digits[-4:]}"


_LOOK_ALIKE_DIGITS = str.maketrans("lIOo", "1100")


def _lettered_mobile(text: str) -> str:
    """A mobile written with look-alike letters (l38OOl38OOO), masked as its digits: 138****8000."""
    return _keep_prefix_and_last4(text.translate(_LOOK_ALIKE_DIGITS))


def _keep_last4(text: str) -> str:
    return f"****{_DIGITS_ONLY.sub('', text)[-4:]}"


def _id_card(text: str) -> str:
    body = re.sub(r"[^0-9Xx]", "", text)
    return f"{body[:3]}{'*' * (len(body) - 7)}{body[-4:]}"


def _email(text: str) -> str:
    """The first character of the address and its domain (w***@163.com); a disguised at (wang(at)163点com)
    is written as @."""
    at = re.search(_ANY_AT, text)
    return f"{text[:1]}***@{text[at.end():]}" if at else "****"


_FULLWIDTH_OF = {ascii_: wide for wide, ascii_ in FULLWIDTH_TO_ASCII.items()}


def _digit_variants() -> dict[int, int]:
    """Code point → ASCII digit for the digits posts write to slip a number past filters: circled,
    parenthesised, dotted, dingbat, superscript and subscript digits (❶③⓿⑻⒈¹₂, Unicode category No
    with a digit value), mathematical ones (𝟏𝟑𝟖, U+1D7CE-1D7FF) and segmented ones (U+1FBF0-1FBF9).
    Other scripts' digits (Arabic, Devanagari) are left out: nobody writes a Chinese phone with them."""
    variants = {}
    for code in [*range(0x00A0, 0x2800), *range(0x1D7CE, 0x1D800), *range(0x1F100, 0x1F10B), *range(0x1FBF0, 0x1FBFA)]:
        char = chr(code)
        value = unicodedata.digit(char, None)
        if value is not None and (unicodedata.category(char) == "No" or code >= 0x1D7CE):
            variants[code] = ord("0") + value
    return variants


# One character for one, so a match's span in the folded text is its span in the original.
_FOLD = FULLWIDTH_TO_ASCII | _digit_variants()
_DIGIT_VARIANTS_OF: dict[int, list[int]] = {}
for _variant, _digit in _FOLD.items():
    if ord("0") <= _digit <= ord("9") and _variant not in FULLWIDTH_TO_ASCII:
        _DIGIT_VARIANTS_OF.setdefault(_digit, []).append(_variant)


def _merged(codes: list[int]) -> list[tuple[int, int]]:
    """Sorted code points as inclusive ranges of consecutive ones."""
    ranges: list[tuple[int, int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges
_CLASS_SPECIAL = set("\\]^-[")


def _class_char(code: int) -> str:
    char = chr(code)
    return f"\\{char}" if char in _CLASS_SPECIAL else char


def _widen_class(items: list[tuple[int, int]], negated: bool) -> str:
    """A character class holding ``items`` (inclusive code point ranges) and their full-width forms."""
    ranges = list(items)
    variants: list[int] = []
    for low, high in items:
        if low in _FULLWIDTH_OF and high in _FULLWIDTH_OF and high - low == _FULLWIDTH_OF[high] - _FULLWIDTH_OF[low]:
            ranges.append((_FULLWIDTH_OF[low], _FULLWIDTH_OF[high]))
        for digit in range(max(low, ord("0")), min(high, ord("9")) + 1):
            variants += _DIGIT_VARIANTS_OF.get(digit, [])
    ranges += _merged(variants)
    body = "".join(_class_char(low) if low == high else f"{_class_char(low)}-{_class_char(high)}"
                   for low, high in ranges)
    return f"[{'^' if negated else ''}{body}]"


def widen(regex: str) -> str:
    """Rewrite a regex of this module so that, run on a text, it matches where the original matches
    the folded text: each ASCII literal or class member also accepts its full-width form.

    Understands what the cores use: classes with ranges and escaped members, escaped literals
    (``\\+``), groups ``(?:``, alternation, quantifiers ``? * + {m,n}`` and anchors.
    """
    out: list[str] = []
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "[":
            i += 1
            negated = regex[i] == "^"
            i += negated
            items: list[tuple[int, int]] = []
            while regex[i] != "]":
                low = regex[i + 1] if regex[i] == "\\" else regex[i]
                i += 2 if regex[i] == "\\" else 1
                if regex[i] == "-" and regex[i + 1] != "]":
                    high = regex[i + 2] if regex[i + 1] == "\\" else regex[i + 1]
                    i += 3 if regex[i + 1] == "\\" else 2
                    items.append((ord(low), ord(high)))
                else:
                    items.append((ord(low), ord(low)))
            out.append(_widen_class(items, negated))
            i += 1
        elif char == "\\":
            literal = ord(regex[i + 1])
            out.append(_widen_class([(literal, literal)], False))
            i += 2
        elif char == "{":
            end = regex.index("}", i)
            out.append(regex[i:end + 1])
            i = end + 1
        elif char == "(" and regex.startswith("(?:", i):
            out.append("(?:")
            i += 3
        elif char in "()|?*+^$":
            out.append(char)
            i += 1
        else:
            code = ord(char)
            out.append(_widen_class([(code, code)], False) if code in _FULLWIDTH_OF or code in _DIGIT_VARIANTS_OF
                       else char)
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class PiiPattern:
    """One kind of personal data.

    ``core`` is RE2-compatible; ``left``/``right`` are character-class bodies that may not touch
    the match (empty: no guard). ``example`` is a clear value of this kind, used by the tests
    and the audit's own tests; ``mask`` turns a matched (folded) text into its masked form.
    ``label`` (a regex), when set, must come before the value, with at most six characters that are
    no letter or digit between (QQ：864721953, 電話 是 9123 4567): only a label tells such values
    from codes and amounts. The label stays as written; only the value is masked.
    ``needs`` is a regex that every folded text holding a value of this kind matches (by default
    three digits in a row): a cheap test that spares the full pattern on most texts. ``starts`` is a
    character-class body of the characters a match can begin with (by default a digit, ``(`` or ``+``;
    empty: not stated): patterns that all state it are searched only from those characters.
    """

    name: str
    core: str
    mask: Callable[[str], str]
    example: str
    left: str = "0-9"
    right: str = "0-9"
    label: str = ""
    needs: str = "[0-9]{3}"
    starts: str = "0-9(+"

    @property
    def _labelled_core(self) -> str:
        return f"{self.label}{_LABEL_GAP}(?:{self.core})" if self.label else self.core

    @property
    def python_regex(self) -> str:
        left = f"(?<![{self.left}])" if self.left else ""
        right = f"(?![{self.right}])" if self.right else ""
        return f"{left}(?:{self._labelled_core}){right}"

    def masked(self, original: str, folded: str) -> str:
        """The masked form of one match, given as written and folded (same length)."""
        if not self.label:
            return self.mask(folded)
        value = re.match(f"{self.label}{_LABEL_GAP}", folded).end()
        return original[:value] + self.mask(folded[value:])

    @property
    def sql_regex(self) -> str:
        """The same pattern for DuckDB's ``regexp_matches`` on the unfolded text: guards consume
        their character, and every ASCII character also matches its full-width form."""
        left = f"(?:^|[^{self.left}])" if self.left else ""
        right = f"(?:[^{self.right}]|$)" if self.right else ""
        return widen(f"{left}(?:{self._labelled_core}){right}")


# The separator between digit groups, as exports, forms and social posts write them: up to three of
# spaces (also no-break and zero-width ones, which posts use to slip past filters), line breaks, dots,
# dashes, underscores and middle dots (138.1234.5678, 139 - 4726 - 5810, 139\r\n4726); not slashes,
# which list prices and years (2021/2022/2023/2024).
# Characters, not escapes: ``widen`` reads the cores character by character.
_SEP_CHARS = " \t\r\n\u00a0\u200b\u200c\u200d\u2060\ufeff.\\-_·—"
_SEP = f"[{_SEP_CHARS}]{{0,3}}"
# Between the three groups of a mobile written with more than separators: the separators above, other
# punctuation, brackets and symbols (full-width ones are folded to these first: 138＊0013＊8000, 138|0013|8000),
# pictographs and dingbats with their variation selector (138❤0013❤8000, 138😊0013😊8000; not the digit-shaped
# ones, which ``fold`` reads as digits), the words that join spoken groups (然后, 再, 最后), an HTML line break
# or no-break space as a post's markup writes them (138<br />0013, 138&nbsp;0013) and an @mention
# (138 @某某客服 0013 8000, which normalisation removes): at most six in a row.
_PICTOGRAPHS = "\u2190-\u245f\u2500-\u2775\u2794-\u2bff\U0001f000-\U0001f0ff\U0001f10b-\U0001faff\ufe0f"
_ONE_MARK = "[ .\\-_·—]?"  # at most one space, dot, dash, underscore or middle dot
_LOOK_ALIKE = "[0-9OolI]"  # a digit, or a letter written for one (O, o for 0; l, I for 1)
_SPLIT_GAP = (f"(?:[{_SEP_CHARS},、。;:~()\\[\\]【】/|*+=#^{_PICTOGRAPHS}]|<br ?/?>|&nbsp;|&#160;"
              f"|@[A-Za-z_\u4e00-\u9fff]{{1,20}}|然后|然後|接着|接著|再|最后|最後|后面|後面|是|和|加|转|轉){{0,6}}")
# What follows an amount or a count, never a phone number.
_UNITS = "元块塊万萬千百个個件次天%"
# +86, 0086, (+86) or the bare 86 of E.164 exports (8613912345678).
_CN_PREFIX = r"(?:\(?(?:\+|00)?86\)?[ -]?)"
_DATE = "(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# Between a label and its value: spaces, punctuation or 是 (QQ：864721953, 電話 是 9123 4567), never other
# words (手机预算 3000-4000 is a price, QQ空间访问量 12345 a count).
_LABEL_GAP = "[ \t:：,，=＝是为(（]{0,4}"
# A label that says the number after it is someone's phone: HK and Macau numbers are 8 digits without
# a country code, and mainland local numbers 7-8 without an area code, so only a label tells them
# from an amount or an id (電話：9123 4567, 座机 6552 3301, WhatsApp 6612 3456).
_PHONE_LABEL = ("(?:电话|電話|座机|座機|手机|手機|联系方式|聯絡方式|联络|聯絡|联系电话|聯繫電話|致电|致電|"
                "[Ww]hats[Aa]pp|WHATSAPP|[Tt]el:|TEL:)(?:号码|號碼|号|號)?")
# QQ numbers (5-11 digits) are contact handles; only their label marks them (QQ：864721953, 加扣扣864721953).
_QQ_LABEL = "(?:QQ|qq|Qq|扣扣|企鹅号)(?:号|號|号码|號碼)?"
# A lone Q is QQ as people type it (Q:864721953, 有事Q我 864721953): set apart from its number, which follows
# unbroken, so a quarter (Q1 2026) or a code (Q20261129) is none.
_Q_LABEL = "[Qq](?:我|号|號)?[ :：=]"
# Homophones and abbreviations that dodge filters: wx, 薇信, 威信, V信, 加V.
_WECHAT_NAME = "(?:微信|薇信|威信|[Ww]e[Cc]hat|weixin|[Vv][Xx]|[Ww][Xx]|V信|v信|加[Vv])"
_WECHAT_LABEL = f"{_WECHAT_NAME}(?:号|號)?"
# A label that says an account id follows, not just the app: 微信号, vx号, 微信：, wx: , 我的微信是, 加我微信.
_WECHAT_ID_LABEL = f"(?:{_WECHAT_NAME}(?:号|號| ?[:：]|是)|加我?{_WECHAT_NAME})"
_ID_LABEL = "(?:身分證|身份證|身分证|身份证|國民身分證|统一编号|統一編號)(?:字號|字号|號碼|号码|號|号)?"
_DOCUMENT_LABEL = "(?:护照|護照|通行证|通行證|回乡证|回鄉證|台胞证|台胞證|旅行证|旅行證)(?:号码|號碼|号|號)?"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LABEL = "(?:车牌号码|车牌号|车牌|車牌|牌照|车号)"
# An e-mail as people disguise it from scrapers: at as (at), [at], 艾特, # or spaced, dot as 点, 點, 。 or
# dot; and the big Chinese mail hosts written without their .com after an address of five characters or
# more (864721953@qq; not VIP@qq音乐). A spelt-out " at " is English (bought it at JD.com).
_AT = "(?: ?(?:@|艾特) ?|\\([Aa][Tt]\\)|\\[[Aa][Tt]\\]|\\{[Aa][Tt]\\}|#)"
# Read aloud or typed to dodge filters, an address says at and dot in words (zhang san at 163 dot com, ASR's
# zhang san 艾特 qq 点 com): taken only before a mail host and a dot (bought it at JD.com names no mail host).
_SPOKEN_AT = "(?: (?:at|AT) | ?艾特 ?)"
_ANY_AT = f"{_AT}|{_SPOKEN_AT}"
_DOT = "(?:\\.|。| ?点 ?| ?點 ?| (?:dot|DOT|Dot) |\\((?:dot|DOT)\\)|\\[(?:dot|DOT)\\])"
_MAIL_HOSTS = "(?:qq|163|126|139|sina|sohu|yeah|foxmail|aliyun|gmail|hotmail|outlook|yahoo|icloud)"


# The digits of a labelled value: ASCII, or as ASR writes them spoken.
_LABELLED_DIGIT = "0-9零〇一幺二两三四五六七八九"
_NOT_LABELLED_DIGIT = re.compile(f"[^{_LABELLED_DIGIT}]")


def _labelled_last4(text: str) -> str:
    return f"****{_NOT_LABELLED_DIGIT.sub('', text)[-4:]}"


def _first_and_stars(text: str) -> str:
    return f"{text[:1]}****"


def _plate(text: str) -> str:
    return f"{text[:2]}****"


# Order matters where two could start at one place: the first that matches wins.
PATTERNS: tuple[PiiPattern, ...] = (
    PiiPattern("email", rf"(?:[A-Za-z0-9._%+-]+|[一-龥]{{2,6}}){_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}[A-Za-z]{{2,}}"
                        rf"|[A-Za-z0-9._%+-]{{5,}} ?@ ?{_MAIL_HOSTS}"
                        rf"|[A-Za-z0-9._%+-]+(?: [A-Za-z0-9._%+-]+){{0,2}}{_SPOKEN_AT}{_MAIL_HOSTS}{_DOT}(?:com|cn|net|COM|CN|NET)",
               _email, "wang.xiaoming@163.com", left="", right="", needs=_ANY_AT,
               starts="A-Za-z0-9._%+\\-一-龥"),
    # GB 11643-1999: 6-digit area, birth date yyyymmdd, 3-digit sequence, check digit or X.
    PiiPattern("id_card_18", rf"[1-9][0-9]{{5}}{_SEP}(?:18|19|20)[0-9]{{2}}{_SEP}{_DATE}{_SEP}[0-9]{{3}}[0-9Xx]",
               _id_card, "44030619851112341X", right="0-9Xx"),
    # First-generation cards (before 1999): 6-digit area, birth date yymmdd, 3-digit sequence.
    PiiPattern("id_card_15", rf"[1-9][0-9]{{5}}[0-9]{{2}}{_DATE}[0-9]{{3}}", _id_card, "110105491231002"),
    # Not glued to a Latin letter: CL2026080100000002 is a system's identifier, not a card as people write it.
    PiiPattern("bank_card", rf"[0-9]{{4}}(?:{_SEP}[0-9]{{4}}){{3}}(?:{_SEP}[0-9]{{1,3}})?", _keep_last4,
               "6222 0212 3456 7890 123", left="0-9A-Za-z"),
    PiiPattern("mobile_cn", rf"{_CN_PREFIX}?1[3-9][0-9](?:{_SEP}[0-9]{{4}}){{2}}"
                            rf"|1[3-9][0-9]{{2}}{_SEP}(?:[0-9]{{4}}{_SEP}[0-9]{{3}}|[0-9]{{3}}{_SEP}[0-9]{{4}})",
               _keep_prefix_and_last4, "138.1234.5678"),
    # A mainland mobile typed in its three groups (3-4-4) with other marks or words between them, as people
    # write it to be read back or to slip past a filter: 138，1234，5678; 138、1234、5678; (138)1234-5678;
    # 138然后1234再然后5678. Only this shape: a list of amounts (1380、2599、3999元) has other group lengths,
    # and a group before a unit (139元、1299元) is an amount.
    PiiPattern("mobile_cn_split", rf"1[3-9][0-9]{_SPLIT_GAP}[0-9]{{4}}{_SPLIT_GAP}[0-9]{{4}}", _keep_prefix_and_last4,
               "138，1234，5678", right=f"0-9{_UNITS}"),
    # A mainland mobile regrouped or spelt digit by digit, one mark between any two digits: 138-12-34-56-78,
    # 13-812-345-678, 1-3-9-0-0-1-3-8-0-0-1, 1.5.8.0.0.1.3.8.0.0.6 (how posts slip a number past a filter).
    PiiPattern("mobile_cn_regrouped", rf"1{_ONE_MARK}[3-9](?:{_ONE_MARK}[0-9]){{9}}", _keep_prefix_and_last4,
               "138-12-34-56-78", needs=f"1{_ONE_MARK}[3-9]{_ONE_MARK}[0-9]"),
    # A mainland mobile with look-alike letters for digits, as posts write one past a filter: l3812345678,
    # I38 0013 8000, 138OO138OOO, l38OOl38OOO, +86l3812345678 (l or I for 1, O or o for 0, anywhere), in the
    # groups or spellings the two patterns above accept. Never glued to a letter before it or to a digit or
    # look-alike after it, so i3-8100, SKU l38123456789 and product codes stay; a number of digits only is
    # mobile_cn's, mobile_cn_split's or mobile_cn_regrouped's, which come first and accept all this one does.
    # Not | or 丨 for 1: both separate the columns of a pasted table (数量|35 1000 2000).
    PiiPattern("mobile_cn_lettered",
               rf"{_CN_PREFIX}?[1lI][3-9]{_LOOK_ALIKE}{_SPLIT_GAP}{_LOOK_ALIKE}{{4}}{_SPLIT_GAP}{_LOOK_ALIKE}{{4}}"
               rf"|[1lI]{_ONE_MARK}[3-9](?:{_ONE_MARK}{_LOOK_ALIKE}){{9}}",
               _lettered_mobile, "l38 0013 8000", left="0-9A-Za-z", right=f"0-9OolI{_UNITS}",
               needs=f"[lI]{_ONE_MARK}[3-9]|[0-9][OolI]|[OolI][0-9]", starts="0-9(+lI"),
    # Excel's scientific notation of a long number (an ID card or bank card typed into a number cell keeps
    # its first 15 digits: 4.40306198511123E+17): area code and birth date, or a card's first digits.
    PiiPattern("excel_long_number", "[1-9]\\.[0-9]{9,14}[Ee]\\+?(?:1[5-9]|2[0-2])", lambda _: "****",
               "4.40306198511123E+17", right="0-9", needs="[0-9][Ee]"),
    # Hong Kong (+852) and Macau (+853): 8 digits; with the country code here (a bare 852 only before a
    # space or dash, so an 11-digit id is no phone), with a label below.
    PiiPattern("phone_hk_mo", rf"(?:(?:\+|00)85[23][ -]?|85[23][ -]|\(\+?85[23]\)[ -]?)[0-9]{{4}}{_SEP}[0-9]{{4}}", _keep_last4,
               "+852 9123 4567"),
    PiiPattern("mobile_tw", rf"(?:\(?(?:\+|00)?886\)?[ -]?9|09)[0-9]{{2}}{_SEP}[0-9]{{3}}{_SEP}[0-9]{{3}}", _keep_last4,
               "0912-345-678"),
    # Area code 010, 02x or 0xxx (0 dropped after +86), then a 7- or 8-digit local number.
    PiiPattern("landline_cn", rf"(?:{_CN_PREFIX}\(?0?|\(?0)(?:10|2[0-9]|[3-9][0-9]{{2}})\)?{_SEP}[0-9]{{3,4}}{_SEP}[0-9]{{4}}",
               _keep_last4, "0755-12345678"),
    # Taiwan: a one-digit area code 02-08, set apart as people write it ((02)2712-3456, 02-2712-3456,
    # +886 2 2712 3456), so a 10-digit id starting 02-08 is no phone.
    PiiPattern("landline_tw", rf"(?:\(?(?:\+|00)886\)?[ -]?\(?0?[2-8]\)?[ -]|\(0[2-8]\)[ -]?|0[2-8][ -])"
                              rf"[0-9]{{3,4}}{_SEP}[0-9]{{4}}",
               _keep_last4, "(02)2712-3456"),
    # A space or nothing inside: 3000-4000 and 2999/3999 after 手机 are prices.
    # Spoken too, as ASR writes a labelled number (座机号码是六二三四五六七八, QQ是一二三四五六七八九).
    PiiPattern("phone_labelled", f"[2-9][0-9]{{2,3}} ?[0-9]{{4}}|[二两三四五六七八九](?: ?[{_LABELLED_DIGIT}]){{6,7}}",
               _labelled_last4, "電話：9123 4567", left="A-Za-z", right=_LABELLED_DIGIT,
               label=_PHONE_LABEL, needs=_PHONE_LABEL, starts=""),
    PiiPattern("qq_number", f"[1-9](?: ?[0-9]){{4,10}}|[一幺二两三四五六七八九](?: ?[{_LABELLED_DIGIT}]){{4,10}}", _labelled_last4,
               "QQ：864721953", left="A-Za-z", right=_LABELLED_DIGIT, label=_QQ_LABEL, needs=_QQ_LABEL, starts=""),
    PiiPattern("qq_number_q", "[1-9][0-9]{4,10}", _labelled_last4, "Q:864721953", left="A-Za-z0-9",
               right="0-9", label=_Q_LABEL, needs=f"{_Q_LABEL}{_LABEL_GAP}[1-9][0-9]{{4}}", starts=""),
    # WeChat's own account id (wxid_…) is one with or without a label.
    PiiPattern("wechat_wxid", "wxid_[A-Za-z0-9]{4,}", _first_and_stars, "wxid_k2j3h4g5f6", left="A-Za-z0-9",
               right="-_A-Za-z0-9", needs="wxid_", starts="w"),
    # A WeChat id holds a digit, _ or - (wxid_…, zhangwei1990): a word after 微信 (Android, WeChat) is none.
    PiiPattern("wechat_id", "[A-Za-z][A-Za-z]*[-_0-9][-_A-Za-z0-9]*", _first_and_stars, "微信号 wxid_k2j3h4g5f6",
               left="A-Za-z",
               right="-_A-Za-z0-9", label=_WECHAT_LABEL, needs=_WECHAT_LABEL,
               starts=""),
    # An id of letters only (zhangsanfeng, happyday: WeChat ids are 6-20 characters starting with a letter)
    # after a label that says an id follows; after the bare app name it is a word (微信 Android 版).
    PiiPattern("wechat_id_letters", "[A-Za-z]{6,20}", _first_and_stars, "微信号：zhangsanfeng", left="A-Za-z",
               right="-_A-Za-z0-9", label=_WECHAT_ID_LABEL, needs=_WECHAT_LABEL, starts=""),  # wechat_id's test: no search more
    # Taiwan's national ID (a letter, 1 or 2 for the sex, eight digits), by its label: a letter and nine
    # digits is a common shape of ids and order numbers, which the audit must not take for a person's.
    PiiPattern("id_tw", "[A-Z][12][0-9]{8}", _keep_last4, "身分證字號：F224681357", left="A-Za-z", right="0-9A-Za-z",
               label=_ID_LABEL, needs=_ID_LABEL, starts=""),
    # Hong Kong's (one or two letters, six digits, the check digit in brackets) and Macau's (seven digits,
    # the check digit in brackets).
    PiiPattern("id_hk_mo", "[A-Z]{1,2}[0-9]{6} ?\\([0-9A]\\)|[1578][0-9]{6} ?\\([0-9]\\)", _keep_last4, "K123456(3)",
               left="0-9A-Za-z", starts="A-Z1578"),
    # Passports and travel permits, by their label: their numbers (E12345678, C12345678) look like codes.
    PiiPattern("travel_document", "[A-Za-z]{0,2}[0-9]{7,10}", _first_and_stars, "护照号E12345678", left="A-Za-z",
               right="0-9A-Za-z", label=_DOCUMENT_LABEL, needs=_DOCUMENT_LABEL,
               starts=""),
    # Mainland number plates (GA 36-2018): province, city letter, then five or six letters and digits; after
    # a label or written with the plate's middle dot, since 新RTX4090 and 新AX3000 are products.
    PiiPattern("licence_plate", f"[{_PROVINCES}][A-Z][ .]?[A-Z0-9]{{5,6}}", _plate, "车牌京A12345", left="A-Za-z",
               right="0-9A-Za-z", label=_PLATE_LABEL, needs=_PLATE_LABEL, starts=""),
    PiiPattern("licence_plate_dotted", f"[{_PROVINCES}][A-Z]·[A-Z0-9]{{5,6}}", _plate, "粤B·D12345", left="",
               right="0-9A-Za-z", needs=f"[{_PROVINCES}][A-Z]·", starts=_PROVINCES),
)

# ASR speaks numbers ("幺三八…") and scatters fillers and punctuation between digit groups: a run of
# eleven or more digits in any script is masked, unless it is one plain ASCII number (an order or
# serial number, which the patterns above already judged) or a list of them (1380、2599、3999元;
# 打了12315、12345、110), which no one writes a phone as. It runs after them, on their output.
# Digits: ASCII, Chinese (幺 and the 要 and 么 ASR and typists write for it), financial (壹贰叁), circled (①).
_SPOKEN_DIGIT = "0-9零〇一幺要么二两兩三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖①-⑨⓪"
# Between them: spaces, line breaks, commas and stops, the dash said as 杠, and fillers (not ASCII dashes
# or slashes, which join ids, dates and price lists: SV-20261129-000123, 2026/11/01-2026/11/11): the ones
# normalisation drops (so dropping them cannot join a run masking missed) and the ones ASR writes
# for them (额 and 哦 for 呃).
_SPOKEN_GAP = f"(?:[ \t\r\n\u00a0\u200b\u200c\u200d\u2060\ufeff,、。…杠额哦噢欸诶]|{'|'.join(ASR_FILLERS)})*"
_NOT_SPOKEN_DIGIT = re.compile(f"[^{_SPOKEN_DIGIT}]")


def _spoken_last4(text: str) -> str:
    return f"****{_NOT_SPOKEN_DIGIT.sub('', text)[-4:]}"


SPOKEN = PiiPattern("spoken_digits", rf"[{_SPOKEN_DIGIT}](?:{_SPOKEN_GAP}[{_SPOKEN_DIGIT}]){{10,}}",
                    _spoken_last4, "幺三八，一二三四，五六七八", left="", right="")
# A plain number or a list of them. One followed by a number word (4008208820 一直占线) stays a run: a
# phone may be read half in digits, half in words.
PLAIN_NUMBER = "[0-9]+(?: ?[、,;] ?[0-9]+)*"
ALL_PATTERNS: tuple[PiiPattern, ...] = (*PATTERNS, SPOKEN)

_NEEDS = {need: re.compile(need) for need in dict.fromkeys(p.needs for p in PATTERNS)}
_BY_NAME = {p.name: p for p in ALL_PATTERNS}
_SPOKEN_RE = re.compile(SPOKEN.python_regex)
_PLAIN_NUMBER_RE = re.compile(PLAIN_NUMBER)


@lru_cache(maxsize=None)
def _structured(needs_met: tuple[str, ...]) -> re.Pattern[str] | None:
    """The patterns whose ``needs`` are met, in their order, as one alternation (each group named
    after its pattern): at each position the first pattern that matches wins, as in ``PATTERNS``.
    One regex over all of them would try every pattern at every position of every text."""
    chosen = [p for p in PATTERNS if p.needs in needs_met]
    if not chosen:
        return None
    alternation = "|".join(f"(?P<{p.name}>{p.python_regex})" for p in chosen)
    if all(p.starts for p in chosen):  # sre then skips the positions no match can start at (4x here)
        alternation = f"(?=[{''.join(dict.fromkeys(p.starts for p in chosen))}])(?:{alternation})"
    return re.compile(alternation)


def _structured_for(text: str) -> re.Pattern[str] | None:
    """The alternation of the patterns that may match in ``text`` (folded); None when none can: every
    structured pattern holds an ASCII letter, digit or @ (after folding) or a phone or QQ label, which
    most ASR turns lack."""
    if not _ANY_STRUCTURED.search(text):
        return None
    return _structured(tuple(need for need, regex in _NEEDS.items() if regex.search(text)))


# A label also starts one: ASR writes its value in words (座机号码是六二三四五六七八).
_ANY_STRUCTURED = re.compile(f"[0-9A-Za-z@]|{_PHONE_LABEL}|{_QQ_LABEL}")
# The patterns that need nothing but digits (``needs`` left at its default), as one alternation.
_NUMERIC_SHAPES = _structured((PiiPattern.needs,))


def fold(text: str) -> str:
    """Full-width ASCII and the ideographic space as ASCII, and the digit variants of posts (❶, 𝟏, ⓿) as
    ASCII digits; same length, one character for one."""
    return text.translate(_FOLD)


def _substitute(text: str, regex: re.Pattern[str], skip_plain: bool, folded: str | None = None) -> tuple[str, int]:
    """Mask what ``regex`` finds in the folded text (``folded``, when the caller has it), copying every
    other character unchanged."""
    folded = fold(text) if folded is None else folded
    parts: list[str] = []
    position = count = 0
    for match in regex.finditer(folded):
        if skip_plain and _PLAIN_NUMBER_RE.fullmatch(match.group()):
            continue
        pattern = _BY_NAME[match.lastgroup] if match.lastgroup else SPOKEN
        parts.append(text[position:match.start()])
        parts.append(pattern.masked(text[match.start():match.end()], match.group()))
        position = match.end()
        count += 1
    if not count:
        return text, 0
    parts.append(text[position:])
    return "".join(parts), count


def mask_pii(text: str) -> tuple[str, int]:
    """Return the text with every pattern of ``ALL_PATTERNS`` masked, and the number of masks.

    Structured patterns go first; spoken runs are then searched in their output, so a mask's
    visible last four digits can still join a run (and nothing is masked twice).
    """
    if not text:
        return text, 0
    masks = 0
    folded = fold(text)
    structured = _structured_for(folded)
    if structured is not None:
        text, masks = _substitute(text, structured, skip_plain=False, folded=folded)
        folded = None
        # A mask keeps a number's last digits, which may make a new shape with the digits after them
        # (13800138000_20260803091522 → 138****8000_20260803091522: 8000_2026 0803 0915 22 reads as a card).
        for _ in range(2):
            if not masks or (again := _structured_for(fold(text))) is None:
                break
            text, more = _substitute(text, again, skip_plain=False)
            masks += more
            if not more:
                break
    if len(text) >= 11:
        text, spoken = _substitute(text, _SPOKEN_RE, skip_plain=True, folded=folded)
        masks += spoken
    return text, masks


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every match of any pattern in ``text``; they may overlap."""
    folded = fold(text)
    structured = _structured_for(folded)
    spans = [match.span() for match in structured.finditer(folded)] if structured is not None else []
    spans += [match.span() for match in _SPOKEN_RE.finditer(folded)
              if not _PLAIN_NUMBER_RE.fullmatch(match.group())]
    return spans


# Turns of one speaker are read joined by this (rpt_verbatims: string_agg(text, ' ')).
TURN_JOINER = " "


def mask_turns(turns: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Mask a call's turns, given as (speaker, text) in order; return (masked text, masks) per turn.

    Each turn is masked alone first. Then the call's turns are joined in order, and each speaker's
    as the dashboards join them, and a number that runs over a turn boundary (ASR split it over two
    turns, or an agent read its end back: 幺三九 零零幺三 / 九零零零 对吧) is masked in every turn it
    touches: its piece there becomes ``****``, one more mask for that turn.
    """
    masked = [mask_pii(text) for _, text in turns]
    texts = [text for text, _ in masked]
    counts = [count for _, count in masked]
    speakers = dict.fromkeys(speaker for speaker, _ in turns)
    groups = [list(range(len(turns)))] if len(speakers) > 1 else []
    groups += [[i for i, (who, _) in enumerate(turns) if who == speaker] for speaker in speakers]
    for indexes in groups:
        if len(indexes) < 2:
            continue
        starts, offset = [], 0
        for i in indexes:
            starts.append(offset)
            offset += len(texts[i]) + len(TURN_JOINER)
        pieces: dict[int, list[tuple[int, int]]] = {}
        for begin, end in _spans(TURN_JOINER.join(texts[i] for i in indexes)):
            touched = [(i, start) for i, start in zip(indexes, starts)
                       if begin < start + len(texts[i]) and end > start]
            if len(touched) < 2:
                continue  # inside one turn: masked there already
            for i, start in touched:
                pieces.setdefault(i, []).append((max(begin - start, 0), min(end - start, len(texts[i]))))
        for i, cuts in pieces.items():
            texts[i] = _cut(texts[i], cuts)
            counts[i] += 1
    return list(zip(texts, counts))


def mask_raw_record(raw: str) -> str:
    """A quarantined record's content, masked for the operator to read. A JSON record is read first:
    its strings are masked as one call's turns (``mask_turns``: a number split over two of them is
    masked in both) and it is written back without ASCII escapes, since ``\\u5e7a\\u4e09…`` hides a
    spoken number from any pattern. Anything else (a CSV line, JSON that does not parse) is masked as text."""
    stripped = raw.strip()
    if stripped[:1] in ("{", "["):
        try:
            record = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            record = None
        if isinstance(record, (dict, list)):
            strings: list[str] = []
            _collect_strings(record, strings)
            masked = [mask_pii(text)[0] for text in strings]
            # Strings with a digit in any script are read as one speaker's turns: the speaker names and
            # fillers between the pieces of a number split over two turns no longer keep them apart.
            numeric = [i for i, text in enumerate(strings) if _ANY_DIGIT.search(fold(text))]
            for i, (text, _) in zip(numeric, mask_turns([("", strings[i]) for i in numeric])):
                masked[i] = text
            # Masked once more whole: a number may be a JSON number ({"phone": 13800138000}).
            return mask_pii(orjson.dumps(_replace_strings(record, iter(masked))).decode())[0]
    if stripped[:1] in ("{", "["):  # JSON that does not parse: its \\u escapes can still hide a number
        return mask_pii(unescaped(raw))[0]
    return mask_pii(raw)[0]


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\[ntr]")


def unescaped(text: str) -> str:
    """``text`` with the escapes that JSON and Python's ``repr`` write (``\\u5e7a``, ``\\u200b``, ``\\x0b``,
    ``\\n``, ``\\t``) read as the characters they stand for (a line break as a space), so a number spelt in
    them is masked: a quarantine reason quotes a bad value with ``repr`` and a cut-off JSON line keeps its
    escapes. Surrogate escapes (an emoji's halves) stay as written."""
    def character(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code is None:
            return " "
        value = int(code, 16)
        return match.group(0) if 0xD800 <= value <= 0xDFFF else chr(value)

    return _ESCAPE.sub(character, text)


def mask_message(text: str) -> str:
    """A message about a value (a quarantine reason quoting it with ``repr``), masked: read with its escapes
    resolved (``unescaped``) when they hide a number, else as it is."""
    masked, found = mask_pii(text)
    plain, found_plain = mask_pii(unescaped(text))
    return plain if found_plain > found else masked


_ANY_DIGIT = re.compile(f"[{_SPOKEN_DIGIT}]")


def _collect_strings(value: object, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _collect_strings(item, out)


def _replace_strings(value: object, masked: Iterator[str]) -> object:
    """``value`` with each string, in ``_collect_strings``' order, replaced by the next of ``masked``."""
    if isinstance(value, str):
        return next(masked)
    if isinstance(value, dict):
        return {key: _replace_strings(item, masked) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_strings(item, masked) for item in value]
    return value


def _cut(text: str, cuts: list[tuple[int, int]]) -> str:
    """Replace the union of the (start, end) ranges of ``text`` by ``****`` per merged range."""
    merged: list[list[int]] = []
    for begin, end in sorted(cuts):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    for begin, end in reversed(merged):
        text = f"{text[:begin]}****{text[end:]}"
    return text


def masked_example(text: str, width: int = 60) -> str:
    """A short excerpt of ``text`` after masking, around its first mask: safe to show in reports."""
    masked, masks = mask_pii(text)
    if not masks:  # the audit and masking disagree: show nothing rather than the clear value
        return "(withheld: masking finds nothing here, check the pattern table)"
    first = masked.find("*")
    return masked[max(first - width // 2, 0):][:width]


_SEPARATORS = re.compile(r"[\s().+/_·—-]")
_CN_COUNTRY_CODE = re.compile(r"^(?:00)?86(?=1[3-9][0-9]{9}$)")
_ALPHANUMERIC = re.compile("[A-Za-z0-9]+")
_ASCII_LABEL = re.compile(f"{_WECHAT_LABEL}|[Ww]hats[Aa]pp|WHATSAPP")


def _has_personal_shape(value: str) -> bool:
    """Whether ``mask_pii`` would mask something in ``value``. ``pseudonymise`` runs on every id of
    every row, so a token of ASCII letters and digits (SV20261129000123, C1032) takes a shorter road
    to the same answer: without an at, a label, a separator or a non-ASCII digit only the numeric
    patterns can match it, and its digit runs are plain numbers to the spoken-digit rule."""
    if _ALPHANUMERIC.fullmatch(value) and not _ASCII_LABEL.search(value):
        return _NUMERIC_SHAPES is not None and _NUMERIC_SHAPES.search(value) is not None
    return mask_pii(value)[1] > 0


def pseudonymise(value: str | None, key: bytes) -> tuple[str | None, bool]:
    """An identifier that is itself a personal number (a customer id that is a mobile, an ID card
    or an e-mail) becomes ``PII-`` and a keyed hash (HMAC-SHA256, base32, 16 characters); any
    other identifier is returned unchanged. The same number gives the same pseudonym in every
    source and format (``+86 138-0013-8000`` and ``13800138000`` alike), so a customer's contacts
    still join, and no clear number reaches a table. Returns (value, whether it was replaced).
    The base32 alphabet has digits 2-7 only, so a pseudonym never looks like a number itself.
    """
    if not value or not _has_personal_shape(value):
        return value, False
    folded = fold(value).strip().lower()
    # An e-mail is its lower-cased address; anything else is itself, lower-cased, without separators
    # (a number's digits and an ID card's x; a WeChat id's letters), +86 dropped from a mobile.
    canonical = folded if "@" in folded else _CN_COUNTRY_CODE.sub("", _SEPARATORS.sub("", folded))
    digest = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()
    return "PII-" + base64.b32encode(digest).decode("ascii")[:16].lower(), True
