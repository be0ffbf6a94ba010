"""A BERT encoder that classifies from the mean of its last hidden states over real tokens.

e5 was trained to put a sentence's meaning in exactly that mean, so a classifier on it starts
from e5's judgement instead of from BERT's untrained pooler. Registered with ``transformers``'
Auto classes under its own model type, so a saved checkpoint loads with
``AutoModelForSequenceClassification`` like any other (importing this module registers it).
"""

from __future__ import annotations

import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from sentiment.engines import CLASSES


class MeanPooledBertConfig(BertConfig):
    model_type = "voc_mean_pooled_bert"


class MeanPooledClassifier(BertPreTrainedModel):
    config_class = MeanPooledBertConfig

    def __init__(self, config: MeanPooledBertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = torch.nn.Dropout(config.hidden_dropout_prob)
        self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    @classmethod
    def from_encoder(cls, encoder: BertModel, num_labels: int = len(CLASSES),
                     layers: int | None = None) -> "MeanPooledClassifier":
        """Wrap a converted encoder; ``layers`` keeps only its lowest N layers (a student's start)."""
        settings = encoder.config.to_dict()
        settings.pop("model_type", None)
        settings.update(num_labels=num_labels, id2label=dict(enumerate(CLASSES[:num_labels] if num_labels == 3 else
                                                                        [str(i) for i in range(num_labels)])),
                        architectures=[cls.__name__])
        settings["label2id"] = {v: k for k, v in settings["id2label"].items()}
        if layers:
            settings["num_hidden_layers"] = layers
        model = cls(MeanPooledBertConfig(**settings))
        state = encoder.state_dict()
        model.bert.load_state_dict(lowest_layers(state, layers) if layers else state, strict=False)
        return model

    def pool(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        """(batch, hidden) mean of the last hidden states over real tokens: what the head reads."""
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **_):
        logits = self.classifier(self.dropout(self.pool(input_ids, attention_mask, token_type_ids)))
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


def lowest_layers(state: dict, layers: int) -> dict:
    """``state`` (a BERT state dict, with or without a ``bert.`` prefix) less every encoder layer from
    number ``layers`` up: the weights of a model cut to its lowest ``layers`` layers."""
    def layer(name: str) -> int | None:
        parts = name.split(".")
        for i, part in enumerate(parts[:-2]):
            if part == "encoder" and parts[i + 1] == "layer":
                return int(parts[i + 2])
        return None

    return {name: tensor for name, tensor in state.items() if (layer(name) is None or layer(name) < layers)}


AutoConfig.register(MeanPooledBertConfig.model_type, MeanPooledBertConfig, exist_ok=True)
AutoModelForSequenceClassification.register(MeanPooledBertConfig, MeanPooledClassifier, exist_ok=True)
