"""Complaint level 3: a text that threatens, or reports, taking the matter to a third party.

The third parties are data: the analyst-owned seed ``dbt_project/seeds/third_parties.csv``
(``party_code, category, name_zh, keywords, needs, not_when, not_near``), loaded with
:meth:`ThirdParties.from_csv` and passed in. Categories: ``regulator``, ``consumer_association``,
``media``, ``legal``, ``government_hotline``, ``complaint_platform``.

How one text is read (rules, each named after the case it handles):

1. **Normalise** with :func:`sentiment.normalize.normalize` (``asr=True``: a filler token never
   carries escalation), keeping @mentions of a third party's account (@中国消费者协会), which
   normalisation would drop (written 艾特 before the name when no verb governs the tag: the tag is
   the act, 顺便@人民网), keycap digits (1️⃣) as ASCII and every character in its Unicode NFKC form
   (①, full-width １２３１５, Kangxi radicals); traditional characters are simplified by the
   normaliser (OpenCC). Then map spoken digits
   to ASCII in any run of three or more digit-like characters (幺二三幺五, 一二三 一五 → 12315),
   two hotline numbers a space apart read as a list (一二三一五 一二三四五). The mapping keeps
   every offset, so evidence is cut from the normalised text.
2. **Find mentions** of every keyword. A keyword made of digits (12315, 12345, 12378…) matches only
   as a number on its own: not inside a longer digit run (订单号812315667), not spread over a
   space-separated run (一二三一五 零零 八), not right after an id label (工号、尾号、病历号…), not
   before a unit (12315元). An English keyword (sue, lawyer, media) matches whole words only. A
   name with one inner character masked (工X部, 市场监*局, as exporters and cautious writers write
   it) matches the one keyword it can be (:meth:`ThirdParties.unmask`).
3. **Word sense.** A mention is dropped when one of the party's ``not_when`` phrases overlaps it
   (拍照曝光, 多媒体, 人行道), when a ``not_near`` word sits in the same clause (相机, 门锁), or
   when the words around it give another sense: a workplace (在法院工作), a place (消协隔壁), a
   publication (消协发布, 消协今年发布), a fraud warning (冒充12315), a comparison (比12315还管用),
   a modifier (上热搜的那个明星, but not 工信部的那个投诉电话: its own channel), the writer's own
   profession (我是电视台的记者, 我本身就是律师), a weighed comparison (比起打官司, 跟去消协比起来), what the party
   did in the news with no writer before it (市场监管局罚了一家奶茶店, 消协成立于…); the company's own
   channels (你们的官方微博) are seed ``not_when``. A ``not_near`` word counts within 12
   characters of the mention (a call's clause can be the whole call).
4. **Action.** ``needs=action`` parties (律师, 法院, 记者, 工信部…) count only with an escalation
   verb: a strong one next to them (找律师, 向工信部投诉, 记者来采访), or a weak one (发, 去, 上)
   with a first-person intent or report (我要发微博, 已挂到网上); a party the writer has engaged
   needs none (我律师下午会给你们发函, 我请的律师; not 我律师朋友). ``needs=intent`` parties
   (报警) need the intent or report alone.
5. **Negation scope.** Clauses end at punctuation; a clause is cut again at 但是/不过/否则/不然….
   Cues count only where a word starts (jieba), so 解决不了 and 特别 hold no 不 or 别. A negation
   cue governs the mention when it is in the same part, before the action, and the
   words between are in its scope: short, with no new predicate (就, 才, 我要, 了, 吧…). Volitional
   cues (不会, 不想, 懒得, 犯不着, 不至于…) reach up to 14 characters; bare 不/没/别 reach only
   over light words (去, 再, 找, 打…), so 不解决我就去12315 and 不退款我去消协 stay threats.
   Cues that do not negate (不得不, 不排除, 不怕, 不惜) are skipped. Two cues in one scope cancel
   (别以为我不敢去消协, 不要以为我不会找律师, 你以为我不敢, 我不是不敢去消协), but a said-twice "no"
   of speech (没有没有 我没有打12315, 不不不 我不会去) is an answer, not an outer cue; an imperative cue over a causative
   (别逼我打12315, 不要让我去消协) is a threat. A cue right after the mention negates it too
   (消协我是不会去的), and so does a dismissive judgement (打官司不值当). Cantonese cues (唔会, 冇)
   count like their Mandarin ones, English ones (won't, never) over the words before the mention.
   A counterfactual with a blamed negation (如果不是你们踢皮球，我也不至于去市长信箱) reports.
6. **Questions.** A question that asks for information (12315电话是多少, 消协在哪里) is weaker
   than a threat: confidence 0.35, not flagged, unless the same text also states a complaint
   intent (我要投诉…), then 0.7. Rhetorical questions (难道要我去12315吗, 你们不怕被曝光吗,
   你信不信, 等我找律师吗, 有本事…看12345管不管得了你们) are threats.
7. **Context.** Someone else's escalation (听说有人打了12315, 朋友说可以打12345, 楼下的阿姨天天打12345,
   我同事前两天向消协投诉了), a self-correction (我要报警，不对，我是说报修; …开个玩笑), advice to
   readers (遇到纠纷可以拨打12315, unless the writer reports their own), "if it were me / anyone
   else" (如果这是我的话早就告了, 换作别人早就去投诉了: a comment on another's case), an escalation averted
   (幸好解决了，不然我就去消协了; 本来打算去消协，现在没必要了; 被我劝住了) or taken back
   (说要打12315是气话, 是误会，已经撤了) or declined (换作别人早就告了，但我不会; 告你们？我可没那个时间;
   消协就算了), advice to another reader (建议楼主…, 你可以去法院告那家店), an idea put to the writer
   (朋友问我要不要去消协), the company's people quoted (你们的人说有本事去告), a post that praises or
   shares (发了条微博夸你们, 小红书打卡) unless the text complains, is not the writer's
   threat; someone else's idea the writer then takes up (朋友说可以打12345，我这边准备打了) is.
   Questions and other people are read within
   16 characters of the mention, because a call's customer turns have no punctuation.
   **Past and closed vs past and still pursued.** A report of the writer's own past escalation is
   level 3 (已经打了12315; 派出所说让我先跟你们协商: the third party is engaged) unless the text
   closes it: a past marker (上次, 之前, 去年…), a resolution after the mention (修好了, 解决了,
   退了款), praise (挺快, 好评, 满意) and nothing still open after it (还没, 到现在, 继续, 还要,
   如果…). It then reads 0.3, like someone else's escalation: a customer praising how a past
   complaint ended is not escalating today. Any open end keeps the report (上次打了12315，说退款，
   到现在还没到账).

The rules' confidence is a fixed score per reading, ordered by how sure the reading is (set by
hand, not fitted to data): a report of having already escalated 0.95, a first-person threat
0.92, a conditional or double-negation threat 0.9, a bare mention 0.8, a hedged one (可能, 考虑)
0.75, an information question 0.35, someone else's or an averted escalation 0.3, a withdrawn one or
advice to readers 0.25, a negated one 0.1, a mention in another sense 0.

8. **The learned model** (:mod:`sentiment.escalation_model`, on by default) reads every text in
   which a keyword matches (60 characters either side of the mentions), and the detector's
   ``confidence`` is 0.3 × the rules' confidence + 0.7 × the model's probability, at least 0.5
   when the rules read a report or a first-person threat (0.92 and up) and the model gives it 0.2
   or more, and at most 0.49 when the rules read someone else's, an averted, withdrawn, closed or
   negated escalation (0.3 and down) and the model gives it under 0.75
   (:func:`sentiment.escalation_model.mix`); ``risk`` is ``confidence >= 0.5``. The
   evidence, party and category of a text with a mention are the rules' (their strongest mention).
   ``model=None`` gives the rules alone.
9. **No third party named** (a newspaper's journalist named indirectly, "complaint platforms", a
   police report in other words), or every mention in another sense (冒充消协工作人员: the
   impersonated body is not the writer's third party): the model reads the text (in windows of 400
   characters every 200 when it is longer, so a threat late in a long call is read; the likeliest
   window decides) and flags
   it when its probability is at least ``UNNAMED_THRESHOLD`` (0.85, chosen on the temporal
   backtest over twenty first runs: precision 0.950, recall 0.963, against 0.953 / 0.942 when such
   texts are never asked about). Then ``party`` is None, the evidence is the clause the model is
   surest of, and the **category is predicted** by a second logistic regression over the same
   features, fitted on the threats' categories. Confidence maps the probability so that the
   threshold lands on 0.5 (:func:`unnamed_confidence`).

The model is trained once per training data and code: :func:`shipped_model` stores it under
``$VOC_DATA_DIR/models/escalation/<hash>.joblib`` (the hash covers the labelled sets, the modules
that read them and the recipe), so the CLI and the nightly load it instead of fitting it.
   Why: replaying each hold-out set's first run (``python -m bench.escalation_backtest``), the mix
   reads unseen sentences better than the rules of the day, in precision and in recall (figures in
   ``bench/datasets/README.md``).
Measured on the hand-written sets in ``bench/datasets/`` (see their README) by ``python -m bench escalation``.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Sequence

from sentiment.escalation_model import RETRACTED, UNNAMED_THRESHOLD, ThreatModel, cached, mix, read_labelled, training_sets
from sentiment.negation import BARE_NEGATORS
from sentiment.normalize import content_kind, normalize
from sentiment.segmentation import default_tokenizer

CATEGORIES = ("regulator", "consumer_association", "media", "legal", "government_hotline", "complaint_platform")
NEEDS = ("none", "action", "intent")
THRESHOLD = 0.5
RULES_VERSION = "escalation-rules-5"
MODEL_CONTEXT = 60  # characters either side of the mentions that the model reads
UNNAMED_CONTEXT = 400  # characters of one window the model reads in a text without a mention


def unnamed_windows(text: str) -> list[str]:
    """A text naming no party as the model reads it: whole when it has at most UNNAMED_CONTEXT
    characters, else windows of that length every UNNAMED_CONTEXT / 2 characters, the last one ending
    with the text (a threat late in a long call is read with the words before it)."""
    if len(text) <= UNNAMED_CONTEXT:
        return [text]
    step = UNNAMED_CONTEXT // 2
    starts = list(range(0, len(text) - UNNAMED_CONTEXT, step)) + [len(text) - UNNAMED_CONTEXT]
    return [text[start:start + UNNAMED_CONTEXT] for start in starts]


def unnamed_confidence(probability: float) -> float:
    """The confidence of a text without a named third party: the model's probability mapped so that
    UNNAMED_THRESHOLD lands on THRESHOLD (linear on each side), keeping ``risk == confidence >= 0.5``."""
    if probability >= UNNAMED_THRESHOLD:
        return round(THRESHOLD + (1 - THRESHOLD) * (probability - UNNAMED_THRESHOLD) / (1 - UNNAMED_THRESHOLD), 4)
    return round(THRESHOLD * probability / UNNAMED_THRESHOLD, 4)


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --- spoken digits -----------------------------------------------------------------------------
_NUMERALS = str.maketrans("零〇幺一二两三四五六七八九", "0011223456789")
_DIGIT_LIKE = "0-9零〇幺一二两三四五六七八九"
_DIGIT_RUN = re.compile(rf"[{_DIGIT_LIKE}](?:[ \-]?[{_DIGIT_LIKE}]){{2,}}")
_SEPARATORS = re.compile(r" |(?<=[0-9])-(?=[0-9])")
_ID_LABEL = re.compile(
    r"(单号|订单|编号|尾号|账号|帐号|卡号|工号|房号|房间号?|门牌号?|车牌号?|型号|密码|验证码|取件码|会员号|运单|"
    r"批次号?|序列号|串号|后[四五六几]位|ID|No\.?|一串|一组|一排|数字|尾数|"
    r"(病历|病案|就诊卡|医保卡|社保卡|身份证|手机|合同|保单|发票|学|准考证|座位|桌|流水|交易|商户)号)[^0-9，。！？]{0,4}$"
    r"|(金额|价格|总价|费用|共计|合计|花了)[是为约共:：\s]{0,2}$", re.IGNORECASE)
_UNIT_AFTER = re.compile(r"^\s?是?(我的|我家的)?[^，。！？]{0,4}?(取件码|密码|验证码|房号|门牌号|编号|工号|学号|尾号)|^\s?(元|块|万|号(?!码)|件|个|次|路|室|房|米|天|年|月|日|分|秒|小时|人|台|笔|斤|克|公斤|位|步|层|页|张|"
                         r"条|期|届|名|度|平|公里|%|％)")


def model_text(text: str) -> str:
    """A normalised text as the model reads it: spoken digits as ASCII, words that are only
    politeness (好的, 谢谢你啊, 嗯嗯: neutral in service talk, issue 12) dropped where speech
    recognition spaced them, no spaces (ASR spacing)."""
    return "".join(word for word in canonical_digits(text).split(" ") if content_kind(word) != "politeness")


_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")


def plain_digits(text: str) -> str:
    """Keycap emoji digits (1️⃣) as ASCII digits, then Unicode NFKC: circled and full-width digits
    and letters (①, １２３１５, ＡＰＰ), compatibility ideographs and Kangxi radicals (⼯ → 工) as
    their plain characters, so a keyword matches however the writer's keyboard typed it."""
    return unicodedata.normalize("NFKC", _KEYCAP.sub(r"\1", text))


