"""Score one partition's documents: sentiment (cached by text hash and model version), call
arcs, topics and escalation risk, written to the ``nlp`` schema in one transaction."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingest.tables import RAW_DDL
from pipelines.nlp.tables import NLP_DDL, PARTITIONED_TABLES
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import Warehouse
from sentiment.calls import call_arc
from sentiment.engines import SentimentEngine, load_engine
from sentiment.escalation import detect_escalation
from sentiment.normalize import normalize
from sentiment.scoring import UNKNOWN, Thresholds
from sentiment.topics import Taxonomy, TopicModel

ESCALATION_VERSION = "escalation-rules-1"

log = logging.getLogger(__name__)


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
def _engine(name: str, model_dir: str, cache_dir: str) -> SentimentEngine:
    return load_engine(name, Path(model_dir) if name == "transformer" else None, Path(cache_dir))


def sentiment_engine(settings: Settings | None = None) -> SentimentEngine:
    """The configured engine; the transformer's ONNX working copy lives under the data dir."""
    settings = settings or get_settings()
    return _engine(settings.sentiment_engine, str(settings.sentiment_model_dir), str(settings.model_cache_dir))


def topic_version(taxonomy_path: Path) -> str:
    return "taxonomy-" + hashlib.sha1(taxonomy_path.read_bytes()).hexdigest()[:10] + "+tfidf-lr"


def _cached_scores(conn: duckdb.DuckDBPyConnection, engine: SentimentEngine, texts: list[str],
                   report: NlpReport) -> dict[str, float]:
    """Scores for the distinct non-empty texts, from the cache where possible."""
    unique = {hashlib.sha1(t.encode("utf-8")).hexdigest(): t for t in texts if t}
    if not unique:
        return {}
    conn.register("_keys", pa.table({"text_hash": list(unique)}))
    hits = dict(conn.execute(
        """SELECT c.text_hash, c.score FROM nlp.sentiment_cache c JOIN _keys k USING (text_hash)
           WHERE c.model_version = ?""", [engine.version]).fetchall())
    conn.unregister("_keys")
    misses = [key for key in unique if key not in hits]
    report.cache_hits += len(hits)
    report.scored_by_engine += len(misses)
    if misses:
        scores = engine.predict_proba([unique[key] for key in misses])
        new = pa.table({"text_hash": misses, "model_version": [engine.version] * len(misses),
                        "score": pa.array(scores, type=pa.float32())})
        conn.register("_new", new)
        conn.execute("INSERT INTO nlp.sentiment_cache SELECT text_hash, model_version, score FROM _new "
                     "ON CONFLICT DO NOTHING")
        conn.unregister("_new")
        hits.update(zip(misses, (float(s) for s in scores)))
    return {unique[key]: score for key, score in hits.items()}


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


