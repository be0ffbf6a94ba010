"""DDL of the ``nlp`` schema: model outputs keyed by document id and model version.

``NLP_CONTROL_DDL``: the tables that always live in the warehouse (the sentiment cache, topic
candidates). ``NLP_PARTITIONED_DDL``: the per-day model outputs, which the spark engine keeps in the
lake instead (``pipelines.lake``; the warehouse then holds views of the same names).
"""

NLP_CONTROL_DDL = """
CREATE SCHEMA IF NOT EXISTS nlp;
CREATE TABLE IF NOT EXISTS nlp.sentiment_cache (
    text_hash VARCHAR NOT NULL, model_version VARCHAR NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (text_hash, model_version));
-- Three calibrated class probabilities (sum 1; null when unknown), added in place to warehouses
-- made before they existed.
ALTER TABLE nlp.sentiment_cache ADD COLUMN IF NOT EXISTS p_negative REAL;
ALTER TABLE nlp.sentiment_cache ADD COLUMN IF NOT EXISTS p_neutral REAL;
ALTER TABLE nlp.sentiment_cache ADD COLUMN IF NOT EXISTS p_positive REAL;
CREATE TABLE IF NOT EXISTS nlp.topic_candidates (
    theme_id INTEGER NOT NULL, terms VARCHAR NOT NULL, size INTEGER NOT NULL,
    examples VARCHAR NOT NULL, window_start DATE NOT NULL, window_end DATE NOT NULL,
    discovered_at TIMESTAMP NOT NULL);
"""

NLP_PARTITIONED_DDL = """
CREATE SCHEMA IF NOT EXISTS nlp;
CREATE TABLE IF NOT EXISTS nlp.document_sentiment (
    doc_type VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, text_normalized VARCHAR NOT NULL,
    sentiment_score REAL, sentiment_label VARCHAR NOT NULL, model_version VARCHAR NOT NULL,
    _partition_date DATE NOT NULL);
CREATE TABLE IF NOT EXISTS nlp.turn_sentiment (
    call_id VARCHAR NOT NULL, turn_index INTEGER NOT NULL, speaker VARCHAR NOT NULL,
    sentiment_score REAL, sentiment_label VARCHAR NOT NULL, model_version VARCHAR NOT NULL,
    _partition_date DATE NOT NULL);
-- Three calibrated class probabilities, added in place to warehouses made before they existed.
ALTER TABLE nlp.document_sentiment ADD COLUMN IF NOT EXISTS sentiment_negative REAL;
ALTER TABLE nlp.document_sentiment ADD COLUMN IF NOT EXISTS sentiment_neutral REAL;
ALTER TABLE nlp.document_sentiment ADD COLUMN IF NOT EXISTS sentiment_positive REAL;
ALTER TABLE nlp.turn_sentiment ADD COLUMN IF NOT EXISTS sentiment_negative REAL;
ALTER TABLE nlp.turn_sentiment ADD COLUMN IF NOT EXISTS sentiment_neutral REAL;
ALTER TABLE nlp.turn_sentiment ADD COLUMN IF NOT EXISTS sentiment_positive REAL;
CREATE TABLE IF NOT EXISTS nlp.call_arcs (
    call_id VARCHAR NOT NULL, customer_start_score REAL, customer_end_score REAL,
    customer_min_score REAL, agent_mean_score REAL, scored_customer_turns INTEGER NOT NULL,
    recovered BOOLEAN NOT NULL, deteriorated BOOLEAN NOT NULL, start_label VARCHAR NOT NULL,
    end_label VARCHAR NOT NULL, model_version VARCHAR NOT NULL, _partition_date DATE NOT NULL);
CREATE TABLE IF NOT EXISTS nlp.document_topics (
    doc_type VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, topic_code VARCHAR NOT NULL,
    method VARCHAR NOT NULL, confidence REAL NOT NULL, evidence VARCHAR,
    model_version VARCHAR NOT NULL, _partition_date DATE NOT NULL);
-- The codes the day's topic model could assign (its taxonomy's and ``other``): a week whose documents a
-- taxonomy without a topic classified is no baseline for that topic (kpi_topic_trends).
CREATE TABLE IF NOT EXISTS nlp.topic_codes (
    model_version VARCHAR NOT NULL, topic_code VARCHAR NOT NULL, _partition_date DATE NOT NULL);
CREATE TABLE IF NOT EXISTS nlp.escalations (
    doc_type VARCHAR NOT NULL, doc_id VARCHAR NOT NULL, escalation_risk BOOLEAN NOT NULL,
    escalation_category VARCHAR, escalation_party VARCHAR, escalation_confidence REAL NOT NULL,
    escalation_evidence VARCHAR, model_version VARCHAR NOT NULL, _partition_date DATE NOT NULL);
-- Warehouses made before the escalation detector had categories: add its columns in place.
ALTER TABLE nlp.escalations ADD COLUMN IF NOT EXISTS escalation_category VARCHAR;
ALTER TABLE nlp.escalations ADD COLUMN IF NOT EXISTS escalation_party VARCHAR;
ALTER TABLE nlp.escalations ADD COLUMN IF NOT EXISTS escalation_confidence REAL;
ALTER TABLE nlp.turn_sentiment ADD COLUMN IF NOT EXISTS text_normalized VARCHAR;
ALTER TABLE nlp.call_arcs ADD COLUMN IF NOT EXISTS customer_mean_score REAL;
ALTER TABLE nlp.call_arcs ADD COLUMN IF NOT EXISTS call_label VARCHAR;
"""

NLP_DDL = NLP_CONTROL_DDL + NLP_PARTITIONED_DDL

PARTITIONED_TABLES = ("document_sentiment", "turn_sentiment", "call_arcs", "document_topics", "topic_codes",
                      "escalations")


def nlp_ddl(partitioned_tables: bool = True) -> str:
    """Idempotent DDL of the nlp schema; ``partitioned_tables=False``: the control tables only."""
    return NLP_DDL if partitioned_tables else NLP_CONTROL_DDL
