"""All runtime configuration in one place: environment variables with documented defaults.

Every path the product reads or writes derives from ``VOC_DATA_DIR`` so that two installations
(or two test runs) never collide.

| variable | default | meaning |
|---|---|---|
| VOC_DATA_DIR | <repository>/data | root of everything written at run time |
| VOC_LANDING_DIR | $VOC_DATA_DIR/landing | where source systems drop files: <source>/<YYYY-MM-DD>/ |
| VOC_WAREHOUSE_PATH | $VOC_DATA_DIR/warehouse.duckdb | the working DuckDB file (raw, nlp, dbt schemas) |
| VOC_CONTRACTS_DIR | $VOC_DATA_DIR/contracts | the organisation's source-contract extensions: <source>.yml |
| VOC_PARTITION_START | 2020-01-01 | first daily partition (an earlier landing day extends it) |
| VOC_TIMEZONE | Asia/Shanghai | business time zone for partitions, schedules and naive timestamps |
| VOC_MAX_TEXT_CHARS | 20000 | texts longer than this are quarantined, not loaded |
| VOC_BATCH_ROWS | 50000 | rows buffered before a batch is written to DuckDB |
| VOC_DB_LOCK_TIMEOUT_S | 120 | how long to wait for another DuckDB writer before giving up |
| VOC_SENTIMENT_ENGINE | transformer | engine of the nightly scoring: transformer (the student), transformer-large (its teacher) or snownlp |
| VOC_SENTIMENT_MODEL_DIR | <repo>/models/sentiment-student | any local Hugging Face checkpoint for the transformer engine |
| VOC_SENTIMENT_TEACHER_DIR | $VOC_DATA_DIR/models/sentiment-teacher | the teacher (transformer-large), built there by `voc train sentiment` |
| VOC_SENTIMENT_TRAIN_CONFIG | <repo>/models/sentiment-student.train.json | recipe the model in VOC_SENTIMENT_MODEL_DIR must match |
| VOC_SENTIMENT_NEGATIVE_BELOW | 0.4 | probability of positive under which a text is negative |
| VOC_SENTIMENT_POSITIVE_ABOVE | 0.6 | probability of positive over which a text is positive |
| VOC_SENTIMENT_NEUTRAL_AT | 0.5 | P(neutral) from which a text is neutral whatever its polarity |
| VOC_ENGINE | duckdb | engine of the dbt models: duckdb (one machine) or spark (dbt-spark; the lake under $VOC_DATA_DIR/lake) |
| VOC_SPARK_MASTER | local[2] | Spark master URL of the spark engine: NLP scoring and dbt's profile (local[N], spark://…, yarn, k8s://…) |
| VOC_DBT_PROJECT_DIR | <repo>/dbt_project | the dbt project the nightly run builds |
| VOC_TOPIC_TAXONOMY | $VOC_DBT_PROJECT_DIR/seeds/topic_taxonomy.csv | the analyst-owned topic taxonomy; another file must hold the same topics as that seed, which names them in the marts |
| VOC_ESCALATION_PARTIES | <repo>/dbt_project/seeds/third_parties.csv | the analyst-owned third parties of escalation (complaint level 3) |
| VOC_SUPERSET_VENV | <repo>/.venv-superset | Superset's own virtualenv (made by `make`) |
| VOC_SUPERSET_PORT | 8088 | port of the Superset web server on 127.0.0.1 |
| VOC_SUPERSET_DATABASE_URI | sqlite:///$VOC_DATA_DIR/superset/superset.db | Superset's metadata database (any SQLAlchemy URL) |
| VOC_SUPERSET_LOCALE | zh | Superset's default UI language (zh or en) |
| VOC_SUPERSET_ADMIN_USER | admin | the Superset admin `voc` creates |
| VOC_SUPERSET_ADMIN_PASSWORD | generated | its password; generated once into $VOC_DATA_DIR/superset/secrets.json |
| SUPERSET_SECRET_KEY | generated | Superset's session key; generated once into the same git-ignored file |
| VOC_ALERTS_CONFIG | <repo>/alerts.yaml | alert rules and delivery channels (SMTP, 企业微信, 钉钉, 飞书, JSON webhook) |
| VOC_UMASK | 027 | permission bits (octal) taken from every file and folder the product writes: 027 keeps other users of the server out of the warehouse, snapshots and logs (files 0640, folders 0750) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TAXONOMY_SEED = Path("seeds") / "topic_taxonomy.csv"  # in the dbt project: dim_topics is built from it
ENGINES = ("duckdb", "spark")


class SettingsError(ValueError):
    """An environment variable holds a value the product cannot use: one line naming the variable."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _number(name: str, default: str, kind: type[int] | type[float]) -> int | float:
    """``name`` read as ``kind``; SettingsError (not a traceback) when it is no such number."""
    value = _env(name, default)
    try:
        return kind(value)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name}={value!r}: expected {expected} (default {default})") from None


