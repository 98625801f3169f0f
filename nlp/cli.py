"""The ``python -m nlp`` command line.

Each sub-command is a thin layer over the package API; every error a user can
cause is an :class:`~nlp.errors.NlpError`, printed as one ``error: …`` line
with exit code 2 and no traceback -- bad options included.  Output paths are
checked before any work starts (:func:`nlp.fileio.check_output`): never an
input, never a device, FIFO or a folder we did not write, never an existing
file without ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from pathlib import Path

from . import __version__
from .errors import InputError, NlpError, OutputError
from .fileio import check_output, os_reason
from .parallel import DEFAULT_BATCH

# Everything else is imported by the command that needs it, so `--help` starts in a fraction of a
# second: the corpus stages pull in tqdm and the cleaning tables, prediction scikit-learn and skops.


def _load_reports(paths: list, progress: bool) -> tuple[list, list[tuple[str, str]]]:
    """The reports at ``paths`` and the files skipped as unreadable; an error only if none could be read."""
    from .corpus import load_corpus

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


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error: …`` line with exit code 2, like every other error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def positive_int(text: str) -> int:
    """An ``int`` ≥ 1 for a numeric option (``--jobs 0`` or ``-3`` is refused, not silently the default)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _emit(text: str) -> None:
    """Write to standard output; a failed write (full disk, closed pipe) is an error, not a truncated success."""
    try:
        sys.stdout.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutError(f"cannot write to standard output: {os_reason(exc)}") from exc


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutError(f"cannot write to standard output: {os_reason(exc)}") from exc


def _cmd_corpus(args: argparse.Namespace) -> int:
    from .corpus import corpus_table, default_seed_dir, export_sentences, format_table

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
    from .classify import MODEL_NAMES
    from .corpus import default_report_paths
    from .persist import card_path, model_outputs, save_classifier
    from .training import train_classifier

    if args.model not in MODEL_NAMES:
        raise InputError(f"unknown --model {args.model!r}; choose from {', '.join(MODEL_NAMES)}")
    from .labels import default_label_files

    paths = args.reports or default_report_paths()
    inputs = [*paths, *(args.labels or default_label_files())]
    for output in model_outputs(args.out):  # the card too: both are one unit, and training takes minutes
        check_output(output, args.force, inputs=inputs)
    reports, skipped = _load_reports(paths, args.progress)
    try:
        classifier = train_classifier(
            reports, args.labels, model=args.model, evaluate=not args.no_eval, progress=args.progress
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
        help="label files, merged; a later file wins on a sentence two files label "
        "(default: seeds/labels.csv and seeds/external/labels.csv)",
    )
    parser.add_argument("--out", metavar="MODEL", required=True, help="where to save the model (.skops)")
    parser.add_argument("--model", default="logreg", help="classifier: logreg (default), svm or cnb")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out-place evaluation")
    parser.add_argument("--force", action="store_true", help="overwrite an existing model file and its card")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    parser.set_defaults(handler=_cmd_train)


def _load_model(args: argparse.Namespace):
    from .persist import load_classifier
    from .tokenize import set_backend

    classifier = load_classifier(args.model)
    if args.backend:
        try:
            set_backend(classifier, args.backend)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    return classifier


def _jobs(args: argparse.Namespace, sources: list[str]) -> int:
    from .parallel import default_jobs
    from .predict import worth_workers

    if args.jobs is not None:
        return args.jobs
    # workers cost a fork and a copy of the model each: worth it for many files or one large one
    return default_jobs() if worth_workers(sources, args.batch_size) else 1


def _cmd_predict(args: argparse.Namespace) -> int:
    from .predict import LINE_FIELDS, REPORT_FIELDS, expand_sources, predict_sources

    sources = expand_sources(args.files)
    classifier = _load_model(args)
    fields = LINE_FIELDS if args.one_per_line else REPORT_FIELDS
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    if args.format == "csv":
        _emit(",".join(fields) + "\n")
    jobs = _jobs(args, sources)
    rows = predict_sources(classifier, sources, args.one_per_line, jobs, args.scheduler, args.batch_size, args.progress)
    for row in rows:
        if args.format == "csv":
            _emit_csv(writer, row)
        else:
            _emit(json.dumps(row, ensure_ascii=False) + "\n")
    _flush_stdout()
    return 0


def _emit_csv(writer: csv.DictWriter, row: dict) -> None:
    try:
        writer.writerow(row)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutError(f"cannot write to standard output: {os_reason(exc)}") from exc


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
    from .attention import attention_profiles, markdown_table
    from .labels import load_labels
    from .predict import expand_sources, label_sources
    from .results import is_results_dir

    sources = expand_sources(args.files)
    if args.out:
        inputs = [*args.files, args.model, *([args.labels] if args.labels else [])]
        check_output(args.out, args.force, inputs=inputs, folder=True, is_ours=is_results_dir)
    classifier = _load_model(args)
    hand = load_labels(args.labels) if args.labels else None
    jobs = _jobs(args, sources)
    labelled = label_sources(classifier, sources, hand, jobs, args.scheduler, args.batch_size, args.progress)
    profiles = attention_profiles(labelled, n_boot=args.n_bootstrap)
    _emit(markdown_table(profiles, "all", args.measure))
    _flush_stdout()
    if args.out:
        _write_attention(args, profiles)
    return 0


def _write_attention(args: argparse.Namespace, profiles) -> None:
    from .experiments.attention import write_outputs
    from .results import ResultsDir

    # resolved: `--out .` has no name of its own, and `--out x/..` must not become `x`
    out_dir = Path(os.path.realpath(args.out))
    config = {"files": args.files, "model": args.model, "labels": args.labels, "n_bootstrap": args.n_bootstrap}
    with ResultsDir(out_dir.name, root=out_dir.parent, config=config, data=args.files) as out:
        out.write_json("metrics.json", write_outputs(out, profiles))
    print(f"wrote {args.out}", file=sys.stderr)


def _add_attention(subparsers) -> None:
    parser = subparsers.add_parser(
        "attention",
        help="policy-attention profile of reports: share of sentences per category, with intervals",
        description="Label every sentence of each report with MODEL (hand labels from --labels take precedence) "
        "and print, per report, the share of sentences in each policy category with a 95%% bootstrap interval "
        "(Markdown). --out DIR also writes CSV tables, review-vs-plan shifts and figures.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="report files or folders")
    parser.add_argument("--model", required=True, metavar="MODEL", help="model file written by 'train'")
    parser.add_argument("--labels", metavar="CSV", help="hand-coded labels to use where they cover a sentence")
    parser.add_argument("--measure", choices=("sentence", "character"), default="sentence", help="share of what")
    parser.add_argument("--n-bootstrap", type=positive_int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--out", metavar="DIR", help="also write tables and figures into DIR")
    parser.add_argument("--force", action="store_true", help="replace an existing --out folder")
    _add_scale_options(parser)
    parser.set_defaults(handler=_cmd_attention)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = OneLineParser(
        prog="python -m nlp",
        description="Chinese township work-report analysis: corpus summary, sentence classification, "
        "topics and policy attention. Run 'python -m nlp COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"nlp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_corpus(subparsers)
    _add_train(subparsers)
    _add_predict(subparsers)
    _add_attention(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
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


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush of a failed stream stays quiet."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- replaces the stream for the rest of the process
