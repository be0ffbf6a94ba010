"""Source contracts: the one statement of each source's shape, read from YAML.

The repository's contracts live in ``pipelines/contracts/<source>.yml``; an organisation extends
one without code in ``$VOC_DATA_DIR/contracts/<source>.yml``. A contract gives, per field: its
DuckDB type, whether it is required, nullable or has a default, a description, whether it holds
text to mask or an identifier, its accepted values (``choices``, ``min``/``max``), header
aliases (exact names, matched ignoring case and full/half width, or ``/regex/`` searched in
question-text headers), a value map (``微信: wechat``, ``非常满意: 5``) and, for a list, the
fields of each item; and per source: the accepted formats, extra timestamp formats, the record
key, the re-delivery policy (``latest_wins`` or ``reject``), named cross-field rules, and the
raw tables with their descriptions.

Everything derives from it: the row validation (``schemas.row_model``), the raw DDL, the arrow
schemas the loader writes, asset descriptions and the dbt source YAML.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
DBT_SOURCES_FILE = Path("models") / "staging" / "_raw__sources.yml"  # inside a dbt project (VOC_DBT_PROJECT_DIR)
SOURCE_NAMES = ("surveys", "calls", "social")
LINEAGE_DESCRIPTIONS = {
    "_source_file": "Landing file the row came from, relative to the landing folder.",
    "_file_hash": "SHA-256 of that file.",
    "_row_number": "Line (CSV, JSON lines), row (XLSX) or element (JSON array) in that file.",
    "_loaded_at": "When the row was loaded.",
    "_partition_date": "Landing day (partition) of the file.",
}


class ContractError(ValueError):
    """A contract file that cannot be used, said in one sentence naming the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Scalar = str | int | float | bool


class _FieldSpec(_Strict):
    type: str = "VARCHAR"
    required: bool = False
    nullable: bool = False
    default: Scalar | None = None
    description: str = ""
    mask: bool = False
    pseudonymise: bool = False
    identifier: bool = False
    choices: list[str] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    aliases: list[str] = Field(default_factory=list)
    values: dict[str, Scalar] = Field(default_factory=dict)
    items: dict[str, "_FieldSpec"] = Field(default_factory=dict)
    file_name_defaults: dict[str, Scalar] = Field(default_factory=dict)


class _DerivedSpec(_Strict):
    type: str
    description: str


class _TableSpec(_Strict):
    description: str
    fields: list[str]
    derived: dict[str, _DerivedSpec] = Field(default_factory=dict)


class _ContractSpec(_Strict):
    source: str
    description: str
    formats: list[Literal["delimited", "xlsx", "json"]]
    key: str
    redelivery: Literal["latest_wins", "reject"] = "latest_wins"
    timestamp_formats: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    tables: dict[str, _TableSpec]
    columns: dict[str, _FieldSpec]


def _fold(text: str) -> str:
    """Header and value matching ignores case, surrounding space and full/half width (NFKC)."""
    return unicodedata.normalize("NFKC", text).strip().lower()


# Survey tools number their questions in the header: 问卷星 "2、您对本次服务的满意度", 腾讯问卷 "Q2. …" or
# "第2题 …"; and end a question with ? or : (folded from ？ and ：).
_QUESTION_NUMBER = re.compile(r"^(?:(?:第\s*[0-9]+\s*题|q\s*[0-9]+)\s*[、.:)\]_-]?|[0-9]+\s*[、.:)\]_-])\s*(?=\D)")
_QUESTION_END = re.compile(r"[?:*\s]+$")


def _names(name: str, word: str) -> bool:
    """``word`` (folded) is in the folded file ``name``: a Latin word not inside a longer one."""
    if word.isascii():
        return re.search(f"(?<![a-z]){re.escape(word)}(?![a-z])", name) is not None
    return word in name


def _fold_header(header: str) -> str:
    """A header as contracts name it: folded (``_fold``), without a survey tool's question number
    or the question mark, colon or required-answer star at its end."""
    folded = _fold(header)
    return _QUESTION_END.sub("", _QUESTION_NUMBER.sub("", folded)) or folded


