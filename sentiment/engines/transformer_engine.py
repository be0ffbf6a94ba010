"""A ``transformers`` sequence-classification model from a local Hugging Face directory.

Any checkpoint with a tokenizer and a 2-label head works: the project's own distilled student
in ``models/``, or a user's fine-tuned Chinese RoBERTa. Label 1 is taken as positive unless the
config's ``label2id`` says otherwise. Texts are batched by length so little time goes to padding.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np


class TransformerEngine:
    name = "transformer"

    def __init__(self, model_dir: Path, batch_size: int = 64, max_length: int = 128,
                 threads: int | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model_dir = Path(model_dir)
        if not (model_dir / "config.json").exists():
            raise FileNotFoundError(f"no Hugging Face model in {model_dir} (config.json missing)")
        torch.set_num_threads(threads or max(1, os.cpu_count() or 1))
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True)
        model.eval()
        self.model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        label2id = {k.lower(): v for k, v in (model.config.label2id or {}).items()}
        self.positive_index = label2id.get("positive", 1)
        self.batch_size, self.max_length = batch_size, max_length
        self.version = self._version(model_dir)
        self._torch = torch

    @staticmethod
    def _version(model_dir: Path) -> str:
        card = model_dir / "voc_model.json"
        if card.exists():
            return json.loads(card.read_text())["version"]
        return f"hf-{model_dir.name}"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        order = np.argsort([len(text) for text in texts], kind="stable")
        scores = np.empty(len(texts), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                index = order[start:start + self.batch_size]
                batch = self.tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                logits = self.model(**batch).logits
                scores[index] = torch.softmax(logits, dim=-1)[:, self.positive_index].numpy()
        return scores
