"""The analyses behind ``experiments/*.py``: each module has ``run(config, out, progress)``.

``config`` is the experiment's typed config (:mod:`nlp.experiments.configs`,
read from its TOML file), ``out`` a :class:`nlp.io.results.ResultsDir`; ``run``
writes metrics, tables and figures into ``out`` and returns the metrics dict.
Figures go in ``metrics.json``; targets met or missed go in ``targets.json`` and
wall times in ``timing.json``, so two runs give byte-identical metrics.
Scripts in ``experiments/`` only read the config, open the results folder and
call ``run``.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from nlp.core.errors import NlpError
from nlp.experiments.configs import ExperimentConfig, config_from_mapping
from nlp.io.results import ResultsDir, load_config

__all__ = [
    "CONFIG_DIR",
    "EXPERIMENTS",
    "load_experiment_config",
    "load_reports",
    "run_all_main",
    "run_experiment",
    "script_main",
]

#: Experiments in the order the main run executes them.
EXPERIMENTS = ("corpus_stats", "classification", "topics", "attention", "attention_panel", "active_learning")
CONFIG_DIR = Path("experiments") / "configs"


def load_experiment_config(name: str, path: str | Path) -> ExperimentConfig:
    """The typed config of experiment ``name`` from a TOML file (see :mod:`nlp.experiments.configs`).

    Raises
    ------
    ConfigError
        If the file is unreadable or not TOML, or names an unknown key or a bad value.
    """
    return config_from_mapping(name, load_config(path), path)


def load_reports(paths, use_cache: bool = True, progress: bool = False) -> list:
    """Reports of ``paths`` (a path or a list), parsed and tokenized through the on-disk cache if ``use_cache``.

    A re-run of an experiment on the same reports reads sentences and tokens
    from ``.cache/nlp`` instead of cleaning and segmenting them again.
    """
    from nlp.text.cache import TokenCache, warm_tokens
    from nlp.text.corpus import load_corpus
    from nlp.text.tokenize import JiebaTokenizer

    cache = TokenCache() if use_cache else None
    reports = load_corpus(paths, progress=progress, cache=cache)
    if cache is not None:
        warm_tokens(reports, JiebaTokenizer(), cache)
    return reports


def run_experiment(
    name: str, config_path: str | Path | None = None, results_root: str | Path = "results", progress: bool = True
) -> dict:
    """Run one experiment from its config into ``results_root/name``; return its metrics."""
    if name not in EXPERIMENTS:
        raise NlpError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    config_path = Path(config_path) if config_path else CONFIG_DIR / f"{name}.toml"
    config = load_experiment_config(name, config_path)
    module = importlib.import_module(f"{__name__}.{name}")
    settings = config.as_dict()
    with ResultsDir(name, root=results_root, config=settings, config_path=config_path, data=config.inputs()) as out:
        return module.run(config, out, progress=progress)


def script_main(name: str, argv: list[str] | None = None) -> int:
    """Command line of ``experiments/<name>.py``: ``--config``, ``--results``, ``--quiet``."""
    from nlp.io.arguments import OneLineParser

    parser = OneLineParser(description=f"Run the {name} experiment and write results/{name}/.")
    parser.add_argument("--config", default=str(CONFIG_DIR / f"{name}.toml"), help="TOML config (default: %(default)s)")
    parser.add_argument("--results", default="results", help="results root folder (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        run_experiment(name, args.config, args.results, progress=not args.quiet)
    except NlpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        # the results folder is replaced only at the end: the previous results are intact
        # a progress bar may have been cut off mid-line: the message gets a line of its own
        lead = "" if args.quiet else "\n"
        print(f"{lead}error: interrupted; {Path(args.results) / name} keeps its previous results", file=sys.stderr)
        return 130
    print(f"wrote {Path(args.results) / name}", file=sys.stderr)
    return 0


def run_all_main(argv: list[str] | None = None) -> int:
    """Command line of ``experiments/run_all.py``: every experiment with its default config."""
    from nlp.io.arguments import OneLineParser

    parser = OneLineParser(description="Run every experiment on the shipped seeds into results/.")
    parser.add_argument("--results", default="results", help="results root folder (default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=EXPERIMENTS, help="run only these experiments")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    names = args.only or EXPERIMENTS
    start = time.perf_counter()
    try:
        for name in tqdm(names, desc="experiments", unit="experiment", disable=args.quiet):
            began = time.perf_counter()
            run_experiment(name, results_root=args.results, progress=not args.quiet)
            tqdm.write(f"{name}: done in {time.perf_counter() - began:.1f} s -> {Path(args.results) / name}")
    except NlpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        lead = "" if args.quiet else "\n"  # after a progress bar cut off mid-line
        print(f"{lead}error: interrupted; the experiment that was running keeps its previous results", file=sys.stderr)
        return 130
    print(f"all experiments done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0
