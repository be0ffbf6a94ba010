"""``python -m sentiment.training DISTILLATION.npz CONFIG.json OUT_DIR [TEACHER_DIR]``: train the student alone.

For a machine with a GPU but without the teacher's packages: the teacher's labels were prepared
elsewhere (``voc train sentiment`` writes them under $VOC_DATA_DIR/models/) and carried over. The
recipe's relative public folders are read under $VOC_DATA_DIR, as ``voc train sentiment`` does. A
recipe whose student is cut from the teacher (``init: teacher``) needs that teacher's folder too
(default VOC_SENTIMENT_TEACHER_DIR).
"""

import sys
from pathlib import Path

from pipelines.settings import get_settings
from sentiment.training.pipeline import DistillationSet, TrainConfig, distil

if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    labels, config, out = (Path(a) for a in sys.argv[1:4])
    settings = get_settings()
    teacher = Path(sys.argv[4]) if len(sys.argv) == 5 else settings.sentiment_teacher_dir
    distil(TrainConfig.from_file(config), DistillationSet.load(labels), out,
           command=f"VOC_SENTIMENT_TRAIN_CONFIG={config} voc train sentiment", data_dir=settings.data_dir,
           teacher_dir=teacher)
