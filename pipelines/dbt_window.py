"""The nightly window as the dbt project reads it: two environment variables, not ``--vars``.

dbt re-parses the whole project whenever ``--vars`` differ from the previous invocation's (its
partial-parse check hashes them), and a night's dates differ every night: about 3 s of CPU on each
night (dbt_project/README.md, "Incremental strategy"). The project reads these variables only while
executing (macro ``nightly_window``), never while parsing, so a new night keeps the saved parse.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

START_DATE = "VOC_DBT_START_DATE"
END_DATE = "VOC_DBT_END_DATE"


def window_env(start: str, end: str | None = None) -> dict[str, str]:
    """{variable: ISO date} for the partitions ``start``..``end`` (``end`` defaults to ``start``)."""
    return {START_DATE: start, END_DATE: end or start}


@contextmanager
def window_environment(start: str, end: str) -> Iterator[None]:
    """The window set in this process's environment for the dbt processes started inside the block,
    then the environment as it was: one process runs many assets (and a test session many nights),
    and a window left behind would silently narrow a later whole build."""
    saved = {name: os.environ.get(name) for name in (START_DATE, END_DATE)}
    os.environ.update(window_env(start, end))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
