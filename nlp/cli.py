"""The ``python -m nlp`` command line.

Each sub-command is a thin layer over the package API; every error a user can
cause is an :class:`~nlp.errors.NlpError`, printed as one ``error: …`` line
with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .corpus import corpus_table, default_seed_dir, export_sentences, format_table, load_corpus
from .errors import NlpError
from .fileio import refuse_overwrite


def _cmd_corpus(args: argparse.Namespace) -> int:
    reports = load_corpus(args.paths or [default_seed_dir()], progress=args.progress)
    if args.export:
        refuse_overwrite(args.export, args.force)
    print(format_table(corpus_table(reports)))
    if args.sections:
        for report in reports:
            print(f"\n{report.report_id}  {report.meta.title or ''}")
            for section in report.sections:
                print(f"  {'  ' * section.level}[{section.part}] {section.title}")
    if args.export:
        count = export_sentences(reports, args.export)
        print(f"\nwrote {count} sentences to {args.export}", file=sys.stderr)
    return 0


def _add_corpus(subparsers) -> None:
    parser = subparsers.add_parser(
        "corpus",
        help="summarise reports: township, years, sections, sentences per part",
        description="Read, clean and segment reports and print one summary row per report. "
        "PATH is a .txt report or a folder of them (UTF-8 or GB18030/GBK); default: seeds/.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="report file or folder (default: seeds/)")
    parser.add_argument(
        "--export", metavar="FILE", help="also write one row per sentence to FILE (.csv or .jsonl), atomically"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing --export file")
    parser.add_argument("--sections", action="store_true", help="also print each report's heading tree")
    parser.add_argument("--progress", action="store_true", help="show a progress bar while reading")
    parser.set_defaults(handler=_cmd_corpus)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="python -m nlp",
        description="Chinese township work-report analysis: corpus summary, sentence classification, "
        "topics and policy attention. Run 'python -m nlp COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"nlp {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_corpus(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except NlpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `python -m nlp predict … | head` closed the pipe: not an error worth a traceback.
        sys.stderr.close()
        return 0