def model_input(text: str | None) -> str:
    """A raw text as the model is trained on it and reads it when no keyword matches."""
    return model_text(normalize(plain_digits(text or ""), asr=True).text)


# Every hotline the seed knows is 123xx; two of them a space apart are a list (打了12315 12345).
_HOTLINE_LIST = re.compile(r"(?<![0-9])(123[0-9]{2}) (?=123[0-9]{2}(?![0-9]))")


def canonical_digits(text: str) -> str:
    """Spoken and Chinese digits in digit-like runs of three or more as ASCII, and the space between
    two listed hotline numbers (not after an id label) as 、; same length as ``text``."""
    ascii_digits = _DIGIT_RUN.sub(lambda m: m.group().translate(_NUMERALS), text)

    def listed(match: re.Match[str]) -> str:  # 单号 12345 12315 stays one id
        label = _ID_LABEL.search(ascii_digits[max(0, match.start() - 12):match.start()].replace(" ", ""))
        return match.group() if label else match.group(1) + "、"
    return _HOTLINE_LIST.sub(listed, ascii_digits)


def _keyword_pattern(keyword: str) -> str:
    """A keyword as speech recognition may space it (法庭 上 见); a number only on its own."""
    if keyword.isdigit():
        # No digit, and no digit one separator or decimal point away, on either side.
        return r"(?<![0-9])(?<![0-9][ \-.])" + r"[ \-]?".join(keyword) + r"(?![ \-.]?[0-9])"
    if keyword.isascii() and keyword[0].isalpha():  # English: whole words only (sue, not issue)
        return r"(?<![A-Za-z])" + r"\s+".join(re.escape(w) for w in keyword.split()) + r"(?![A-Za-z])"
    return " ?".join(re.escape(c) for c in keyword)


def _phrases(words: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(_keyword_pattern(w) for w in sorted(words, key=len, reverse=True)),
                      re.IGNORECASE) if words else None


# --- the third parties -------------------------------------------------------------------------
@dataclass(frozen=True)
class ThirdParty:
    code: str
    category: str
    name_zh: str
    needs: str  # 'none', 'action' or 'intent' (see the module docstring, step 4)
    not_when: re.Pattern[str] | None
    not_near: re.Pattern[str] | None


class ThirdPartyError(ValueError):
    """A row of the third-party list that cannot be used, with the row named."""


class ThirdParties:
    """The keyword index over the seed's rows: one regex, each keyword mapped to its party."""

    def __init__(self, rows: Sequence[dict[str, str]], source: bytes = b"") -> None:
        self.parties: list[ThirdParty] = []
        self._by_keyword: dict[str, ThirdParty] = {}
        for number, row in enumerate(rows, start=2):
            party = self._party(row, number)
            self.parties.append(party)
            for keyword in _split(row.get("keywords")):
                if self._by_keyword.get(keyword, party) is not party:
                    raise ThirdPartyError(f"row {number}: keyword {keyword!r} already belongs to "
                                          f"{self._by_keyword[keyword].code}")
                self._by_keyword[keyword] = party
        if not self._by_keyword:
            raise ThirdPartyError("the third-party list has no keywords")
        keywords = sorted(self._by_keyword, key=len, reverse=True)
        self.pattern = re.compile("|".join(_keyword_pattern(k) for k in keywords), re.IGNORECASE)
        self._lowered = {k.lower(): p for k, p in self._by_keyword.items()}
        self._masked = _masked_forms(self._by_keyword)
        self._masked_lengths = sorted({len(k) for k in self._masked}, reverse=True)
        self.version = f"{RULES_VERSION}+{hashlib.sha1(source).hexdigest()[:10]}"

    @staticmethod
    def _party(row: dict[str, str], number: int) -> ThirdParty:
        code = (row.get("party_code") or "").strip()
        category = (row.get("category") or "").strip()
        needs = (row.get("needs") or "none").strip()
        if not code or category not in CATEGORIES or needs not in NEEDS:
            raise ThirdPartyError(f"row {number}: party_code must be set, category one of {', '.join(CATEGORIES)}, "
                                  f"needs one of {', '.join(NEEDS)} (got {code!r}, {category!r}, {needs!r})")
        not_when, not_near = _split(row.get("not_when")), _split(row.get("not_near"))
        return ThirdParty(code, category, (row.get("name_zh") or "").strip(), needs, _phrases(not_when),
                          _phrases(not_near))

    @classmethod
    def from_csv(cls, path: Path) -> "ThirdParties":
        """Read the seed; raises :class:`ThirdPartyError` for a row that cannot be used."""
        data = path.read_bytes()
        return cls(list(csv.DictReader(data.decode("utf-8-sig").splitlines())), source=data)

    def party_of(self, mention: str) -> ThirdParty:
        return self._lowered[_SEPARATORS.sub("", mention).lower()]

    def unmask(self, text: str) -> str:
        """A keyword written with one character masked (工X部, 市监X局, 通讯管理*) restored, so it
        matches; the longest keyword that fits wins, and a masked form two keywords share is left
        alone. Same length as ``text`` (one mask character for one character)."""
        if not _MASK.search(text):
            return text
        chars = list(text)
        for mask in _MASK.finditer(text):
            at = mask.start()
            for length in self._masked_lengths:
                found = next((self._masked[form] for offset in range(length)
                              if at - offset >= 0 and at - offset + length <= len(text)
                              and (form := _MASK.sub("X", text[at - offset:at - offset + length])) in self._masked
                              and (length > 2 or at - offset == 0 or text[at - offset - 1] in _SHORT_MASK_BEFORE
                                   or not "\u4e00" <= text[at - offset - 1] <= "\u9fff")), None)
                if found:
                    chars[at] = found
                    break
        return "".join(chars)


