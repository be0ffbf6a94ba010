"""Generate realistic demo landing files plus the ground truth that KPI tests check against.

The world: customers of 星河通信 run into issues (a customer and a topic). Each issue produces one
or more contacts (calls, or posts that @ the brand) until it is resolved or the customer gives up;
calls are followed by surveys now and then; the public also posts about the brand. The company calls
detractors, complainants and level-3 cases back (outbound follow-up calls, 回访), sooner and more
often for higher tiers, sometimes after the 48-hour window, sometimes never. Incidents
(a delivery outage, a billing error) raise issue volume on their topics. Everything streams day by
day, so memory stays flat however many days or customers are asked for.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

from pipelines.demo import phrases as P

TIERS = (("diamond", 0.03), ("gold", 0.12), ("silver", 0.30), ("standard", 0.55))
TEAMS = ("一线A组", "一线B组", "一线C组", "专家组", "投诉处理组")
TOPIC_WEIGHTS = {
    "delivery": 10, "product_quality": 9, "price_fees": 8, "billing_error": 6, "refund_return": 7,
    "staff_attitude": 5, "waiting_time": 5, "account_login": 7, "network_signal": 10, "repair": 6,
    "marketing_harassment": 4, "privacy_security": 2, "other": 6,
}
# Base probability that one contact resolves the issue, per topic.
RESOLVE_PROB = {
    "delivery": 0.62, "product_quality": 0.55, "price_fees": 0.7, "billing_error": 0.6,
    "refund_return": 0.5, "staff_attitude": 0.65, "waiting_time": 0.75, "account_login": 0.8,
    "network_signal": 0.55, "repair": 0.5, "marketing_harassment": 0.7, "privacy_security": 0.5,
    "other": 0.9,
}


@dataclass(frozen=True)
class Incident:
    name: str
    topic: str
    start: date
    days: int
    volume_factor: float
    resolve_penalty: float
    # The planted key driver: customers whose issue began during the incident answer the survey
    # this many points lower on the 0-10 scale (floored at 0).
    nps_drop: int = 0

    def active(self, day: date) -> bool:
        return self.start <= day < self.start + timedelta(days=self.days)


OUTAGE_NPS_DROP = 2


def default_incidents(start: date) -> list[Incident]:
    """Incidents placed relative to the demo start so any window shows them."""
    return [
        Incident("两周配送中断 delivery outage", "delivery", start + timedelta(days=40), 14, 5.0, 0.25, OUTAGE_NPS_DROP),
        Incident("计费系统差错 billing error", "billing_error", start + timedelta(days=75), 6, 7.0, 0.2),
        Incident("基站故障 network outage", "network_signal", start + timedelta(days=100), 3, 4.0, 0.2),
    ]


# Survey answers (0-10) after a call that resolved the issue, and after one that did not.
NPS_WEIGHTS_RESOLVED = (1, 1, 1, 1, 1, 2, 3, 8, 14, 30, 38)
NPS_WEIGHTS_UNRESOLVED = (14, 10, 12, 12, 10, 10, 10, 8, 6, 4, 4)

# Chance that a detractor, complaint or level-3 case gets an outbound follow-up call, and the mean
# delay in hours (exponential): higher tiers are called back more often and sooner.
FOLLOWUP_RATE = {"diamond": 0.95, "gold": 0.85, "silver": 0.6, "standard": 0.45}
FOLLOWUP_MEAN_DELAY_HOURS = {"diamond": 8.0, "gold": 16.0, "silver": 30.0, "standard": 40.0}


@dataclass(frozen=True)
class FollowupDue:
    """An outbound call the company will make at ``due`` about ``topic``."""

    due: datetime
    customer: Customer
    topic: str
    team: str


@dataclass
class Customer:
    customer_id: str
    tier: str
    weibo_id: str | None


@dataclass
class Issue:
    issue_id: str
    customer: Customer
    topic: str
    opened: date
    resolve_prob: float
    contacts: list[str] = field(default_factory=list)
    escalated: bool = False


@dataclass
class GeneratorConfig:
    start: date
    days: int
    customers: int
    seed: int
    out: Path
    truth_out: Path
    issues_per_customer_year: float = 3.0
    survey_rate: float = 0.35
    public_posts_per_day: int = 60
    defect_rate: float = 0.003


class _Truth:
    """Ground-truth CSV writers, one per source, kept open for the whole run."""

    HEADERS = {
        "customers": ["customer_id", "tier", "weibo_id"],
        "calls": ["call_id", "customer_id", "issue_id", "topic", "contact_index", "started_at",
                  "true_sentiment", "true_resolved", "agent_resolved_flag", "complaint_flag",
                  "third_party_escalation", "true_recovery", "previous_contact_id", "direction", "defect"],
        "surveys": ["survey_id", "customer_id", "interaction_id", "topic", "true_sentiment",
                    "nps", "csat", "submitted_at", "incident_nps_drop", "defect"],
        "social": ["post_id", "customer_id", "issue_id", "topic", "true_sentiment",
                   "mentions_brand", "is_contact", "third_party_escalation", "posted_at",
                   "previous_contact_id", "defect"],
        "incidents": ["name", "topic", "start", "days"],
    }

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.handles = {name: (folder / f"{name}.csv").open("w", newline="", encoding="utf-8")
                        for name in self.HEADERS}
        self.writers = {name: csv.writer(handle) for name, handle in self.handles.items()}
        for name, header in self.HEADERS.items():
            self.writers[name].writerow(header)

    def write(self, name: str, row: list) -> None:
        self.writers[name].writerow(row)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


class DemoGenerator:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.incidents = default_incidents(config.start)
        self.customers = [self._customer(i) for i in range(1, config.customers + 1)]
        self.pending: dict[date, list[Issue]] = defaultdict(list)
        self.serial = 0
        self.topics = list(TOPIC_WEIGHTS)
        # Follow-ups draw from their own stream so the inbound world stays the one other seeds know.
        self.followup_rng = random.Random(config.seed + 1)
        self.followups: dict[date, list[FollowupDue]] = defaultdict(list)

    # ---- small helpers -------------------------------------------------------------------
    def _next_id(self, prefix: str, day: date) -> str:
        self.serial += 1
        return f"{prefix}{day:%Y%m%d}{self.serial:08d}"

    def _customer(self, index: int) -> Customer:
        tier = self.rng.choices([t for t, _ in TIERS], [w for _, w in TIERS])[0]
        weibo = f"U{5000000 + index}" if self.rng.random() < 0.25 else None
        return Customer(f"C{index:07d}", tier, weibo)

    def _pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def _fill(self, template: str, topic: str | None = None) -> str:
        rng = self.rng
        return template.format(
            product=rng.choice(P.PRODUCTS), days=rng.randint(2, 20), amount=rng.choice([8, 15, 30, 58, 99, 128, 300]),
            order=f"XH{rng.randint(10**9, 10**10 - 1)}", minutes=rng.randint(10, 60),
            staff=str(rng.randint(100, 999)).translate(P.SPOKEN_DIGITS), n="三四五"[rng.randint(0, 2)],
            issue=rng.choice(P.PROBLEMS[topic or rng.choice(self.topics)]),
        )

    def _time_on(self, day: date, first_hour: int = 8, last_hour: int = 22) -> datetime:
        seconds = self.rng.randint(first_hour * 3600, last_hour * 3600 - 1)
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)

    def _pii(self) -> str:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return f"我手机号是1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}"
        if kind == 1:
            return f"身份证号11010{rng.randint(1, 9)}19{rng.randint(60, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{rng.randint(100, 999)}X"
        if kind == 2:
            return f"卡号6222 02{rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(100, 999)}"
        return f"邮箱是user{rng.randint(1, 99999)}@example.com"

    def _defect(self, kinds: tuple[str, ...], rng: random.Random | None = None) -> str:
        """Real exports carry a few broken rows; the loader must quarantine exactly these."""
        rng = rng or self.rng
        if rng.random() >= self.config.defect_rate:
            return ""
        return rng.choice(kinds)

    # ---- texts ----------------------------------------------------------------------------
    def opinion(self, sentiment: str, topic: str | None = None) -> str:
        """A sentiment-bearing clause: plain, negated, sarcastic or mixed (about ``topic``)."""
        roll = self.rng.random()
        if sentiment == "negative":
            pool = P.NEGATIVE if roll < 0.65 else P.NEGATED_POSITIVE if roll < 0.85 else P.SARCASM
        elif sentiment == "positive":
            pool = P.POSITIVE if roll < 0.8 else P.NEGATED_NEGATIVE
        else:
            pool = P.NEUTRAL if roll < 0.75 else P.MIXED
        return self._fill(self._pick(pool), topic)

    def written_text(self, topic: str, sentiment: str, escalate: bool = False) -> str:
        """A survey comment or post body: problem statement and opinion in varied order."""
        rng = self.rng
        problem = self._fill(self._pick(P.PROBLEMS[topic]))
        parts = [problem, self.opinion(sentiment, topic)]
        if sentiment == "positive" and rng.random() < 0.6:
            parts = [self._pick(["问题已经解决", "后来处理好了", "客服很快帮我搞定了", "这次很顺利"]), problem if rng.random() < 0.3 else "", self.opinion(sentiment, topic)]
        if rng.random() < 0.3:
            parts.reverse()
        if escalate:
            parts.append(self._pick(P.ESCALATION_THREATS))
        elif sentiment == "negative" and rng.random() < 0.05:
            parts.append(self._pick(P.NOT_ESCALATING))
        if rng.random() < 0.03:
            parts.append(self._pii())
        sep = rng.choice(["，", "。", "！", " ", "，"])
        return sep.join(p for p in parts if p) + rng.choice(["", "。", "！", "！！", "…"])

    def asr(self, text: str) -> str:
        """ASR style: no punctuation, fillers, digits spoken."""
        rng = self.rng
        for mark in "，。！？…!?,":
            text = text.replace(mark, " ")
        words = text.split()
        out = []
        for word in words:
            if rng.random() < 0.35:
                out.append(rng.choice(P.ASR_FILLERS))
            out.append(word.translate(P.SPOKEN_DIGITS) if rng.random() < 0.7 else word)
        return " ".join(out)

    # ---- sources --------------------------------------------------------------------------
    def call_record(self, issue: Issue, day: date, contact_index: int, previous: str | None) -> tuple[dict, list]:
        rng = self.rng
        call_id = self._next_id("CL", day)
        resolved = rng.random() < issue.resolve_prob
        start_sentiment = "negative" if rng.random() < (0.55 + 0.12 * contact_index) else ("neutral" if rng.random() < 0.85 else "positive")
        recovered = start_sentiment == "negative" and resolved and rng.random() < 0.55
        end_sentiment = "positive" if recovered or (resolved and rng.random() < 0.6) else ("negative" if not resolved and rng.random() < 0.6 else "neutral")
        escalate = (not resolved) and contact_index >= 2 and rng.random() < 0.3
        issue.escalated |= escalate
        complaint = start_sentiment == "negative" and rng.random() < (0.45 if contact_index == 1 else 0.8)
        agent_flag = resolved or rng.random() < 0.35
        turns: list[dict] = []
        clock = 0.0

        def say(speaker: str, text: str) -> None:
            nonlocal clock
            length = max(1.5, len(text) * rng.uniform(0.18, 0.3))
            turns.append({"speaker": speaker, "start_s": round(clock, 1), "end_s": round(clock + length, 1), "text": text})
            clock += length + rng.uniform(0.3, 2.0)

        say("agent", self._fill(self._pick(P.AGENT_GREETINGS)))
        opening = self._fill(self._pick(P.PROBLEMS[issue.topic]))
        if contact_index > 1:
            opening = self._fill(self._pick(P.CUSTOMER_REPEAT)) + " " + opening
        say("customer", self.asr(opening + " " + self.opinion(start_sentiment, issue.topic)))
        say("agent", self._pick(P.AGENT_EMPATHY))
        for _ in range(rng.randint(0, 3)):
            say("customer", self.asr(self.opinion(start_sentiment if rng.random() < 0.6 else "neutral", issue.topic)))
            say("agent", self._pick(P.AGENT_ACTIONS))
        if rng.random() < 0.04:
            say("customer", self.asr(self._pii()))
        if escalate:
            say("customer", self.asr(self._pick(P.ESCALATION_THREATS)))
        if resolved:
            say("agent", self._pick(P.AGENT_RESOLVED))
        else:
            say("agent", self._pick(P.AGENT_ACTIONS))
        closing = {"positive": P.CUSTOMER_SATISFIED, "negative": P.CUSTOMER_UNSATISFIED, "neutral": P.CUSTOMER_NEUTRAL}
        say("customer", self.asr(self._pick(closing[end_sentiment])))
        if recovered:
            say("customer", self.asr(self._pick(P.POSITIVE)))
        say("agent", self._pick(P.AGENT_CLOSING))

        started = self._time_on(day)
        wait = int(rng.expovariate(1 / 25)) + (rng.randint(30, 240) if rng.random() < 0.15 else 0)
        tier = min(4, 1 + (contact_index - 1) + (1 if escalate else 0)) if rng.random() < 0.7 else 1
        record = {
            "call_id": call_id, "customer_id": issue.customer.customer_id,
            "customer_tier": issue.customer.tier, "agent_id": f"A{rng.randint(1, 180):04d}",
            "agent_team": TEAMS[min(4, tier - 1 + rng.randint(0, 2))] if tier > 1 else TEAMS[rng.randint(0, 2)],
            "started_at": started.isoformat(sep=" ") + "+08:00", "queue_wait_seconds": wait,
            "duration_seconds": int(clock), "reason_code": issue.topic,
            "resolved_flag": agent_flag, "complaint_flag": complaint, "escalation_tier": tier,
            "transfer_count": rng.choices([0, 1, 2], [0.8, 0.15, 0.05])[0], "direction": "inbound", "turns": turns,
        }
        truth = [call_id, issue.customer.customer_id, issue.issue_id, issue.topic, contact_index,
                 started.isoformat(sep=" "), start_sentiment if start_sentiment == end_sentiment else f"{start_sentiment}->{end_sentiment}",
                 resolved, agent_flag, complaint, escalate, recovered, previous or "", "inbound"]
        issue.contacts.append(call_id)
        return record, truth

    def schedule_followup(self, customer: Customer, topic: str, team: str, trigger_at: datetime) -> None:
        """Maybe call the customer back after a detractor answer, a complaint or a level-3 case."""
        rng = self.followup_rng
        if rng.random() >= FOLLOWUP_RATE[customer.tier]:
            return
        due = trigger_at + timedelta(hours=0.25 + rng.expovariate(1 / FOLLOWUP_MEAN_DELAY_HOURS[customer.tier]))
        self.followups[due.date()].append(FollowupDue(due, customer, topic, team))

    def followup_call(self, followup: FollowupDue) -> tuple[dict, list]:
        """An outbound follow-up call: not a contact, never surveyed, never a complaint."""
        rng = self.followup_rng
        call_id = self._next_id("CO", followup.due.date())
        texts = [("agent", rng.choice(P.AGENT_FOLLOWUP_OPENINGS)), ("customer", rng.choice(P.CUSTOMER_FOLLOWUP_REPLIES)),
                 ("agent", rng.choice(P.AGENT_FOLLOWUP_CLOSINGS))]
        turns, clock = [], 0.0
        for speaker, text in texts:
            length = max(1.5, len(text) * 0.25)
            turns.append({"speaker": speaker, "start_s": round(clock, 1), "end_s": round(clock + length, 1), "text": text})
            clock += length + 1.0
        started = followup.due.replace(microsecond=0)
        record = {
            "call_id": call_id, "customer_id": followup.customer.customer_id, "customer_tier": followup.customer.tier,
            "agent_id": f"A{rng.randint(1, 180):04d}", "agent_team": followup.team,
            "started_at": started.isoformat(sep=" ") + "+08:00", "queue_wait_seconds": 0,
            "duration_seconds": int(clock), "reason_code": followup.topic, "resolved_flag": False,
            "complaint_flag": False, "escalation_tier": 1, "transfer_count": 0, "direction": "outbound", "turns": turns,
        }
        truth = [call_id, followup.customer.customer_id, "", followup.topic, 0, started.isoformat(sep=" "), "neutral",
                 False, False, False, False, False, "", "outbound"]
        return record, truth

    def survey_row(self, call: dict, truth: list, day: date, nps_drop: int = 0) -> tuple[dict, list]:
        rng = self.rng
        resolved = truth[7]
        nps = rng.choices(range(11), NPS_WEIGHTS_RESOLVED if resolved else NPS_WEIGHTS_UNRESOLVED)[0]
        nps = max(0, nps - nps_drop)
        csat = max(1, min(5, round(nps / 2.2) + rng.choice([-1, 0, 0, 1])))
        sentiment = "positive" if nps >= 9 else "negative" if nps <= 6 else "neutral"
        comment = self.written_text(truth[3], sentiment) if rng.random() < 0.7 else ""
        called = datetime.fromisoformat(call["started_at"][:19])
        minutes_left = int((datetime.combine(day, datetime.max.time()) - called).total_seconds() // 60)
        submitted = called + timedelta(minutes=rng.randint(min(5, minutes_left), max(5, min(600, minutes_left))))
        survey_id = self._next_id("SV", day)
        row = {"survey_id": survey_id, "customer_id": call["customer_id"], "interaction_id": call["call_id"],
               "channel": "call", "submitted_at": submitted, "nps": nps if rng.random() > 0.05 else "",
               "csat": csat, "comment": comment}
        truth_row = [survey_id, call["customer_id"], call["call_id"], truth[3], sentiment, row["nps"], csat,
                     submitted.isoformat(sep=" "), nps_drop]
        return row, truth_row

    def post(self, day: date, topic: str, sentiment: str, author: str, customer: Customer | None,
             mentions_brand: bool, escalate: bool) -> dict:
        rng = self.rng
        text = self.written_text(topic, sentiment, escalate)
        emoji = {"negative": P.EMOJI_NEGATIVE, "positive": P.EMOJI_POSITIVE, "neutral": P.EMOJI_NEUTRAL}[sentiment]
        text += "".join(rng.choice(emoji) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.4:
            text = rng.choice(P.HASHTAGS) + text
        if mentions_brand:
            text = (P.BRAND_HANDLE + " " + text) if rng.random() < 0.5 else (text + " " + P.BRAND_HANDLE)
        if rng.random() < 0.15:
            text += f" http://t.cn/A6{rng.randint(10**5, 10**6 - 1)}"
        if rng.random() < 0.08:
            text = text.translate(P.TRADITIONAL)
        virality = 1 + (30 if escalate else 0) + (10 if sentiment == "negative" else 0)
        is_repost = rng.random() < 0.12
        if is_repost:
            text = f"//@用户{rng.randint(1000, 9999)}: {text}"
        return {
            "post_id": self._next_id("WB", day), "author_id": author,
            "author_name": f"用户{author[-5:]}" if rng.random() < 0.9 else rng.choice(["小王不吃香菜", "深圳打工人", "阿May", "老陈说"]),
            "customer_id": customer.customer_id if customer else None,
            "posted_at": self._time_on(day, 0, 24).strftime("%a %b %d %H:%M:%S +0800 %Y"),
            "text": text, "reposts": int(rng.paretovariate(1.6) * virality) - 1,
            "comments": int(rng.paretovariate(1.8) * virality) - 1, "likes": int(rng.paretovariate(1.3) * virality) - 1,
            "mentions_brand": mentions_brand, "is_repost": is_repost, "platform": "weibo",
        }

    # ---- one day --------------------------------------------------------------------------
    def _topic_weights(self, day: date) -> list[float]:
        weights = dict(TOPIC_WEIGHTS)
        for incident in self.incidents:
            if incident.active(day):
                weights[incident.topic] *= incident.volume_factor
        return [weights[t] for t in self.topics]

    def _new_issues(self, day: date) -> list[Issue]:
        rng = self.rng
        mean = self.config.customers * self.config.issues_per_customer_year / 365
        weights = self._topic_weights(day)
        surge = sum(weights) / sum(TOPIC_WEIGHTS.values())
        count = max(0, int(rng.gauss(mean * surge, (mean * surge) ** 0.5)))
        issues = []
        for _ in range(count):
            topic = rng.choices(self.topics, weights)[0]
            prob = RESOLVE_PROB[topic]
            for incident in self.incidents:
                if incident.active(day) and incident.topic == topic:
                    prob -= incident.resolve_penalty
            issues.append(Issue(self._next_id("IS", day), rng.choice(self.customers), topic, day, prob))
        return issues

    def _nps_drop(self, issue: Issue) -> int:
        """The planted driver's drop for an issue that began during an incident on its topic."""
        return sum(i.nps_drop for i in self.incidents if i.topic == issue.topic and i.active(issue.opened))

    def generate_day(self, day: date, truth: _Truth) -> dict[str, int]:
        rng = self.rng
        calls: list[dict] = []
        surveys: list[dict] = []
        posts: list[dict] = []
        todays = [(issue, len(issue.contacts) + 1) for issue in self.pending.pop(day, [])]
        todays += [(issue, 1) for issue in self._new_issues(day)]
        for issue, index in todays:
            previous = issue.contacts[-1] if issue.contacts else None
            customer = issue.customer
            if customer.weibo_id and rng.random() < 0.12:
                sentiment = "negative" if rng.random() < 0.8 else "neutral"
                escalate = index >= 2 and rng.random() < 0.3
                post = self.post(day, issue.topic, sentiment, customer.weibo_id, customer, True, escalate)
                post["_defect"] = self._defect(SOCIAL_DEFECTS)
                posts.append(post)
                issue.contacts.append(post["post_id"])
                truth.write("social", [post["post_id"], customer.customer_id, issue.issue_id, issue.topic,
                                       sentiment, True, True, escalate, post["posted_at"], previous or "",
                                       post["_defect"]])
                if escalate:
                    posted = datetime.strptime(post["posted_at"], "%a %b %d %H:%M:%S %z %Y").replace(tzinfo=None)
                    self.schedule_followup(customer, issue.topic, TEAMS[4], posted)
                resolved = rng.random() < issue.resolve_prob * 0.8
            else:
                call, call_truth = self.call_record(issue, day, index, previous)
                call["_defect"] = self._defect(CALL_DEFECTS)
                calls.append(call)
                truth.write("calls", call_truth + [call["_defect"]])
                resolved = call_truth[7]
                if call_truth[9] or call_truth[10]:  # a logged complaint or a level-3 threat
                    self.schedule_followup(customer, issue.topic, call["agent_team"], datetime.fromisoformat(call_truth[5]))
                if rng.random() < self.config.survey_rate:
                    survey, survey_truth = self.survey_row(call, call_truth, day, self._nps_drop(issue))
                    survey["_defect"] = self._defect(SURVEY_DEFECTS)
                    surveys.append(survey)
                    truth.write("surveys", survey_truth + [survey["_defect"]])
                    if survey["nps"] != "" and survey["nps"] <= 6:
                        self.schedule_followup(customer, issue.topic, call["agent_team"], survey["submitted_at"])
            if not resolved and index < 5 and rng.random() < 0.85:
                gap = 1 + int(rng.expovariate(1 / 3.5))
                self.pending[day + timedelta(days=gap)].append(issue)
        for followup in sorted(self.followups.pop(day, []), key=lambda f: f.due):
            call, call_truth = self.followup_call(followup)
            call["_defect"] = self._defect(CALL_DEFECTS, self.followup_rng)
            calls.append(call)
            truth.write("calls", call_truth + [call["_defect"]])
        for _ in range(int(self.config.public_posts_per_day * sum(self._topic_weights(day)) / sum(TOPIC_WEIGHTS.values()))):
            topic = rng.choices(self.topics, self._topic_weights(day))[0]
            sentiment = rng.choices(["negative", "neutral", "positive"], [0.5, 0.3, 0.2])[0]
            escalate = sentiment == "negative" and rng.random() < 0.04
            author = f"U{rng.randint(10**7, 10**8 - 1)}"
            post = self.post(day, topic, sentiment, author, None, rng.random() < 0.3, escalate)
            post["_defect"] = self._defect(SOCIAL_DEFECTS)
            posts.append(post)
            truth.write("social", [post["post_id"], "", "", topic, sentiment, post["mentions_brand"], False,
                                   escalate, post["posted_at"], "", post["_defect"]])
        self._write_day(day, calls, surveys, posts)
        return {"calls": len(calls), "surveys": len(surveys), "social": len(posts)}

    def _write_day(self, day: date, calls: list[dict], surveys: list[dict], posts: list[dict]) -> None:
        stamp = f"{day:%Y%m%d}"
        root = self.config.out
        for name, rows in (("calls", calls), ("social", posts)):
            folder = root / name / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            prefix = "calls" if name == "calls" else "weibo"
            with (folder / f"{prefix}_{stamp}.jsonl").open("wb") as handle:
                for row in rows:
                    handle.write(_broken_json(row) + b"\n")
        folder = root / "surveys" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        half = len(surveys) // 2
        # The hotline's satisfaction callbacks come from Excel: GB18030, Chinese headers.
        with (folder / f"满意度回访_{stamp}.csv").open("w", newline="", encoding="gb18030") as handle:
            writer = csv.writer(handle)
            writer.writerow(["问卷编号", "客户编号", "服务单号", "渠道", "提交时间", "推荐度", "满意度", "意见"])
            for row in map(_broken_survey, surveys[:half]):
                submitted = row["submitted_at"]
                if not isinstance(submitted, str):
                    submitted = submitted.strftime("%Y/%m/%d %H:%M:%S")
                writer.writerow([row["survey_id"], row["customer_id"], row["interaction_id"], "电话",
                                 submitted, row["nps"], row["csat"], row["comment"]])
        # The app's survey export: UTF-8, with a BOM on even days as Excel re-saves it.
        encoding = "utf-8-sig" if day.toordinal() % 2 == 0 else "utf-8"
        with (folder / f"app_survey_{stamp}.csv").open("w", newline="", encoding=encoding) as handle:
            writer = csv.DictWriter(handle, ["survey_id", "customer_id", "interaction_id", "channel", "submitted_at", "nps", "csat", "comment"])
            writer.writeheader()
            for row in map(_broken_survey, surveys[half:]):
                submitted = row["submitted_at"]
                writer.writerow({**row, "submitted_at": submitted if isinstance(submitted, str) else submitted.isoformat(sep=" ")})


