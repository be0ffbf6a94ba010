"""NLP assets: the sentiment model artefact, and per-partition scoring into the ``nlp`` schema."""

from contextlib import ExitStack
from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    ResourceParam,
    asset,
    multi_asset,
)

from pipelines.defs.ingest import raw_key
from pipelines.nlp.model import build_model, model_state
from pipelines.nlp.scoring import Scorer, discover_candidates, fit_topic_model, score_partition, sentiment_engine
from pipelines.engine import EngineResource, spark_session
from pipelines.nlp.spark_scoring import SparkScorer
from pipelines.settings import Settings
from pipelines.warehouse import WAREHOUSE_POOL, Warehouse, WarehouseResource, retry_if_transient
from sentiment.topics import TopicModel

NLP_TABLES = {
    "document_sentiment": "Sentiment of survey comments and posts: P(negative, neutral, positive), score "
                          "(P positive / (P positive + P negative)), label, model version.",
    "turn_sentiment": "Sentiment of every call turn, customer and agent, in order (same columns).",
    "call_arcs": "Per call: the customer's start, end and minimum sentiment; recovery (转怒为喜) and deterioration.",
    "document_topics": "Topic of each survey, post and call: taxonomy pattern, model fallback or none.",
    "topic_codes": "The topic codes each day's topic model could assign (its taxonomy's and other), so a topic "
                   "added later is no emerging topic against days that could not mention it.",
    "escalations": "Third-party escalation (complaint level 3) with its category, confidence and evidence clause.",
}


SENTIMENT_MODEL_KEY = AssetKey(["models", "sentiment_student"])


def nlp_key(table: str) -> AssetKey:
    return AssetKey(["nlp", table])


@asset(key=SENTIMENT_MODEL_KEY, group_name="nlp", kinds={"pytorch"},
       description="The distilled sentiment student in models/, rebuilt when missing or when "
                   "models/sentiment-student.train.json changes.")
def sentiment_student(context: AssetExecutionContext, settings: ResourceParam[Settings]) -> MaterializeResult:
    state = model_state(settings)
    if state.current:
        context.log.info(f"model at {state.path} matches config {state.expected_hash}; nothing to train")
        return MaterializeResult(metadata={"path": str(state.path), "config_hash": state.expected_hash,
                                           "trained": False})
    meta = build_model(settings, log=context.log.info)
    return MaterializeResult(metadata={"path": str(state.path), "config_hash": meta["config_hash"], "trained": True,
                                       "metrics": MetadataValue.json(meta["metrics"])})


def _score_days(context: AssetExecutionContext, days: list[date], topic_model: TopicModel, settings: Settings,
                handle: Warehouse, scorer: Scorer | None) -> tuple[dict[str, int], dict[str, int]]:
    """Score each day in turn; returns the run's totals and label counts."""
    totals = {"documents": 0, "turns": 0, "scored_by_engine": 0, "cache_hits": 0, "escalations": 0,
              "recovered_calls": 0}
    labels: dict[str, int] = {}
    for position, day in enumerate(days, start=1):
        with retry_if_transient():
            report = score_partition(day, topic_model, settings, handle, scorer)
        for key in totals:
            totals[key] += getattr(report, key)
        for name, count in report.labels.items():
            labels[name] = labels.get(name, 0) + count
        context.log.info(f"nlp {day} ({position}/{len(days)}): {report.documents:,} documents, {report.turns:,} turns, "
                         f"{report.scored_by_engine:,} scored, {report.cache_hits:,} from cache")
    return totals, labels


def nlp_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    """The sentiment model artefact and the partitioned scoring and topic-candidate assets."""
    return [sentiment_student, *_partitioned_nlp_assets(partitions)]


def _partitioned_nlp_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    @multi_asset(
        name="score_documents",
        specs=[AssetSpec(nlp_key(t), description=d, group_name="nlp", kinds={"duckdb"}, partitions_def=partitions,
                         deps=[raw_key(s) for s in ("surveys", "social_posts", "calls", "call_turns")])
               for t, d in NLP_TABLES.items()],
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def score_documents(context: AssetExecutionContext, warehouse: WarehouseResource, engine: EngineResource,
                        settings: ResourceParam[Settings]):
        days = [date.fromisoformat(key) for key in context.partition_keys]
        handle = engine.bind(warehouse.handle())
        sentiment = sentiment_engine(settings)
        settings.check_topic_taxonomy()
        with retry_if_transient():
            topic_model = fit_topic_model(days, settings.topic_taxonomy, handle)
        with ExitStack() as stack:
            scorer = None
            if engine.on_spark:
                spark = stack.enter_context(spark_session(engine.spark_master, "voc-nlp"))
                model_dir = settings.sentiment_model_for(settings.sentiment_engine)
                scorer = SparkScorer(spark, settings.sentiment_engine, str(model_dir) if model_dir else None,
                                     str(settings.model_cache_dir))
            totals, labels = _score_days(context, days, topic_model, settings, handle, scorer)
        for table in NLP_TABLES:
            yield MaterializeResult(asset_key=nlp_key(table), metadata={
                **totals, "labels": MetadataValue.json(labels), "model_version": sentiment.version,
                "partitions": len(days), "engine": engine.name})

    @asset(
        key=nlp_key("topic_candidates"), group_name="nlp", kinds={"duckdb"}, partitions_def=partitions,
        deps=[nlp_key("document_topics")], backfill_policy=BackfillPolicy.single_run(), pool=WAREHOUSE_POOL,
        description="Candidate new topics: NMF themes over the last 28 days of texts the taxonomy's patterns "
                    "missed, with top terms and example texts, for analysts to name and add to the taxonomy.",
    )
    def topic_candidates(context: AssetExecutionContext, warehouse: WarehouseResource,
                         engine: EngineResource) -> MaterializeResult:
        # A rolling window: one discovery for the last day of the run covers the days before it.
        end_day = date.fromisoformat(context.partition_keys[-1])
        with retry_if_transient():
            themes = discover_candidates(end_day, engine.bind(warehouse.handle()))
        return MaterializeResult(metadata={"themes": themes, "window_end": end_day.isoformat()})

    return [score_documents, topic_candidates]

