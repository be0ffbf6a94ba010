"""Settings are read at entry points only (CLI commands, the Dagster code location, service
start-up, ``run_nightly``) and passed down: importing any library module reads none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipelines.settings import REPO_ROOT

# Importing every module of the two packages, with the settings made to refuse being read.
_IMPORT_ALL = """
import importlib, pkgutil, sys
import pipelines, sentiment
from pipelines.settings import Settings

def refuse(cls):
    raise AssertionError("settings read at import")

Settings.from_env = classmethod(refuse)
names = [info.name for package in (pipelines, sentiment)
         for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
entry_points = {"pipelines.definitions"}  # the Dagster code location reads them, by design
for name in names:
    if name not in entry_points:
        importlib.import_module(name)
print(len(names))
"""


def test_no_module_reads_settings_at_import(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-data-dir"
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "VOC_DATA_DIR": str(bogus),
                               "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 30  # every module of both packages was imported
    assert not bogus.exists()
