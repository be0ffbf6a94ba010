"""Score one partition's documents: sentiment (cached by text hash and model version), call
arcs, topics and escalation risk, written to the ``nlp`` schema in one transaction.

Each document and each call turn is normalised once here (``sentiment.normalize``; turns with
``asr=True``) and masked again (``normalized_text``), kept beside the original as ``text_normalized``, and that one text is what
sentiment, topics and escalation read. Calls are read through their customer turns only: the
agent's greeting is no topic, and the agent's wrap-up ``reason_code`` stays in ``raw.calls``.
Turns without content (placeholders, numbers, greetings, bare 好的/谢谢) are not scored."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.ingest.masking import mask_pii
from pipelines.ingest.tables import raw_ddl
from pipelines.lake import mount_lake_tables, write_partition
from pipelines.nlp.tables import NLP_DDL, PARTITIONED_TABLES, nlp_ddl
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse
from sentiment.calls import call_arc
from sentiment.engines import CLASSES, SentimentEngine, load_engine
from sentiment.escalation import EscalationDetector, ThirdParties
from sentiment.normalize import content_kind, normalize
from sentiment.scoring import UNKNOWN, Scored, polarity, score_normalised
from sentiment.topics import TRAINING_SET, Taxonomy, TopicModel, customer_text

log = logging.getLogger(__name__)


def normalized_text(text: str | None, asr: bool = False) -> str:
    """The text every model reads and ``text_normalized`` keeps: ``normalize``'s, masked again. The raw
    text was masked at ingestion, but normalisation removes what stood between a number's groups
    (markup, an @mention, ASR fillers), so a number masking could not see there may show here."""
    return mask_pii(normalize(text, asr=asr).text)[0]


@dataclass
class NlpReport:
    documents: int = 0
    turns: int = 0
    scored_by_engine: int = 0
    cache_hits: int = 0
    labels: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    escalations: int = 0
    recovered_calls: int = 0


@lru_cache(maxsize=4)
def _engine(name: str, model_dir: str | None, cache_dir: str, threads: int | None = None) -> SentimentEngine:
    return load_engine(name, Path(model_dir) if model_dir else None, Path(cache_dir), threads)


def sentiment_engine(settings: Settings) -> SentimentEngine:
    """The configured engine; a transformer's ONNX working copy lives under the data dir."""
    model_dir = settings.sentiment_model_for(settings.sentiment_engine)
    return _engine(settings.sentiment_engine, str(model_dir) if model_dir else None, str(settings.model_cache_dir))


def topic_version(taxonomy_path: Path) -> str:
    """The taxonomy's and the written training set's content hashes: either changes the topics."""
    taxonomy = hashlib.sha1(taxonomy_path.read_bytes()).hexdigest()[:10]
    training = hashlib.sha1(TRAINING_SET.read_bytes()).hexdigest()[:10]
    return f"taxonomy-{taxonomy}+written-{training}+tfidf-lr"


Scorer = Callable[[list[str]], np.ndarray]
"""Texts → probabilities, shape (n, 3) in ``CLASSES`` order: the engine itself, or the spark
engine's ``pipelines.nlp.spark_scoring.SparkScorer`` running it on executors."""


