"""Typed experiment configs: one dataclass per experiment, the one source of every default.

A TOML file in ``experiments/configs/`` overrides some fields; a key the
experiment does not know, a value of the wrong type or out of range is a
one-line :class:`~nlp.core.errors.ConfigError` naming the file and the key,
raised before any work starts.

>>> config = config_from_mapping("attention", {"n_bootstrap": 200}, "attention.toml")
>>> config.n_bootstrap, config.seed
(200, 0)
>>> config_from_mapping("attention", {"n_boot": 200}, "attention.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
nlp.core.errors.ConfigError: attention.toml: unknown key 'n_boot'; attention takes ...
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from nlp.analysis.quantify import ESTIMATORS, PANEL_ESTIMATOR
from nlp.core.errors import ConfigError

__all__ = [
    "CONFIG_CLASSES",
    "ActiveLearningConfig",
    "AttentionConfig",
    "AttentionPanelConfig",
    "ClassificationConfig",
    "CorpusStatsConfig",
    "ExperimentConfig",
    "TopicsConfig",
    "config_from_mapping",
]

Paths = str | list[str]  # one path or several


def _check(predicate: Callable[[Any], bool], expected: str) -> dict:
    """Field metadata: a range check with the words an error message uses for what is expected."""
    return {"check": (predicate, expected)}


def _positive() -> dict:
    return _check(lambda v: v >= 1, "a positive integer")


def _splits() -> dict:
    return _check(lambda v: v is None or v >= 2, "an integer of at least 2")


def _unit_interval() -> dict:
    return _check(lambda v: 0 <= v <= 1, "a number from 0 to 1")


def _grids() -> dict:
    return _check(
        lambda v: all(isinstance(g, dict) and all(isinstance(x, list) for x in g.values()) for g in v.values()),
        "tables of parameter lists, e.g. [grids.logreg] model__C = [1.0]",
    )


@dataclass(frozen=True, kw_only=True)
class ExperimentConfig:
    """What every experiment reads: its reports, whether to use the token cache, the random seed.

    Paths are relative to the working directory (the project root).
    """

    reports: Paths = "seeds"
    cache: bool = True
    seed: int = 0

    #: Config fields naming input files, hashed into the results manifest.
    INPUT_FIELDS: typing.ClassVar[tuple[str, ...]] = ("reports",)

    def inputs(self) -> list[str]:
        """The input paths the config names (reports, labels, ...), in field order."""
        found = [getattr(self, name) for name in self.INPUT_FIELDS if getattr(self, name, None)]
        return [path for item in found for path in ([item] if isinstance(item, str) else item)]

    def as_dict(self) -> dict[str, Any]:
        """Every field with its value (defaults included): what the manifest records."""
        return dataclasses.asdict(self)

    def validate(self, source: str | Path) -> None:
        """Checks across fields (hook for subclasses); single fields are checked from their types and metadata."""


@dataclass(frozen=True, kw_only=True)
class CorpusStatsConfig(ExperimentConfig):
    """Corpus statistics: sentences, sections and tokens per report."""


@dataclass(frozen=True, kw_only=True)
class ClassificationConfig(ExperimentConfig):
    """Sentence classification: held-out places, transfer, seed leave-one-report-out, ablation, learning curve."""

    labels: Paths = "seeds/labels.csv"
    external: Paths | None = None
    external_labels: Paths = "seeds/external/labels.csv"
    coder_files: list[str] = field(default_factory=list)
    n_bootstrap: int = field(default=1000, metadata=_positive())
    n_jobs: int = field(default=2, metadata=_positive())
    inner_splits: int = field(default=3, metadata=_splits())
    outer_splits: int | None = field(default=None, metadata=_splits())  # None: one place at a time
    ablation_outer_splits: int | None = field(default=None, metadata=_splits())  # None: as outer_splits
    learning_curve_sizes: list[int] = field(
        default_factory=lambda: [5, 10, 20, 40, 53], metadata=_check(lambda v: all(n >= 2 for n in v), ">= 2 each")
    )
    learning_curve_folds: int = field(default=5, metadata=_splits())
    learning_curve_repeats: int = field(default=3, metadata=_positive())
    default_model: str = field(
        default="logreg", metadata=_check(lambda v: v in ("logreg", "svm", "cnb"), "logreg, svm or cnb")
    )
    save_model: bool = True
    seed_candidates: list[str] | None = None  # None: every candidate
    grids: dict[str, dict] = field(default_factory=dict, metadata=_grids())
    seed_grids: dict[str, dict] = field(default_factory=dict, metadata=_grids())
    targets: dict[str, float] = field(
        default_factory=lambda: {
            "held_out_place_macro_f1": 0.85,
            "held_out_place_ece": 0.05,
            "seeds_loro_macro_f1": 0.889,
        }
    )

    INPUT_FIELDS = ("reports", "labels", "external", "external_labels", "coder_files")

    def validate(self, source: str | Path) -> None:
        known = ClassificationConfig().targets
        unknown = set(self.targets) - set(known)
        if unknown:
            raise ConfigError(f"{source}: unknown targets {sorted(unknown)}; known: {', '.join(known)}")


@dataclass(frozen=True, kw_only=True)
class TopicsConfig(ExperimentConfig):
    """Topic models: unseeded NMF sweep, seeded NMF, LDA and seeded LDA, shares by year and genre."""

    labels: Paths | None = "seeds/labels.csv"  # only to report topic x category agreement
    external_reports: list[str] = field(default_factory=list)
    external_labels: list[str] = field(default_factory=list)
    unit: str = field(
        default="section",
        metadata=_check(lambda v: v in ("sentence", "section", "report"), "sentence, section or report"),
    )
    relevance: float = field(default=0.6, metadata=_unit_interval())
    min_diversity: float = field(default=0.9, metadata=_unit_interval())
    npmi_top_n: int = field(default=10, metadata=_positive())
    diversity_top_n: int = field(default=25, metadata=_positive())
    stability_seeds: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    k_min: int = field(default=8, metadata=_positive())
    k_max: int = field(default=16, metadata=_positive())
    select_k_min: int | None = field(default=None, metadata=_check(lambda v: v is None or v >= 1, "a positive integer"))
    min_groups: int = field(default=1, metadata=_positive())
    beta_loss: str = field(
        default="frobenius",
        metadata=_check(lambda v: v in ("frobenius", "kullback-leibler"), "frobenius or kullback-leibler"),
    )
    alpha_W: float = field(default=0.0, metadata=_check(lambda v: v >= 0, "a number >= 0"))
    l1_ratio: float = field(default=0.0, metadata=_unit_interval())
    seeded_n_free: list[int] = field(default_factory=lambda: [3, 4, 5, 6, 7, 8])
    seed_strengths: list[float] = field(default_factory=lambda: [1.0, 1.5, 2.0])
    min_seeds_kept: int = field(default=10, metadata=_positive())
    seed_eta: float = field(default=1.0, metadata=_check(lambda v: v > 0, "a number > 0"))
    lda_iterations: int = field(default=1000, metadata=_positive())
    year: str = field(default="reviewed", metadata=_check(lambda v: v in ("reviewed", "latest"), "reviewed or latest"))
    years: list[int] = field(
        default_factory=lambda: [2014, 2024], metadata=_check(lambda v: len(v) == 2, "[first, last]")
    )
    n_bootstrap: int = field(default=1000, metadata=_positive())

    INPUT_FIELDS = ("reports", "labels", "external_reports", "external_labels")

    def validate(self, source: str | Path) -> None:
        if self.k_min > self.k_max:
            raise ConfigError(f"{source}: k_min = {self.k_min} is larger than k_max = {self.k_max}")


@dataclass(frozen=True, kw_only=True)
class AttentionConfig(ExperimentConfig):
    """Policy attention per report, review vs plan, hand-coded against predicted shares."""

    labels: Paths = "seeds/labels.csv"
    n_bootstrap: int = field(default=1000, metadata=_positive())
    compare_predicted: bool = True

    INPUT_FIELDS = ("reports", "labels")


@dataclass(frozen=True, kw_only=True)
class AttentionPanelConfig(ExperimentConfig):
    """Share estimators against hand labels on held-out places, the year panel and its regressions."""

    reports: Paths = field(default_factory=lambda: ["seeds", "seeds/external/raw"])
    labels: Paths = field(default_factory=lambda: ["seeds/labels.csv", "seeds/external/labels.csv"])
    sources: str | None = "seeds/external/SOURCES.md"  # provinces of the external reports
    n_jobs: int = field(default=2, metadata=_positive())
    outer_splits: int = field(default=10, metadata=_splits())
    inner_splits: int = field(default=3, metadata=_splits())
    n_draws: int = field(default=1000, metadata=_positive())
    n_bootstrap: int = field(default=1000, metadata=_positive())
    whole_report_sentences: int = field(default=40, metadata=_positive())  # more sentences: a whole report
    panel_estimator: str = field(
        default=PANEL_ESTIMATOR, metadata=_check(lambda v: v in ESTIMATORS, f"one of {', '.join(ESTIMATORS)}")
    )
    panel_draws: int = field(default=100, metadata=_positive())
    regression_bootstrap: int = field(default=200, metadata=_check(lambda v: v >= 0, "an integer >= 0"))
    year_min: int | None = None
    year_max: int | None = None
    min_reports: int = field(default=10, metadata=_positive())
    formulas: list[str] = field(default_factory=lambda: ["year"])

    INPUT_FIELDS = ("reports", "labels", "sources")


@dataclass(frozen=True, kw_only=True)
class ActiveLearningConfig(ExperimentConfig):
    """Active against random sampling: labels needed to reach held-out-place macro-F1 targets."""

    labels: Paths = "seeds/labels.csv"
    external: Paths = "seeds/external/raw"
    external_labels: Paths = "seeds/external/labels.csv"
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    folds: int = field(default=3, metadata=_splits())
    rounds: int = field(default=16, metadata=_positive())
    batch: int = field(default=25, metadata=_positive())
    C: float = field(default=10.0, metadata=_check(lambda v: v > 0, "a number > 0"))
    targets: list[float] = field(
        default_factory=lambda: [0.80, 0.85, 0.90], metadata=_check(lambda v: all(0 < t <= 1 for t in v), "in (0, 1]")
    )
    n_bootstrap: int = field(default=1000, metadata=_positive())
    bootstrap_seed: int = 0
    n_jobs: int = field(default=2, metadata=_positive())

    INPUT_FIELDS = ("reports", "labels", "external", "external_labels")


CONFIG_CLASSES: dict[str, type[ExperimentConfig]] = {
    "corpus_stats": CorpusStatsConfig,
    "classification": ClassificationConfig,
    "topics": TopicsConfig,
    "attention": AttentionConfig,
    "attention_panel": AttentionPanelConfig,
    "active_learning": ActiveLearningConfig,
}


def config_from_mapping(experiment: str, values: Mapping[str, Any], source: str | Path) -> ExperimentConfig:
    """The typed config of ``experiment`` from a TOML table, checked key by key.

    Raises
    ------
    ConfigError
        For an unknown key, a value of the wrong type or range, or fields that disagree.
    """
    cls = CONFIG_CLASSES[experiment]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"{source}: unknown key {key!r}; {experiment} takes {', '.join(fields)}")
        if not _matches(value, hints[key]):
            raise ConfigError(f"{source}: {key} = {value!r} is invalid; expected {_describe(hints[key])}")
        predicate, expected = fields[key].metadata.get("check", (None, ""))
        if predicate is not None and not predicate(value):
            raise ConfigError(f"{source}: {key} = {value!r} is invalid; expected {expected}")
    config = cls(**values)
    config.validate(source)
    return config


def _matches(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits a field's type (ints are accepted for floats, never bools for numbers)."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        key_type, item = typing.get_args(hint)
        return isinstance(value, dict) and all(_matches(k, key_type) and _matches(v, item) for k, v in value.items())
    if hint is dict:
        return isinstance(value, dict)
    if hint is bool:
        return isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    """A field type in the words of an error message: ``a path or a list of paths``-like, from the type."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return "none (leave the key out)"
    if origin is list:
        return f"a list of {_describe(typing.get_args(hint)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict or hint is dict:
        return "a table"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))