# Masks exporters and writers put in a name (工X部, 工*部, 工×部); 某 is a real word (某电商), no mask.
_MASK = re.compile(r"(?<=[\u4e00-\u9fff])[Xx×*○□](?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])[Xx×*○□]$"
                   r"|(?<=[0-9])[Xx×*](?=[0-9])")  # 12x15


def _masked_forms(keywords: dict[str, ThirdParty]) -> dict[str, str]:
    """Each Chinese keyword with one character after its first masked as X (工X部, 通管X, 消X), mapped
    to the character the mask stands for; a form that keywords of two parties share is dropped (two
    keywords of one party may share it: 消X is 消协 or 消委, the consumer association either way)."""
    forms: dict[str, tuple[str, ThirdParty]] = {}
    shared: set[str] = set()
    for keyword, party in keywords.items():
        chinese = all("\u4e00" <= c <= "\u9fff" for c in keyword)
        if len(keyword) < 2 or not (chinese or (keyword.isdigit() and len(keyword) >= 4)):
            continue
        # Never the first character: X投诉 could be many words.
        for position in range(1, len(keyword)):
            form = keyword[:position] + "X" + keyword[position + 1:]
            if form in forms and forms[form][1] is not party:
                shared.add(form)
            forms.setdefault(form, (keyword[position], party))
    return {form: char for form, (char, _) in forms.items() if form not in shared}


# A two-character name masked (消X) is read only after a verb or preposition that governs a party.
_SHORT_MASK_BEFORE = set("去找到向在打跟给和的")


def _split(cell: str | None) -> list[str]:
    return [k.strip() for k in (cell or "").split("|") if k.strip()]


_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")  # as sentiment.normalize reads a mention
_GOVERNS_TAG = set("向给找到跟和请让被对在上")  # a verb or preposition already governs a tagged account

# --- clauses -----------------------------------------------------------------------------------
_CLAUSE_END = re.compile(r"[，。！？,.!?；;：:\n…~～]")
_SENTENCE_START = re.compile(r"[。！？!?；;\n]")
_PART_BREAK = re.compile(r"但是|可是|不过|然而|否则|要不然|不然|要不(?!要)|只是|结果|(?<!不)但(?!愿)|(?<![A-Za-z])(?:but|otherwise|or else)(?![A-Za-z])",
                         re.IGNORECASE)

# --- negation ----------------------------------------------------------------------------------
# A-not-A questions and words with 不/没 that negate nothing a mention hangs on.
_NOT_NEGATING = ["是不是", "要不要", "会不会", "能不能", "想不想", "去不去", "敢不敢", "可不可以", "有没有", "不得不",
                 "不能不", "不得已", "不惜", "不排除", "不怕", "不在乎", "不介意", "不管", "不论", "不如", "不然",
                 "要不然", "要不", "不服", "不满", "不仅", "不但", "不光", "不停", "不断", "不少", "不行", "不了",
                 "不到位", "不通", "不理", "没用", "没人", "没办法",
                 # verb-不-complement: 对不上 is "does not match", not a negated 上
                 "对不上", "联系不上", "连不上", "登不上", "跟不上", "打不通", "接不通", "找不到", "收不到", "买不到",
                 "到不了", "用不了", "受不了", "等不了", "退不了", "说不清", "修不好", "看不上", "看不到"]
_BELIEF = ["别以为", "不要以为", "你别以为", "别觉得", "不要觉得", "别当", "别小看", "不要小看"]
_RHETORICAL = ["难道", "你以为", "你们以为", "你觉得", "你们觉得", "你是觉得", "你们是觉得", "你是以为", "你们是以为",
               "是不是觉得", "以为我", "谁说"]
_VOLITIONAL = ["不会", "不想", "不打算", "没打算", "不准备", "没准备", "不愿意", "不愿", "不必", "不需要", "没必要",
               "没有必要", "无需", "用不着", "犯不着", "不至于", "懒得", "没想过", "没想", "不考虑", "不敢", "暂时不",
               "暂不", "不再", "再也不", "绝不", "决不", "无意", "不太想", "从来不", "从不", "向来不", "一向不", "根本不",
               "绝对不", "从来没想过", "从没想过", "还没想过",
               "还没想好", "没想好", "先不", "才不", "没有要", "不是要", "不是想", "也不会", "不用",
               # rhetorical negations: who has the time to go to …
               "哪用得着", "哪里用得着", "何至于", "哪至于", "谁有空", "哪有空", "谁有时间", "哪有时间", "哪有功夫", "何必", "何苦", "犯得着", "谁会去", "谁愿意",
               # Cantonese: 唔 is 不, 冇 is 没, 唔使 is 不用
               "唔会", "唔想", "唔打算", "唔使", "唔洗", "唔需要", "冇必要", "冇谂过", "唔值得", "不值得", "犯唔着",
               # no time or energy for it: 我没空去消协, 哪有那闲工夫去12315排队
               "没空", "没那个空", "没时间", "没那个时间", "没那时间", "没工夫", "没那个工夫", "没闲工夫", "没那个闲工夫",
               "没那闲工夫", "哪有那闲工夫", "哪有那个闲工夫", "哪有闲工夫", "没精力", "没那个精力", "没心思", "没那闲心",
               "没那个闲心"]
_IMPERATIVE = {"别", "不要"}
_CUE_KIND = ({w: "skip" for w in _NOT_NEGATING} | {w: "belief" for w in _BELIEF}
             | {w: "rhetorical" for w in _RHETORICAL} | {w: "volitional" for w in _VOLITIONAL}
             # Bare cues also negate a state (还没动静, 并没有问题), so they reach only over light words.
             | {w: "bare" for w in BARE_NEGATORS})
_CUES = re.compile(_alternation(list(_CUE_KIND)))
_CUE_FIRST_CHARS = re.compile(f"[{''.join(sorted({w[0] for w in _CUE_KIND}))}]")
_LIGHT_GAP = re.compile(r"(?:会|想|要|打算|准备|愿意|愿|敢|用|必|需要|再|去|找|打|拨打|拨|跑|到|向|跟|给|和|上|我|你们|你|他们|们|真的|真|专门|特意|"
                        r"特地|直接|也|都|还|又|是|过|说|什么|一定|非要|非得|随便|轻易|急着|麻烦|闹|投诉|举报|反映|申诉|起诉|告|报|捅|曝光|联系|请|委托|发|"
                        r"挂)*")
_SCOPE_BREAK = re.compile(r"就(?!是)|才|便|已经|只能|只好|只得|必须|我要|我会|我就|我得|那我|然后|还是|(?<![为除])了|吧|吗|呢|啊")
_CAUSATIVE = re.compile(r"逼|迫使|让我|叫我|害我|等我|等到我")
_ENGLISH_NEGATION = re.compile(r"(?<![A-Za-z])(won'?t|will not|wouldn'?t|not going to|never|don'?t|do not|no need to|not gonna)(?![A-Za-z])"
                               r"[^,.!?，。！？]{0,24}$", re.IGNORECASE)
_NEGATED_AFTER = re.compile(r"^.{0,6}?((不会|不想|不打算|没打算|懒得|不必|没必要|犯不着|不至于|没有|不|没)"
                            r"(会|想|要|再|去|打|找|请|投诉|告|起诉|曝光|联系|发|报)"
                            r"|不值当|不值得|划不来|犯不上|没意义|没意思|浪费时间|太麻烦|太费劲|不划算|就算了|算了吧|就免了|就不用了|就不必了)")
_VOLITIONAL_REACH = 14
_NEGATION_WINDOW = 40  # characters before a mention that can hold its cue and an outer cue

# Between two plain cues, only these (or nothing) make a double negation (没说不去, 不是不想, 不是不敢);
# a repeated cue (不用不用不用打, see _interjection) or two cues over two predicates (不会去投诉也不会打) do not.
_DOUBLE_BETWEEN = re.compile(r"(?:我|是|说|是说)*")

# --- action, intent, context -------------------------------------------------------------------
# Verbs before a mention are found in the text as written, so their characters may be ASR-spaced.
_STRONG_BEFORE = _phrases("艾特 找 请 聘请 联系 咨询 委托 告诉 投诉到 投诉给 举报到 举报给 反映到 反映给 告到 闹到 捅到 诉至 交给 "
                          "提交给 提交到 提交至 交到 递交给 递交到 寄到 寄给 报料给 爆料给 报料畀 爆料畀 投诉畀 揾 投稿给 投给 打给 打电话给 致电 拨打 求助于 求助 报给 写信给 让 叫 下一步 下一站"
                          .split())
