"""The analyses behind ``experiments/*.py``: each module has ``run(config, out, progress)``.

``config`` is the experiment's TOML config as a dict, ``out`` a
:class:`nlp.io.results.ResultsDir`; ``run`` writes metrics, tables and figures
into ``out`` and returns the metrics dict.  Scripts in ``experiments/`` only
read the config, open the results folder and call ``run``.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from nlp.core.errors import NlpError
from nlp.io.results import ConfigRule, ResultsDir, load_config, validate_config

#: Experiments in the order the main run executes them.
EXPERIMENTS = ("corpus_stats", "classification", "topics", "attention", "attention_panel", "active_learning")
CONFIG_DIR = Path("experiments") / "configs"


def _positive(value) -> bool:
    return value >= 1


def _unit_interval(value) -> bool:
    return 0 <= value <= 1


def _strings(value) -> bool:
    return all(isinstance(v, str) for v in value)


def _ints(value) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def _grids(value) -> bool:
    return all(isinstance(grid, dict) and all(isinstance(v, list) for v in grid.values()) for grid in value.values())


#: What the keys the experiments read must hold: checked before a run starts, so a wrong type is a
#: one-line error naming the key instead of a traceback minutes later.  Keys not listed are not checked.
CONFIG_RULES: dict[str, ConfigRule] = {
    "reports": ((str, list), lambda v: isinstance(v, str) or _strings(v), "a path or a list of paths"),
    "labels": ((str, list), lambda v: isinstance(v, str) or _strings(v), "a path or a list of paths"),
    "cache": ((bool,), None, ""),
    "seed": ((int,), None, ""),
    "n_bootstrap": ((int,), _positive, "a positive integer"),
    "n_jobs": ((int,), _positive, "a positive integer"),
    "compare_predicted": ((bool,), None, ""),
    "save_model": ((bool,), None, ""),
    "default_model": ((str,), lambda v: v in ("logreg", "svm", "cnb"), "one of logreg, svm, cnb"),
    "seed_candidates": ((list,), _strings, "a list of candidate names"),
    "external": ((str, list), lambda v: isinstance(v, str) or _strings(v), "a path or a list of paths"),
    "external_labels": ((str, list), lambda v: isinstance(v, str) or _strings(v), "a path or a list of paths"),
    "coder_files": ((list,), _strings, "a list of paths"),
    "inner_splits": ((int,), lambda v: v >= 2, "an integer of at least 2"),
    "outer_splits": ((int,), lambda v: v >= 2, "an integer of at least 2"),
    "ablation_outer_splits": ((int,), lambda v: v >= 2, "an integer of at least 2"),
    "learning_curve_sizes": ((list,), lambda v: _ints(v) and all(n >= 2 for n in v), "a list of integers >= 2"),
    "learning_curve_folds": ((int,), lambda v: v >= 2, "an integer of at least 2"),
    "learning_curve_repeats": ((int,), _positive, "a positive integer"),
    "seed_grids": ((dict,), _grids, "tables of parameter lists, e.g. [seed_grids.logreg] model__C = [1.0]"),
    # classification names its targets (a table), active_learning lists the macro-F1 levels to reach
    "targets": (
        (dict, list),
        lambda v: all(isinstance(x, int | float) for x in (v.values() if isinstance(v, dict) else v)),
        "a table or a list of numbers",
    ),
    "grids": ((dict,), _grids, "tables of parameter lists, e.g. [grids.logreg] model__C = [1.0]"),
    "unit": ((str,), lambda v: v in ("sentence", "section", "report"), "sentence, section or report"),
    "k_min": ((int,), _positive, "a positive integer"),
    "k_max": ((int,), _positive, "a positive integer"),
    "select_k_min": ((int,), _positive, "a positive integer"),
    "min_diversity": ((float,), _unit_interval, "a number from 0 to 1"),
    "relevance": ((float,), _unit_interval, "a number from 0 to 1"),
    "min_groups": ((int,), _positive, "a positive integer"),
    "beta_loss": ((str,), lambda v: v in ("frobenius", "kullback-leibler"), "frobenius or kullback-leibler"),
    "alpha_W": ((float,), lambda v: v >= 0, "a number >= 0"),
    "l1_ratio": ((float,), _unit_interval, "a number from 0 to 1"),
    "npmi_top_n": ((int,), _positive, "a positive integer"),
    "diversity_top_n": ((int,), _positive, "a positive integer"),
    "stability_seeds": ((list,), _ints, "a list of integers"),
}


def check_config(config: dict, source: str | Path) -> dict:
    """Validate an experiment config against :data:`CONFIG_RULES`; return it.

    Raises
    ------
    ConfigError
        If a key holds a value of the wrong type or range (``k_min > k_max`` too).
    """
    from nlp.core.errors import ConfigError

    validate_config(config, CONFIG_RULES, source)
    if config.get("k_min", 1) > config.get("k_max", config.get("k_min", 1)):
        raise ConfigError(f"{source}: k_min = {config['k_min']} is larger than k_max = {config['k_max']}")
    return config


def load_reports(config: dict, progress: bool = False) -> list:
    """The config's reports, parsed and tokenized through the on-disk cache unless ``cache = false``.

    A re-run of an experiment on the same reports reads sentences and tokens
    from ``.cache/nlp`` instead of cleaning and segmenting them again.
    """
    from nlp.text.cache import TokenCache, warm_tokens
    from nlp.text.corpus import load_corpus
    from nlp.text.tokenize import JiebaTokenizer

    cache = TokenCache() if config.get("cache", True) else None
    reports = load_corpus(config.get("reports", "seeds"), progress=progress, cache=cache)
    if cache is not None:
        warm_tokens(reports, JiebaTokenizer(), cache)
    return reports


def data_inputs(config: dict) -> list[str]:
    """Input files named by a config (hashed into the manifest)."""
    keys = ("reports", "labels", "external", "external_labels", "coder_files", "sources")
    found = [config[key] for key in keys if config.get(key)]
    return [path for item in found for path in (item if isinstance(item, list) else [item])]


def run_experiment(
    name: str, config_path: str | Path | None = None, results_root: str | Path = "results", progress: bool = True
) -> dict:
    """Run one experiment from its config into ``results_root/name``; return its metrics."""
    if name not in EXPERIMENTS:
        raise NlpError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    config_path = Path(config_path) if config_path else CONFIG_DIR / f"{name}.toml"
    config = check_config(load_config(config_path), config_path)
    module = importlib.import_module(f"{__name__}.{name}")
    with ResultsDir(name, root=results_root, config=config, config_path=config_path, data=data_inputs(config)) as out:
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
