"""The ``python -m nlp`` command line.

Each sub-command is a thin layer over the package API; every error a user can
cause is an :class:`~nlp.core.errors.NlpError`, printed as one ``error: …`` line
with exit code 2 and no traceback -- bad options included.  Output paths are
checked before any work starts (:func:`nlp.core.fileio.check_output`): never an
input, never a device, FIFO or a folder we did not write, never an existing
file without ``--force``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import threading
from functools import partial
from pathlib import Path
from typing import NoReturn

from nlp.core.errors import InputError, NlpError, OutputError
from nlp.core.fileio import check_output, os_reason
from nlp.core.parallel import DEFAULT_BATCH
from nlp.core.version import __version__
from nlp.io.arguments import OneLineParser, positive_int

__all__ = ["StdoutError", "build_parser", "exit_process", "main"]

#: ``teardown``: whether ``python -m nlp`` should end with the interpreter's usual teardown (see exit_process).
_state = {"teardown": True}

# Everything else is imported by the command that needs it, so `--help` starts in a fraction of a
# second: the corpus stages pull in tqdm and the cleaning tables, prediction scikit-learn and skops.


def _load_reports(paths: list, progress: bool) -> tuple[list, list[tuple[str, str]]]:
    """The reports at ``paths`` and the files skipped as unreadable; an error only if none could be read."""
    from nlp.text.corpus import load_corpus

    skipped: list[tuple[str, str]] = []
    reports = load_corpus(paths, progress=progress, skipped=skipped)
    if not reports:
        if len(skipped) == 1:
            raise InputError(": ".join(skipped[0]))
        _print_skipped(skipped)
        raise InputError(f"none of the {len(skipped)} report files could be read")
    return reports, skipped


def _print_skipped(skipped: list[tuple[str, str]]) -> None:
    for path, reason in skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)


class StdoutError(OutputError):
    """Standard output cannot be written (a full disk behind ``> file``): the output is incomplete."""


def _stdout():
    """Standard output, or a one-line error when the process was started without one (``>&-``)."""
    if sys.stdout is None:
        raise StdoutError("standard output is closed")
    return sys.stdout


@contextlib.contextmanager
def _writing_stdout():
    """Standard output to write to; a failed write (full disk) is an error, not a truncated success."""
    try:
        yield _stdout()
    except BrokenPipeError:
        raise  # `… | head` closed the pipe: main() ends quietly
    except OSError as exc:
        raise StdoutError(f"cannot write to standard output: {os_reason(exc)}") from exc


def _emit(text: str) -> None:
    with _writing_stdout() as stdout:
        stdout.write(text)


def _flush_stdout() -> None:
    with _writing_stdout() as stdout:
        stdout.flush()


def _cmd_corpus(args: argparse.Namespace) -> int:
    from nlp.text.corpus import corpus_table, default_seed_dir, export_sentences, format_table

    paths = args.paths or [default_seed_dir()]
    if args.export:
        check_output(args.export, args.force, inputs=paths)
    reports, skipped = _load_reports(paths, args.progress)
    _emit(format_table(corpus_table(reports)) + "\n")
    if args.sections:
        for report in reports:
            _emit(f"\n{report.report_id}  {report.meta.title or ''}\n")
            for section in report.sections:
                _emit(f"  {'  ' * section.level}[{section.part}] {section.title}\n")
    _flush_stdout()
    if args.export:
        count = export_sentences(reports, args.export)
        print(f"\nwrote {count} sentences to {args.export}", file=sys.stderr)
    _print_skipped(skipped)
    return 0


def _add_corpus(subparsers) -> None:
    parser = subparsers.add_parser(
        "corpus",
        help="summarise reports: township, years, sections, sentences per part",
        description="Read, clean and segment reports and print one summary row per report. "
        "PATH is a report (.txt in UTF-8 or GB18030/GBK, .html/.htm, .pdf or .docx) or a folder of them; "
        "default: seeds/. Unreadable files in a run are skipped and listed at the end.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="report file or folder (default: seeds/)")
    parser.add_argument(
        "--export", metavar="FILE", help="also write one row per sentence to FILE (.csv or .jsonl), atomically"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing --export file")
    parser.add_argument("--sections", action="store_true", help="also print each report's heading tree")
    parser.add_argument("--progress", action="store_true", help="show a progress bar while reading")
    parser.set_defaults(handler=_cmd_corpus)


def _cmd_train(args: argparse.Namespace) -> int:
    # scikit-learn and skops load only for the commands that need them: `corpus` and `--help` stay quick
    from nlp.classify.model import MODEL_NAMES
    from nlp.classify.persist import card_path, model_outputs, save_classifier
    from nlp.classify.training import train_classifier
    from nlp.core.parallel import default_jobs
    from nlp.text.corpus import default_report_paths

    if args.model not in MODEL_NAMES:
        raise InputError(f"unknown --model {args.model!r}; choose from {', '.join(MODEL_NAMES)}")
    from nlp.classify.labels import default_label_files

    paths = args.reports or default_report_paths()
    label_files = _train_label_files(args)
    inputs = [*paths, *(label_files or default_label_files())]
    for output in model_outputs(args.out):  # the card too: both are one unit, and training takes minutes
        check_output(output, args.force, inputs=inputs)
    reports, skipped = _load_reports(paths, args.progress)
    try:
        classifier = train_classifier(
            reports,
            label_files,
            model=args.model,
            evaluate=not args.no_eval,
            progress=args.progress,
            partial=args.partial,
            n_jobs=args.jobs or default_jobs(),
        )
    except ValueError as exc:  # e.g. a held-out fold leaves one category to train on
        hint = "" if args.no_eval else "; --no-eval skips the held-out-place evaluation"
        raise InputError(f"cannot train on these reports and labels: {exc}{hint}") from exc
    save_classifier(classifier, args.out, force=args.force)
    metrics = classifier.model_card_["heldout_metrics"]
    summary = f"trained {args.model} on {len(reports)} reports, {classifier.model_card_['n_sentences']} sentences"
    if metrics:
        low, high = metrics["macro_f1_ci95_reports"]
        summary += (
            f"; held-out-place macro-F1 {metrics['macro_f1']:.3f} [{low:.3f}, {high:.3f} over reports],"
            f" ECE {metrics['ece']:.3f}"
        )
    print(f"{summary}\nwrote {args.out} and {card_path(args.out)}", file=sys.stderr)
    _print_skipped(skipped)
    return 0


def _add_train(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a sentence classifier on labelled reports and save it (skops + model card)",
        description="Train the policy-sentence classifier on REPORTs (default: the seed and external reports) "
        "with their hand-coded labels, evaluate it with whole places held out (10 folds), calibrate its scores "
        "on held-out places, and save it with a model card.",
    )
    parser.add_argument(
        "reports",
        nargs="*",
        metavar="REPORT",
        help="labelled report files or folders (default: seeds/ and seeds/external/raw/)",
    )
    parser.add_argument(
        "--labels",
        metavar="CSV",
        nargs="+",
        help="your label files or coding sheets (.csv/.xlsx), merged over the shipped labels "
        "(seeds/labels.csv, seeds/external/labels.csv); a later file wins on a sentence two files label",
    )
    parser.add_argument(
        "--no-shipped-labels", action="store_true", help="use only the --labels files, not the shipped labels"
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="train on the labelled sentences only (reports of which you coded a sample); "
        "default: every sentence must have a label",
    )
    parser.add_argument("--out", metavar="MODEL", required=True, help="where to save the model (.skops)")
    parser.add_argument("--model", default="logreg", help="classifier: logreg (default), svm or cnb")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out-place evaluation")
    parser.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="worker processes for the evaluation's folds and the final fit (default: all cores; same model)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing model file and its card")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    parser.set_defaults(handler=_cmd_train)


def _train_label_files(args: argparse.Namespace) -> list[Path] | None:
    """The shipped label files, then the user's (which win on conflict), each once."""
    from nlp.classify.labels import default_label_files

    if not args.labels:
        return None
    files = [] if args.no_shipped_labels else default_label_files()
    for path in map(Path, args.labels):
        if path.resolve() not in {f.resolve() for f in files}:
            files.append(path)
    return files