_WEAK_BEFORE = re.compile(r"去|到|上|在|向|跟|给|和|打|发|挂|晒|写|传")
# An errand right after the place (去法院交材料, 去法院办事) is a visit, not an escalation.
_ERRAND_AFTER = re.compile(r"^(交|办|拿|取|领|缴|送|接|开会|上班|签字|参加|陪|旁听|门口|附近)")
_WEAK_AFTER = re.compile(r"^[^，。！？]{0,6}?(发了|发出|发到|挂了|挂出|晒了|晒出|上传|发布了)")
_ENGAGED_BEFORE = re.compile(r"(我|我们|我家)(的|请的|找的|委托的|聘请的|聘的|约的|请了)?(代理|委托|私人|专职)?$")
# Calling the party's line (打文旅局电话) is the act, like 打12345.
_PHONE_AFTER = re.compile(r"^(的)?(电话|热线|投诉电话|投诉热线|服务热线)")
# About to: the complaint prepared (黑猫的账号注册好了, 帖子都写好了, 地址在导航上搜好了).
_PREPARED_AFTER = re.compile(r"^[^，。！？]{0,12}?(注册好|写好|写完|准备好|整理好|弄好|填好|剪好|搜好|拟好|起草好|都好了|就差)")
_NOT_ENGAGED_AFTER = re.compile(r"^(朋友|同学|亲戚|哥|姐|弟|妹|老公|老婆|费|资格|证|考试|专业|行业|工作|身份|出身)")
_POTENTIAL_NEGATIVE = re.compile(r"(找|请|打|去|告|起诉|投诉|联系|上)不(到|了|起|成|赢|通|上)")
_TITLE = re.compile(r"《[^》]{0,20}》")
_VERB_REACH = 4  # characters between a verb and the mention it governs (找个好律师, 发到小红书)
_NOT_NEAR_REACH = 12  # characters either side of a mention that a seed not_near word must fall within
_CONTEXT_REACH = 16  # characters around a mention read for a question or someone else's escalation
# After the mention: the writer's own complaint to it (工信部申诉, 律师会联系你们) counts alone; what the
# third party does (记者采访, 媒体报道) counts only with the writer's intent (我会找记者来采访).
_STRONG_AFTER = re.compile(r"^[^，。！？]{0,6}?(投诉|(?:投|告|举报|曝光|起诉)定了|举报|反映|反应|申诉|起诉|告(?=你|他|到|上)|见|评理|主持公道|讨.?说法|维权|打官司|发函|报案|联系你们|"
                           r"寄送|寄出|送达|文书|"
                           r"找你们|与贵司联系|与你们联系|跟你们联系|挂你们|曝光你们|打.{0,2}电话|电话投诉|留言|发帖|说理|发律师函|写信|"
                           r"(?<!不)(理|管|收拾|治|查|罚)你们)")
_THIRD_PARTY_ACT_AFTER = re.compile(r"^[^，。！？]{0,6}?(曝光|介入|报道|立案|挂|求助|调解|采访|联系|查查|查一查|请|找|聘请|委托|受理|"
                                    r"排期|开庭|判了|传唤|约(?:好|了|的))")
_INTENT = re.compile(r"还是得|还是要|还是会|信唔信|到时候|直接(?=去|找|打|向|上|发|报|起诉|投诉)|不[^，。！？]{0,8}就(?=报警|报案|起诉|告)|我要|我会|我就|我将|我得|我只能|我也要|要去|就去|就打|就找|就上|就发|准备|打算|决定|马上|立刻|立马|明天|今天就|今晚|待会|回头|一定|必须|"
                     r"肯定|只能|只好|只得|等着|随时|不排除|下周|下个月|过两天|改天|后天|集体|联名|联合|一起去|商量好|约好|已经|已|早就|刚刚|刚才|发了|挂了|晒了|报了|打了|去了|找了|过了|让大家|让网友|评评理|避雷|扩散|信不信|"
                     r"等着瞧|掂量|看着办|走着瞧|后果自负|别怪我|别以为|不要以为|逼我|将|现在就|这就|马上就|在路上|出发|"
                     r"(发|挂|晒|传)(到|在|上)?(B站|b站|抖音|微博|小红书|快手|知乎|网上|朋友圈|贴吧|公众号|视频号)上?了")
_REPORTED = re.compile(r"开庭|排期|一审|二审|胜诉|交给|已经|已|早就|刚刚|刚才|之前|昨天|前天|上周|上个月|打过|找过|去过|投诉过|报过|咨询过|提交了|受理|回执|立案了|寄出|联系了|反映了|投诉了|"
                       r"举报了|申诉了|留言了|报料了|打了|发了|挂了|报警了|找好|委托")
_CONDITIONAL = re.compile(r"再不|如果|要是|假如|若|否则|不然|要不|的话|再这样|再拖|再有下次|再敷衍|再推诿|不.{0,8}就")
_HEDGED = re.compile(r"可能|也许|或许|考虑|说不定|看情况")
_QUESTION_INFO = re.compile(r"多少|(?<!不)(?<!学会)(?<!会了)怎么|如何|哪里|哪儿|在哪|是什么|干什么|干嘛|干啥|做什么的|管什么|要什么|什么材料|什么时候|几点|几号|电话是|号码(?:是|多少|呢)|(?:什么|哪个)号码|网址|地址|渠道|请问|想问|"
                            r"问一下|想了解|了解一下|求问|有人知道|能不能|可不可以|可以.{0,10}吗|是不是管|管不管")
_QUESTION_END = re.compile(r"[？?]|[吗么呢]\s*$")
_RHETORICAL_MARK = re.compile(r"有本事|信唔信|等我.{0,8}[吗么]|[管治]不[管治]得?[了住]|别以为|不要以为|以为我|难道|非要|非得|逼|是不是想|是不是要|想让我|要我|让我|你以为|不怕|信不信|等着|我要|我会|我就|已经|我已|让你们")
_STATED_INTENT = re.compile(r"((起诉|告|投诉|举报|曝光|挂)(你们|你|贵司|贵公司|商家|这家)"
                            r"|(我要|我会|我就|我将|我也要)(?!问|咨询|了解|不要)"
                            r"|(准备|打算|决定|马上|立刻|立马|明天就|今天就|一定会|必须|现在就|这就|马上就|正在)"
                            r"(?=去|打|找|向|跟|起诉|投诉|举报|报|发|申请|走|联系|曝光|上|请|委托|开车|过去|出发))")
_COMPLAINT_INTENT = re.compile(r"我要投诉|我要举报|要投诉你们|投诉你们")
_THIRD_PERSON = re.compile(r"听说|据说|新闻说|新闻里|新闻上|电视上|报道里|看新闻|新闻报道|报道了|报道说|网上说|网友|博主|大V|网红|主播|多人说|很多人|好多人|评论区|"
                           r"大家都说|(?<!被)有人|(?<!被)别人|(?<!被)他人|朋友说|同事|家人说|[妈爸]说|(老公|老婆|丈夫|妻子|儿子|女儿|家里人)说|邻居|隔壁|"
                           r"客服说|客服建议|师傅说|建议我|劝我|说可以|说如果|"
                           # someone else's idea put to the writer (朋友问我要不要去消协，我说不用)
                           r"(朋友|同事|家人|家里人|客服|老公|老婆|妈|爸|闺蜜|室友|邻居|同学|亲戚)[^，。！？我]{0,3}(叫|让|问|劝)我|"
                           # the company's people quoted (你们的人说有本事去告啊) and some people's habits
                           r"(你们的人|你们的员工|你们员工|工作人员|店员|对方)(竟然|居然)?(说|讲)|有些人|有的人|某些人|"
                           r"(朋友|老公|老婆|丈夫|妻子|孩子|儿子|女儿|家人|亲戚|闺蜜|室友|同学|同事|老人|长辈|老爷子|老太太).{0,4}(过|嚷嚷|吵着|闹着|问我)|"
                           r"(表姐|表哥|表弟|表妹|堂哥|堂姐|舅舅|舅妈|姑姑|姨妈|阿姨|叔叔|大爷|大妈|婆婆|公公|岳母|丈母娘|邻居|楼上|楼下|"
                           r"同事|朋友|亲戚|同学|室友|老公|老婆|丈夫|妻子|儿子|女儿|家人|(?<!我说)我妈|(?<!我说)我爸|妈妈|爸爸)[^我，。！？]{0,8}"
                           r"(把|向|去|找|打|天天|经常|总是|老是|一直|之前|去年|上次|上回|前两天|前几天|上个月|已经|早就)|"
                           r"(?<!我)(我妈|我爸|我哥|我姐|我弟|我妹|他们|她们|他|她)(上次|之前|以前|昨天|前几天|也|都|已经)?"
                           r"(打了|去了|找了|投诉了|发了|报了|告了|起诉了|打过|去过|找过|投诉过|报警|报案)")
# Not 我还是决定先跟客服沟通: choosing otherwise.
_ADOPTED = re.compile(r"我[^，。！？我他她还]{0,3}(准备|打算|决定|这就|正在|也要|也去|也准备|也打算|已经|已)(?!先|再|跟|和|劝|拦|阻止)")
# A complaint to the company's own channels or managers (已经在你们官网投诉两次了, 找了门店经理): level 2,
# however sure the model is that a text naming no third party escalates (issue 12: 找你们领导 is no level 3).
_OWN_CHANNEL = re.compile(r"你们的?(官网|客服电话|投诉电话|投诉热线|服务热线|热线|400|领导|经理|总部|店长|主管|售后)|门店经理|店长|总部|"
                          r"(找|问)了?(你们)?的?(领导|经理|主管|店长|上级)|"
                          # 我上周已经打过电话了: a call that names no one is a call to the company (the demo's
                          # follow-up calls read as threats at 0.73-0.85 by the model alone; round 23's review)
                          r"^[^，。！？]{0,8}?打(过|了)?(好几|几|两|三|多)?(次|个|通)?电话(了|的)?(?![给向到])")
