"""The demo generator: reproducible, realistic in format, and honest about its ground truth."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from datetime import date
from pathlib import Path

from pipelines.demo.generator import GeneratorConfig, default_incidents, generate


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _config(root: Path, seed: int = 5, days: int = 3) -> GeneratorConfig:
    return GeneratorConfig(start=date(2026, 8, 1), days=days, customers=3000, seed=seed,
                           out=root / "landing", truth_out=root / "truth")


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    generate(_config(tmp_path / "a"))
    generate(_config(tmp_path / "b"))
    generate(_config(tmp_path / "c", seed=6))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_formats_match_what_real_systems_export(tmp_path: Path) -> None:
    generate(_config(tmp_path, days=2))
    surveys = sorted((tmp_path / "landing" / "surveys" / "2026-08-01").iterdir())
    gb_file = next(p for p in surveys if p.name.startswith("满意度回访"))
    raw = gb_file.read_bytes()
    assert raw.decode("gb18030").startswith("问卷编号,客户编号")
    try:
        raw.decode("utf-8")
        is_utf8 = True
    except UnicodeDecodeError:
        is_utf8 = False
    assert not is_utf8, "the Excel export must be GB18030, not UTF-8"
    boms = {p.name: p.read_bytes().startswith(b"\xef\xbb\xbf") for p in (tmp_path / "landing" / "surveys").rglob("app_*.csv")}
    assert sorted(boms.values()) == [False, True]
    calls = (tmp_path / "landing" / "calls" / "2026-08-01" / "calls_20260801.jsonl").read_text("utf-8")
    assert '"speaker":"customer"' in calls and '"speaker":"agent"' in calls
    posts = (tmp_path / "landing" / "social" / "2026-08-01" / "weibo_20260801.jsonl").read_text("utf-8")
    assert "+0800 2026" in posts and "[" in posts


def test_ground_truth_covers_every_row_and_repeat_links(tmp_path: Path) -> None:
    totals = generate(_config(tmp_path, days=20))
    truth = {name: list(csv.DictReader((tmp_path / "truth" / f"{name}.csv").open(encoding="utf-8")))
             for name in ("calls", "surveys", "social", "customers")}
    assert len(truth["calls"]) == totals["calls"]
    assert len(truth["surveys"]) == totals["surveys"]
    assert len(truth["social"]) == totals["social"]
    assert len(truth["customers"]) == 3000
    repeats = [row for row in truth["calls"] if row["previous_contact_id"]]
    assert repeats, "unresolved issues must come back as repeat contacts"
    assert {row["topic"] for row in truth["calls"]} >= {"delivery", "billing_error", "network_signal"}
    assert Counter(row["customer_id"] for row in truth["calls"]).most_common(1)[0][1] >= 2


def test_incidents_show_as_spikes(tmp_path: Path) -> None:
    config = GeneratorConfig(start=date(2026, 8, 1), days=60, customers=4000, seed=9,
                             out=tmp_path / "landing", truth_out=tmp_path / "truth")
    generate(config)
    outage = default_incidents(config.start)[0]
    rows = list(csv.DictReader((tmp_path / "truth" / "calls.csv").open(encoding="utf-8")))
    per_day = Counter(row["started_at"][:10] for row in rows if row["topic"] == outage.topic)
    inside = [per_day[(outage.start.fromordinal(outage.start.toordinal() + i)).isoformat()] for i in range(outage.days)]
    before = [per_day[(outage.start.fromordinal(outage.start.toordinal() - 20 + i)).isoformat()] for i in range(14)]
    assert sum(inside) > 2.5 * sum(before)


def test_texts_are_varied(tmp_path: Path) -> None:
    """Many phrasings per intent: no clause seen only in negative texts marks many of them."""
    import re

    from pipelines.demo.generator import DemoGenerator

    generator = DemoGenerator(_config(tmp_path))
    texts = {s: [generator.written_text("delivery", s) for _ in range(2000)] for s in ("negative", "positive")}
    assert len(set(texts["negative"])) > 0.9 * 2000

    def clauses(sentiment: str) -> Counter:
        return Counter(c for t in texts[sentiment] for c in set(re.split(r"[，。！ …]+", t)) if c)

    negative, positive = clauses("negative"), clauses("positive")
    giveaways = {c: n for c, n in negative.items() if c not in positive and n > 0.1 * 2000}
    assert giveaways == {}
    assert len([c for c in negative if c not in positive]) >= 25


def test_posts_addressed_to_the_brand_name_their_topic(tmp_path: Path) -> None:
    """A customer's complaint post says what it is about, so FCR over calls and posts is exact."""
    import orjson

    from sentiment.normalize import normalize
    from sentiment.topics import Taxonomy

    generate(GeneratorConfig(start=date(2026, 8, 1), days=30, customers=10000, seed=5,
                             out=tmp_path / "landing", truth_out=tmp_path / "truth"))
    taxonomy = Taxonomy.from_csv(Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "topic_taxonomy.csv")
    truth = {row["post_id"]: row["topic"] for row in csv.DictReader((tmp_path / "truth" / "social.csv").open(encoding="utf-8"))
             if row["is_contact"] == "True" and not row["defect"]}
    posts = {}
    for path in (tmp_path / "landing" / "social").rglob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            try:
                post = orjson.loads(line)
            except orjson.JSONDecodeError:  # an injected defect; truth marks it and it is skipped
                continue
            posts[post["post_id"]] = post["text"]
    assert len(truth) > 100
    wrong = {pid: (topic, posts[pid]) for pid, topic in truth.items()
             if (taxonomy.match(normalize(posts[pid]).text)[0] or "other") != topic}
    assert wrong == {}