CALL_DEFECTS = ("truncated_json", "missing_customer_id", "bad_timestamp")
SURVEY_DEFECTS = ("nps_out_of_range", "bad_timestamp", "missing_survey_id")
SOCIAL_DEFECTS = ("truncated_json", "empty_text")


def _broken_json(row: dict) -> bytes:
    """Serialise a row, damaged the way its ``_defect`` says."""
    row = dict(row)
    defect = row.pop("_defect", "")
    if defect == "missing_customer_id":
        row["customer_id"] = ""
    elif defect == "bad_timestamp":
        row["started_at"] = "2026-13-45 25:61:00"
    elif defect == "empty_text":
        row["text"] = "  "
    data = orjson.dumps(row)
    return data[: len(data) // 2] if defect == "truncated_json" else data


def _broken_survey(row: dict) -> dict:
    row = dict(row)
    defect = row.pop("_defect", "")
    if defect == "nps_out_of_range":
        row["nps"] = 11
    elif defect == "bad_timestamp":
        row["submitted_at"] = "昨天下午"
    elif defect == "missing_survey_id":
        row["survey_id"] = ""
    return row


def generate(config: GeneratorConfig, progress: Callable[[date, dict[str, int]], None] | None = None) -> dict[str, int]:
    """Write landing files and ground truth for every day; return total rows per source."""
    generator = DemoGenerator(config)
    truth = _Truth(config.truth_out)
    totals = {"calls": 0, "surveys": 0, "social": 0}
    try:
        for customer in generator.customers:
            truth.write("customers", [customer.customer_id, customer.tier, customer.weibo_id or ""])
        for incident in generator.incidents:
            truth.write("incidents", [incident.name, incident.topic, incident.start.isoformat(), incident.days])
        for offset in range(config.days):
            day = config.start + timedelta(days=offset)
            counts = generator.generate_day(day, truth)
            for key, value in counts.items():
                totals[key] += value
            if progress:
                progress(day, counts)
    finally:
        truth.close()
    return totals