def _load_model(args: argparse.Namespace, for_prediction: bool = False):
    from nlp.classify.persist import load_classifier
    from nlp.text.tokenize import set_backend

    classifier = load_classifier(args.model, for_prediction=for_prediction)
    if args.backend:
        try:
            set_backend(classifier, args.backend)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    return classifier


def _jobs(args: argparse.Namespace, sources: list[str]) -> int:
    from nlp.classify.predict import worth_workers
    from nlp.core.parallel import default_jobs

    if args.jobs is not None:
        return args.jobs
    # workers cost a fork and a copy of the model each: worth it for many files or one large one
    return default_jobs() if worth_workers(sources, args.batch_size) else 1


def _cmd_predict(args: argparse.Namespace) -> int:
    from nlp.classify.predict import (
        LINE_FIELDS,
        REPORT_FIELDS,
        csv_text,
        expand_sources,
        jsonl_text,
        predict_text,
        read_ahead,
    )

    _stdout()  # before any work: where would the rows go?
    sources = expand_sources(args.files)
    jobs = _jobs(args, sources)
    with read_ahead(sources, args.one_per_line, jobs, args.scheduler):  # a large report, while the model loads
        classifier = _load_model(args, for_prediction=True)  # no scikit-learn: start-up is most of a small run
        fields = LINE_FIELDS if args.one_per_line else REPORT_FIELDS
        if args.format == "csv":
            _emit(",".join(fields) + "\n")
        # the workers format their own rows: this process only writes them out
        format_rows = partial(csv_text, fields=fields) if args.format == "csv" else jsonl_text
        texts = predict_text(
            classifier,
            sources,
            format_rows,
            one_per_line=args.one_per_line,
            n_jobs=jobs,
            scheduler=args.scheduler,
            batch_size=args.batch_size,
            progress=args.progress,
        )
        for text in texts:
            _emit(text)
    _flush_stdout()
    _state["teardown"] = False  # all output is written: the process may end without freeing the model
    return 0