def _octal_mask(name: str, default: str) -> int:
    """``name`` read as a umask in octal (``027``, ``0o077``); SettingsError when it is not one."""
    value = _env(name, default)
    try:
        mask = int(value.removeprefix("0o"), 8)
    except ValueError:
        mask = -1
    if not 0 <= mask <= 0o777:
        raise SettingsError(f"{name}={value!r}: expected an octal permission mask such as 027 or 077 (default {default})")
    return mask


@dataclass(frozen=True)
class Settings:
    """Every runtime setting, typed; ``umask`` is an int such as 0o027 (see the table above)."""

    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    contracts_dir: Path
    dagster_home: Path
    ground_truth_dir: Path
    model_cache_dir: Path
    partition_start: str
    timezone: str
    max_text_chars: int
    batch_rows: int
    db_lock_timeout_s: float
    sentiment_engine: str
    sentiment_model_dir: Path
    sentiment_teacher_dir: Path
    sentiment_train_config: Path
    sentiment_negative_below: float
    sentiment_positive_above: float
    sentiment_neutral_at: float
    topic_taxonomy: Path
    escalation_parties: Path
    engine: str
    spark_master: str
    dbt_project_dir: Path
    superset_venv: Path
    superset_port: int
    superset_admin_user: str
    alerts_config: Path
    pseudonym_key_file: Path
    umask: int = 0o027

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"VOC_ENGINE={self.engine!r}: expected one of {', '.join(ENGINES)}")
        from sentiment.engines import ENGINES as SENTIMENT_ENGINES

        if self.sentiment_engine not in SENTIMENT_ENGINES:
            raise SettingsError(f"VOC_SENTIMENT_ENGINE={self.sentiment_engine!r}: expected one of "
                                f"{', '.join(SENTIMENT_ENGINES)}")
        if not 0 <= self.sentiment_negative_below <= self.sentiment_positive_above <= 1:
            raise SettingsError(f"VOC_SENTIMENT_NEGATIVE_BELOW={self.sentiment_negative_below} and "
                                f"VOC_SENTIMENT_POSITIVE_ABOVE={self.sentiment_positive_above}: expected "
                                "0 <= negative-below <= positive-above <= 1")
        if not 0 < self.sentiment_neutral_at <= 1:
            raise SettingsError(f"VOC_SENTIMENT_NEUTRAL_AT={self.sentiment_neutral_at}: expected a probability "
                                "above 0 and at most 1")

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(_env("VOC_DATA_DIR", str(REPO_ROOT / "data"))).resolve()  # not the current folder: cron starts elsewhere
        return cls(
            data_dir=data_dir,
            landing_dir=Path(_env("VOC_LANDING_DIR", str(data_dir / "landing"))).resolve(),
            warehouse_path=Path(_env("VOC_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))).resolve(),
            contracts_dir=Path(_env("VOC_CONTRACTS_DIR", str(data_dir / "contracts"))).resolve(),
            dagster_home=data_dir / "dagster_home",
            ground_truth_dir=data_dir / "ground_truth",
            model_cache_dir=data_dir / "models",
            partition_start=_env("VOC_PARTITION_START", "2020-01-01"),
            timezone=_env("VOC_TIMEZONE", "Asia/Shanghai"),
            max_text_chars=_number("VOC_MAX_TEXT_CHARS", "20000", int),
            batch_rows=_number("VOC_BATCH_ROWS", "50000", int),
            db_lock_timeout_s=_number("VOC_DB_LOCK_TIMEOUT_S", "120", float),
            sentiment_engine=_env("VOC_SENTIMENT_ENGINE", "transformer"),
            sentiment_model_dir=Path(_env("VOC_SENTIMENT_MODEL_DIR", str(REPO_ROOT / "models" / "sentiment-student"))).resolve(),
            sentiment_teacher_dir=Path(_env("VOC_SENTIMENT_TEACHER_DIR", str(data_dir / "models" / "sentiment-teacher"))).resolve(),
            sentiment_train_config=Path(_env("VOC_SENTIMENT_TRAIN_CONFIG", str(REPO_ROOT / "models" / "sentiment-student.train.json"))).resolve(),
            sentiment_negative_below=_number("VOC_SENTIMENT_NEGATIVE_BELOW", "0.4", float),
            sentiment_positive_above=_number("VOC_SENTIMENT_POSITIVE_ABOVE", "0.6", float),
            sentiment_neutral_at=_number("VOC_SENTIMENT_NEUTRAL_AT", "0.5", float),
            engine=_env("VOC_ENGINE", "duckdb"),
            spark_master=_env("VOC_SPARK_MASTER", "local[2]"),
            dbt_project_dir=(dbt_project_dir := Path(_env("VOC_DBT_PROJECT_DIR", str(REPO_ROOT / "dbt_project"))).resolve()),
            topic_taxonomy=Path(_env("VOC_TOPIC_TAXONOMY", str(dbt_project_dir / TAXONOMY_SEED))).resolve(),
            escalation_parties=Path(_env("VOC_ESCALATION_PARTIES", str(REPO_ROOT / "dbt_project" / "seeds" / "third_parties.csv"))).resolve(),
            superset_venv=Path(_env("VOC_SUPERSET_VENV", str(REPO_ROOT / ".venv-superset"))).resolve(),
            superset_port=_number("VOC_SUPERSET_PORT", "8088", int),
            superset_admin_user=_env("VOC_SUPERSET_ADMIN_USER", "admin"),
            alerts_config=Path(_env("VOC_ALERTS_CONFIG", str(REPO_ROOT / "alerts.yaml"))).resolve(),
            pseudonym_key_file=Path(_env("VOC_PSEUDONYM_KEY_FILE", str(data_dir / "secrets" / "pseudonym.key"))).resolve(),
            umask=_octal_mask("VOC_UMASK", "027"),
        )

    def check_topic_taxonomy(self) -> None:
        """SettingsError when ``topic_taxonomy`` names other topics than the dbt project's taxonomy seed, from which
        dbt builds dim_topics: a topic only the first has fails the marts' relationship tests, and the night's
        publish with them, once a contact is given it (a breaker's run, round 25)."""
        from sentiment.topics import Taxonomy

        seed = self.dbt_project_dir / TAXONOMY_SEED
        if self.topic_taxonomy == seed.resolve() or not seed.is_file():
            return
        used = {topic.code for topic in Taxonomy.from_csv(self.topic_taxonomy).topics}
        named = {topic.code for topic in Taxonomy.from_csv(seed).topics}
        if used != named:
            differ = sorted(used ^ named)
            raise SettingsError(
                f"VOC_TOPIC_TAXONOMY={self.topic_taxonomy} and the dbt seed {seed} hold different topics "
                f"({', '.join(differ[:5])}{' …' if len(differ) > 5 else ''}); dbt names topics from the seed, so edit the "
                "seed (the analyst-owned taxonomy) or copy your file over it")

    @property
    def lake_dir(self) -> Path:
        """The spark engine's Parquet lake: raw/ and nlp/ inputs, Spark's warehouse and metastore."""
        return self.data_dir / "lake"

    @property
    def sentiment_thresholds(self):
        """The label rule (``sentiment.scoring.Thresholds``) built from the three settings above."""
        from sentiment.scoring import Thresholds

        return Thresholds(self.sentiment_negative_below, self.sentiment_positive_above, self.sentiment_neutral_at)

    def sentiment_model_for(self, engine: str) -> Path | None:
        """The checkpoint an engine reads: the student, the teacher, or none (snownlp)."""
        return {"transformer": self.sentiment_model_dir, "transformer-large": self.sentiment_teacher_dir}.get(engine)


def get_settings() -> Settings:
    """Read settings fresh each call, so tests and the CLI can change the environment."""
    return Settings.from_env()
