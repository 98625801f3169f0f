"""Honest evaluation: leave-one-report-out, nested model selection, bootstrap intervals.

Every figure reported comes from sentences of a report the model never saw
in training.  Hyper-parameters are chosen by an inner leave-one-report-out
grid search on the training reports only.  Pooled out-of-fold predictions
are summarised with macro-F1 and accuracy plus 95% bootstrap intervals
(resampling sentences); per-fold scores are kept beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    make_scorer,
    precision_recall_fscore_support,
)
from sklearn.model_selection import GridSearchCV, GroupKFold, LeaveOneGroupOut, ParameterGrid
from tqdm.auto import tqdm

from nlp.core.errors import NlpError
from nlp.core.parallel import WORKER_DIED

__all__ = [
    "MACRO_F1",
    "GroupedResult",
    "LoroResult",
    "accuracy_above",
    "aligned_proba",
    "bootstrap_interval",
    "cluster_bootstrap_interval",
    "expected_calibration_error",
    "fit_temperature",
    "grouped_evaluation",
    "learning_curve",
    "leave_one_report_out",
    "log_loss_of",
    "macro_f1",
    "place_groups",
    "reliability_table",
    "review_threshold",
    "select_and_calibrate",
    "summarize",
    "summarize_grouped",
]

MACRO_F1 = make_scorer(f1_score, average="macro", zero_division=0)


@dataclass
class LoroResult:
    """Out-of-fold predictions of one model under leave-one-report-out.

    Attributes
    ----------
    y_pred : ndarray
        Prediction for every sentence, made by the model of its held-out fold.
    folds : list of dict
        Per held-out report: ``report``, ``n``, ``macro_f1``, ``accuracy``, ``best_params``.
    """

    y_pred: np.ndarray
    folds: list[dict] = field(default_factory=list)


def _fit_fold(estimator, param_grid, X_train, y_train, groups_train, n_jobs):
    if not param_grid or len(set(groups_train)) < 2:
        return clone(estimator).fit(X_train, y_train), {}
    grid = list(ParameterGrid(param_grid))
    if len(grid) == 1:  # nothing to choose: no inner search
        return clone(estimator).set_params(**grid[0]).fit(X_train, y_train), _plain(grid[0])
    search = GridSearchCV(clone(estimator), param_grid, scoring=MACRO_F1, cv=LeaveOneGroupOut(), n_jobs=n_jobs)
    search.fit(X_train, y_train, groups=groups_train)
    return search.best_estimator_, _plain(search.best_params_)


def _plain(params: dict) -> dict:
    """Best parameters as JSON-friendly values."""
    return {k: (v if isinstance(v, int | float | str | bool | type(None)) else repr(v)) for k, v in params.items()}


def leave_one_report_out(
    estimator,
    X: Sequence,
    y: Sequence[str],
    groups: Sequence[str],
    param_grid: dict | list | None = None,
    y_train: Sequence[str] | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
    description: str = "folds",
) -> LoroResult:
    """Train on all reports but one, predict the one left out; every report once.

    Parameters
    ----------
    estimator : classifier
        Cloned for every fold.
    X, y, groups : sequences
        Sentence records, their (hand-coded) labels, and report ids.
    param_grid : dict or list, optional
        Grid searched inside each training fold with an inner
        leave-one-report-out split (nested selection).
    y_train : sequence, optional
        Labels to *train* on when they differ from ``y`` (e.g. weak labels);
        evaluation always uses ``y``.
    """
    X = list(X)
    y = np.asarray(y)
    fit_labels = np.asarray(y_train) if y_train is not None else y
    groups = np.asarray(groups)
    y_pred = np.empty(len(y), dtype=object)
    result = LoroResult(y_pred=y_pred)
    reports = list(dict.fromkeys(groups))
    for report in tqdm(reports, desc=description, unit="fold", disable=not progress, leave=False):
        test = groups == report
        train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
        X_train = [X[i] for i in train_idx]
        model, best = _fit_fold(estimator, param_grid, X_train, fit_labels[train_idx], groups[train_idx], n_jobs)
        fold_pred = np.asarray(model.predict([X[i] for i in test_idx])).astype(str)
        y_pred[test_idx] = fold_pred
        result.folds.append(
            {
                "report": str(report),
                "n": int(test.sum()),
                "macro_f1": float(f1_score(y[test_idx], fold_pred, average="macro", zero_division=0)),
                "accuracy": float(accuracy_score(y[test_idx], fold_pred)),
                "best_params": best,
            }
        )
    result.y_pred = y_pred.astype(str)
    return result


def bootstrap_interval(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    metric,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(y_true, y_pred)`` over sentences.

    Examples
    --------
    >>> low, high = bootstrap_interval(["a", "b"] * 50, ["a", "b"] * 45 + ["b", "a"] * 5, accuracy_score)
    >>> 0.8 < low < 0.9 < high <= 1.0
    True
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    n = len(y_true)
    scores = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        scores[b] = metric(y_true[idx], y_pred[idx])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def macro_f1(y_true, y_pred, labels: Sequence[str] | None = None) -> float:
    """Macro-F1 over ``labels`` (all codebook categories when given), zero for undefined classes."""
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def summarize(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    labels: Sequence[str],
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """Pooled metrics with bootstrap intervals, per-class scores and the confusion matrix."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    f1_ci = bootstrap_interval(y_true, y_pred, lambda a, b: macro_f1(a, b, labels), n_boot, seed)
    acc_ci = bootstrap_interval(y_true, y_pred, accuracy_score, n_boot, seed)
    return {
        "n": len(y_true),
        "macro_f1": macro_f1(y_true, y_pred, labels),
        "macro_f1_ci95": list(f1_ci),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "accuracy_ci95": list(acc_ci),
        "kappa": float(cohen_kappa_score(y_true, y_pred, labels=labels)),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }


# --- held-out places: grouped evaluation, document-level intervals, calibration --------------------------------


def place_groups(reports) -> list[str]:
    """An evaluation group per report: the county it names, else its place, else the report itself.

    Reports of one county (a district's own 政府工作报告 and its streets', or
    one street in several years) share vocabulary -- place names, projects,
    slogans -- so a held-out-place evaluation must hold them out together.
    The key comes from the text (:mod:`nlp.text.metadata`); a report that names
    no place is a group of its own.
    """
    keys = []
    for report in reports:
        meta = report.meta
        keys.append(meta.county or meta.township or report.report_id)
    return keys


def cluster_bootstrap_interval(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    groups: Sequence[str],
    metric,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval resampling whole documents (clusters), not sentences.

    Sentences of one report share its author, year and style, so they are
    not independent; resampling reports with replacement (and all their
    sentences with them) gives an interval that respects that.

    Examples
    --------
    >>> y = ["a", "b"] * 50
    >>> pred = ["a", "b"] * 40 + ["b", "a"] * 10
    >>> groups = [f"r{i // 10}" for i in range(100)]
    >>> low, high = cluster_bootstrap_interval(y, pred, groups, accuracy_score)
    >>> low < 0.8 < high
    True
    """
    y_true, y_pred, groups = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    members = [np.flatnonzero(groups == g) for g in dict.fromkeys(groups)]
    rng = np.random.default_rng(seed)
    scores = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        scores[b] = metric(y_true[idx], y_pred[idx])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def reliability_table(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], n_bins: int = 10) -> list[dict]:
    """Confidence bins of the top label: sentences, mean confidence and accuracy in each (equal-width bins)."""
    y_true, proba, classes = np.asarray(y_true), np.asarray(proba), np.asarray(classes)
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        inside = bins == b
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": int(inside.sum()),
                "confidence": float(confidence[inside].mean()) if inside.any() else None,
                "accuracy": float(correct[inside].mean()) if inside.any() else None,
            }
        )
    return rows


def expected_calibration_error(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], n_bins: int = 10):
    """ECE of the top label: the sentence-weighted mean gap between confidence and accuracy over bins.

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(expected_calibration_error(["a", "a", "a", "b"], proba, ["a", "b"]), 3)
    0.1
    """
    rows = reliability_table(y_true, proba, classes, n_bins)
    n = sum(r["n"] for r in rows)
    return float(sum(r["n"] * abs(r["confidence"] - r["accuracy"]) for r in rows if r["n"]) / n)


def accuracy_above(y_true, proba: np.ndarray, classes, threshold: float) -> dict:
    """Share of sentences scored at or above ``threshold`` and their accuracy (what a reader may trust)."""
    y_true, proba, classes = np.asarray(y_true), np.asarray(proba), np.asarray(classes)
    confident = proba.max(axis=1) >= threshold
    correct = classes[proba.argmax(axis=1)] == y_true
    return {
        "threshold": threshold,
        "share": float(confident.mean()),
        "accuracy": float(correct[confident].mean()) if confident.any() else None,
        "accuracy_below": float(correct[~confident].mean()) if (~confident).any() else None,
    }


@dataclass
class GroupedResult:
    """Out-of-fold predictions of one model when whole groups (places) are held out.

    Attributes
    ----------
    y_pred : ndarray of str
    proba : ndarray of shape (n_sentences, n_classes) or None
        Held-out probabilities (calibrated when the estimator was), columns in ``classes``.
    classes : list of str
    folds : list of dict
        Per outer fold: held-out groups, sentences, chosen parameters and temperature.
    """

    y_pred: np.ndarray
    proba: np.ndarray | None
    classes: list[str]
    folds: list[dict] = field(default_factory=list)


def _inner_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n = min(n_splits, len(set(groups)))
    return list(GroupKFold(n_splits=n).split(np.zeros(len(groups)), groups=groups))


def aligned_proba(model, X: Sequence, classes: Sequence[str]) -> np.ndarray:
    """``model.predict_proba(X)`` with its columns placed in ``classes`` order (a class it never saw is 0).

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> model = DummyClassifier(strategy="prior").fit([[0], [0]], ["b", "b"])
    >>> aligned_proba(model, [[0]], ["a", "b"]).tolist()
    [[0.0, 1.0]]
    """
    classes = list(classes)
    proba = np.zeros((len(X), len(classes)))
    if len(X):
        columns = [classes.index(str(c)) for c in model.classes_]
        proba[:, columns] = model.predict_proba(X)
    return proba


def _oof_proba(estimator, X: list, y: np.ndarray, splits, classes: list[str]) -> np.ndarray:
    """Out-of-fold probabilities over ``splits``, columns in ``classes`` (a class missing in a fold is 0)."""
    proba = np.zeros((len(y), len(classes)))
    for train, test in splits:
        model = clone(estimator).fit([X[i] for i in train], y[train])
        proba[test] = aligned_proba(model, [X[i] for i in test], classes)
    return proba


def fit_temperature(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> float:
    """The temperature T minimising the log loss of ``softmax(log(proba) / T)`` (Guo et al. 2017).

    T > 1 softens over-confident probabilities, T < 1 sharpens timid ones;
    the ranking of classes, and so every prediction, is unchanged.

    Examples
    --------
    >>> proba = np.array([[0.99, 0.01]] * 8 + [[0.01, 0.99]] * 2)
    >>> fit_temperature(["a"] * 6 + ["b"] * 2 + ["b"] * 2, proba, ["a", "b"]) > 1
    True
    """
    index = {c: i for i, c in enumerate(classes)}
    target = np.array([index[label] for label in y_true])
    logits = np.log(np.clip(np.asarray(proba), 1e-12, 1.0))

    def loss(log_t: float) -> float:
        return float(log_loss_of(logits / np.exp(log_t), target))

    best = minimize_scalar(loss, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(best.x))


def log_loss_of(logits: np.ndarray, target: np.ndarray) -> float:
    """Mean negative log-likelihood of ``target`` under ``softmax(logits)``."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(target)), target]))


def select_and_calibrate(
    estimator,
    X: Sequence,
    y: Sequence[str],
    groups: Sequence[str],
    param_grid: dict | None = None,
    n_splits: int = 3,
    calibrate: bool = True,
) -> tuple[object, dict, float]:
    """Choose hyper-parameters and a temperature on held-out groups of the training data, then refit on all.

    Each candidate of ``param_grid`` is scored by macro-F1 of its
    out-of-fold predictions over ``n_splits`` group folds; the winner's
    out-of-fold probabilities fit the temperature (so calibration is learnt
    on places the model had not seen, as it will meet them in use).

    Returns
    -------
    model, best_params, temperature
        ``model`` is fitted on all of ``X`` with the best parameters and the
        temperature set (``model.temperature``) when it has that parameter.
    """
    X, y, groups = list(X), np.asarray(y), np.asarray(groups)
    classes = sorted(set(y))
    splits = _inner_splits(groups, n_splits) if len(set(groups)) >= 2 else []
    candidates = list(ParameterGrid(param_grid)) if param_grid else [{}]
    best_params, best_score, best_proba = candidates[0], -1.0, None
    needs_oof = splits and (len(candidates) > 1 or calibrate)
    for params in candidates if needs_oof else []:
        proba = _oof_proba(clone(estimator).set_params(**params), X, y, splits, classes)
        score = macro_f1(y, np.asarray(classes)[proba.argmax(axis=1)], classes)
        if score > best_score:
            best_params, best_score, best_proba = params, score, proba
    temperature = fit_temperature(y, best_proba, classes) if calibrate and best_proba is not None else 1.0
    model = clone(estimator).set_params(**best_params)
    if "temperature" in model.get_params():
        model.set_params(temperature=temperature)
    return model.fit(X, y), _plain(best_params), temperature


def grouped_evaluation(
    estimator,
    X: Sequence,
    y: Sequence[str],
    groups: Sequence[str],
    param_grid: dict | None = None,
    outer_splits: int | None = None,
    inner_splits: int = 3,
    calibrate: bool = False,
    train_mask: Sequence[bool] | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
    description: str = "places",
) -> GroupedResult:
    """Hold out whole groups (places): every group once, selection and calibration inside the training groups.

    Parameters
    ----------
    outer_splits : int or None
        ``None`` holds out one group at a time (leave-one-place-out);
        an int uses that many group folds.
    inner_splits : int
        Group folds inside each training part for :func:`select_and_calibrate`.
    calibrate : bool
        Fit a temperature on the training part's held-out groups.
    train_mask : sequence of bool, optional
        Sentences that may be used for training (e.g. only the seeds, for a
        transfer evaluation); all by default.  Only held-out groups are scored.
    """
    X, y, groups = list(X), np.asarray(y), np.asarray(groups)
    usable = np.ones(len(y), dtype=bool) if train_mask is None else np.asarray(train_mask, dtype=bool)
    classes = sorted(set(y))
    if outer_splits is None:
        folds = list(LeaveOneGroupOut().split(np.zeros(len(y)), groups=groups))
    else:
        folds = list(GroupKFold(n_splits=outer_splits).split(np.zeros(len(y)), groups=groups))

    def run_fold(train, test):
        train = train[usable[train]]
        model, best, temperature = select_and_calibrate(
            estimator, [X[i] for i in train], y[train], groups[train], param_grid, inner_splits, calibrate
        )
        proba = np.zeros((len(test), len(classes)))
        if hasattr(model, "predict_proba"):
            proba = aligned_proba(model, [X[i] for i in test], classes)
            predicted = np.asarray(classes)[proba.argmax(axis=1)]
        else:
            predicted = np.asarray(model.predict([X[i] for i in test])).astype(str)
        fold = {"groups": sorted(set(groups[test])), "n": len(test), "best_params": best, "temperature": temperature}
        return test, predicted, proba, fold

    try:
        outcomes = Parallel(n_jobs=n_jobs)(
            delayed(run_fold)(train, test)
            for train, test in tqdm(folds, desc=description, unit="fold", disable=not progress, leave=False)
        )
    except BrokenProcessPool as exc:  # loky's TerminatedWorkerError is one
        raise NlpError(WORKER_DIED) from exc
    y_pred = np.empty(len(y), dtype=object)
    proba = np.zeros((len(y), len(classes)))
    result = GroupedResult(y_pred=y_pred, proba=proba, classes=classes)
    for test, predicted, fold_proba, fold in outcomes:
        y_pred[test], proba[test] = predicted, fold_proba
        result.folds.append(fold)
    result.y_pred = y_pred.astype(str)
    if not proba.any():
        result.proba = None
    return result


def summarize_grouped(
    y_true: Sequence[str],
    result: GroupedResult,
    labels: Sequence[str],
    groups: Sequence[str],
    reports: Sequence[str],
    mask: Sequence[bool] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """:func:`summarize` plus a document-level interval, ECE and per-report scores, on the ``mask``ed sentences."""
    mask = np.ones(len(y_true), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    y_true, y_pred = np.asarray(y_true)[mask], result.y_pred[mask]
    reports = np.asarray(reports)[mask]
    summary = summarize(y_true, y_pred, labels, n_boot=n_boot, seed=seed)

    def f1_metric(a, b):
        return macro_f1(a, b, labels)

    summary["macro_f1_ci95_reports"] = list(
        cluster_bootstrap_interval(y_true, y_pred, reports, f1_metric, n_boot, seed)
    )
    summary["accuracy_ci95_reports"] = list(
        cluster_bootstrap_interval(y_true, y_pred, reports, accuracy_score, n_boot, seed)
    )
    summary["n_reports"] = len(set(reports))
    summary["n_groups"] = len(set(np.asarray(groups)[mask]))
    if result.proba is not None:
        proba = result.proba[mask]
        summary["ece"] = expected_calibration_error(y_true, proba, result.classes)
        summary["reliability"] = reliability_table(y_true, proba, result.classes)
    summary["per_report"] = [
        {
            "report": str(r),
            "n": int((reports == r).sum()),
            "accuracy": float(accuracy_score(y_true[reports == r], y_pred[reports == r])),
        }
        for r in dict.fromkeys(reports)
    ]
    return summary


def learning_curve(
    estimator,
    X: Sequence,
    y: Sequence[str],
    groups: Sequence[str],
    reports: Sequence[str],
    sizes: Sequence[int],
    n_splits: int = 5,
    repeats: int = 3,
    seed: int = 0,
    labels: Sequence[str] | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> list[dict]:
    """Held-out-place macro-F1 against the number of labelled reports in training.

    For each of ``n_splits`` group folds (places held out together), ``repeats``
    random draws of ``size`` training reports (from the other places) train
    the estimator with fixed parameters; each draw is scored on the held-out
    places.  Returns one row per size with the mean, the 2.5/97.5 percentiles
    over folds and draws, and the number of scored fits.
    """
    X, y, groups, reports = list(X), np.asarray(y), np.asarray(groups), np.asarray(reports)
    labels = list(labels) if labels is not None else sorted(set(y))
    folds = list(GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), groups=groups))
    rng = np.random.default_rng(seed)
    jobs = []
    for fold, (train, test) in enumerate(folds):
        pool = list(dict.fromkeys(reports[train]))
        for size in sizes:
            for repeat in range(repeats):
                chosen = set(rng.choice(pool, size=min(size, len(pool)), replace=False))
                jobs.append((size, fold, repeat, train[np.isin(reports[train], list(chosen))], test))

    def score(size, fold, repeat, train, test):
        if len(set(y[train])) < 2:
            return size, 0.0
        model = clone(estimator).fit([X[i] for i in train], y[train])
        return size, macro_f1(y[test], np.asarray(model.predict([X[i] for i in test])).astype(str), labels)

    scores = Parallel(n_jobs=n_jobs)(
        delayed(score)(*job) for job in tqdm(jobs, desc="learning curve", unit="fit", disable=not progress, leave=False)
    )
    rows = []
    for size in sizes:
        values = np.array([s for n, s in scores if n == size])
        low, high = np.percentile(values, [2.5, 97.5])
        rows.append({"reports": int(size), "macro_f1": float(values.mean()), "low": float(low), "high": float(high)})
        rows[-1]["fits"] = len(values)
    return rows


def review_threshold(y_true, proba: np.ndarray, classes, target_accuracy: float = 0.9) -> float:
    """The lowest score whose sentences at or above it reach ``target_accuracy`` on held-out data.

    Candidates are 0.30, 0.35, … 0.95; sentences scored below the returned
    threshold are the ones to check by hand.
    """
    for threshold in np.round(np.arange(0.30, 0.951, 0.05), 2):
        above = accuracy_above(y_true, proba, classes, float(threshold))
        if above["accuracy"] is not None and above["accuracy"] >= target_accuracy:
            return float(threshold)
    return 0.95