@dataclass(frozen=True)
class FieldContract:
    """One field. A field is required, or nullable (absent: NULL), or has a ``default``."""

    name: str
    type: str  # DuckDB type of the raw column; LIST for a list of ``items``
    required: bool
    nullable: bool  # the raw column may be NULL (an optional field without a default)
    default: object
    description: str
    mask: bool
    pseudonymise: bool  # an identifier that may itself be a personal number (masking.pseudonymise)
    identifier: bool  # an ID: at most 64 characters, refused as damaged when a spreadsheet made it a number
    choices: tuple[str, ...]  # the accepted values (matched ignoring case), if limited
    minimum: float | None  # bounds of a number, inclusive
    maximum: float | None
    aliases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    values: dict[str, object]
    items: dict[str, "FieldContract"]  # a LIST's fields of each item
    # (word, value): a landing file whose name holds the word gives records without the field that value rather
    # than ``default`` (social: 小红书导出.xlsx → platform xiaohongshu); see ``SourceContract.file_defaults``.
    file_name_defaults: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class TableContract:
    name: str
    description: str
    fields: tuple[str, ...]
    derived: dict[str, tuple[str, str]]  # column -> (DuckDB type, description)


@dataclass(frozen=True)
class SourceContract:
    """One source's contract, the repository's merged with the organisation's extension."""

    source: str
    description: str
    formats: tuple[str, ...]
    key: str
    redelivery: str
    timestamp_formats: tuple[str, ...]
    rules: tuple[str, ...]  # named cross-field rules (schemas.RULES)
    tables: dict[str, TableContract]
    fields: dict[str, FieldContract]
    origins: tuple[Path, ...]

    @property
    def required(self) -> list[str]:
        return [name for name, field in self.fields.items() if field.required]

    def map_header(self, headers: list[str]) -> tuple[list[str | None], list[str]]:
        """The field each column feeds (None: unused) and the required fields no column feeds.

        Exact names (the field's own name or an alias) win over ``/regex/`` aliases; each field
        takes the first column that matches, so a second matching column is reported unused. A
        header is matched without a survey tool's question number (``2、``, ``Q2.``, ``第2题``) or
        the ``？``, ``：`` or ``*`` at its end.
        """
        folded = [_fold_header(header) for header in headers]
        mapped: list[str | None] = [None] * len(headers)
        taken: set[str] = set()
        for exact in (True, False):
            for position, header in enumerate(folded):
                if mapped[position] is not None:
                    continue
                for field in self.fields.values():
                    if field.name in taken:
                        continue
                    if exact and header in ({field.name} | set(field.aliases)) or (
                            not exact and any(pattern.search(header) for pattern in field.patterns)):
                        mapped[position] = field.name
                        taken.add(field.name)
                        break
        return mapped, [name for name in self.required if name not in taken]

    @cached_property
    def _mapped_fields(self) -> tuple[FieldContract, ...]:
        """Fields ``prepare`` touches: those with a value map, or timestamps when extra formats exist."""
        return tuple(field for field in self.fields.values()
                     if field.values or (field.type == "TIMESTAMP" and self.timestamp_formats))

    @cached_property
    def _mapped_items(self) -> tuple[tuple[str, tuple[FieldContract, ...]], ...]:
        """(list field, its item fields with a value map): a call's turns' speaker (坐席 → agent)."""
        return tuple((name, mapped) for name, field in self.fields.items()
                     if (mapped := tuple(item for item in field.items.values() if item.values)))

    def file_defaults(self, file_name: str) -> dict[str, object]:
        """The values the landing file's name gives the fields with ``file_name_defaults``, for records that
        leave them empty. The name is folded like headers (case, full/half width); a Latin word counts only
        between non-letters (zhihu is not in zhihui_kefu, xhs not in fxhsales), a Chinese one anywhere. A name
        that names two values (weibo_douyin_compare.csv) gives none: which rows are whose, it does not say."""
        name = _fold(file_name)
        found = {}
        for field in self.fields.values():
            values = {value for word, value in field.file_name_defaults if _names(name, word)}
            if len(values) == 1:
                found[field.name] = values.pop()
        return found

    def prepare(self, fields: dict, file_defaults: dict[str, object] | None = None) -> dict:
        """Apply the file's defaults (``file_defaults``) where a field is missing or blank, value maps (also inside
        lists' items) and the contract's extra timestamp formats to one record's fields."""
        if file_defaults:
            missing = {name: value for name, value in file_defaults.items()
                       if fields.get(name) is None or (isinstance(fields.get(name), str) and not fields[name].strip())}
            fields = {**fields, **missing} if missing else fields
        prepared = fields
        for name, items in self._mapped_items:
            value = fields.get(name)
            if isinstance(value, list):
                if prepared is fields:
                    prepared = dict(fields)
                prepared[name] = [_mapped_item(element, items) for element in value]
        for field in self._mapped_fields:
            value = fields.get(field.name)
            if not isinstance(value, str):
                continue
            if field.values:
                mapped = field.values.get(_fold(value))
                if mapped is None:
                    continue
            else:
                mapped = _strptime_any(value.strip(), self.timestamp_formats)
            if prepared is fields:
                prepared = dict(fields)
            prepared[field.name] = mapped
        return prepared

    @cached_property
    def text_fields(self) -> tuple[str, ...]:
        """Free-text fields (``mask: true`` strings), whose length VOC_MAX_TEXT_CHARS limits."""
        return tuple(name for name, field in self.fields.items() if field.mask and field.type == "VARCHAR")

    @cached_property
    def item_text_fields(self) -> tuple[tuple[str, str], ...]:
        """(list field, item field) of the free texts inside lists (a call's turns' text)."""
        return tuple((name, item.name) for name, field in self.fields.items()
                     for item in field.items.values() if item.mask and item.type == "VARCHAR")

    def table_columns(self, table: str) -> dict[str, tuple[str, str]]:
        """Columns of a raw table in order, with DuckDB type and description (lineage excluded)."""
        spec = self.tables[table]
        columns = {name: (self.fields[name].type, self.fields[name].description) for name in spec.fields}
        columns.update(spec.derived)
        return columns

    def table_ddl(self, table: str, lineage_columns: str) -> str:
        """``CREATE TABLE IF NOT EXISTS raw.<table>``: the contract's columns, then lineage; then an
        ``ADD COLUMN IF NOT EXISTS`` per column, so a field added to a contract after the table was
        made reaches it (NULL for the rows loaded before), and a ``DROP NOT NULL`` per nullable field, so
        a field made nullable after the table was made (social's mentions_brand) takes NULL there too."""
        columns, added = [], []
        for name, (duck_type, _) in self.table_columns(table).items():
            field = self.fields.get(name) if name in self.tables[table].fields else None
            nullable = bool(field and field.nullable)
            columns.append(f"{name} {duck_type}{'' if nullable else ' NOT NULL'}")
            added.append(f"ALTER TABLE raw.{table} ADD COLUMN IF NOT EXISTS {name} {duck_type};")
            if nullable:
                added.append(f"ALTER TABLE raw.{table} ALTER COLUMN {name} DROP NOT NULL;")
        return "\n".join([f"CREATE TABLE IF NOT EXISTS raw.{table} ({', '.join(columns)}, {lineage_columns});",
                          *added])