def _cached_predict(conn: duckdb.DuckDBPyConnection, engine: SentimentEngine,
                    report: NlpReport, scorer: Scorer | None = None) -> Scorer:
    """``scorer`` (default ``engine.predict_proba``) behind the result cache (text hash + model
    version → 3 probabilities): only the misses are scored."""

    def predict(texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        unique = dict(zip(keys, texts))
        conn.register("_keys", pa.table({"text_hash": list(unique)}))
        hits = {key: np.array(row, dtype=np.float32) for key, *row in conn.execute(
            """SELECT c.text_hash, c.p_negative, c.p_neutral, c.p_positive FROM nlp.sentiment_cache c
               JOIN _keys k USING (text_hash) WHERE c.model_version = ? AND c.p_negative IS NOT NULL""",
            [engine.version]).fetchall()}
        conn.unregister("_keys")
        misses = [key for key in unique if key not in hits]
        report.cache_hits += len(hits)
        report.scored_by_engine += len(misses)
        if misses:
            probabilities = (scorer or engine.predict_proba)([unique[key] for key in misses])
            new = pa.table({"text_hash": misses, "model_version": [engine.version] * len(misses),
                            "score": pa.array(polarity(probabilities), type=pa.float32()),
                            **{f"p_{name}": pa.array(probabilities[:, i], type=pa.float32())
                               for i, name in enumerate(CLASSES)}})
            conn.register("_new", new)
            conn.execute("INSERT INTO nlp.sentiment_cache BY NAME SELECT * FROM _new ON CONFLICT DO NOTHING")
            conn.unregister("_new")
            hits.update(zip(misses, probabilities))
        return np.stack([hits[key] for key in keys]) if keys else np.zeros((0, 3), dtype=np.float32)

    return predict


def _sentiment_columns(result: Scored) -> dict[str, object]:
    return {"sentiment_score": result.score, "sentiment_label": result.label, "sentiment_negative": result.negative,
            "sentiment_neutral": result.neutral, "sentiment_positive": result.positive}


def _add(rows: dict[str, list], **values: object) -> None:
    """Append one row to column lists (the shape pyarrow tables are built from)."""
    for column, value in values.items():
        rows[column].append(value)


def _insert(conn: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list]) -> None:
    """Insert column lists as rows; a day without rows for this table (no columns at all) is a no-op."""
    if not any(columns.values()):
        return
    conn.register("_rows", pa.table(columns))
    conn.execute(f"INSERT INTO nlp.{table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _rows")
    conn.unregister("_rows")


def _source_ddl(warehouse: Warehouse) -> str:
    """The raw and nlp DDL a reader of ``warehouse`` runs: on the spark engine its source and
    per-day nlp tables are views over the lake (``pipelines.lake``), which DDL must not touch."""
    on_duckdb = warehouse.lake is None
    return raw_ddl(None, source_tables=on_duckdb) + nlp_ddl(partitioned_tables=on_duckdb)


