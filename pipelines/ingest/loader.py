"""Load one source's landing folder for one day into the ``raw`` schema, losing nothing.

Every non-blank record of every file ends up in exactly one place: its raw table, or
``raw.quarantine`` with a reason a person can act on. The whole partition is replaced inside a
single transaction, so a rerun is idempotent and a failure leaves the previous load untouched.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from zoneinfo import ZoneInfo
from pathlib import Path

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ValidationError

from pipelines.ingest.contracts import SourceContract
from pipelines.ingest.masking import mask_message, mask_pii, mask_raw_record, pseudonymise
from pipelines.ingest.readers import Record, detect_encoding, file_format, file_sha256
from pipelines.ingest.schemas import DamagedIdError, RuleError, TimestampError
from pipelines.ingest.sources import FILE_REFUSALS, Source, load_source, source_records, text_lengths
from pipelines.ingest.tables import raw_ddl
from pipelines.lake import mount_lake_tables, write_partition
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse

log = logging.getLogger(__name__)

_QUARANTINE_SCHEMA = pa.schema([
    ("source", pa.string()), ("reason_code", pa.string()), ("reason", pa.string()),
    ("raw_content", pa.string()),
])
_LINEAGE_SCHEMA = [
    ("_source_file", pa.string()), ("_file_hash", pa.string()), ("_row_number", pa.int64()),
    ("_loaded_at", pa.timestamp("us")), ("_partition_date", pa.date32()),
]
_ERROR_CODES = {
    "missing": "missing_field",
    "string_too_short": "missing_field",
    "too_short": "missing_field",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than": "out_of_range",
    "string_too_long": "bad_value",
    "literal_error": "bad_value",
    "int_parsing": "bad_value",
    "int_from_float": "bad_value",
    "float_parsing": "bad_value",
    "bool_parsing": "bad_value",
    "int_type": "bad_value",
    "string_type": "bad_value",
    "list_type": "bad_value",
    "model_type": "bad_value",
}


class IngestError(RuntimeError):
    """A partition could not be loaded; the previous state of the partition is kept."""


@dataclass
class FileReport:
    path: str
    file_hash: str
    encoding: str
    status: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    duplicate_of: str | None = None


@dataclass
class PartitionReport:
    source: str
    partition_date: date
    files: list[FileReport] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    table_rows: Counter = field(default_factory=Counter)
    pii_masks: int = 0
    kept_files: int = 0  # no landing file now: the earlier load of this many files was kept, not emptied

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def describe_validation_error(error: ValidationError, text_fields: tuple[str, ...]) -> tuple[str, str]:
    """Turn pydantic's errors into (reason_code, one readable sentence); a missing field among
    ``text_fields`` (the contract's free texts) is ``empty_text``."""
    codes: list[str] = []
    parts: list[str] = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "row"
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, TimestampError):
            codes.append("bad_timestamp")
            parts.append(f"{where}: {cause}")
            continue
        if isinstance(cause, DamagedIdError):
            codes.append("damaged_id")
            parts.append(f"{where}: {cause}")
            continue
        if isinstance(cause, RuleError):
            codes.append(cause.code)
            parts.append(str(cause))
            continue
        code = _ERROR_CODES.get(item["type"], "invalid")
        message = item["msg"].removeprefix("Value error, ")
        if code == "missing_field":
            if where in text_fields:
                code, message = "empty_text", "text is empty"
            else:
                message = "required value is missing or empty"
        codes.append(code)
        shown = item.get("input")
        suffix = f" (got {str(shown)[:40]!r})" if code in {"out_of_range", "bad_value"} else ""
        parts.append(f"{where}: {message}{suffix}")
    return codes[0] if codes else "invalid", "; ".join(parts)


