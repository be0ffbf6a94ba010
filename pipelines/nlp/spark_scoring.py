"""The sentiment model on Spark's executors: the spark engine's scorer for ``score_partition``.

The texts a partition needs scored (the sentiment cache's misses, already normalised) become a
Spark DataFrame split over the executors; ``mapInPandas`` runs the configured engine (the ONNX
student) on each Arrow batch in the executors' Python workers, which load the model once each
(``scoring._engine`` is cached per process). Probabilities come back in the texts' order.

Each worker's engine uses the task's share of CPUs (``spark.task.cpus``, default 1), not every core of
the machine: an executor runs as many tasks at once as it has cores, and one ONNX session per task that
each spread over all cores oversubscribed them (measured 2026-11-30 on `local[2]`, two cores: 914-1,053
docs/s with two threads per worker, 1,531 with one; bench/SCALING.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sentiment.engines import CLASSES

# Rows per Arrow batch handed to the model: the engine batches inside, this bounds memory.
ARROW_BATCH_ROWS = 2048
_SCHEMA = "row long, " + ", ".join(f"p_{name} float" for name in CLASSES)


def _score_batches(batches: Iterator["pd.DataFrame"], engine_name: str, model_dir: str | None,  # noqa: F821
                   cache_dir: str) -> Iterator["pd.DataFrame"]:  # noqa: F821
    """Executor side: (row, text) batches → (row, p_negative, p_neutral, p_positive)."""
    import pandas as pd
    from pyspark import TaskContext

    from pipelines.nlp.scoring import _engine

    context = TaskContext.get()
    engine = _engine(engine_name, model_dir, cache_dir, context.cpus() if context else None)
    for frame in batches:
        probabilities = engine.predict_proba(frame["text"].tolist()) if len(frame) else np.zeros((0, 3))
        yield pd.DataFrame({"row": frame["row"].to_numpy(),
                            **{f"p_{name}": probabilities[:, i].astype(np.float32) for i, name in enumerate(CLASSES)}})


@dataclass
class SparkScorer:
    """Call with texts → probabilities (n, 3), ``CLASSES`` order, computed on ``spark``'s executors
    by the engine ``engine_name`` read from ``model_dir`` (None: a model-free engine)."""

    spark: "SparkSession"  # noqa: F821
    engine_name: str
    model_dir: str | None
    cache_dir: str

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        import pandas as pd

        self.spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(ARROW_BATCH_ROWS))
        slices = max(1, self.spark.sparkContext.defaultParallelism)
        frame = self.spark.createDataFrame(pd.DataFrame({"row": np.arange(len(texts), dtype=np.int64), "text": texts}))
        engine_name, model_dir, cache_dir = self.engine_name, self.model_dir, self.cache_dir
        scored = (frame.repartition(slices)
                  .mapInPandas(lambda batches: _score_batches(batches, engine_name, model_dir, cache_dir), _SCHEMA)
                  .toPandas().sort_values("row"))
        return scored[[f"p_{name}" for name in CLASSES]].to_numpy(dtype=np.float32)