_UNRELATED = re.compile(r"不关你们的事|不是针对你们|别的商家|别家|其他商家|别的店|别的公司|"
                        r"(跟|和|与)(你们|贵司|这次|本次|今天的事)[^，。！？]{0,6}(无关|没关系|没有关系|没啥关系|不相干)|"
                        # the writer's own case needs none (我自己这个没事, 我自己没这个打算, 已经同商户倾好了)
                        r"我自己(这个|的|这边|这儿)?(没事|没这个打算|没有这个打算|不打算|不需要|没问题)|"
                        r"(已经|已)(同|跟|和)(商户|商家|对方|你们)(倾好|谈好|协商好|沟通好|和解)")
# 我爸帮我打了12315: a relative acting for the writer is the writer's escalation.
_FIRST_PERSON_INTENT = re.compile(r"(?<![劝拦])(帮|替|代)(我|我们)(?!劝|拦|挡)|直接(?=去|找|打|向|上|发|报|起诉|投诉)|不[^，。！？]{0,8}就(?=报警|报案|起诉|告)|我要(?!不要)|我也要|我会|我就(?!是|想|只|说)|我已经|我已|等我|逼我|"
                                  r"我[^，。！？我他她]{0,3}(准备|打算|决定|这就|正在)|"
                                  r"我们.{0,10}(一起|集体|联合|联名|一块)")
_ADVICE = re.compile(r"建议(保留|保存|留好|先)|建议(您|你(?!们)|楼主|博主|题主|lz|LZ|up主|宝子|姐妹)|"
                     r"(楼主|博主|题主|lz|LZ|up主|宝子|姐妹们?)(可以|应该|最好|赶紧|直接)|"
                     r"(你|您)(可以|应该|最好)(去|找|打|向|上)[^，。！？]{0,12}(他|她|对方|商家|那家)|(如果|要是)(你|您|大家|各位)也?(遇到|碰到|有)|(如果|要是)(以后|将来|日后)真?的?(需要|有需要)|"
                     r"(他|她)(那个|的)?情况可以|提醒大家|建议大家|教大家|告诉大家|给大家提个醒|大家可以|各位可以|大家收藏|收藏了|小知识|冷知识|小技巧|分享一个|其实可以|科普|教程|攻略|教你|讲怎么|遇到.{0,8}(可以|记得)")
# Not a bare 谢谢: calls end in 好的谢谢 after real threats too.
_RELIEF = re.compile(r"后来(你们|他们|经理|客服|商家|店家|对方|师傅)|就没去|没去成|还是挂了|咽回去|劝住|劝下|拦住|劝好了|已解决|(?<![没未])到账|删了|没必要了|不用了|接受了|幸好|幸亏|多亏|好在|还好(?=你们|最后|及时|客服|后来|没)|(?<![不没])解决了|处理好了|退款了|退了款|退钱了|补发了|算了|作罢|不追究|"
                     r"不计较|原谅|道歉后")
_DISMISSED_NEXT = re.compile(r"^[，,？?\s]?((但是|但|不过|可是|可)?\s?(我)?(想想|想了想|觉得|算了)?\s?(还是)?"
                             r"(没必要|没有必要|没那个必要|犯不着|不值得|不值当|划不来)"
                             # declined in the next part: 换作别人早就去告了，但我不会
                             r"|(但是|但|不过|可是|可)\s?我\s?(不会|不想|不打算|没打算|才不会?|没有?这么做|没有?去)"
                             r"(?!放过|善罢|罢休|就此|轻易|再忍|忍)"
                             r"|(但是|但|不过|可是)?\s?我?\s?还是(选择|决定|想)?(再给|给|先给).{0,8}机会"
                             # 告你们？我可没那么多时间
                             r"|我\s?(可|也|真|才)?(没那么多时间|没那个时间|没那闲工夫|没那个闲工夫|没空|没时间|没那个精力))")
_NOT_THAT_KIND = re.compile(r"(不是|并非|从来不是)那种.{0,14}的人"  # 我不是那种动不动就打12315的人
                            # advice against a habit: 不用动不动就打12315, 别一上来就找律师
                            r"|(不用|别|不要|没必要|用不着|犯不着|何必|不喜欢|不爱|从不|从来不)(一上来就|动不动就|动辄|一有事就|一遇到.{0,6}就)")
# "If it were me / anyone else": a comment on another's case (如果这是我的话肯定去告了, 换作别人早就告了).
_HYPOTHETICAL = re.compile(r"(换作|换成|换做|换了)是?我(?!们)|换我(的话|早就|肯定|一定|直接)|(如果|要是|假如|若)(这|这事|这种事|这件事)?(是|发生在|轮到|落到|搁)?我(身上)?的话"
                           r"|(如果|要是|假如|若)(这|这事|这种事|这件事)?(发生在|轮到|落到|搁)我身上"
                           r"|(换作|换成|换做|换了|换个|要是|如果是|假如是|若是|如果换作|如果换成)(别人|其他人|旁人|一般人|别的人|人|谁)"
                           r"|我要是(你|你们|博主|楼主|他|她|up主)|(如果|要是|假如)我是(你|你们|博主|楼主|他|她|up主)"
                           r"|(要是|如果|假如|换作|换成|换了|换做)[^，。！？]{0,4}(别的客户|其他客户|一般客户|一般的客户|别的用户|其他用户|一般用户|每个人|每个客户|所有客户|所有人|人人|大家都|脾气差|脾气不好|"
                           r"我老公|我老婆|我爸|我妈|我家那位)"
                           r"|(放在|搁在|落在|换到|发生在)(别人|其他人|别的客户|一般人)身上"
                           r"|(要是|如果|假如)(去年|以前|前几年|年轻时|年轻的时候|当年|早几年|搁以前|放以前)"
                           r"|(要是|如果|假如)我(碰到|遇到|摊上)(这种|这样|这)")
# Past and closed (上次打了12345，第二天就修好了，挺快的): the writer's own past escalation that the text
# says was resolved, with praise, and nothing still open, is a closed matter, not level 3 today. Past
# and still pursued (已经打了12315，到现在没人理; 派出所让我先跟你们协商) stays a report.
_PAST = re.compile(r"上次|上回|之前|以前|去年|前年|当时|那次|那回|最后是|后来|当初|早先|上个月|上周|上星期|前几天|前两天|前阵子|刚来时|几年前|那时候")
_RESOLVED_AFTER = re.compile(r"修好|解决了|解决的|处理好|处理完|处理得|搞定|搞掂|退了|退款|赔了|赔偿|补偿|到账|改善|整改|道歉了|给我退|给退了|"
                             r"帮我解决|给解决|派人来|上门|要回来|拿回|追回|成功|(都|就|也)?好了|一直挺好|没问题了|正常了")
_PRAISE = re.compile(r"挺快|很快|真快|及时|好评|满意|点赞|感谢|谢谢|不错|给力|靠谱|效率|挺好|很好|好多了|赞|肯定|有信心|反而好|耐心|还可以")
# The escalation itself ended (仲裁那个事已经调解完了, 之前的诉讼已经和解): closed whatever the praise.
_CLOSURE_AFTER = re.compile(r"调解完|和解了?|结案了?|撤诉了?|了结|已经结束|都过去了|都解决了")
# Past, and this contact is about something else: long ago (那都是好几年前的事了) or another errand
# (今天是问水费, 我现在是正常办业务, 就是想改个套餐).
_LONG_AGO = re.compile(r"好几年前|好多年前|那都是|老早|早就过去|很久以前")
_OTHER_ERRAND = re.compile(r"(今天|这次|现在|今儿|我现在)(就|只|主要)?是(想|来|问|办|要|正常|为了)|就是想(改|办|问|查|订|换|咨询)|就是(办|问|改)个")
_STILL_OPEN = re.compile(r"还没|没解决|未解决|没处理|仍|依然|至今|到现在|还是没|继续|再不|还在|等回复|等结果|等着|不然|否则|又(?!快)|"
                         r"还要|还得|追究|没人理|没回复|没有回复|要是|如果|的话|假如")
_VOW = re.compile(r"就不姓|我不姓|就不是人|名字倒着写|咽不下这口气|誓不罢休")
_ONCE = re.compile(r"本来|原本|本想|一开始")
_REVERSAL = re.compile(r"[^。！？]{0,12}(不得不|只能|只好|必须|还是要|还是得|决定|逼得)")
# 要不是你们及时处理，我就去消协了，谢谢: it did not happen (要不是看在老客户的份上… stays a warning).
_COUNTERFACTUAL = re.compile(r"要不是|若不是|如果不是")
_BLAME_NEGATION = re.compile(r"(也|就|才)(不至于|不会|不用|不必)")
_THANKS = re.compile(r"谢谢|感谢|及时|辛苦|点赞|好评|耐心|给力|态度好|态度不错|五星|满意")
_AVERTED = re.compile(r"不然|要不然|要不是|本来|原本|差点|险些|都准备|都想|本想|以为|想过|一度|考虑过|犹豫")
# A self-correction right after the mention (我要报警，不对，我是说报修; 我要去消协……开个玩笑).
_CORRECTED_AFTER = re.compile(r"^.{0,14}?(不对|说错了|口误|我是说(?!真的|认真)|我的意思是|开个?玩笑|逗你(的|玩))")
_WITHDRAWN = re.compile(r"(?<!不)是.{0,3}(气话|开玩笑|说说而已)|说的是气话|别当真|不要当真|是误会|一场误会|太冲动|一时冲动|冲动了|"
                        r"(?<![让叫要逼求劝请没不未别])(?<![让叫要逼求劝请]我)(?<![让叫要逼求劝请]我们)(撤销了|撤回了|撤了|撤诉|收回)")