def _mapped_item(element: object, items: tuple[FieldContract, ...]) -> object:
    """One list element with its fields' value maps applied (an element that is no object is left for
    validation to refuse)."""
    if not isinstance(element, dict):
        return element
    mapped = element
    for item in items:
        value = element.get(item.name)
        target = item.values.get(_fold(value)) if isinstance(value, str) else None
        if target is not None:
            mapped = {**mapped, item.name: target}
    return mapped


def _strptime_any(value: str, formats: tuple[str, ...]) -> object:
    for pattern in formats:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return value  # the built-in formats get their turn in validation


def _read_yaml(path: Path) -> dict:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ContractError(f"contract {path} cannot be read: {error.problem}{where}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ContractError(f"contract {path} cannot be read: {' '.join(str(error).split())}") from None
    if not isinstance(content, dict):
        raise ContractError(f"contract {path} must be a mapping of settings, not {type(content).__name__}")
    return content


def _merge(base: dict, override: dict, path: Path) -> dict:
    """An organisation's contract on top of the repository's: aliases and value maps are added
    (theirs first), other settings replaced. A new field (it must state its ``type``) joins the
    source's first raw table, the one with a row per record."""
    merged = {**base, **{key: value for key, value in override.items() if key != "columns"}}
    columns = {name: dict(spec) for name, spec in base.get("columns", {}).items()}
    tables = {name: dict(table) for name, table in (merged.get("tables") or {}).items()}
    for name, spec in (override.get("columns") or {}).items():
        if not isinstance(spec, dict):
            raise ContractError(f"contract {path}: field {name!r} must be a mapping such as {{aliases: [...]}}")
        if name not in columns:
            if "type" not in spec:
                raise ContractError(
                    f"contract {path}: field {name!r} is not one of {', '.join(columns)}; a new field needs "
                    "its type, e.g. {type: VARCHAR, nullable: true, aliases: [...]}")
            if tables:
                first = next(iter(tables))
                tables[first]["fields"] = [*tables[first].get("fields", []), name]
            columns[name] = {}
        current = columns[name]
        for key, value in spec.items():
            if key == "aliases":
                current["aliases"] = list(value or []) + list(current.get("aliases", []))
            elif key in ("values", "file_name_defaults"):
                current[key] = {**current.get(key, {}), **(value or {})}
            else:
                current[key] = value
    merged["columns"] = columns
    merged["tables"] = tables
    return merged


def _compile(spec: _FieldSpec, name: str, path: Path) -> FieldContract:
    if not (spec.required or spec.nullable or spec.default is not None or spec.type.upper() == "LIST"):
        raise ContractError(f"contract {path}: field {name!r} is optional: give it a default or nullable: true")
    if spec.type.upper() == "LIST" and not spec.items:
        raise ContractError(f"contract {path}: field {name!r} is a LIST: state the fields of each item under items")
    exact, patterns = [], []
    for alias in spec.aliases:
        if len(alias) > 2 and alias.startswith("/") and alias.endswith("/"):
            try:
                patterns.append(re.compile(alias[1:-1], re.IGNORECASE))
            except re.error as error:
                raise ContractError(f"contract {path}: alias {alias} of {name!r} is not a valid regex: {error}") from None
        else:
            exact.append(_fold(alias))
    values = {_fold(str(key)): value for key, value in spec.values.items()}
    return FieldContract(
        name, spec.type.upper(), spec.required, spec.nullable, spec.default, spec.description, spec.mask,
        spec.pseudonymise, spec.identifier, tuple(choice.lower() for choice in spec.choices), spec.min, spec.max,
        tuple(exact), tuple(patterns), values,
        {item: _compile(item_spec, item, path) for item, item_spec in spec.items.items()},
        tuple((_fold(word), value) for word, value in spec.file_name_defaults.items()))


def load_contract(source: str, contracts_dir: Path | None = None) -> SourceContract:
    """The repository's contract for ``source``, extended by ``contracts_dir/<source>.yml`` if present."""
    base_path = CONTRACTS_DIR / f"{source}.yml"
    if not base_path.exists():
        raise ContractError(f"no contract for source {source!r}; sources are {', '.join(SOURCE_NAMES)}")
    content = _read_yaml(base_path)
    origins = [base_path]
    user_path = contracts_dir / f"{source}.yml" if contracts_dir else None
    if user_path and user_path.exists():
        content = _merge(content, _read_yaml(user_path), user_path)
        origins.append(user_path)
    try:
        spec = _ContractSpec.model_validate(content)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ContractError(f"contract {origins[-1]}: {where}: {first['msg']}") from None
    fields = {name: _compile(field, name, origins[-1]) for name, field in spec.columns.items()}
    if spec.key not in fields:
        raise ContractError(f"contract {origins[-1]}: key {spec.key!r} is not one of its fields")
    tables = {name: TableContract(name, table.description, tuple(table.fields),
                                  {c: (d.type.upper(), d.description) for c, d in table.derived.items()})
              for name, table in spec.tables.items()}
    for table in tables.values():
        if unknown := [name for name in table.fields if name not in fields]:
            raise ContractError(f"contract {origins[-1]}: table {table.name!r} lists unknown field(s) {', '.join(unknown)}")
    return SourceContract(spec.source, spec.description, tuple(spec.formats), spec.key, spec.redelivery,
                          tuple(spec.timestamp_formats), tuple(spec.rules), tables, fields, tuple(origins))


def dbt_sources_yaml(contracts: list[SourceContract]) -> str:
    """The dbt source YAML of the ``raw`` schema, generated from the contracts (tables, columns,
    descriptions), so the two cannot drift; ``tests/pipelines/test_contracts.py`` compares it."""
    tables = []
    for contract in contracts:
        for table in contract.tables.values():
            columns = [{"name": name, "description": description, "data_type": duck_type.lower()}
                       for name, (duck_type, description) in contract.table_columns(table.name).items()]
            columns += [{"name": name, "description": description} for name, description in LINEAGE_DESCRIPTIONS.items()]
            tables.append({"name": table.name, "description": " ".join(table.description.split()),
                           "columns": columns})
    document = {"version": 2, "sources": [{
        "name": "raw",
        "description": "Typed, PII-masked landing data loaded by the Dagster ingestion assets (pipelines/ingest), "
                       "shaped by the source contracts in pipelines/contracts.",
        "schema": "raw",
        "tables": tables,
    }]}
    header = ("# Generated from pipelines/contracts/*.yml by `voc sources dbt-yaml`: do not edit by hand.\n")
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
