"""Shared fixtures: every test gets its own VOC_DATA_DIR, so nothing collides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.demo.generator import GeneratorConfig, generate
from pipelines.settings import Settings, get_settings

DEMO_START = date(2026, 8, 1)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("VOC_DATA_DIR", str(folder))
    for name in ("VOC_LANDING_DIR", "VOC_WAREHOUSE_PATH", "VOC_BATCH_ROWS", "VOC_MAX_TEXT_CHARS"):
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


@pytest.fixture
def small_demo(settings: Settings) -> dict[str, int]:
    return make_demo(settings)
