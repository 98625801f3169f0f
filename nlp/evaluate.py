"""Honest evaluation: leave-one-report-out, nested model selection, bootstrap intervals.

Every figure reported comes from sentences of a report the model never saw
in training.  Hyper-parameters are chosen by an inner leave-one-report-out
grid search on the training reports only.  Pooled out-of-fold predictions
are summarised with macro-F1 and accuracy plus 95% bootstrap intervals
(resampling sentences); per-fold scores are kept beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    make_scorer,
    precision_recall_fscore_support,
)
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, ParameterGrid
from tqdm.auto import tqdm

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
