"""Shared infrastructure of every domain: the working DuckDB file and the policy of steps that write it.

``Warehouse`` is where the file is and how long to wait for its lock: library functions take one
as an argument. ``WarehouseResource`` is the same as a Dagster resource injected into the assets,
beside the settings resource (``SETTINGS_RESOURCE``: the ``Settings`` the code location was built with).
DuckDB allows one writer per file, so every step that opens the working file sits in the
``duckdb_writer`` pool, and only transient failures are retried: another process holding the
lock, or an I/O error on the way to disk. A deterministic error (a bug, bad SQL, a value the code
does not handle) fails its step at once: retrying it would fail the same way, later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, RetryRequested

from pipelines.settings import Settings

WAREHOUSE_POOL = "duckdb_writer"
# Resource key of the ``Settings`` object assets take as ``settings: ResourceParam[Settings]``.
SETTINGS_RESOURCE = "settings"
TRANSIENT_MAX_RETRIES = 2
TRANSIENT_WAIT_S = 10

# Missing or forbidden paths are configuration problems: they do not heal by waiting.
_PERMANENT_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB write lock for longer than we are willing to wait."""


def _is_lock_error(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


@dataclass(frozen=True)
class Warehouse:
    """The working DuckDB file (``VOC_WAREHOUSE_PATH``) and the lock wait (``VOC_DB_LOCK_TIMEOUT_S``, s).

    ``lake``: None on the duckdb engine; on the spark engine (``pipelines.engine``) the Parquet lake
    where the raw and nlp rows live, the file holding only the control tables (quarantine, file
    ledger, caches, audits, alerts) and views over the lake's tables and Spark's models.
    """

    path: Path
    lock_timeout_s: float
    lake: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Warehouse":
        return cls(settings.warehouse_path, settings.db_lock_timeout_s)

    def open(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying while another process holds its lock.

        Raises ``FileNotFoundError`` for a read-only open of a missing file and
        ``WarehouseBusyError`` when the lock is held past ``lock_timeout_s``.
        """
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}: run `voc run` first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.2
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as error:
                if not _is_lock_error(error) or time.monotonic() > deadline:
                    if _is_lock_error(error):
                        raise WarehouseBusyError(
                            f"{self.path} is locked by another process (a running pipeline?) "
                            f"for more than {self.lock_timeout_s:.0f} s"
                        ) from error
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    @contextmanager
    def connect(self, read_only: bool = False, ddl: str = "") -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection closed on exit; ``ddl`` (idempotent CREATE ... IF NOT EXISTS) runs first."""
        conn = self.open(read_only=read_only)
        try:
            if ddl and not read_only:
                conn.execute(ddl)
            yield conn
        finally:
            conn.close()


class WarehouseResource(ConfigurableResource):
    """The working DuckDB file as a Dagster resource: its path and lock wait (s), set from the
    settings when the definitions are built (``from_settings``), overridable in a run's config."""

    path: str
    lock_timeout_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> "WarehouseResource":
        return cls(path=str(settings.warehouse_path), lock_timeout_s=settings.db_lock_timeout_s)

    def handle(self) -> Warehouse:
        return Warehouse(Path(self.path), self.lock_timeout_s)


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
