"""The bundle is checked before an import: what Superset would drop or break silently is an error."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from pipelines.settings import REPO_ROOT

BUNDLE = REPO_ROOT / "dashboards" / "bundle"


def _bundle_module():
    spec = importlib.util.spec_from_file_location("voc_bundle", REPO_ROOT / "dashboards" / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _contents() -> dict[str, str]:
    return {path.relative_to(BUNDLE).as_posix(): path.read_text(encoding="utf-8") for path in BUNDLE.rglob("*.yaml")}


def test_the_shipped_bundle_has_no_problem() -> None:
    assert _bundle_module().bundle_problems(_contents()) == []


def test_a_chart_on_no_dataset_a_chart_without_query_context_and_a_missing_chart_are_named() -> None:
    """A newcomer's hand-written chart with a wrong dataset_uuid vanished on import (exit 0), and one
    without a query_context imported but its data API refused it (round 24)."""
    contents = _contents()
    wrong = yaml.safe_load(contents["charts/ops_alert_log.yaml"])
    wrong["dataset_uuid"] = "00000000-0000-0000-0000-000000000000"
    contents["charts/ops_alert_log.yaml"] = yaml.safe_dump(wrong, allow_unicode=True)
    bare = yaml.safe_load(contents["charts/voc_verbatims.yaml"])
    del bare["query_context"]
    contents["charts/voc_verbatims.yaml"] = yaml.safe_dump(bare, allow_unicode=True)
    removed = yaml.safe_load(contents.pop("charts/cockpit_sla.yaml"))["uuid"]
    problems = _bundle_module().bundle_problems(contents)
    assert "charts/ops_alert_log.yaml: dataset_uuid 00000000-0000-0000-0000-000000000000 is no dataset of the bundle" in problems
    assert any(p.startswith("charts/voc_verbatims.yaml: no query_context") for p in problems)
    assert f"dashboards/executive-cockpit.yaml: places chart {removed}, which is not in charts/" in problems
    assert len(problems) == 3