def _add_scale_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs", type=positive_int, metavar="N", help="worker processes (default: all cores when there are many files)"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"files per task sent to a worker (default {DEFAULT_BATCH})",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs nlp[dask])"
    )
    parser.add_argument(
        "--backend", choices=("jieba", "rjieba"), help="word segmenter (default: the model's; rjieba needs nlp[fast])"
    )
    parser.add_argument("--progress", action="store_true", help="show a progress bar (on standard error)")


def _add_predict(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="label the sentences of reports with a trained model (JSON Lines or CSV on stdout)",
        description="Label every sentence of each FILE (a report; '-' reads standard input) with a model saved "
        "by 'train'. Output, one object per sentence: source, index, text, heading, part, label, score "
        "(the model's probability of the label). With --one-per-line each non-empty input line is one sentence.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="report files or folders, or - for standard input")
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file written by 'train'")
    parser.add_argument("--one-per-line", action="store_true", help="treat each input line as one sentence")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    _add_scale_options(parser)
    parser.set_defaults(handler=_cmd_predict)


def _cmd_attention(args: argparse.Namespace) -> int:
    from nlp.analysis.attention import attention_profiles, markdown_table
    from nlp.classify.labels import load_labels
    from nlp.classify.predict import expand_sources, label_sources

    sources = expand_sources(args.files)
    if args.out:
        _check_out_folder(args.out, args.force, [*args.files, args.model, args.labels])
    classifier = _load_model(args)
    hand = load_labels(args.labels) if args.labels else None
    jobs = _jobs(args, sources)
    estimator = _share_estimator(args.estimator, args.interval, classifier, args.n_bootstrap)
    labelled = label_sources(
        classifier, sources, hand, jobs, args.scheduler, args.batch_size, args.progress, args.estimator != "count"
    )
    profiles = attention_profiles(labelled, n_boot=args.n_bootstrap, estimator=estimator)
    _emit(markdown_table(profiles, "all", args.measure))
    _flush_stdout()
    if args.out:
        _write_attention(args, profiles)
    return 0


def _check_out_folder(out: str, force: bool, inputs: list) -> None:
    """An ``--out`` folder may be new, or (with ``--force``) a results folder we wrote; never an input."""
    from nlp.io.results import is_results_dir

    check_output(out, force, inputs=[i for i in inputs if i], folder=True, is_ours=is_results_dir)


def _results_folder(out: str, config: dict, data: list):
    """The :class:`~nlp.io.results.ResultsDir` of an ``--out`` folder, resolved (``--out .`` has no name)."""
    from nlp.io.results import ResultsDir

    out_dir = Path(os.path.realpath(out))
    return ResultsDir(out_dir.name, root=out_dir.parent, config=config, data=data)


def _write_attention(args: argparse.Namespace, profiles) -> None:
    from nlp.io.attention_outputs import write_attention_outputs

    config = {"files": args.files, "model": args.model, "labels": args.labels, "n_bootstrap": args.n_bootstrap}
    config |= {"estimator": args.estimator, "interval": args.interval}
    with _results_folder(args.out, config, args.files) as out:
        out.write_json("metrics.json", write_attention_outputs(out, profiles))
    print(f"wrote {args.out}", file=sys.stderr)


def _add_attention(subparsers) -> None:
    parser = subparsers.add_parser(
        "attention",
        help="policy-attention profile of reports: share of sentences per category, with intervals",
        description="Label every sentence of each report with MODEL (hand labels from --labels take precedence) "
        "and print, per report, the share of sentences in each policy category with a 95%% bootstrap interval "
        "(Markdown). --out DIR also writes CSV tables, review-vs-plan shifts and figures.",
    )
    parser.set_defaults(handler=_cmd_attention)
    parser.defer(_attention_options)


def _attention_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="report files or folders")
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file written by 'train'")
    parser.add_argument("--labels", metavar="CSV", help="hand-coded labels to use where they cover a sentence")
    parser.add_argument("--measure", choices=("sentence", "character"), default="sentence", help="share of what")
    parser.add_argument("--n-bootstrap", type=positive_int, default=1000, help="draws for the intervals (default 1000)")
    from nlp.analysis.quantify import DEFAULT_ESTIMATOR

    _add_estimator_options(parser, DEFAULT_ESTIMATOR)
    parser.add_argument("--out", metavar="DIR", help="also write tables and figures into DIR")
    parser.add_argument("--force", action="store_true", help="replace an existing --out folder")
    _add_scale_options(parser)


