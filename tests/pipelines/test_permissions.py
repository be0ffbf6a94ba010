"""What the product writes is not readable by other accounts on the server (pipelines.permissions)."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.permissions import restrict_new_files
from pipelines.settings import Settings


@pytest.fixture
def kept_umask() -> Iterator[None]:
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_data_folder_of_an_earlier_version_is_closed_and_new_files_follow_the_mask(
        settings: Settings, kept_umask: None) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o755)
    settings.warehouse_path.write_bytes(b"")
    settings.warehouse_path.chmod(0o644)
    restrict_new_files(settings)
    assert _mode(settings.data_dir) == 0o750 and _mode(settings.warehouse_path) == 0o640
    (settings.data_dir / "logs").mkdir()
    (settings.data_dir / "logs" / "run.log").write_text("x")
    assert _mode(settings.data_dir / "logs") == 0o750 and _mode(settings.data_dir / "logs" / "run.log") == 0o640

    restrict_new_files(dataclasses.replace(settings, umask=0o077))
    assert _mode(settings.data_dir) == 0o700 and _mode(settings.warehouse_path) == 0o600


def test_a_shared_sticky_folder_is_left_as_it_is(tmp_path: Path, settings: Settings, kept_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    restrict_new_files(dataclasses.replace(settings, data_dir=shared, warehouse_path=shared / "absent.duckdb"))
    assert _mode(shared) == 0o1777
