"""The Dagster instance lives under ``$VOC_DATA_DIR/dagster_home``; this makes sure it exists."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.settings import Settings

DAGSTER_YAML = """\
# Written by VoC (pipelines/instance.py). Runs, event logs and schedules live beside this file.
telemetry:
  enabled: false
concurrency:
  pools:
    # DuckDB has one writer at a time: steps in the duckdb_writer pool never overlap across runs.
    default_limit: 1
"""


def ensure_dagster_home(settings: Settings) -> Path:
    """Create DAGSTER_HOME (``settings.dagster_home``) with its dagster.yaml and point this process at it."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