def _add_estimator_options(parser: argparse.ArgumentParser, default: str) -> None:
    from nlp.analysis.quantify import DEFAULT_INTERVAL, ESTIMATORS, INTERVALS

    parser.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        default=default,
        help=f"share estimator: count (classify and count; the lowest per-report error measured on held-out places), "
        f"probability (mean calibrated probability; the lowest error of means over reports, for comparisons), "
        f"median (posterior median count per category from the calibrated probabilities; optimal per cell only "
        f"if they are calibrated, and measured worse than count) or adjusted (corrected with the model card's "
        f"held-out confusion matrix); default {default}",
    )
    parser.add_argument(
        "--interval",
        choices=INTERVALS,
        default=DEFAULT_INTERVAL,
        help=f"95%% interval: dirichlet (posterior over sentences, with classifier uncertainty), bootstrap "
        f"(over sentences), wilson or jeffreys (count only); default {DEFAULT_INTERVAL}",
    )


def _share_estimator(
    name: str, interval: str, classifier, n_draws: int, keep_draws: bool = False, draws_option: str = "--n-bootstrap"
):
    """The share estimator a command asked for; one-line errors for what the model or options cannot give."""
    from nlp.analysis.quantify import ConfusionMatrix, make_estimator
    from nlp.classify.codebook import load_codebook

    categories = list(load_codebook().ids)
    if interval in ("wilson", "jeffreys") and name != "count":
        raise InputError(f"--interval {interval} is for --estimator count; use dirichlet or bootstrap")
    if n_draws < 1:
        raise InputError(f"{draws_option} must be at least 1")
    confusion = None
    if name == "adjusted":
        confusion = ConfusionMatrix.from_card(getattr(classifier, "model_card_", None), categories)
        if confusion is None:
            raise InputError(
                "--estimator adjusted needs the held-out confusion matrix of the model card; "
                "retrain the model without --no-eval, or use --estimator probability"
            )
    return make_estimator(
        name,
        confusion=confusion,
        n_categories=len(categories),
        interval=interval,
        n_draws=n_draws,
        keep_draws=keep_draws,
    )


