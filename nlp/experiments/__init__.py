"""The analyses behind ``experiments/*.py``: each module has ``run(config, out, progress)``.

``config`` is the experiment's TOML config as a dict, ``out`` a
:class:`nlp.results.ResultsDir`; ``run`` writes metrics, tables and figures
into ``out`` and returns the metrics dict.  Scripts in ``experiments/`` only
read the config, open the results folder and call ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import NlpError
from ..results import ResultsDir, load_config

#: Experiments in the order the main run executes them.
EXPERIMENTS = ("corpus_stats", "classification", "topics", "attention", "active_learning")
CONFIG_DIR = Path("experiments") / "configs"


def load_reports(config: dict, progress: bool = False) -> list:
    """The config's reports, parsed and tokenized through the on-disk cache unless ``cache = false``.

    A re-run of an experiment on the same reports reads sentences and tokens
    from ``.cache/nlp`` instead of cleaning and segmenting them again.
    """
    from ..cache import TokenCache, warm_tokens
    from ..corpus import load_corpus
    from ..tokenize import JiebaTokenizer

    cache = TokenCache() if config.get("cache", True) else None
    reports = load_corpus(config.get("reports", "seeds"), progress=progress, cache=cache)
    if cache is not None:
        warm_tokens(reports, JiebaTokenizer(), cache)
    return reports


def data_inputs(config: dict) -> list[str]:
    """Input files named by a config (hashed into the manifest)."""
    keys = ("reports", "labels", "external", "external_labels", "coder_files")
    found = [config[key] for key in keys if config.get(key)]
    return [path for item in found for path in (item if isinstance(item, list) else [item])]


def run_experiment(
    name: str, config_path: str | Path | None = None, results_root: str | Path = "results", progress: bool = True
) -> dict:
    """Run one experiment from its config into ``results_root/name``; return its metrics."""
    if name not in EXPERIMENTS:
        raise NlpError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    config_path = Path(config_path) if config_path else CONFIG_DIR / f"{name}.toml"
    config = load_config(config_path)
    module = importlib.import_module(f"{__name__}.{name}")
    with ResultsDir(name, root=results_root, config=config, config_path=config_path, data=data_inputs(config)) as out:
        return module.run(config, out, progress=progress)


def script_main(name: str, argv: list[str] | None = None) -> int:
    """Command line of ``experiments/<name>.py``: ``--config``, ``--results``, ``--quiet``."""
    parser = argparse.ArgumentParser(description=f"Run the {name} experiment and write results/{name}/.")
    parser.add_argument("--config", default=str(CONFIG_DIR / f"{name}.toml"), help="TOML config (default: %(default)s)")
    parser.add_argument("--results", default="results", help="results root folder (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    try:
        run_experiment(name, args.config, args.results, progress=not args.quiet)
    except NlpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {Path(args.results) / name}", file=sys.stderr)
    return 0


def run_all_main(argv: list[str] | None = None) -> int:
    """Command line of ``experiments/run_all.py``: every experiment with its default config."""
    parser = argparse.ArgumentParser(description="Run every experiment on the shipped seeds into results/.")
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
    print(f"all experiments done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0