def score_partition(day: date, topic_model: TopicModel, settings: Settings, warehouse: Warehouse,
                    scorer: Scorer | None = None) -> NlpReport:
    """Replace the ``nlp`` rows of one partition from the ``raw`` rows of that partition, in
    ``warehouse``; ``settings`` gives the engine, thresholds, taxonomy and third parties; ``scorer``
    the sentiment model's runner (default: the engine in this process).

    With ``warehouse.lake`` (the spark engine) the raw rows are read from the lake's views and the
    nlp rows written to a scratch DuckDB with the same DDL, then to the lake's day folders
    (``pipelines.lake.write_partition``); the sentiment cache stays in the warehouse."""
    engine = sentiment_engine(settings)
    thresholds = settings.sentiment_thresholds
    topics_version = topic_version(settings.topic_taxonomy)
    escalation_detector = EscalationDetector(ThirdParties.from_csv(settings.escalation_parties),
                                             model_cache=settings.model_cache_dir / "escalation")
    report = NlpReport()
    lake = warehouse.lake
    with warehouse.connect(ddl=_source_ddl(warehouse)) as conn:
        out = conn if lake is None else duckdb.connect()
        if lake is not None:
            out.execute(NLP_DDL)
            mount_lake_tables(conn, lake, "nlp", list(PARTITIONED_TABLES))
        documents = conn.execute(
            """SELECT 'survey', survey_id, comment FROM raw.surveys WHERE _partition_date = ?
               UNION ALL SELECT 'post', post_id, text FROM raw.social_posts WHERE _partition_date = ?""",
            [day, day]).fetchall()
        turns = conn.execute(
            """SELECT call_id, turn_index, speaker, text FROM raw.call_turns WHERE _partition_date = ?
               ORDER BY call_id, turn_index""", [day]).fetchall()
        doc_texts = [normalized_text(text) for _, _, text in documents]
        turn_texts = [normalized_text(text, asr=True) for *_, text in turns]
        turn_kinds = [content_kind(text) for text in turn_texts]
        conn.begin()
        try:
            for table in PARTITIONED_TABLES:
                out.execute(f"DELETE FROM nlp.{table} WHERE _partition_date = ?", [day])
            # Greetings and thanks (好的/谢谢/在吗) in a call are courtesy, not opinion: neutral, with no
            # score, so they never move a call's sentiment or arc.
            turn_for_model = [text if kind != "politeness" else "" for text, kind in zip(turn_texts, turn_kinds)]
            # The cache keeps each text's probabilities; an agent's turn moves to agents' prior after it.
            speakers = [None] * len(doc_texts) + [speaker for _, _, speaker, _ in turns]
            scored = score_normalised(doc_texts + turn_for_model, _cached_predict(conn, engine, report, scorer), thresholds,
                                      speakers, engine.speaker_priors)
            doc_scores, turn_scores = scored[:len(doc_texts)], scored[len(doc_texts):]
            turn_scores = [Scored(None, "neutral") if kind == "politeness" else result
                           for kind, result in zip(turn_kinds, turn_scores)]

            doc_rows: dict[str, list] = defaultdict(list)
            for (doc_type, doc_id, _), text, result in zip(documents, doc_texts, doc_scores):
                report.labels[result.label] += 1
                _add(doc_rows, doc_type=doc_type, doc_id=doc_id, text_normalized=text, **_sentiment_columns(result),
                     model_version=engine.version, _partition_date=day)
            report.documents = len(documents)
            _insert(out, "document_sentiment", doc_rows)

            turn_rows: dict[str, list] = defaultdict(list)
            per_call: dict[str, dict[str, list]] = defaultdict(
                lambda: {"customer": [], "agent": [], "text": [], "length": [], "neutral": []})
            for (call_id, turn_index, speaker, _), text, result in zip(turns, turn_texts, turn_scores):
                per_call[call_id][speaker].append(result.score)
                if speaker == "customer":
                    per_call[call_id]["text"].append(text)
                    per_call[call_id]["length"].append(len(text.replace(" ", "")))
                    per_call[call_id]["neutral"].append(result.neutral)
                _add(turn_rows, call_id=call_id, turn_index=turn_index, speaker=speaker, text_normalized=text,
                     **_sentiment_columns(result), model_version=engine.version, _partition_date=day)
            report.turns = len(turns)
            _insert(out, "turn_sentiment", turn_rows)

            arc_rows: dict[str, list] = defaultdict(list)
            for call_id, sides in per_call.items():
                arc = call_arc(sides["customer"], thresholds, sides["length"], neutral=sides["neutral"])
                agent = [s for s in sides["agent"] if s is not None]
                report.recovered_calls += arc.recovered
                start_label = thresholds.label(arc.start_score) if arc.start_score is not None else UNKNOWN
                end_label = thresholds.label(arc.end_score) if arc.end_score is not None else UNKNOWN
                call_label = arc.label(thresholds) or UNKNOWN
                _add(arc_rows, call_id=call_id, customer_start_score=arc.start_score,
                     customer_end_score=arc.end_score, customer_min_score=arc.min_score,
                     customer_mean_score=arc.mean_score, call_label=call_label,
                     agent_mean_score=sum(agent) / len(agent) if agent else None,
                     scored_customer_turns=arc.scored_turns, recovered=arc.recovered, deteriorated=arc.deteriorated,
                     start_label=start_label, end_label=end_label, model_version=engine.version, _partition_date=day)
            _insert(out, "call_arcs", arc_rows)

            # Topics and escalation: surveys and posts by their text, calls by the customer's turns.
            topic_docs = [(doc_type, doc_id, text) for (doc_type, doc_id, _), text in zip(documents, doc_texts)]
            topic_docs += [("call", call_id, " ".join(sides["text"])) for call_id, sides in per_call.items()]
            assignments = topic_model.assign(doc_texts)
            assignments += topic_model.assign_calls([sides["text"] for sides in per_call.values()])
            topic_rows: dict[str, list] = defaultdict(list)
            escalation_rows: dict[str, list] = defaultdict(list)
            # Escalation reads surveys and posts as written (it normalises them itself): normalising
            # drops @mentions, and tagging a regulator's account (@中国消费者协会) names the third party.
            escalation_texts = [raw for *_, raw in documents] + [text for *_, text in topic_docs[len(documents):]]
            for (doc_type, doc_id, _), assignment, escalation_text in zip(topic_docs, assignments, escalation_texts):
                _add(topic_rows, doc_type=doc_type, doc_id=doc_id, topic_code=assignment.topic,
                     method=assignment.method, confidence=assignment.confidence, evidence=assignment.evidence,
                     model_version=topics_version, _partition_date=day)
                escalation = escalation_detector.detect(escalation_text)
                report.escalations += escalation.risk
                _add(escalation_rows, doc_type=doc_type, doc_id=doc_id, escalation_risk=escalation.risk,
                     escalation_category=escalation.category, escalation_party=escalation.party,
                     escalation_confidence=escalation.confidence, escalation_evidence=escalation.evidence,
                     model_version=escalation_detector.version, _partition_date=day)
            _insert(out, "document_topics", topic_rows)
            _insert(out, "topic_codes", {"model_version": [topics_version] * len(topic_model.codes),
                                         "topic_code": topic_model.codes,
                                         "_partition_date": [day] * len(topic_model.codes)})
            _insert(out, "escalations", escalation_rows)
            if lake is not None:
                write_partition(out, "nlp", list(PARTITIONED_TABLES), lake, day)
                mount_lake_tables(conn, lake, "nlp", list(PARTITIONED_TABLES))
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            if out is not conn:
                out.close()
    return report