def _cmd_panel(args: argparse.Namespace) -> int:
    from nlp.analysis.attention import attention_profiles
    from nlp.analysis.panel import check_formula, load_covariates, merge_covariates, report_covariates
    from nlp.classify.labels import load_labels
    from nlp.classify.predict import expand_sources, label_sources
    from nlp.io.attention_outputs import write_panel_outputs

    sources = expand_sources(args.files)
    _check_out_folder(args.out, args.force, [*args.files, args.model, args.labels, args.covariates])
    classifier = _load_model(args)
    hand = load_labels(args.labels) if args.labels else None
    extra = load_covariates(args.covariates) if args.covariates else None
    estimator = _share_estimator(args.estimator, args.interval, classifier, args.n_draws, True, "--n-draws")
    jobs = _jobs(args, sources)
    labelled = list(
        label_sources(classifier, sources, hand, jobs, args.scheduler, args.batch_size, args.progress, True)
    )
    reports = [item[0] for item in labelled]
    covariates = merge_covariates(report_covariates(reports), extra)
    formulas = args.formula or ["year"]
    for formula in formulas:  # a formula naming no covariate fails before anything is written
        check_formula(formula, covariates)
    profiles = attention_profiles(labelled, parts=("all", "review", "problems", "plan"), estimator=estimator)
    out_dir = Path(os.path.realpath(args.out))
    config = {"files": args.files, "model": args.model, "labels": args.labels, "covariates": args.covariates}
    config |= {"estimator": args.estimator, "interval": args.interval, "formula": formulas, "n_draws": args.n_draws}
    config |= {"place_bootstrap": args.place_bootstrap}
    data = [*args.files, *([args.covariates] if args.covariates else [])]
    with _results_folder(args.out, config, data) as out:
        metrics = write_panel_outputs(
            out, profiles, covariates, formulas, min_reports=args.min_reports, n_bootstrap=args.place_bootstrap or 0
        )
        out.write_json("metrics.json", metrics)
    _emit((out_dir / "regression.md").read_text(encoding="utf-8") if metrics["regressions"] else "")
    _flush_stdout()
    if not metrics["regressions"] or not metrics["categories"]:
        print(f"no category has sentences in {args.min_reports} reports: no regression", file=sys.stderr)
    print(f"wrote {out_dir}", file=sys.stderr)
    return 0