# The writer's own complaint taken back, said beside the mention and done (了, 已经): 我已经撤销了12315的投诉,
# 把黑猫上那个投诉删了, 12315的投诉我删掉了. Not one asked for (让我撤销), promised (处理好我就撤销投诉) or refused
# (没删, 不会撤销), and not a post of the writer's the company deleted (你们删了我的评论), which names no complaint.
_COMPLAINT_WORD = "(?:投诉|举报|帖子|起诉|诉讼|申诉|工单)"
_TAKEN_BACK = "(?:撤销|撤回|撤掉|删除|删掉|删|取消)"
_RETRACTED = re.compile(rf"(?<![让叫要逼求劝请没不未别])(?:已经|已)?{_TAKEN_BACK}了[^，。！？,.!?]{{0,12}}{_COMPLAINT_WORD}"
                        rf"|(?:已经|已)(?:把)?[^，。！？,.!?]{{0,12}}{_COMPLAINT_WORD}[^，。！？,.!?]{{0,4}}(?<![没不未别]){_TAKEN_BACK}"
                        rf"|{_COMPLAINT_WORD}[^，。！？,.!?]{{0,6}}(?:我|都)?(?:已经|已)?(?<![没不未别让叫要逼求劝请]){_TAKEN_BACK}(?:了|掉了)")
# A refusal to take it back keeps the complaint open (我不会撤销12315的投诉, 你们让我撤，我不撤, 消协那边的投诉我绝不撤回):
# the negation negates the withdrawal, not the escalation.
_REFUSER = "(?:不会|绝不|决不|坚决不|不可能|不打算|不想|不|没有?)(?:会|去|给你们)?"
_REFUSED_WITHDRAWAL = re.compile(rf"{_REFUSER}(?:撤销|撤回|撤掉|撤诉|撤)"
                                 rf"|{_REFUSER}(?:删除|删掉|删|取消)[^，。！？,.!?]{{0,12}}?{_COMPLAINT_WORD}"
                                 rf"|{_COMPLAINT_WORD}[^，。！？,.!?]{{0,6}}?{_REFUSER}(?:删除|删掉|删|取消)")

# Other senses read from the words around a mention (step 3).
_WORKPLACE_AFTER = re.compile(r"^\s?(热线|平台|中心)?\s?(的\s?)?(工作人员|员工|工作|上班|实习|任职|接线员|话务员|"
                              r"当志工|当义工|做义工|当志愿者|做志愿者)")
_IDENTITY = (re.compile(r"(我|我们)\s?是\s?$"), re.compile(r"^\s?的"))
# The writer's own profession (我是电视台的记者, 我本身就是律师): the person, not a third party they call on.
_PROFESSION = re.compile(r"记者|律师|法官|警察|民警|交警|检察官|仲裁员|调解员|media|lawyer|journalist|reporter|attorney", re.IGNORECASE)
_SELF_IS_BEFORE = re.compile(r"(我|本人)(自己|本人|本身)?(也|就|可|其实|本来)?(是|做|当)(一[名个位]|个|名|位|做|干|当)?[^，。！？,.!?我你他她]{0,10}$")
# An event or inspection the writer attends or passes (参加消协年会, 通过市场监督管理局年度检查).
_EVENT = (re.compile(r"(参加|出席|通过|去听|听了|参与)\s?$"),
          re.compile(r"^\s?(的\s?)?(年会|会议|讲座|座谈|培训|活动|年度检查|年检|检查|评审|审核|考试)"))
# 消协大厦那边的自提柜: the building names a place; 消委会联络方法 listed on a site is information.
_BUILDING_AFTER = re.compile(r"^\s?(的\s?)?(大楼|大厦|办公楼)\s?(那边|这边|附近|旁边|里面)?\s?的")
_CONTACT_LISTED = (re.compile(r"(列明|公布|标明|张贴|提供|写上|贴出|标注)[^，。！？]{0,3}$"),
                   re.compile(r"^\s?(的\s?)?(联络|联系)(方法|方式|电话)"))
_PLACE_AFTER = re.compile(r"^\s?(的\s?)?(大楼|大厦|办公楼|所在)?\s?(门口|对面|旁边|隔壁|附近|楼下|楼上|大门|路口)")
_PUBLICATION_AFTER = re.compile(r"^\s?(今年|去年|明年|近日|最近|日前|近期|昨天|今天|明天|刚刚|上个?月|下个?月|本月|这个月|上周|下周|本周|每年|每月)?(的\s?)?(报道说|消费提示|提示|发布|公布|提醒|通报|抽检|新闻|年度报告|报告|数据|评测|认证|推荐|公告|新规|规定|降准|降息|加息|"
                                r"开展|组织|举办|举行|查处|抽查|出台|印发|召开|表示|指出|专项)")
# Waiting or protesting at the place (天天去消协门口等着) is pressure through it, not an errand.
_PROTEST_AT = re.compile(r"^\s?(的\s?)?(门口|楼下|大门|对面)\s?.{0,3}(等着|守着|堵|拉横幅|举牌|闹|静坐|蹲)")
_VISIT_AFTER = re.compile(r"(办事|上班|开会|交材料|交资料|签字|旁听)")
_MEDIA_SUBJECT_BEFORE = re.compile(r"(媒体|记者|央视|电视台|新闻|报纸|网友|博主)\s?(都|也|已经|刚|最近|多次|纷纷)?\s?$")
# …的那个投诉电话 is the party's own channel, not a modifier.
_MODIFIER_AFTER = re.compile(r"^\s?的\s?(那个|这个|那些|这些|那条|这条)(?!\s?(投诉|电话|热线|平台|网站|窗口|号码|官网|申诉|举报|渠道|入口|邮箱|信箱))"
                             r"|^\s?的\s?(明星|艺人|视频|新闻|帖子|事件|事情|品牌|企业|公司)")
_FRAUD_BEFORE = re.compile(r"(冒充|假冒|自称|冒称|假装)\s?(是\s?)?$")
_COMPARISON = (re.compile(r"(比|像)\s?$"), re.compile(r"^\s?(还|更|一样|似的)"))
# A comparison that weighs the third party against something else (比起打官司, 跟去消协比起来).
_COMPARED_BEFORE = re.compile(r"(比起|相比于?|相较于?|与其)\s?(去|找|打|上|请)?\s?$")
_COMPARED_AFTER = re.compile(r"^\s?(比起来|相比|相比较)")
# What a party did in the news (消协成立于1984年, 市场监管局罚了一家奶茶店): another sense unless the
# writer is in the clause before it (我投诉后市场监管局罚了他们 reports).
# A post that praises or shares (发了条微博夸你们, 小红书打卡, 抖音开箱视频) is no exposure, unless the text
# also complains.
_SHARED_PRAISE = re.compile(r"夸|表扬|推荐|好评|安利|种草|打卡|开箱|晒单|晒图|点赞|赞美|分享.{0,6}(好物|体验|经历|心得)")
_COMPLAINT_WORDS = re.compile(r"曝光|吐槽|避雷|差评|投诉|维权|评理|揭露|骂|黑幕|坑|骗|垃圾|无良|扩散|踩雷|拔草|说理|说法|让大家看看|看清")
_NEWS_ACT_AFTER = re.compile(r"^\s?(又|再次|再度|近日|日前|今天|昨天|刚刚|最近|已经|也)?\s?"
                             r"(成立|罚了|处罚了|开出.{0,4}罚单|宣布|推出|上线了|约谈了|点名|通报了|批评了|查处了|立案调查)")


@dataclass(frozen=True)
class Escalation:
    """One text's verdict: ``risk`` with the clause that shows it, the third party's category
    and seed code, and ``confidence`` (estimated probability of a level-3 escalation, 0..1)."""

    risk: bool
    category: str | None
    party: str | None
    evidence: str | None
    confidence: float


NO_ESCALATION = Escalation(False, None, None, None, 0.0)


@dataclass(frozen=True)
class _Reading:
    confidence: float  # the rules' confidence (the scale of the module doc)
    party: ThirdParty | None  # None: no keyword matched (evidence is then the whole text)
    evidence: str
    # What the model reads (model_text): the mentions and their context, or for a text naming no
    # party, overlapping windows of UNNAMED_CONTEXT characters; the text reads as its likeliest window.
    windows: tuple[str, ...]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