def topic_training_texts(conn: duckdb.DuckDBPyConnection, days: list[date] | None = None,
                         limit: int = 50_000) -> list[str]:
    """Normalised texts of all three sources for the topic fallback: survey comments, posts, and
    each call's informative customer turns joined (how calls are assigned). ``days=None``: all."""
    where = f"_partition_date IN ({', '.join('?' * len(days))})" if days else "true"
    params = list(days or [])
    per_source = max(1, limit // 3)
    documents = conn.execute(
        f"""(SELECT comment FROM raw.surveys WHERE {where} AND comment <> '' LIMIT {per_source})
            UNION ALL (SELECT text FROM raw.social_posts WHERE {where} LIMIT {per_source})""", params + params).fetchall()
    calls = conn.execute(
        f"""SELECT list(text ORDER BY turn_index) FROM raw.call_turns
            WHERE speaker = 'customer' AND call_id IN (SELECT DISTINCT call_id FROM raw.call_turns WHERE {where} LIMIT {per_source})
            GROUP BY call_id""", params).fetchall()
    texts = [normalized_text(text) for (text,) in documents]
    texts += [customer_text([normalized_text(turn, asr=True) for turn in turns]) for (turns,) in calls]
    return [t for t in texts if t]


def fit_topic_model(days: list[date], taxonomy_path: Path, warehouse: Warehouse, limit: int = 50_000) -> TopicModel:
    """The topic model over the taxonomy at ``taxonomy_path`` (VOC_TOPIC_TAXONOMY): its classifier trains
    on the written training set, plus the keyword-labelled texts of the partitions at hand (all
    sources) for seed topics that set lacks."""
    with warehouse.connect(ddl=_source_ddl(warehouse)) as conn:
        texts = topic_training_texts(conn, days, limit)
    return TopicModel(Taxonomy.from_csv(taxonomy_path)).fit(texts)


def discover_candidates(end_day: date, warehouse: Warehouse, window_days: int = 28, k: int = 8) -> int:
    """Themes among the texts the taxonomy's patterns missed in the trailing window: candidate
    topics for analysts to name and add to the taxonomy. Returns the number of themes written."""
    from datetime import datetime, timedelta

    from sentiment.topics import discover_themes

    start_day = end_day - timedelta(days=window_days - 1)
    with warehouse.connect(ddl=_source_ddl(warehouse)) as conn:
        texts = [row[0] for row in conn.execute(
            """SELECT s.comment FROM nlp.document_topics t JOIN raw.surveys s ON t.doc_type = 'survey' AND t.doc_id = s.survey_id
               WHERE t.method <> 'pattern' AND s.comment <> '' AND t._partition_date BETWEEN ? AND ?
               UNION ALL
               SELECT p.text FROM nlp.document_topics t JOIN raw.social_posts p ON t.doc_type = 'post' AND t.doc_id = p.post_id
               WHERE t.method <> 'pattern' AND t._partition_date BETWEEN ? AND ?""",
            [start_day, end_day, start_day, end_day]).fetchall()]
        _, themes = discover_themes(texts, k=k)
        conn.begin()
        conn.execute("DELETE FROM nlp.topic_candidates WHERE window_end = ?", [end_day])
        now = datetime.now().replace(microsecond=0)
        for theme in themes:
            conn.execute("INSERT INTO nlp.topic_candidates VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [theme.theme_id, " ".join(theme.terms), theme.size, "\n".join(theme.examples),
                          start_day, end_day, now])
        conn.commit()
    return len(themes)
