"""Run policy shared by every domain's assets: the single-writer pool and which failures to retry.

DuckDB allows one writer per file, so every step that opens the working file sits in the
``duckdb_writer`` pool. Only transient failures are retried: another process holding the DuckDB
lock, or an I/O error on the way to disk. A deterministic error (a bug, bad SQL, a value the code
does not handle) fails the step at once: retrying it would fail the same way, later.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster import RetryRequested

from pipelines.ingest.warehouse import WarehouseBusyError

WAREHOUSE_POOL = "duckdb_writer"
TRANSIENT_MAX_RETRIES = 2
TRANSIENT_WAIT_S = 10

# Missing or forbidden paths are configuration problems: they do not heal by waiting.
_PERMANENT_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def is_transient(error: BaseException) -> bool:
    """True when ``error``, or any error it was raised from, is a lock wait or an I/O failure."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (WarehouseBusyError, duckdb.IOException)):
            return True
        if isinstance(current, OSError) and not isinstance(current, _PERMANENT_OS_ERRORS):
            return True
        current = current.__cause__ or current.__context__
    return False


@contextmanager
def retry_if_transient() -> Iterator[None]:
    """Inside an asset body: turn a transient failure into Dagster's retry request, let others fail."""
    try:
        yield
    except RetryRequested:
        raise
    except Exception as error:
        if is_transient(error):
            raise RetryRequested(max_retries=TRANSIENT_MAX_RETRIES, seconds_to_wait=TRANSIENT_WAIT_S) from error
        raise
