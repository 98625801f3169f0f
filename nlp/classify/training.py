"""Train a reusable classifier on labelled reports and document it in a model card.

The model a user takes home must be judged where it will be used: on
reports from places it has not seen.  :func:`train_classifier` therefore
evaluates the configuration by holding out whole places (the county or
place each report names; :func:`nlp.classify.evaluate.place_groups`), chooses the
regularisation strength and a temperature for honest probabilities on
held-out places of the training data only, and writes all of it -- with the
genres and places seen, and the score below which a label should be checked
by hand -- into the model card.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.classify.codebook import load_codebook
from nlp.classify.evaluate import (
    accuracy_above,
    grouped_evaluation,
    place_groups,
    review_threshold,
    select_and_calibrate,
    summarize_grouped,
)
from nlp.classify.features import DEFAULT_BLOCKS, make_features
from nlp.classify.labels import default_label_files, labels_for, load_labels
from nlp.classify.model import PolicyClassifier, make_model
from nlp.core.errors import ConfigError, InputError
from nlp.core.fileio import file_sha256
from nlp.core.version import __version__
from nlp.text.corpus import Report
from nlp.text.records import sentence_records

__all__ = [
    "DEFAULT_GRID",
    "REVIEW_ACCURACY",
    "build_classifier",
    "label_provenance",
    "sentence_groups",
    "train_classifier",
]

#: Regularisation strengths searched on held-out places of the training data.
DEFAULT_GRID = {"logreg": {"model__C": [1.0, 10.0]}, "svm": {"model__estimator__C": [0.1, 0.5]}, "cnb": {}}
#: Held-out accuracy that sentences at or above the review threshold must reach.
REVIEW_ACCURACY = 0.9


def build_classifier(
    model: str = "logreg", blocks: Sequence[str] = DEFAULT_BLOCKS, n_jobs: int | None = None, **model_params
) -> PolicyClassifier:
    """The package's default classifier: all feature blocks and a logistic regression."""
    return PolicyClassifier(features=make_features(blocks), model=make_model(model, **model_params), n_jobs=n_jobs)


def sentence_groups(reports: Sequence[Report]) -> list[str]:
    """The held-out-place group of every sentence of ``reports``."""
    return [group for report, group in zip(reports, place_groups(reports), strict=True) for _ in report.sentences]


def train_classifier(
    reports: Sequence[Report],
    labels_path: str | Path | Sequence[str | Path] | None = None,
    model: str = "logreg",
    evaluate: bool = True,
    n_bootstrap: int = 1000,
    progress: bool = False,
    eval_splits: int | None = 10,
    n_jobs: int | None = None,
    evaluation: dict | None = None,
    partial: bool = False,
) -> PolicyClassifier:
    """Fit a calibrated classifier on every sentence of ``reports`` and attach a model card.

    Parameters
    ----------
    labels_path : path or list of paths, optional
        Label files, merged (a later file wins where two label one sentence);
        default: the shipped seed and external labels.
    evaluate : bool
        Evaluate the same procedure (selection and calibration included) with
        places held out: ``eval_splits`` group folds, or one place at a time
        when ``None`` or when there are fewer places.
    evaluation : dict, optional
        A held-out-place evaluation already computed (by the classification
        experiment) to record instead of evaluating again.
    partial : bool
        Train on the labelled sentences only, so a report of which a sample
        was hand-coded can be given whole (its other sentences still give
        the coded ones their context).  By default every sentence must have
        a label.
    n_jobs : int, optional
        Worker processes: the evaluation's folds run on them, and each fit
        after it uses two (:class:`~nlp.classify.model.PolicyClassifier`'s
        ``n_jobs``); ``None`` means 1.  The model is the same either way.

    Raises
    ------
    ConfigError
        If a sentence of ``reports`` has no label in the label files (or, with
        ``partial``, if none has).

    Examples
    --------
    The model card records where each training label came from:

    >>> from nlp.text.corpus import load_corpus, default_seed_dir
    >>> clf = train_classifier(load_corpus(default_seed_dir() / "003_788a321da40b58ee.txt"), evaluate=False)
    >>> [(f["file"], f["role"], f["sentences"]) for f in clf.model_card_["labels_files"]]
    [('labels.csv', 'shipped', 92), ('labels.csv', 'shipped', 0)]
    """
    label_files = _label_files(labels_path)
    per_file = [load_labels(path) for path in label_files]
    merged = {key: label for labels_of_file in per_file for key, label in labels_of_file.items()}
    labels = labels_for(reports, merged, allow_missing=partial)
    records = sentence_records(reports)
    groups = sentence_groups(reports)
    keep = [label is not None for label in labels]
    if not all(keep):
        if not any(keep):
            raise ConfigError("no sentence of the reports has a label in the label files")
        records = [r for r, k in zip(records, keep, strict=True) if k]
        groups = [g for g, k in zip(groups, keep, strict=True) if k]
        labels = [label for label in labels if label is not None]
    grid = DEFAULT_GRID.get(model)
    classifier = build_classifier(model)  # serial fits: the evaluation's folds are what runs in parallel
    if evaluate and evaluation is None and len(set(groups)) >= 2:
        splits = eval_splits if eval_splits is not None and eval_splits < len(set(groups)) else None
        result = grouped_evaluation(
            classifier, records, labels, groups, grid, splits, calibrate=True, n_jobs=n_jobs, progress=progress
        )
        report_ids = [r["report_id"] for r in records]
        evaluation = summarize_grouped(labels, result, load_codebook().ids, groups, report_ids, n_boot=n_bootstrap)
        evaluation["protocol"] = _protocol(splits)
        evaluation["review_threshold"] = review_threshold(labels, result.proba, result.classes, REVIEW_ACCURACY)
        evaluation["review"] = accuracy_above(labels, result.proba, result.classes, evaluation["review_threshold"])
    if n_jobs not in (None, 1):
        # joblib keeps its evaluation workers, and their manager threads, for a next call; a process
        # with threads must not fork, so the fits below could not run their two pipelines at once
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    classifier.set_params(n_jobs=n_jobs)
    fitted, best, temperature = select_and_calibrate(classifier, records, labels, groups, grid, calibrate=True)
    fitted.set_params(n_jobs=None)  # the saved model should not carry this machine's core count
    card = _card(reports, labels, label_files, model, best, temperature, evaluation)
    card["labels_files"] = label_provenance(records, label_files, per_file)
    used = Counter(r["report_id"] for r in records)
    card["training_reports"] = [
        {**r, "sentences": used[r["report_id"]]} for r in card["training_reports"] if used[r["report_id"]]
    ]
    card["partial"] = bool(partial)
    fitted.model_card_ = card
    return fitted


