"""The operator's front door: help everywhere, clear errors, progress and summaries."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.settings import REPO_ROOT, Settings

SUBCOMMANDS = ["generate", "run", "status", "sources", "serve", "stop"]


def _voc(*args: str, env_dir: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "VOC_DATA_DIR": str(env_dir)}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: voc " + command in capsys.readouterr().out


def test_bad_date_is_a_clear_error(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--start", "2026-02-30"])
    assert exit_info.value.code == 2
    assert "'2026-02-30' is not a date like 2026-08-01" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "status"])
def test_end_before_start_is_refused(settings: Settings, capsys: pytest.CaptureFixture, command: str) -> None:
    assert main([command, "--start", "2026-08-02", "--end", "2026-08-01"]) == 2
    assert "error: --end 2026-08-01 is before --start 2026-08-02" in capsys.readouterr().err


def test_sources_check_of_a_folder_says_to_give_a_file(settings: Settings, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    assert main(["sources", "check", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path} is a folder; give one file of it (each export is checked on its own)"


def test_status_before_any_load_says_so(settings: Settings, capsys: pytest.CaptureFixture) -> None:
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert "Nothing loaded yet" in err and "Traceback" not in err


def test_generate_run_status_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generated = _voc("generate", "--days", "2", "--customers", "2000", "--quiet", env_dir=data)
    assert generated.returncode == 0, generated.stderr
    assert "Ground truth in" in generated.stdout
    assert sorted(p.name for p in (data / "landing").iterdir()) == ["calls", "social", "surveys"]
    ran = _voc("run", "--start", "2026-08-01", "--end", "2026-08-02", env_dir=data)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "succeeded" in ran.stdout
    assert "calls 2026-08-02 (2/2)" in ran.stderr  # per-asset, per-day progress
    status = _voc("status", env_dir=data)
    assert status.returncode == 0
    # Nothing the night wrote is readable by other users of the server (VOC_UMASK, default 027).
    world_readable = [str(path) for path in [data, *data.rglob("*")]
                      if not path.is_symlink() and path.stat().st_mode & 0o007]
    assert world_readable == []
    assert stat.S_IMODE((data / "warehouse.duckdb").stat().st_mode) == 0o640
    assert "warning" not in status.stdout  # every source had files on both days
    lines = {line.split()[1] + line.split()[0]: line for line in status.stdout.splitlines()
             if line.startswith("2026-08-0")}
    assert set(lines) == {f"{s}2026-08-0{d}" for s in ("calls", "social", "surveys") for d in (1, 2)}


def test_status_names_the_days_a_source_sent_no_file() -> None:
    from pipelines.status import days_without_files

    day = [date(2026, 8, d) for d in range(1, 6)]
    rows = [(d, "calls", 1, 10, 10, 0) for d in day] + [(d, "surveys", 1, 5, 5, 0) for d in (day[0], day[1], day[4])]
    rows += [(day[3], "social", 0, 0, 0, 0), (day[4], "social", 2, 9, 9, 0)]  # an empty file is no export
    assert days_without_files(rows) == {"surveys": [day[2], day[3]], "social": day[:4]}
    assert days_without_files([]) == {}


def test_status_names_the_days_whose_topics_an_older_taxonomy_gave(tmp_path: Path) -> None:
    import duckdb

    from pipelines.status import days_with_older_topics
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(tmp_path / "warehouse.duckdb", 10.0)
    with duckdb.connect(str(warehouse.path)) as conn:
        conn.execute("CREATE SCHEMA nlp")
    assert days_with_older_topics(warehouse) == []  # no topics assigned yet
    with duckdb.connect(str(warehouse.path)) as conn:
        conn.execute("CREATE TABLE nlp.document_topics (model_version VARCHAR, _partition_date DATE)")
        conn.execute("INSERT INTO nlp.document_topics VALUES ('topics-old', '2026-08-01'), ('topics-old', '2026-08-02'), "
                     "('topics-new', '2026-08-03'), ('topics-new', '2026-08-04')")
    assert days_with_older_topics(warehouse) == [date(2026, 8, 1), date(2026, 8, 2)]
    with duckdb.connect(str(warehouse.path)) as conn:
        conn.execute("UPDATE nlp.document_topics SET model_version = 'topics-new'")
    assert days_with_older_topics(warehouse) == []


def test_failed_run_exits_non_zero_without_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _voc("generate", "--days", "1", "--customers", "500", "--quiet", env_dir=data).returncode == 0
    (data / "warehouse.duckdb").mkdir(parents=True)  # a folder where the database file should be
    ran = _voc("run", "--start", "2026-08-01", env_dir=data)
    assert ran.returncode == 1
    assert "FAILED" in ran.stderr and "unchanged" in ran.stderr


def test_history_before_the_default_start_is_a_partition(settings: Settings) -> None:
    from pipelines.defs.partitions import check_partition_range, daily_partitions_for

    (settings.landing_dir / "surveys" / "2018-03-04").mkdir(parents=True)
    partitions = daily_partitions_for(settings)
    assert partitions.get_first_partition_key() == "2018-03-04"
    check_partition_range(date(2018, 3, 4), date(2018, 3, 5), settings)


def test_a_day_outside_the_partitions_is_one_sentence_naming_the_setting(settings: Settings,
                                                                         capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--start", "2019-06-01"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "VOC_PARTITION_START=2019-06-01" in err and "CheckError" not in err
    assert main(["run", "--start", "2026-08-01", "--end", "2099-01-01"]) == 2
    assert "after today" in capsys.readouterr().err


@pytest.mark.parametrize(("environment", "message"), [
    ({"VOC_SENTIMENT_NEGATIVE_BELOW": "abc"}, "VOC_SENTIMENT_NEGATIVE_BELOW='abc': expected a number (default 0.4)"),
    ({"VOC_SENTIMENT_NEGATIVE_BELOW": "0.7", "VOC_SENTIMENT_POSITIVE_ABOVE": "0.3"},
     "expected 0 <= negative-below <= positive-above <= 1"),
    ({"VOC_SENTIMENT_NEUTRAL_AT": "1.5"}, "VOC_SENTIMENT_NEUTRAL_AT=1.5: expected a probability"),
    ({"VOC_SENTIMENT_ENGINE": "bert"}, "VOC_SENTIMENT_ENGINE='bert': expected one of snownlp, transformer"),
    ({"VOC_BATCH_ROWS": "1e5"}, "VOC_BATCH_ROWS='1e5': expected a whole number"),
    ({"VOC_UMASK": "0999"}, "VOC_UMASK='0999': expected an octal permission mask such as 027"),
])
def test_a_bad_setting_is_one_line_naming_the_variable(environment: dict[str, str], message: str,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["sentiment", "score", "--help"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_sentiment_score_defaults_to_the_configured_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.cli import build_parser

    arguments = ["sentiment", "score", "--input", "in.csv", "--text-column", "t", "--output", "out.csv"]
    assert build_parser().parse_args(arguments).engine == "transformer"
    monkeypatch.setenv("VOC_SENTIMENT_ENGINE", "snownlp")
    assert build_parser().parse_args(arguments).engine == "snownlp"


def test_the_benchmark_has_help_and_refuses_an_unknown_section(tmp_path: Path) -> None:
    """`python -m bench --help` prints its sections and runs nothing; a misspelt section is a one-line error."""
    import os

    results = Path(__file__).resolve().parents[2] / "bench" / "results.json"
    before = results.read_bytes()
    env = {**os.environ, "VOC_DATA_DIR": str(tmp_path)}
    shown = subprocess.run([sys.executable, "-m", "bench", "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert shown.returncode == 0 and "sentiment" in shown.stdout and "escalation" in shown.stdout
    wrong = subprocess.run([sys.executable, "-m", "bench", "sentimnt"], capture_output=True, text=True, env=env, timeout=120)
    assert wrong.returncode == 1 and wrong.stderr.strip().splitlines() == [
        "python -m bench: no section sentimnt; the sections are ingest, sentiment, escalation, topics, spark, dbt"]
    assert results.read_bytes() == before


def test_a_killed_runs_writer_slot_is_released_by_the_next_run(tmp_path: Path) -> None:
    """Round 23's operator review: after `kill -9` of `voc run`, its run stayed STARTED holding the
    duckdb_writer slot, and every later run waited for it forever."""
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
    from dagster._core.utils import make_new_run_id

    from pipelines.runner import HOST_TAG, PID_TAG, process_tags, release_dead_runs

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = finished.stdout.strip()
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("duckdb_writer", 1)
        runs = {}
        for name, tags in [("killed", {**process_tags(), PID_TAG: dead_pid}), ("alive", process_tags()),
                           ("daemon", {})]:
            run = DagsterRun(job_name="nightly", run_id=make_new_run_id(), status=DagsterRunStatus.STARTED, tags=tags)
            instance.add_run(run)
            runs[name] = run.run_id
        assert storage.claim_concurrency_slot("duckdb_writer", runs["killed"], "ingest_calls").is_claimed
        assert not storage.claim_concurrency_slot("duckdb_writer", runs["alive"], "ingest_calls").is_claimed

        notes = release_dead_runs(instance)

        assert len(notes) == 1 and runs["killed"] in notes[0] and f"process {dead_pid}" in notes[0]
        assert instance.get_run_by_id(runs["killed"]).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(runs["alive"]).status == DagsterRunStatus.STARTED  # this process: alive
        assert instance.get_run_by_id(runs["daemon"]).status == DagsterRunStatus.STARTED  # not ours to judge
        # The slot is free again: the waiting run gets it (before, it waited forever).
        assert storage.claim_concurrency_slot("duckdb_writer", runs["alive"], "ingest_calls").is_claimed
        assert HOST_TAG in instance.get_run_by_id(runs["alive"]).tags


def test_the_default_data_folder_does_not_depend_on_the_current_folder(tmp_path: Path) -> None:
    """A cron job started in / got an empty installation in /data (round 23's operator review); Superset's
    config already defaulted to the repository's data/."""
    env = {k: v for k, v in os.environ.items() if k != "VOC_DATA_DIR"}
    shown = subprocess.run([sys.executable, "-m", "pipelines.cli", "--help"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert f"Data directory: {REPO_ROOT / 'data'}" in " ".join(shown.stdout.split())


def test_a_taxonomy_with_other_topics_than_the_dbt_seed_stops_the_run_before_loading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """dbt names topics from its seed; a VOC_TOPIC_TAXONOMY with a topic the seed lacks failed the marts' tests
    and held back publish once a contact got it (a breaker's run, round 25)."""
    from pipelines.settings import REPO_ROOT, TAXONOMY_SEED, SettingsError, get_settings

    seed = (REPO_ROOT / "dbt_project" / TAXONOMY_SEED).read_text(encoding="utf-8")
    same = tmp_path / "same_topics.csv"
    same.write_text(seed.replace("\n", "\r\n"), encoding="utf-8")  # the same topics, as Excel saves them
    added = tmp_path / "added_topic.csv"
    added.write_text(seed.rstrip("\n") + "\nefficiency,service,办事效率,效率|一周了\n", encoding="utf-8")
    monkeypatch.setenv("VOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOC_TOPIC_TAXONOMY", str(same))
    get_settings().check_topic_taxonomy()
    monkeypatch.setenv("VOC_TOPIC_TAXONOMY", str(added))
    with pytest.raises(SettingsError, match="efficiency"):
        get_settings().check_topic_taxonomy()
    assert main(["run", "--start", "2026-08-01"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "efficiency" in err and "edit the seed" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
    monkeypatch.setenv("VOC_DBT_PROJECT_DIR", str(tmp_path / "project"))  # the default follows the project
    monkeypatch.delenv("VOC_TOPIC_TAXONOMY")
    assert get_settings().topic_taxonomy == tmp_path / "project" / TAXONOMY_SEED
