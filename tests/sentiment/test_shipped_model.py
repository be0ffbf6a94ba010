"""The shipped student in ``models/sentiment-student``: it is what its recipe builds (otherwise the
nightly would retrain it, an hour of two cores), and it stays within the repository's 30 MB (issue 11)."""

import json

from sentiment.training.pipeline import REPO_ROOT, TrainConfig

MODEL = REPO_ROOT / "models" / "sentiment-student"
RECIPE = REPO_ROOT / "models" / "sentiment-student.train.json"


def test_the_shipped_student_is_the_one_its_recipe_builds() -> None:
    card = json.loads((MODEL / "voc_model.json").read_text(encoding="utf-8"))
    recipe = TrainConfig.from_file(RECIPE)
    assert card["config_hash"] == recipe.config_hash
    assert card["config"] == json.loads(json.dumps(recipe.to_dict()))
    assert card["version"].startswith(f"student-c{recipe.config_hash[:6]}x")


def test_the_shipped_student_fits_the_repository_budget() -> None:
    size = sum(path.stat().st_size for path in MODEL.iterdir() if path.is_file())
    assert size <= 30_000_000, f"models/sentiment-student holds {size:,} bytes; the limit is 30 MB"