def label_provenance(records: Sequence[dict], label_files: Sequence[Path], per_file: Sequence[dict]) -> list[dict]:
    """Per label file: SHA-256, role (shipped or yours), rows, training sentences it decided, labels it overrode.

    A later file wins where two files label one sentence; ``overrides``
    counts the training sentences where it replaced a *different* label of
    an earlier file.  Sentences matched only after re-segmentation
    (:func:`nlp.classify.labels.relabel_resegmented`) are credited to no file.
    """
    shipped = {p.resolve() for p in default_label_files()}
    decided, overrides = Counter(), Counter()
    for record in records:
        key = (record["report_id"], record["text"])
        holders = [k for k, labels in enumerate(per_file) if key in labels]
        if not holders:
            continue
        decided[holders[-1]] += 1
        earlier = {per_file[k][key] for k in holders[:-1]}
        if earlier - {per_file[holders[-1]][key]}:
            overrides[holders[-1]] += 1
    return [
        {
            "file": Path(path).name,
            "path": str(path),
            "sha256": file_sha256(path),
            "role": "shipped" if Path(path).resolve() in shipped else "yours",
            "rows": len(per_file[k]),
            "sentences": decided[k],
            "overrides": overrides[k],
        }
        for k, path in enumerate(label_files)
    ]


def _label_files(labels_path) -> list[Path]:
    if labels_path is None:
        shipped = default_label_files()
        if not shipped:
            raise InputError(f"no label files given and no seeds/labels.csv in {Path.cwd()}; pass the label CSVs")
        return shipped
    if isinstance(labels_path, str | Path):
        return [Path(labels_path)]
    return [Path(p) for p in labels_path]


def _protocol(splits: int | None) -> str:
    held_out = "one place at a time" if splits is None else f"{splits} folds of whole places"
    return (
        f"held-out places ({held_out}; a place is the county, else the township, a report names); "
        "hyper-parameters and temperature chosen on held-out places of the training part only"
    )


def _card(reports, labels, label_files, model, best, temperature, evaluation) -> dict:
    keep = (
        "protocol",
        "n",
        "n_reports",
        "n_groups",
        "macro_f1",
        "macro_f1_ci95",
        "macro_f1_ci95_reports",
        "accuracy",
        "accuracy_ci95",
        "accuracy_ci95_reports",
        "ece",
        "review_threshold",
        "review",
        "confusion",  # held-out confusion counts: the adjusted share estimator (analysis.quantify) corrects with them
    )
    metrics = None
    if evaluation:
        metrics = {k: evaluation[k] for k in keep if k in evaluation}
        metrics["per_class_f1"] = {c: round(s["f1"], 4) for c, s in evaluation.get("per_class", {}).items()}
    genres = Counter(r.meta.genre or "unknown" for r in reports)
    return {
        "name": f"policy sentence classifier ({model})",
        "package_version": __version__,
        "codebook_version": load_codebook().version,
        "model": model,
        "feature_blocks": ", ".join(DEFAULT_BLOCKS),
        "best_params": best,
        "temperature": round(float(temperature), 4),
        "n_sentences": len(labels),
        "class_counts": dict(sorted(Counter(labels).items())),
        "genres": dict(sorted(genres.items())),
        "levels": dict(sorted(Counter(r.meta.level or "unknown" for r in reports).items())),
        "years": _year_range(reports),
        "labels_files": [{"file": p.as_posix(), "sha256": file_sha256(p)} for p in label_files],
        "training_reports": [
            {
                "report_id": r.report_id,
                "file": Path(r.raw.path).name,
                "sha256": r.raw.sha256,
                "sentences": len(r.sentences),
                "place": r.meta.township,
                "genre": r.meta.genre,
            }
            for r in reports
        ],
        "heldout_metrics": metrics,
    }


def _year_range(reports) -> list[int] | None:
    years = [y for r in reports for y in r.meta.years]
    return [int(np.min(years)), int(np.max(years))] if years else None