class _BatchWriter:
    """Buffers raw rows and quarantined records, writing arrow batches into the open transaction."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, spec: Source, day: date,
                 loaded_at: datetime, batch_rows: int, rows_conn: duckdb.DuckDBPyConnection) -> None:
        # ``conn`` takes the quarantine, ``rows_conn`` the raw tables (the same connection on
        # the duckdb engine; the spark engine's scratch database, see ``load_partition``).
        self.conn, self.rows_conn, self.spec, self.day, self.loaded_at = conn, rows_conn, spec, day, loaded_at
        self.batch_rows = batch_rows
        self.buffers: dict[str, list[tuple]] = {name: [] for name in spec.tables}
        self.buffers["quarantine"] = []
        # itemgetter of several names returns a tuple: the row's values in the table's column order.
        self.columns = {name: itemgetter(*schema.names) for name, schema in spec.tables.items()}
        self.columns["quarantine"] = itemgetter(*_QUARANTINE_SCHEMA.names)
        self.buffered = 0

    def add(self, table: str, row: dict[str, object], source_file: str, file_hash: str, row_number: int) -> None:
        self.buffers[table].append(self.columns[table](row) + (source_file, file_hash, row_number, self.loaded_at, self.day))
        self.buffered += 1
        if self.buffered >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if not rows:
                continue
            base = _QUARANTINE_SCHEMA if table == "quarantine" else self.spec.tables[table]
            schema = pa.schema(list(base) + [pa.field(n, t) for n, t in _LINEAGE_SCHEMA])
            columns = [pa.array(values, type=f.type) for values, f in zip(zip(*rows), schema)]
            batch = pa.Table.from_arrays(columns, schema=schema)
            names = ", ".join(schema.names)
            target = self.conn if table == "quarantine" else self.rows_conn
            target.register("_batch", batch)
            target.execute(f"INSERT INTO raw.{table} ({names}) SELECT {names} FROM _batch")
            target.unregister("_batch")
            rows.clear()
        self.buffered = 0


def landing_files(contract: SourceContract, day: date, settings: Settings) -> list[Path]:
    """Files for one source and day, in a stable order, those in sub-folders of the day's folder
    included (an upload tool's batch folder, a 补采 folder of late files); hidden files and folders and
    partial uploads (names starting with a dot) are skipped. Files in formats the contract does not
    take are listed too: they are quarantined whole (``sources.source_records``), never skipped unseen."""
    folder = settings.landing_dir / contract.source / day.isoformat()
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts))


def stored_file_name(path: Path, landing_dir: Path) -> str:
    """A landed file's path under the landing folder as the tables keep it (``_source_file``,
    ``raw.ingest_files``): a name in a legacy encoding (a zip made on Chinese Windows unpacks GBK names,
    which Python reads with escaped bytes no table can store) decoded as GB18030, and a personal number in
    it (a recording named by the caller's mobile) masked. The file's hash still identifies it."""
    name = path.relative_to(landing_dir).as_posix()
    data = name.encode("utf-8", "surrogateescape")
    for codec in ("utf-8", "gb18030"):
        try:
            name = data.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        name = data.decode("utf-8", "replace")
    return mask_pii(name)[0]


def describe_encoding(path: Path) -> str:
    """'xlsx' for a workbook, else the text codec detected over the whole file; for a file refused as another
    encoding, what it probably is ('Big5 (Traditional Chinese)'), not the GB18030 it was not read as."""
    if file_format(path) == "xlsx":
        return "xlsx"
    encoding = detect_encoding(path)
    return encoding.foreign or encoding.codec


def _keys_loaded_before(conn: duckdb.DuckDBPyConnection, source: Source, day: date) -> dict[str, date]:
    """For ``redelivery: reject``: each key loaded on another day, with the first such day."""
    if source.contract.redelivery != "reject":
        return {}
    return dict(conn.execute(
        f"SELECT {source.contract.key}, min(_partition_date) FROM raw.{source.primary_table} "
        "WHERE _partition_date <> ? GROUP BY 1", [day]).fetchall())


def _previously_loaded(conn: duckdb.DuckDBPyConnection, source: str, day: date,
                       hashes: list[str]) -> dict[str, str]:
    if not hashes:
        return {}
    rows = conn.execute(
        """SELECT _file_hash, min(_source_file) FROM raw.ingest_files
           WHERE source = ? AND _partition_date <> ? AND status = 'loaded'
             AND _file_hash IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1""",
        [source, day, hashes],
    ).fetchall()
    return dict(rows)


@dataclass
class KeyLedger:
    """Keys seen in this partition so far, and (``redelivery: reject``) keys of other days as stored:
    ``stored`` turns a key as read into its stored form (its pseudonym when it has a personal number's
    shape, ``sources._masked_fields``)."""

    seen: set[str] = field(default_factory=set)
    earlier: dict[str, date] = field(default_factory=dict)
    stored: Callable[[str], str] = lambda key: key


def _load_file(writer: _BatchWriter, spec: Source, path: Path, relative: str,
               report: FileReport, keys: KeyLedger, summary: PartitionReport, max_chars: int,
               timezone: ZoneInfo, pseudonym_key: bytes) -> None:
    contract = spec.contract
    quarantine_reason: tuple[str, str] | None = None
    if report.status == "duplicate":
        quarantine_reason = ("duplicate_file", f"same content as already loaded {report.duplicate_of}")
    file_defaults = contract.file_defaults(path.name)
    for record in source_records(contract, path, contract.map_header):
        report.rows_in += 1
        if record.reason_code in FILE_REFUSALS and record.row_number == 1 and record.fields is None:
            report.status = "refused"
        row, code, reason = check_record(record, spec, keys, max_chars, timezone, quarantine_reason,
                                         summary.partition_date, file_defaults)
        if row is not None:
            for table, rows in spec.to_rows(contract, row, pseudonym_key).items():
                for values in rows:
                    writer.add(table, values, relative, report.file_hash, record.row_number)
                    summary.table_rows[table] += 1
                # A call's pii_masks sums its turns': count each mask once, where it was found.
                summary.pii_masks += sum(values["pii_masks"] for values in rows) if table != "calls" else 0
            report.rows_loaded += 1
        else:
            # A rejected row keeps its content for the operator, masked like any loaded text.
            writer.add("quarantine", {"source": spec.name, "reason_code": code, "reason": mask_message(reason),
                                      "raw_content": mask_raw_record(record.raw)}, relative,
                       report.file_hash, record.row_number)
            report.rows_quarantined += 1
            summary.reasons[code] += 1


def check_record(record: Record, spec: Source, keys: KeyLedger, max_chars: int, timezone: ZoneInfo,
                 forced: tuple[str, str] | None = None, day: date | None = None,
                 file_defaults: dict[str, object] | None = None) -> tuple[BaseModel | None, str, str]:
    """Return the validated row, or None with a reason code and a readable reason.
    Timestamps with an offset become wall-clock time in ``timezone`` (the business time zone); a month and
    day without a year take the year of ``day``, the partition (``schemas.parse_timestamp``); ``file_defaults``
    (``SourceContract.file_defaults`` of the record's file) fill the fields it leaves empty."""
    contract = spec.contract
    if forced:
        return None, *forced
    if record.fields is None:
        return None, record.reason_code or "invalid", record.reason or "unreadable record"
    try:
        row = spec.model.model_validate(contract.prepare(record.fields, file_defaults), context={"timezone": timezone, "day": day})
    except ValidationError as error:
        return None, *describe_validation_error(error, contract.text_fields)
    longest = text_lengths(contract, row)
    if longest > max_chars:
        return None, "text_too_long", f"text of {longest} characters exceeds VOC_MAX_TEXT_CHARS={max_chars}"
    key = getattr(row, contract.key)
    if key in keys.seen:
        return None, "duplicate_id", f"{contract.key} {key!r} already appears earlier in this partition"
    if keys.earlier and (stored := keys.stored(key)) in keys.earlier:
        return None, "already_loaded", (
            f"{contract.key} {key!r} was first loaded on {keys.earlier[stored]}; the {contract.source} contract "
            "rejects re-deliveries (redelivery: reject)")
    keys.seen.add(key)
    return row, "", ""


def pseudonym_key(path: Path) -> bytes:
    """The installation's secret key for identifier pseudonyms (``VOC_PSEUDONYM_KEY_FILE``),
    generated once (32 random bytes, mode 0600). Keep it: a new key gives new pseudonyms, so a
    customer's history would no longer join."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def load_partition(source: str, day: date, settings: Settings, warehouse: Warehouse) -> PartitionReport:
    """Replace one source's partition in ``raw`` with what its landing folder holds now.

    ``settings`` gives the landing folder, the contract extensions, the pseudonym key file, the
    batch size, the text limit and the time zone; ``warehouse`` the file written (its path in
    ``settings`` is not read). With ``warehouse.lake`` set (the spark engine) only the sink
    differs: the raw rows are written to a scratch in-memory DuckDB with the same DDL, then to the
    lake's day folder of each table (swapped in whole, ``pipelines.lake.write_partition``) just
    before the quarantine and file ledger commit in the warehouse; the warehouse's raw tables are
    views over the lake. Raises ``IngestError`` (the partition's previous load kept) or
    ``ContractError`` for an unusable contract extension.
    """
    spec = load_source(source, settings.contracts_dir)
    contract = spec.contract
    summary = PartitionReport(source=source, partition_date=day)
    files = landing_files(contract, day, settings)
    key = pseudonym_key(settings.pseudonym_key_file)
    loaded_at = datetime.now().replace(microsecond=0)
    lake = warehouse.lake
    with warehouse.connect(ddl=raw_ddl(settings.contracts_dir, source_tables=lake is None)) as conn:
        if not files:
            # A rerun after the landing files were purged (retention) or with the wrong landing folder would
            # replace a loaded day with nothing: the earlier load stays. To unload a day on purpose, land an
            # empty file in its folder.
            summary.kept_files = conn.execute("SELECT count(*) FROM raw.ingest_files WHERE _partition_date = ? "
                                              "AND source = ?", [day, source]).fetchone()[0]
            if summary.kept_files:
                return summary
        rows_conn = conn if lake is None else duckdb.connect()
        mounted = list(spec.tables)
        if lake is not None:
            rows_conn.execute(raw_ddl(settings.contracts_dir))
            mounted = mount_lake_tables(conn, lake, "raw", list(spec.tables))
        hashes = [file_sha256(path) for path in files]
        known = _previously_loaded(conn, source, day, hashes)
        conn.begin()
        try:
            for table in [*(spec.tables if lake is None else []), "quarantine"]:
                extra = " AND source = ?" if table == "quarantine" else ""
                params = [day, source] if extra else [day]
                conn.execute(f"DELETE FROM raw.{table} WHERE _partition_date = ?{extra}", params)
            conn.execute("DELETE FROM raw.ingest_files WHERE _partition_date = ? AND source = ?", [day, source])
            writer = _BatchWriter(conn, spec, day, loaded_at, settings.batch_rows, rows_conn)
            keys = KeyLedger(earlier=_keys_loaded_before(conn, spec, day) if spec.primary_table in mounted else {},
                             stored=lambda value: pseudonymise(value, key)[0])
            seen_hashes: dict[str, str] = dict(known)
            for path, file_hash in zip(files, hashes):
                relative = stored_file_name(path, settings.landing_dir)
                report = FileReport(relative, file_hash, describe_encoding(path), "loaded")
                if file_hash in seen_hashes:
                    report.status, report.duplicate_of = "duplicate", seen_hashes[file_hash]
                else:
                    seen_hashes[file_hash] = relative
                _load_file(writer, spec, path, relative, report, keys, summary, settings.max_text_chars,
                           ZoneInfo(settings.timezone), key)
                if report.rows_in == 0:
                    report.status = "empty"
                summary.files.append(report)
                conn.execute(
                    "INSERT INTO raw.ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [source, day, relative, file_hash, report.encoding, report.status,
                     report.duplicate_of, report.rows_in, report.rows_loaded,
                     report.rows_quarantined, loaded_at],
                )
            writer.flush()
            if lake is not None:
                write_partition(rows_conn, "raw", list(spec.tables), lake, day)
                mount_lake_tables(conn, lake, "raw", list(spec.tables))
            conn.commit()
        except Exception as error:
            conn.rollback()
            raise IngestError(
                f"loading {source} for {day} failed, previous data for that day kept: {error}"
            ) from error
        finally:
            if rows_conn is not conn:
                rows_conn.close()
    if not files:
        log.warning("no %s files landed for %s", source, day)
    return summary