class EscalationDetector:
    """Reads texts against one third-party list and, unless ``model`` is None, the learned model
    (the shipped one by default); stateless and thread-safe after construction."""

    def __init__(self, parties: ThirdParties, model: ThreatModel | None | Literal["shipped"] = "shipped",
                 model_cache: Path | None = None) -> None:
        """``model_cache``: the folder the shipped model is stored in (see :func:`shipped_model`)."""
        self.parties = parties
        self.model = shipped_model(model_cache) if model == "shipped" else model

    @property
    def version(self) -> str:
        return self.parties.version + (f"+{self.model.version}" if self.model is not None else "")

    def detect(self, text: str | None) -> Escalation:
        """The verdict on the strongest mention; a text without a keyword gets ``NO_ESCALATION``."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str | None]) -> list[Escalation]:
        """One verdict per text, in order; the model reads all texts in one batch."""
        readings = [self._read_rules(text) for text in texts]
        windows = [w for r in readings if r is not None for w in r.windows]
        scores = iter(self.model.probabilities(windows) if self.model is not None and windows else [])
        verdicts = []
        for reading in readings:
            if reading is None:
                verdicts.append(NO_ESCALATION)
                continue
            probabilities = [next(scores) for _ in reading.windows] if self.model is not None else []
            if reading.party is None:
                verdicts.append(self._unnamed(reading, probabilities) if self.model is not None else NO_ESCALATION)
            else:
                confidence = reading.confidence
                if self.model is not None:
                    confidence = mix(confidence, probabilities[0])
                verdicts.append(Escalation(True, reading.party.category, reading.party.code, reading.evidence,
                                           confidence) if confidence >= THRESHOLD
                                else Escalation(False, None, None, None, confidence))
        return verdicts

    def _unnamed(self, reading: "_Reading", probabilities: list[float]) -> Escalation:
        """Step 9: a text in which no keyword names a third party, read by the model alone, window by
        window (``probabilities``, one per window); the likeliest window decides."""
        likeliest = max(range(len(probabilities)), key=probabilities.__getitem__)
        confidence = unnamed_confidence(probabilities[likeliest])
        if _OWN_CHANNEL.search(reading.evidence.replace(" ", "")):  # 在你们官网投诉了两次: the company itself
            confidence = min(confidence, 0.49)
        if confidence < THRESHOLD:
            return Escalation(False, None, None, None, confidence)
        clauses = [c.strip() for c in _CLAUSE_END.split(reading.evidence) if c.strip()] or [reading.evidence]
        scores = self.model.probabilities([model_text(c) for c in clauses])
        evidence = clauses[max(range(len(clauses)), key=scores.__getitem__)]
        category = self.model.categories([reading.windows[likeliest]])[0]
        return Escalation(True, category, None, evidence, confidence)

    def _read_rules(self, text: str | None) -> "_Reading | None":
        """The rules' reading of the strongest mention; None for an empty text; a reading with no
        party (``evidence`` the whole normalised text) when no keyword matches or every match has
        another sense (冒充消协工作人员: no third party is named). A text whose mentions lack the
        action their party needs reads as confidence 0 on its first mention."""
        clean = normalize(self._keep_party_mentions(plain_digits(text) if text else text), asr=True).text
        if not clean:
            return None
        canon = self.parties.unmask(canonical_digits(clean))
        matches = list(self.parties.pattern.finditer(canon))
        best: tuple[float, ThirdParty, _Span] | None = None
        for match in matches:
            party = self.parties.party_of(match.group())
            confidence = self._judge(canon, match.start(), match.end(), party)
            if confidence is not None and (best is None or confidence > best[0]):
                best = (confidence, party, self._clause(canon, match.start()))
        if best is None:
            return _Reading(0.0, None, clean, tuple(model_text(w) for w in unnamed_windows(clean)))
        confidence, party, clause = best
        # The model reads the mentions with some context: a whole call would drown them.
        window = canon[max(0, matches[0].start() - MODEL_CONTEXT):matches[-1].end() + MODEL_CONTEXT]
        return _Reading(confidence, party, clean[clause.start:clause.end].strip(), (model_text(window),))

    def _keep_party_mentions(self, text: str | None) -> str | None:
        """@中国消费者协会, @12315: tagging a third party's account names it, so its name stays in
        the text (normalisation drops other @mentions), after 艾特 (@ in words), the verb that makes
        the tag an action (顺便@人民网), unless a verb or preposition already governs it (向@消协投诉)."""
        if not text or "@" not in text:
            return text
        def kept(match: re.Match[str]) -> str:
            if not self.parties.pattern.search(match.group()):
                return match.group()
            governed = match.start() > 0 and text[match.start() - 1] in _GOVERNS_TAG  # 向@消协投诉
            return ("" if governed else "艾特") + match.group()[1:]
        return _MENTION.sub(kept, text)

    # -- one mention ---------------------------------------------------------------------------
    def _judge(self, text: str, start: int, end: int, party: ThirdParty) -> float | None:
        """Confidence that this mention is the writer's escalation: None when it is no mention of
        the third party at all (another word sense, a number that is an id), 0 when the party
        lacks the action or intent it needs (step 4)."""
        clause = self._clause(text, start)
        part = self._part(text, clause, start)
        before, after = text[clause.start:start], text[end:clause.end]
        if not self._is_third_party_sense(text, start, end, party, clause, before, after):
            return None
        # A purpose often follows in the next clause: 今晚发微博，让大家看看.
        following = _CLAUSE_END.search(text, clause.end + 1)
        reach = following.start() if following else len(text)
        near = text[part.start:reach].replace(" ", "")  # markers read across ASR spacing (我 要 → 我要)
        intent = bool(_INTENT.search(near) or _REPORTED.search(near))
        action_start = self._action_start(text, start, end, party, part, intent)
        if action_start is None:
            return 0.0
        # 找不到律师 / 请不起律师: an inability, unless a challenge cue stands over it (别以为我找不到律师).
        inner = _POTENTIAL_NEGATIVE.match(text[action_start:start].replace(" ", "")) is not None
        # Other third parties inside the scope belong to the same predicate (不找记者曝光).
        prefix = self.parties.pattern.sub("", text[part.start:action_start]).replace(" ", "")
        state = _negation_state(prefix, inner)
        whole = text.replace(" ", "")
        if _NOT_THAT_KIND.search(whole):
            return 0.1
        english_negation = _ENGLISH_NEGATION.search(text[part.start:action_start]) is not None
        dismissed = _DISMISSED_NEXT.search(text[part.end:part.end + 20].replace(" ", ""))  # …但是没必要
        if (state == "negated" or english_negation or dismissed
                or _NEGATED_AFTER.search(text[end:part.end].replace(" ", ""))):
            if _REFUSED_WITHDRAWAL.search(near):  # 我不会撤销12315的投诉: the complaint stands
                return 0.92
            # 不曝光你们我就不姓王 vows; 本来不想去消协，现在不得不去了 takes the negation back.
            if _VOW.search(whole) or (_ONCE.search(prefix) and _REVERSAL.search(text, part.end)):
                return 0.9
            # 如果不是你们踢皮球，我也不至于去市长信箱: it happened, and the company caused it.
            if _COUNTERFACTUAL.search(text, max(0, start - 30), start) and _BLAME_NEGATION.search(prefix):
                return 0.95
            return 0.1
        return self._confidence(text, start, end, clause, part, state, intent)

    @staticmethod
    def _action_start(text: str, start: int, end: int, party: ThirdParty, part: _Span, intent: bool) -> int | None:
        """Where the escalating predicate starts (its verb, or the mention itself); None when the
        party needs an action or intent that the text does not give (step 4)."""
        if party.needs == "intent":
            return start if intent else None
        if party.needs == "none":
            return start
        titles = sum(len(t) for t in _TITLE.findall(text, max(part.start, start - 30), start))
        window_start = max(part.start, start - 8 - titles)
        strong = _nearest_verb(_STRONG_BEFORE, text, window_start, start)
        if strong is not None:
            return strong
        after = text[end:part.end].replace(" ", "")
        if _STRONG_AFTER.search(after):
            return start
        # 我律师下午会给你们发函, 我请的律师: a party the writer has engaged (not 我律师朋友, 律师费).
        if _ENGAGED_BEFORE.search(text[part.start:start].replace(" ", "")) and not _NOT_ENGAGED_AFTER.match(after):
            return start
        if _PREPARED_AFTER.match(after):  # 黑猫的账号注册好了: about to post
            return start
        weak = _nearest_verb(_WEAK_BEFORE, text, window_start, start)
        if weak is not None and text[weak] == "打" and _PHONE_AFTER.match(after):  # 打文旅局电话
            return weak
        if not intent:
            return None
        if _THIRD_PARTY_ACT_AFTER.search(after):
            return start
        if weak is not None:
            return None if _ERRAND_AFTER.match(after) else weak
        return start if _WEAK_AFTER.search(after) else None

    @staticmethod
    def _confidence(text: str, start: int, end: int, clause: _Span, part: _Span, state: str, intent: bool) -> float:
        """Steps 6 and 7 and the confidence scale of the module docstring, for a mention that is
        not negated. Questions and other people are read near the mention: a call's customer
        turns have no punctuation, so its clause can be the whole call."""
        whole = text.replace(" ", "")  # text-level context, read across ASR spacing
        before = text[max(clause.start, start - _CONTEXT_REACH):start].replace(" ", "")
        clause_text = text[max(clause.start, start - _CONTEXT_REACH):min(clause.end + 1, end + _CONTEXT_REACH)]
        clause_text = clause_text.replace(" ", "")
        part_text = text[part.start:part.end].replace(" ", "")
        if _RETRACTED.search(clause_text):
            return RETRACTED  # stands whatever the model reads (``escalation_model.mix``)
        if _WITHDRAWN.search(whole) or (_ADVICE.search(whole) and not _REPORTED.search(part_text)):
            return 0.25
        if _CORRECTED_AFTER.search(text[end:].replace(" ", "")):
            return 0.25
        lead = _SENTENCE_START.split(text[max(0, start - 24):start])[-1].replace(" ", "")
        if _HYPOTHETICAL.search(lead):
            return 0.3
        after_mention = text[end:].replace(" ", "")
        if not _STILL_OPEN.search(after_mention) and (
                _CLOSURE_AFTER.search(after_mention)
                or (_PAST.search(whole) and (
                    (_RESOLVED_AFTER.search(after_mention) and _PRAISE.search(after_mention))
                    or (_OTHER_ERRAND.search(after_mention)
                        and (_RESOLVED_AFTER.search(after_mention) or _LONG_AGO.search(after_mention)))))):
            return 0.3
        counterfactual = _COUNTERFACTUAL.search(text, max(0, start - 30), start) and _THANKS.search(whole)
        if (_RELIEF.search(whole) and _AVERTED.search(before)) or counterfactual:
            return 0.3
        # The mention can be the verb itself (他们已经报案了), so it is read with the words before it.
        with_mention = before + text[start:end].replace(" ", "")
        # 朋友说可以打12345，我这边准备打了: another's idea, which the writer then takes up.
        adopted = _ADOPTED.search(text[end:end + _CONTEXT_REACH].replace(" ", "")) is not None
        someone_else = _THIRD_PERSON.search(with_mention) and not (_FIRST_PERSON_INTENT.search(clause_text) or adopted)
        if someone_else or _UNRELATED.search(whole):
            return 0.3
        rhetorical = _RHETORICAL_MARK.search(clause_text) is not None or state == "double"
        # 已经打了12315，电话是多少 and 请问怎么处理，准备去法院起诉 state; they do not ask.
        stated = rhetorical or bool(_REPORTED.search(clause_text) or _STATED_INTENT.search(clause_text)
                                    or _PREPARED_AFTER.match(after_mention))  # 消协的地址我搜好了: about to go
        if not stated and (_QUESTION_END.search(clause_text) or _QUESTION_INFO.search(clause_text)):
            return 0.7 if _COMPLAINT_INTENT.search(whole) else 0.35
        if _REPORTED.search(part_text):
            confidence = 0.95
        elif intent or rhetorical:
            confidence = 0.92
        elif state in ("double", "causative") or _CONDITIONAL.search(part_text):
            confidence = 0.9
        else:
            confidence = 0.8
        hedged = _HEDGED.search(part_text) and "不排除" not in part_text  # 不排除…的可能 keeps the option open
        return min(confidence, 0.75) if hedged else confidence

    def _is_third_party_sense(self, text: str, start: int, end: int, party: ThirdParty, clause: _Span,
                              before: str, after: str) -> bool:
        if party.not_when is not None:
            window_start = max(0, start - 8)
            for other in party.not_when.finditer(text, window_start, min(len(text), end + 8)):
                if other.start() < end and other.end() > start:
                    return False
        # A call's clause can be the whole call: the other-sense word must be near the mention.
        near_start, near_end = max(clause.start, start - _NOT_NEAR_REACH), min(clause.end, end + _NOT_NEAR_REACH)
        if party.not_near is not None and party.not_near.search(text, near_start, near_end):
            return False
        if text[start].isdigit() and (_ID_LABEL.search(before.replace(" ", "")) or _UNIT_AFTER.search(after)):
            return False
        if (party.category == "media" and _SHARED_PRAISE.search(text, clause.start, clause.end)
                and not _COMPLAINT_WORDS.search(text)):
            return False
        place = _PLACE_AFTER.search(after) and not _PROTEST_AT.search(after)
        return not (_WORKPLACE_AFTER.search(after) or place or _PUBLICATION_AFTER.search(after)
                    or (_MODIFIER_AFTER.search(after) and not _PREPARED_AFTER.match(after.replace(" ", "")))
                    or (party.category == "media" and _MEDIA_SUBJECT_BEFORE.search(before) is not None)
                    or _VISIT_AFTER.match(after.replace(" ", ""))
                    or _FRAUD_BEFORE.search(before)
                    or (_IDENTITY[0].search(before) and _IDENTITY[1].search(after))
                    or (_EVENT[0].search(before) and _EVENT[1].search(after))
                    or (_CONTACT_LISTED[0].search(before) and _CONTACT_LISTED[1].search(after))
                    or _BUILDING_AFTER.search(after)
                    or (_PROFESSION.fullmatch(text[start:end].replace(" ", "")) is not None
                        and _SELF_IS_BEFORE.search(before.replace(" ", "")) is not None)
                    or (_COMPARISON[0].search(before) and _COMPARISON[1].search(after))
                    or _COMPARED_BEFORE.search(before) or _COMPARED_AFTER.search(after)
                    or (_NEWS_ACT_AFTER.search(after) is not None and "我" not in before))

    @staticmethod
    def _clause(text: str, position: int) -> _Span:
        left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, position)), default=0)
        right = _CLAUSE_END.search(text, position)
        return _Span(left, right.start() if right else len(text))

    @staticmethod
    def _part(text: str, clause: _Span, position: int) -> _Span:
        """The clause cut at contrast and condition connectives: a negation's scope stops there."""
        left, right = clause.start, clause.end
        for connective in _PART_BREAK.finditer(text, clause.start, clause.end):
            if connective.end() <= position:
                left = connective.end()
            elif connective.start() >= position:
                right = connective.start()
                break
        return _Span(left, right)