def _add_panel(subparsers) -> None:
    parser = subparsers.add_parser(
        "panel",
        help="attention panel: long shares × covariates, regressions of shares on covariates, figures",
        description="Label every sentence of each report with MODEL, estimate each report's category shares "
        "(and of its review, problems and plan parts) with intervals, join covariates read from the reports "
        "(place, level, county, city, province, year, genre) and from --covariates, and write the long panel "
        "(panel_long.csv), attention by year, one fractional-logit regression per category with place-clustered "
        "intervals over share draws (regression.md/.csv) and figures into DIR.",
    )
    parser.set_defaults(handler=_cmd_panel)
    parser.defer(_panel_options)


def _panel_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="REPORTS", help="report files or folders")
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file written by 'train'")
    parser.add_argument("--covariates", metavar="CSV", help="your covariates, one row per report_id")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    parser.add_argument("--labels", metavar="CSV", help="hand-coded labels to use where they cover a sentence")
    parser.add_argument(
        "--formula",
        action="append",
        metavar="TERMS",
        help="right-hand side of a regression, e.g. 'year + C(genre)'; repeat for several (default: year)",
    )
    from nlp.analysis.quantify import PANEL_ESTIMATOR

    _add_estimator_options(parser, PANEL_ESTIMATOR)
    parser.add_argument("--n-draws", type=positive_int, default=200, help="share draws per report (default 200)")
    parser.add_argument(
        "--place-bootstrap",
        type=positive_int,
        metavar="N",
        help="also intervals from N bootstrap replicates over places (clusters resampled, one share draw per "
        "report, refitted); default: none",
    )
    parser.add_argument(
        "--min-reports",
        type=positive_int,
        default=10,
        help="a category needs sentences in this many reports (default 10)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --out folder")
    _add_scale_options(parser)


def _cmd_sample(args: argparse.Namespace) -> int:
    from nlp.classify.coding import check_sheet_path, read_codes, write_sheet
    from nlp.classify.sampling import sample_sentences

    check_sheet_path(args.out, args.force)
    exclude = {(r.report_id, r.text) for path in args.exclude or () for r in read_codes(path, False).rows}
    classifier = _load_model(args)
    reports, skipped = _load_reports(args.reports, args.progress)
    rows = sample_sentences(
        reports, classifier, args.n, args.strategy, args.uncertainty, args.max_per_report, exclude, args.seed
    )
    about = {
        "strategy": args.strategy if args.strategy != "uncertainty" else f"uncertainty ({args.uncertainty})",
        "sentences": len(rows),
        "reports": len(reports),
        "model": args.model,
        "seed": args.seed,
        "blind": not args.show_predictions,
    }
    write_sheet(args.out, rows, args.coders, args.show_predictions, about, force=args.force)
    drawn = len({r["report_id"] for r in rows})
    print(
        f"drew {len(rows)} sentences ({args.strategy}) from {drawn} of {len(reports)} reports into {args.out}; "
        f"coders: {', '.join(args.coders)}",
        file=sys.stderr,
    )
    _print_skipped(skipped)
    return 0


def _add_sample(subparsers) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="draw sentences of your reports into a coding sheet (.csv or .xlsx) for hand coding",
        description="Draw N sentences of REPORTs for hand coding. --strategy stratified (default) is the "
        "validation sample: proportional to every report and predicted category, each sentence with the same "
        "chance. --strategy uncertainty picks the sentences the model is least sure of (active learning, for "
        "training), at most --max-per-report from one report. The sheet has each sentence with its heading and "
        "neighbours, an empty label column per coder and the codebook's categories; predictions are hidden "
        "unless --show-predictions.",
    )
    parser.set_defaults(handler=_cmd_sample)
    parser.defer(_sample_options)


