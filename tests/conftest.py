"""Shared fixtures: every test gets its own VOC_DATA_DIR, so nothing collides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.demo.generator import GeneratorConfig, generate
from pipelines.ingest.loader import PartitionReport, load_partition
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import Warehouse

DEMO_START = date(2026, 8, 1)
TINY_RECIPE = Path(__file__).resolve().parent / "fixtures" / "tiny_sentiment.train.json"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentiment student trained in seconds from the tiny recipe: covers the real code path."""
    from sentiment.training.pipeline import TrainConfig, train_sentiment_model

    folder = tmp_path_factory.mktemp("models") / "tiny-student"
    texts = ["快递三天了还没到太失望了", "客服态度很好问题解决了", "账单多扣了钱", "网速很快很满意"] * 20
    train_sentiment_model(TrainConfig.from_file(TINY_RECIPE), folder, texts, log=lambda _: None)
    return folder


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model: Path) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("VOC_DATA_DIR", str(folder))
    monkeypatch.setenv("VOC_SENTIMENT_MODEL_DIR", str(tiny_model))
    monkeypatch.setenv("VOC_SENTIMENT_TRAIN_CONFIG", str(TINY_RECIPE))
    monkeypatch.setenv("VOC_SENTIMENT_ENGINE", "transformer")
    for name in ("VOC_LANDING_DIR", "VOC_WAREHOUSE_PATH", "VOC_DBT_WAREHOUSE_PATH", "VOC_BATCH_ROWS", "VOC_MAX_TEXT_CHARS"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return get_settings()


def make_demo(settings: Settings, days: int = 3, customers: int = 3000, seed: int = 11,
              defect_rate: float = 0.01) -> dict[str, int]:
    config = GeneratorConfig(start=DEMO_START, days=days, customers=customers, seed=seed,
                             out=settings.landing_dir, truth_out=settings.ground_truth_dir,
                             defect_rate=defect_rate)
    return generate(config)


def load_day(source: str, day: date) -> PartitionReport:
    """Load one partition as the nightly step does, with the settings the environment holds now
    (the test's VOC_DATA_DIR and any variable it changed)."""
    settings = get_settings()
    return load_partition(source, day, settings, Warehouse.from_settings(settings))


@pytest.fixture
def small_demo(settings: Settings) -> dict[str, int]:
    return make_demo(settings)