def _nearest_verb(verbs: re.Pattern[str], text: str, start: int, end: int) -> int | None:
    """Start of the verb closest before ``end`` (at most ``_VERB_REACH`` characters away, a title
    in book marks such as 《消费者之声》 counting as none), if any."""
    found = [m.start() for m in verbs.finditer(text, start, end)
             if len(_TITLE.sub("", text[m.end():end]).replace(" ", "")) <= _VERB_REACH]
    return found[-1] if found else None


def _cues(prefix: str) -> list[re.Match[str]]:
    """Negation cues that start a word: 不 in 解决不了 or 别 in 特别 is no cue. Non-overlapping,
    in order; cues that negate nothing (不得不, 不怕…) are dropped."""
    found: list[re.Match[str]] = []
    position = 0
    for token in default_tokenizer().cut(prefix, HMM=False):
        cue = _CUES.match(prefix, position)
        if cue and (not found or cue.start() >= found[-1].end()):
            found.append(cue)
        position += len(token)
    return [cue for cue in found if _CUE_KIND[cue.group()] != "skip"]


def _negation_state(prefix: str, inner: bool = False) -> str:
    """'none', 'negated', 'double' (two cues cancel) or 'causative' (别逼我…) for the words before
    a mention's action in its clause part, spaces removed. ``inner``: the action itself is
    negated (找不到), so the nearest cue, a challenge included, cancels it."""
    prefix = prefix[-_NEGATION_WINDOW:]
    cues = _cues(prefix) if _CUE_FIRST_CHARS.search(prefix) else []
    if inner:
        near = [c for c in cues if len(prefix) - c.end() <= 6 and not _SCOPE_BREAK.search(prefix[c.end():])]
        return "double" if near else "negated"
    governing = None
    for index in range(len(cues) - 1, -1, -1):
        cue = cues[index]
        kind = _CUE_KIND[cue.group()]
        if kind == "rhetorical":
            continue
        if _in_scope(kind, prefix[cue.end():]):
            governing = index
        break
    if governing is None:
        return "none"
    cue = cues[governing]
    gap = prefix[cue.end():]
    if cue.group() in _IMPERATIVE and _CAUSATIVE.search(gap):
        return "causative"
    if governing > 0:
        outer = cues[governing - 1]
        between = prefix[outer.end():cue.start()]
        if _interjection(cues, governing - 1):
            return "negated"  # 没有没有 我没有打12315: "no, no", then the negation itself
        if _CUE_KIND[outer.group()] in ("belief", "rhetorical"):
            if len(between) <= 6 and not _SCOPE_BREAK.search(between):
                return "double"
        elif _DOUBLE_BETWEEN.fullmatch(between):
            return "double"
    return "negated"


def _interjection(cues: list[re.Match[str]], index: int) -> bool:
    """Whether cue ``index`` is a said-twice "no" (没有没有, 不不不, 不是不是): a spoken answer
    before the clause, which cancels no later cue. ASR keeps such repeats; a double negation never
    repeats its first cue."""
    cue = cues[index]
    return any(0 <= other < len(cues) and cues[other].group() == cue.group()
               and (cues[other].end() == cue.start() or cue.end() == cues[other].start())
               for other in (index - 1, index + 1))


def _in_scope(kind: str, gap: str) -> bool:
    if _SCOPE_BREAK.search(gap):
        return False
    if kind == "bare":
        return _LIGHT_GAP.fullmatch(gap) is not None or _CAUSATIVE.search(gap) is not None
    return len(gap) <= _VOLITIONAL_REACH


# The list the project ships; the nightly and the CLI pass the configured one (VOC_ESCALATION_PARTIES).
SHIPPED_PARTIES = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "third_parties.csv"


_READING_CODE = [Path(__file__), Path(__file__).with_name("escalation_model.py"), Path(__file__).with_name("normalize.py")]


@lru_cache(maxsize=4)
def shipped_model(cache_dir: Path | None = None) -> ThreatModel:
    """The model trained on every labelled set in ``bench/datasets`` (a few seconds), stored in
    ``cache_dir`` (the nightly and the CLI pass ``$VOC_DATA_DIR/models/escalation``) under a hash of
    the sets, the code that reads them and the recipe, so later processes load it instead."""
    def build() -> ThreatModel:
        rows = read_labelled(training_sets())
        return ThreatModel.train([model_input(text) for text, _, _ in rows],
                                 [y for _, y, _ in rows], [c for _, _, c in rows])
    return cached(cache_dir, [p.read_bytes() for p in training_sets() + _READING_CODE], build)


@lru_cache(maxsize=1)
def _shipped_detector() -> EscalationDetector:
    return EscalationDetector(ThirdParties.from_csv(SHIPPED_PARTIES))


def detect_escalation(text: str | None) -> Escalation:
    """One text against the shipped third-party list: the entry point for a notebook or a script
    (the pipeline builds an :class:`EscalationDetector` from its configured list instead)."""
    return _shipped_detector().detect(text)