def _sample_options(parser: argparse.ArgumentParser) -> None:
    from nlp.classify.sampling import STRATEGIES, UNCERTAINTY

    parser.add_argument("reports", nargs="+", metavar="REPORT", help="report files or folders")
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file written by 'train'")
    parser.add_argument("--n", type=positive_int, required=True, metavar="N", help="sentences to draw")
    parser.add_argument("--out", required=True, metavar="SHEET", help="coding sheet to write (.csv or .xlsx)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="stratified", help="how to draw (default stratified)")
    parser.add_argument("--uncertainty", choices=UNCERTAINTY, default="margin", help="for --strategy uncertainty")
    parser.add_argument("--max-per-report", type=positive_int, metavar="K", help="uncertainty: at most K per report")
    parser.add_argument(
        "--exclude",
        nargs="+",
        metavar="CSV",
        help="sheets or label files already drawn: never draw their sentences again",
    )
    parser.add_argument("--coders", nargs="+", default=["a", "b"], metavar="NAME", help="label column per coder")
    parser.add_argument("--show-predictions", action="store_true", help="add the model's label and score (not blind)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing sheet")
    parser.add_argument("--progress", action="store_true", help="show a progress bar while reading")
    parser.add_argument("--backend", choices=("jieba", "rjieba"), help="word segmenter (default: the model's)")


def _cmd_agreement(args: argparse.Namespace) -> int:
    from nlp.classify.agreement import agreement, load_coders, markdown
    from nlp.classify.codebook import load_codebook
    from nlp.core.errors import ConfigError
    from nlp.io.coding_outputs import write_agreement

    if args.out:
        _check_out_folder(args.out, args.force, args.files)
    coders, sentences = load_coders(args.files)
    categories = list(load_codebook().ids)
    try:
        result = agreement(coders, categories)
    except ConfigError as exc:
        raise ConfigError(f"{', '.join(args.files)}: {exc}") from exc
    _emit(markdown(result, load_codebook().label_names("both")))
    _flush_stdout()
    if args.out:
        out_dir = Path(args.out)
        with _results_folder(args.out, {"files": args.files}, args.files) as out:
            write_agreement(out, result, coders, sentences, categories)
        print(
            f"wrote {out_dir}: {len(result['disagreements'])} disagreements to adjudicate in "
            f"{out_dir / 'disagreements.csv'} (fill the empty labels of {out_dir / 'coded.csv'})",
            file=sys.stderr,
        )
    return 0


def _add_agreement(subparsers) -> None:
    parser = subparsers.add_parser(
        "agreement",
        help="inter-coder agreement: Cohen's kappa, Krippendorff's alpha, per category, disagreements",
        description="Agreement of two or more coders: one file per coder (a label file, or a coding sheet with "
        "its label_<coder> column filled), or a sheet with several label_<coder> columns. Prints Cohen's kappa "
        "per pair, Krippendorff's alpha (nominal, missing codes allowed) and per-category agreement; --out DIR "
        "also writes the coder-by-coder confusion matrices, disagreements.csv for adjudication and coded.csv.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="coders' label files or coding sheets")
    parser.add_argument("--out", metavar="DIR", help="also write tables, figures and the disagreements into DIR")
    parser.add_argument("--force", action="store_true", help="replace an existing --out folder")
    parser.set_defaults(handler=_cmd_agreement)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from nlp.classify.coding import read_codes
    from nlp.classify.validate import evaluate_coded, markdown_report

    if args.out:
        _check_out_folder(args.out, args.force, [args.labels, args.model, *args.reports])
    sheet = read_codes(args.labels)
    classifier = _load_model(args)
    reports, skipped = _load_reports(args.reports, args.progress)
    summary = evaluate_coded(classifier, reports, sheet, n_boot=args.n_bootstrap, seed=args.seed)
    _emit(markdown_report(summary, args.model, args.labels))
    _flush_stdout()
    if summary["seen_in_training"]:
        print(
            f"warning: {summary['n_seen_in_training']} coded sentences come from reports the model was trained on; "
            "those figures are not held-out",
            file=sys.stderr,
        )
    if args.out:
        from nlp.io.coding_outputs import write_evaluation

        config = {"model": args.model, "labels": args.labels, "reports": args.reports, "n_bootstrap": args.n_bootstrap}
        with _results_folder(args.out, config, [args.labels, *args.reports]) as out:
            write_evaluation(out, summary, args.model, args.labels)
        print(f"wrote {args.out}", file=sys.stderr)
    _print_skipped(skipped)
    return 0


def _add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a model against hand-coded sentences of your reports (macro-F1, per class, ECE, intervals)",
        description="Label the coded sentences of REPORTs with MODEL and compare with the codes in --labels "
        "(a label file, adjudicated coded.csv, or a sheet with one coder): macro-F1, accuracy, per-class F1, "
        "confusion matrix, expected calibration error, with 95%% bootstrap intervals over sentences and over "
        "reports. Prints a Markdown report; --out DIR also writes CSV tables and figures.",
    )
    parser.add_argument("reports", nargs="+", metavar="REPORT", help="the report files or folders that were coded")
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file written by 'train'")
    parser.add_argument("--labels", required=True, metavar="CODED", help="coded sentences (.csv or .xlsx)")
    parser.add_argument("--n-bootstrap", type=positive_int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--out", metavar="DIR", help="also write metrics, tables and figures into DIR")
    parser.add_argument("--force", action="store_true", help="replace an existing --out folder")
    parser.add_argument("--progress", action="store_true", help="show a progress bar while reading")
    parser.add_argument("--backend", choices=("jieba", "rjieba"), help="word segmenter (default: the model's)")
    parser.set_defaults(handler=_cmd_evaluate)


class _CommandParser(OneLineParser):
    """A sub-command's parser that adds some options only when it is used.

    Their choices and defaults come from modules that import SciPy's statistics
    and scikit-learn (``nlp.analysis.quantify``, ``nlp.classify.sampling``):
    ``predict`` on one report should not import them just to build ``attention``'s
    options.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._deferred: list = []

    def defer(self, add_options) -> None:
        self._deferred.append(add_options)

    def _add_deferred(self) -> None:
        while self._deferred:
            self._deferred.pop(0)(self)

    def parse_known_args(self, args=None, namespace=None):
        self._add_deferred()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self._add_deferred()
        return super().format_usage()

    def format_help(self) -> str:
        self._add_deferred()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = OneLineParser(
        prog="python -m nlp",
        description="Chinese township work-report analysis: corpus summary, sentence classification, "
        "topics and policy attention. Run 'python -m nlp COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"nlp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_CommandParser)
    _add_corpus(subparsers)
    _add_train(subparsers)
    _add_predict(subparsers)
    _add_attention(subparsers)
    _add_panel(subparsers)
    _add_sample(subparsers)
    _add_agreement(subparsers)
    _add_evaluate(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    _state["teardown"] = True  # until a command says otherwise (predict, when it has written everything)
    try:
        return args.handler(args)
    except NlpError as exc:
        if isinstance(exc, StdoutError):
            _silence_stdout()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        lead = "\n" if getattr(args, "progress", False) else ""  # after a progress bar cut off mid-line
        print(f"{lead}error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `python -m nlp predict … | head` closed the pipe: not an error worth a traceback.
        _silence_stdout()
        return 0


def exit_process(code: int) -> NoReturn:
    """End ``python -m nlp`` with ``code``; after ``predict``, without the interpreter's teardown.

    Freeing a loaded model, its lookup tables and memos object by object took
    60 ms at exit, 6% of labelling one large report; the operating system
    takes the memory back at once.  Exit handlers still run and the standard
    streams are flushed first.  Other commands, which write files, end as
    usual, and so does any process with worker processes or threads still
    running (a loky pool's threads stop only in the interpreter's own shutdown).
    """
    if _state["teardown"] or threading.active_count() > 1 or _has_children():
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)


def _has_children() -> bool:
    if "multiprocessing" not in sys.modules:  # (not imported: no worker was started)
        return False
    import multiprocessing

    return bool(multiprocessing.active_children())


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush of a failed stream stays quiet."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- replaces the stream for the rest of the process