def score_partition(day: date, topic_model: TopicModel, settings: Settings | None = None,
                    warehouse: Warehouse | None = None) -> NlpReport:
    """Replace the ``nlp`` rows of one partition from the ``raw`` rows of that partition."""
    settings = settings or get_settings()
    warehouse = warehouse or Warehouse.from_settings(settings)
    engine = sentiment_engine(settings)
    thresholds = Thresholds(settings.sentiment_negative_below, settings.sentiment_positive_above)
    topics_version = topic_version(settings.topic_taxonomy)
    report = NlpReport()
    with warehouse.connect(ddl=RAW_DDL + NLP_DDL) as conn:
        documents = conn.execute(
            """SELECT 'survey', survey_id, comment FROM raw.surveys WHERE _partition_date = ?
               UNION ALL SELECT 'post', post_id, text FROM raw.social_posts WHERE _partition_date = ?""",
            [day, day]).fetchall()
        turns = conn.execute(
            """SELECT call_id, turn_index, speaker, text FROM raw.call_turns WHERE _partition_date = ?
               ORDER BY call_id, turn_index""", [day]).fetchall()
        doc_texts = [normalize(text).text for _, _, text in documents]
        turn_texts = [normalize(text, asr=True).text for *_, text in turns]
        conn.begin()
        try:
            for table in PARTITIONED_TABLES:
                conn.execute(f"DELETE FROM nlp.{table} WHERE _partition_date = ?", [day])
            scores = _cached_scores(conn, engine, doc_texts + turn_texts, report)

            def label(text: str) -> tuple[float | None, str]:
                score = scores.get(text) if text else None
                return (score, thresholds.label(score)) if score is not None else (None, UNKNOWN)

            doc_rows: dict[str, list] = defaultdict(list)
            for (doc_type, doc_id, _), text in zip(documents, doc_texts):
                score, name = label(text)
                report.labels[name] += 1
                _add(doc_rows, doc_type=doc_type, doc_id=doc_id, text_normalized=text, sentiment_score=score,
                     sentiment_label=name, model_version=engine.version, _partition_date=day)
            report.documents = len(documents)
            _insert(conn, "document_sentiment", doc_rows)

            turn_rows: dict[str, list] = defaultdict(list)
            per_call: dict[str, dict[str, list]] = defaultdict(lambda: {"customer": [], "agent": [], "text": []})
            for (call_id, turn_index, speaker, _), text in zip(turns, turn_texts):
                score, name = label(text)
                per_call[call_id][speaker].append(score)
                if speaker == "customer":
                    per_call[call_id]["text"].append(text)
                _add(turn_rows, call_id=call_id, turn_index=turn_index, speaker=speaker, sentiment_score=score,
                     sentiment_label=name, model_version=engine.version, _partition_date=day)
            report.turns = len(turns)
            _insert(conn, "turn_sentiment", turn_rows)

            arc_rows: dict[str, list] = defaultdict(list)
            for call_id, sides in per_call.items():
                arc = call_arc(sides["customer"], thresholds)
                agent = [s for s in sides["agent"] if s is not None]
                report.recovered_calls += arc.recovered
                start_label = thresholds.label(arc.start_score) if arc.start_score is not None else UNKNOWN
                end_label = thresholds.label(arc.end_score) if arc.end_score is not None else UNKNOWN
                _add(arc_rows, call_id=call_id, customer_start_score=arc.start_score,
                     customer_end_score=arc.end_score, customer_min_score=arc.min_score,
                     agent_mean_score=sum(agent) / len(agent) if agent else None,
                     scored_customer_turns=arc.scored_turns, recovered=arc.recovered, deteriorated=arc.deteriorated,
                     start_label=start_label, end_label=end_label, model_version=engine.version, _partition_date=day)
            _insert(conn, "call_arcs", arc_rows)

            # Topics and escalation: surveys and posts by their text, calls by the customer's words.
            topic_docs = [(doc_type, doc_id, text) for (doc_type, doc_id, _), text in zip(documents, doc_texts)]
            topic_docs += [("call", call_id, " ".join(sides["text"])) for call_id, sides in per_call.items()]
            assignments = topic_model.assign([text for *_, text in topic_docs])
            topic_rows: dict[str, list] = defaultdict(list)
            escalation_rows: dict[str, list] = defaultdict(list)
            for (doc_type, doc_id, text), assignment in zip(topic_docs, assignments):
                _add(topic_rows, doc_type=doc_type, doc_id=doc_id, topic_code=assignment.topic,
                     method=assignment.method, confidence=assignment.confidence, evidence=assignment.evidence,
                     model_version=topics_version, _partition_date=day)
                escalation = detect_escalation(text)
                report.escalations += escalation.risk
                _add(escalation_rows, doc_type=doc_type, doc_id=doc_id, escalation_risk=escalation.risk,
                     escalation_channel=escalation.channel, escalation_evidence=escalation.evidence,
                     model_version=ESCALATION_VERSION, _partition_date=day)
            _insert(conn, "document_topics", topic_rows)
            _insert(conn, "escalations", escalation_rows)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
    return report


def fit_topic_model(days: list[date], settings: Settings | None = None, limit: int = 50_000,
                    warehouse: Warehouse | None = None) -> TopicModel:
    """Train the topic fallback on the texts of the partitions at hand (pattern-labelled)."""
    settings = settings or get_settings()
    warehouse = warehouse or Warehouse.from_settings(settings)
    with warehouse.connect(ddl=RAW_DDL) as conn:
        texts = [row[0] for row in conn.execute(
            f"""SELECT comment FROM raw.surveys WHERE _partition_date IN ({', '.join('?' * len(days))}) AND comment <> ''
                UNION ALL SELECT text FROM raw.social_posts WHERE _partition_date IN ({', '.join('?' * len(days))})
                LIMIT {limit}""", days + days).fetchall()]
    model = TopicModel(Taxonomy.from_csv(settings.topic_taxonomy))
    try:
        return model.fit(texts)
    except ValueError as error:
        # scikit-learn refuses a vocabulary too small to fit ("After pruning, no terms remain"):
        # a tiny day gets pattern-only topics instead of failing the night.
        log.info("topic model not fitted on %d texts (%s): pattern-only topics", len(texts), error)
        return TopicModel(model.taxonomy)


def discover_candidates(end_day: date, warehouse: Warehouse, window_days: int = 28, k: int = 8) -> int:
    """Themes among the texts the taxonomy's patterns missed in the trailing window: candidate
    topics for analysts to name and add to the taxonomy. Returns the number of themes written."""
    from datetime import datetime, timedelta

    from sentiment.topics import discover_themes

    start_day = end_day - timedelta(days=window_days - 1)
    with warehouse.connect(ddl=RAW_DDL + NLP_DDL) as conn:
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
