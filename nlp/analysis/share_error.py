"""Share error: how close each share estimator comes to the hand-coded shares of reports from held-out places.

The evaluation behind the ``attention_panel`` experiment, usable on any set
of held-out predictions:

1. :func:`held_out_reports` cuts sentence-level held-out predictions into
   reports, each with the confusion matrix of the *other* folds (so no
   report's own errors enter its correction) and its kind: a ``whole``
   report or an ``excerpt`` (a report opening of about 12 sentences).
2. :func:`estimate_reports` runs every share estimator of
   :mod:`nlp.analysis.quantify` with its intervals on every report.
3. :func:`share_error` measures the absolute difference from the hand-coded
   share per report and category, and the error of the mean share over
   reports (what comparisons across reports rest on), for all reports and
   per kind, with 95% percentile intervals from a bootstrap over places.
4. :func:`calibrated_bound` gives what is achievable with these sentence
   scores: each estimator's *expected* per-cell error in a world where the
   labels are drawn from the calibrated probabilities themselves.  There
   the posterior median is the Bayes-optimal estimator of every cell, so its
   expected error is the lowest any estimator using the scores can reach.
5. :func:`count_dispersion` measures how far the real labels are from that
   world: how much more the hand-coded counts scatter around the expected
   counts than independent labels would.
6. :func:`interval_coverage` says how often each interval covers the
   hand-coded share, and :func:`share_error_markdown` renders the tables.

Examples
--------
>>> proba = np.array([[0.9, 0.1], [0.8, 0.2]])
>>> expected_abs_error(proba, np.array([1.0, 0.0])).round(3).tolist()
[0.15, 0.15]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.analysis.quantify import (
    DEFAULT_ESTIMATOR,
    ESTIMATOR_NAMES,
    ESTIMATORS,
    PANEL_ESTIMATOR,
    ConfusionMatrix,
    ShareEstimate,
    make_estimator,
    poisson_binomial_pmf,
)

__all__ = [
    "INTERVALS_OF",
    "KINDS",
    "KIND_NAMES",
    "POINT_INTERVAL",
    "WHOLE_REPORT_SENTENCES",
    "HeldOutReport",
    "calibrated_bound",
    "count_dispersion",
    "error_table",
    "estimate_reports",
    "expected_abs_error",
    "held_out_reports",
    "interval_coverage",
    "place_samples",
    "point_shares",
    "share_error",
    "share_error_markdown",
]

#: A report with more sentences than this is a whole report; shorter ones are excerpts (~12 sentences).
WHOLE_REPORT_SENTENCES = 40
#: Subsets of reports every table is given for.
KINDS = ("all", "excerpt", "whole")
KIND_NAMES = {"all": "all reports", "excerpt": "excerpts (~12 sentences)", "whole": "whole reports (~100 sentences)"}
#: Intervals whose coverage of the hand-coded shares is measured, per estimator.
INTERVALS_OF = {
    "count": ("dirichlet", "bootstrap", "wilson", "jeffreys"),
    "probability": ("dirichlet", "bootstrap"),
    "median": ("dirichlet", "bootstrap"),
    "adjusted": ("dirichlet", "bootstrap"),
}
#: The interval whose estimates give the point shares (every interval has the same point).
POINT_INTERVAL = "dirichlet"


@dataclass
class HeldOutReport:
    """One report's held-out predictions and hand-coded shares.

    Attributes
    ----------
    report_id, group : str
        The report and its place group (the unit the bootstrap resamples).
    kind : str
        ``"whole"`` or ``"excerpt"``.
    truth : ndarray of shape (n_categories,)
        Hand-coded shares.
    labels : ndarray of shape (n_sentences,)
        Predicted category indices.
    proba : ndarray of shape (n_sentences, n_categories)
        Calibrated held-out probabilities.
    confusion : ConfusionMatrix
        Held-out confusion counts of the other folds.
    hand : list of str
        Hand-coded label of every sentence.
    """

    report_id: str
    group: str
    kind: str
    truth: np.ndarray
    labels: np.ndarray
    proba: np.ndarray
    confusion: ConfusionMatrix
    hand: list[str]


def held_out_reports(
    reports,
    hand: Sequence[str],
    proba: np.ndarray,
    groups: Sequence[str],
    folds: Sequence[int],
    categories: Sequence[str],
    whole_min: int = WHOLE_REPORT_SENTENCES,
) -> list[HeldOutReport]:
    """Cut sentence-level held-out predictions (in report order) into :class:`HeldOutReport` s.

    Parameters
    ----------
    reports : list of Report
    hand : sequence of str
        Hand-coded label of every sentence, reports concatenated.
    proba : ndarray of shape (n_sentences, n_categories)
        Held-out calibrated probabilities, columns in ``categories`` order.
    groups, folds : sequences
        Place group and outer fold of every sentence.
    whole_min : int
        Reports with more sentences are ``whole``, others ``excerpt``.
    """
    truth_idx = np.array([list(categories).index(label) for label in hand])
    pred_idx = np.asarray(proba).argmax(axis=1)
    folds, k = np.asarray(folds), len(categories)
    held, offset = [], 0
    for report in reports:
        span = slice(offset, offset + len(report.sentences))
        offset = span.stop
        others = folds != folds[span.start]
        held.append(
            HeldOutReport(
                report_id=report.report_id,
                group=groups[span.start],
                kind="whole" if span.stop - span.start > whole_min else "excerpt",
                truth=np.bincount(truth_idx[span], minlength=k) / (span.stop - span.start),
                labels=pred_idx[span],
                proba=np.asarray(proba)[span],
                confusion=ConfusionMatrix.from_predictions(truth_idx[others], pred_idx[others], list(range(k))),
                hand=list(hand[span]),
            )
        )
    return held


def estimate_reports(
    held: Sequence[HeldOutReport], n_categories: int, n_draws: int = 1000, seed: int = 0, intervals_of=None
) -> dict[tuple[str, str], list[ShareEstimate]]:
    """``{(estimator, interval): [ShareEstimate per report]}`` for every estimator and its intervals."""
    estimates = {}
    for name, intervals in (intervals_of or INTERVALS_OF).items():
        for interval in intervals:
            estimates[(name, interval)] = [
                make_estimator(
                    name,
                    confusion=r.confusion,
                    n_categories=n_categories,
                    interval=interval,
                    n_draws=n_draws,
                    seed=seed,
                ).estimate(r.labels, r.proba)
                for r in held
            ]
    return estimates


def point_shares(estimates: dict, names: Sequence[str] = ESTIMATORS) -> dict[str, np.ndarray]:
    """``{estimator: shares of shape (n_reports, n_categories)}`` from :func:`estimate_reports` output."""
    return {name: np.array([e.share for e in estimates[(name, POINT_INTERVAL)]]) for name in names}


def place_samples(groups: Sequence[str], n_bootstrap: int, seed: int = 0) -> list[np.ndarray]:
    """Bootstrap samples of report indices that resample whole places (with all their reports)."""
    groups = np.asarray(groups)
    members = [np.flatnonzero(groups == g) for g in dict.fromkeys(groups)]
    rng = np.random.default_rng(seed)
    return [
        np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))]) for _ in range(n_bootstrap)
    ]


def _ci(values) -> list[float] | None:
    """The 95% percentile interval of the finite ``values`` (``None`` when there are none)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return [round(float(v), 3) for v in np.percentile(values, [2.5, 97.5])] if len(values) else None


def _ratio(numerator, denominator):
    """``numerator / denominator`` elementwise, NaN where the denominator is zero."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.full(np.shape(numerator), np.nan), where=denominator > 0)


def _at_most_half(ratio: float | None) -> bool:
    return ratio is not None and ratio <= 0.5


def _rounded(value) -> float | None:
    return round(float(value), 3) if np.isfinite(value) else None


def _cell_table(values: np.ndarray, boot: np.ndarray, categories) -> dict:
    """Mean over categories and per category, each with its bootstrap interval (``boot``: samples × categories)."""
    return {
        "all": round(float(values.mean()), 3),
        "all_ci95": _ci(boot.mean(axis=1)),
        **{c: round(float(values[j]), 3) for j, c in enumerate(categories)},
        "ci95": {c: _ci(boot[:, j]) for j, c in enumerate(categories)},
    }


def _group_error(points: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return 100 * np.abs(points.mean(axis=0) - truth.mean(axis=0))


def error_table(
    points: dict[str, np.ndarray], truth: np.ndarray, samples: list[np.ndarray], categories, baseline: str = "count"
) -> dict:
    """Per-report and group-mean absolute errors (pp) of every estimator, their ratios to ``baseline``'s.

    Parameters
    ----------
    points : dict
        ``{estimator: shares (n_reports, n_categories)}``.
    truth : ndarray of shape (n_reports, n_categories)
        Hand-coded shares.
    samples : list of ndarray
        Bootstrap samples of report indices (:func:`place_samples`).
    """
    errors = {name: 100 * np.abs(p - truth) for name, p in points.items()}
    base_boot = np.array([errors[baseline][idx].mean() for idx in samples])
    base_group = np.array([_group_error(points[baseline][idx], truth[idx]).mean() for idx in samples])
    table = {}
    for name, err in errors.items():
        boot_cat = np.array([err[idx].mean(axis=0) for idx in samples])
        boot_group = np.array([_group_error(points[name][idx], truth[idx]) for idx in samples])
        group = _group_error(points[name], truth)
        table[name] = {
            "estimator": ESTIMATOR_NAMES.get(name, name),
            "per_report": {**_cell_table(err.mean(axis=0), boot_cat, categories), "max": round(float(err.max()), 1)},
            "group_mean": _cell_table(group, boot_group, categories),
            "ratio_to_count": _rounded(_ratio(err.mean(), errors[baseline].mean())),
            "ratio_to_count_ci95": _ci(_ratio(boot_cat.mean(axis=1), base_boot)),
            "group_mean_ratio_to_count": _rounded(_ratio(group.mean(), _group_error(points[baseline], truth).mean())),
            "group_mean_ratio_to_count_ci95": _ci(_ratio(boot_group.mean(axis=1), base_group)),
            "cells_vs_count": _cells_vs(points[name], points[baseline], truth),
        }
    return table


def _cells_vs(points: np.ndarray, baseline: np.ndarray, truth: np.ndarray) -> dict:
    """Report × category cells where ``points`` differ from ``baseline``: how many, closer to the truth, further."""
    differ = np.abs(points - baseline) > 1e-9
    gain = np.abs(baseline - truth) - np.abs(points - truth)
    return {
        "cells": int(differ.size),
        "differ": int(differ.sum()),
        "closer": int((differ & (gain > 1e-9)).sum()),
        "further": int((differ & (gain < -1e-9)).sum()),
    }


def _subsets(held: Sequence[HeldOutReport]) -> dict[str, np.ndarray]:
    kinds = np.array([r.kind for r in held])
    subsets = {"all": np.arange(len(held))}
    subsets |= {kind: np.flatnonzero(kinds == kind) for kind in KINDS[1:] if (kinds == kind).any()}
    return subsets


def share_error(
    held: Sequence[HeldOutReport], estimates: dict, categories, n_bootstrap: int = 1000, seed: int = 0
) -> dict:
    """The share-error tables (all reports and per kind), the best estimator of each use, and the target checks."""
    points = point_shares(estimates)
    truth = np.array([r.truth for r in held])
    groups = np.array([r.group for r in held])
    by_kind = {}
    for kind, index in _subsets(held).items():
        samples = place_samples(groups[index], n_bootstrap, seed)
        by_kind[kind] = error_table({n: p[index] for n, p in points.items()}, truth[index], samples, categories)
    table = by_kind["all"]
    best = min(table, key=lambda e: table[e]["per_report"]["all"])
    return {
        "unit": "absolute difference from the hand-coded share, percentage points; 95% intervals resample places",
        "n_reports": {kind: len(index) for kind, index in _subsets(held).items()},
        "estimators": table,
        "by_kind": {kind: t for kind, t in by_kind.items() if kind != "all"},
        "best_per_report": best,
        "best_group_mean": min(table, key=lambda e: table[e]["group_mean"]["all"]),
        "default_estimator": DEFAULT_ESTIMATOR,
        "panel_estimator": PANEL_ESTIMATOR,
        "target_default_at_most_half_of_count_per_report": _at_most_half(table[DEFAULT_ESTIMATOR]["ratio_to_count"]),
        "target_best_at_most_half_of_count_per_report": any(
            _at_most_half(t["ratio_to_count"]) for name, t in table.items() if name != "count"
        ),
        "panel_estimator_at_most_half_of_count_group_mean": _at_most_half(
            table[PANEL_ESTIMATOR]["group_mean_ratio_to_count"]
        ),
    }


def expected_abs_error(proba: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Expected absolute error of ``point`` shares per category when labels are drawn from ``proba``.

    The report's count of category *c* is then Poisson-binomial with the
    column ``proba[:, c]``; the expectation is exact (no simulation).
    """
    n = len(proba)
    pmf = poisson_binomial_pmf(np.asarray(proba, dtype=float).reshape(n, -1))
    shares = np.arange(n + 1)[:, None] / n
    return (pmf * np.abs(shares - np.asarray(point)[None, :])).sum(axis=0)


def calibrated_bound(
    held: Sequence[HeldOutReport], estimates: dict, n_bootstrap: int = 1000, seed: int = 0, baseline: str = "count"
) -> dict:
    """Expected per-report errors (pp) of every estimator in a perfectly calibrated world, with place intervals.

    Each report keeps its sentences' calibrated probabilities and every
    estimator its point shares; the true labels are drawn from the
    probabilities (independently per sentence).  The posterior median is
    then the Bayes estimator of each cell under absolute loss, so its row is
    the lowest expected error any estimator using these scores can reach,
    and ``ratio_to_count`` its best achievable ratio to classify-and-count.
    """
    points = point_shares(estimates)
    expected = {
        name: 100 * np.array([expected_abs_error(r.proba, p) for r, p in zip(held, shares, strict=True)])
        for name, shares in points.items()
    }
    groups = np.array([r.group for r in held])
    result = {}
    for kind, index in _subsets(held).items():
        samples = [index[s] for s in place_samples(groups[index], n_bootstrap, seed)]
        base = np.array([expected[baseline][idx].mean() for idx in samples])
        result[kind] = {
            name: {
                "per_report": round(float(err[index].mean()), 3),
                "per_report_ci95": _ci([err[idx].mean() for idx in samples]),
                "ratio_to_count": _rounded(_ratio(err[index].mean(), expected[baseline][index].mean())),
                "ratio_to_count_ci95": _ci(_ratio([err[idx].mean() for idx in samples], base)),
            }
            for name, err in expected.items()
        }
    return result


def count_dispersion(held: Sequence[HeldOutReport], n_bootstrap: int = 1000, seed: int = 0) -> dict:
    """How far the hand-coded counts scatter around the calibrated expected counts, relative to independence.

    For every report and category, ``(X − Σ p)²`` summed, over ``Σ p (1 − p)``
    summed, where ``X`` is the hand-coded count and ``p`` the sentences'
    calibrated probabilities: about 1 if the labels were independent draws
    from the probabilities (the world of :func:`calibrated_bound`), above 1
    if errors cluster within reports (a report's ambiguous sentences tend to
    go the same way), which the probabilities cannot express.  95%
    intervals resample places.
    """
    deviation = np.array([((r.truth * len(r.labels) - r.proba.sum(axis=0)) ** 2).sum() for r in held])
    variance = np.array([(r.proba * (1 - r.proba)).sum() for r in held])
    groups = np.array([r.group for r in held])
    result = {}
    for kind, index in _subsets(held).items():
        samples = [index[s] for s in place_samples(groups[index], n_bootstrap, seed)]
        result[kind] = {
            "ratio": _rounded(_ratio(deviation[index].sum(), variance[index].sum())),
            "ci95": _ci(_ratio([deviation[idx].sum() for idx in samples], [variance[idx].sum() for idx in samples])),
        }
    return result


def interval_coverage(held: Sequence[HeldOutReport], estimates: dict) -> list[dict]:
    """How often each estimator's interval covers the hand-coded share, at zero too, and how wide it is."""
    truth = np.array([r.truth for r in held])
    rows = []
    for (name, interval), values in estimates.items():
        low = np.array([e.low for e in values])
        high = np.array([e.high for e in values])
        covered = (low - 1e-9 <= truth) & (truth <= high + 1e-9)
        rows.append(
            {
                "estimator": name,
                "interval": interval,
                "coverage": round(float(covered.mean()), 3),
                "coverage_at_zero": round(float(covered[truth == 0].mean()), 3) if (truth == 0).any() else None,
                "mean_width_pp": round(float(100 * (high - low).mean()), 2),
                "collapsed": int(((high - low) < 1e-9).sum()),
            }
        )
    return rows


def _cell(value: float | None, ci, bold: bool = False) -> str:
    text = "–" if value is None else f"{value:.2f}"
    return f"{f'**{text}**' if bold else text}" + ("" if ci is None else f" ({ci[0]:.2f}–{ci[1]:.2f})")


def _error_rows(table: dict, categories, kind: str) -> list[str]:
    lines = []
    for level, label in (("per_report", "each report"), ("group_mean", "mean over reports")):
        for name, t in table.items():
            t = t[level]
            cells = [_cell(t[c], t["ci95"][c]) for c in categories]
            lines.append(
                f"| {KIND_NAMES[kind]} | {name} | {label} | {_cell(t['all'], t['all_ci95'], True)} | "
                + " | ".join(cells)
                + " |"
            )
    return lines


def share_error_markdown(error: dict, categories, bound: dict | None = None, dispersion: dict | None = None) -> str:
    """The estimator × category share-error tables (per report and of group means; all reports and per kind)."""
    header = "| reports | estimator | error of | all categories | " + " | ".join(categories) + " |"
    lines = [header, "|" + "---|" * (4 + len(categories))]
    tables = {"all": error["estimators"], **error.get("by_kind", {})}
    for kind, table in tables.items():
        lines += _error_rows(table, categories, kind)
    names = "; ".join(f"{n} = {ESTIMATOR_NAMES.get(n, n)}" for n in error["estimators"])
    counts = ", ".join(f"{KIND_NAMES[k]}: {n}" for k, n in error.get("n_reports", {}).items())
    lines += [
        "",
        "Mean absolute difference from the hand-coded share, percentage points, on held-out places "
        f"(95% interval: percentile bootstrap resampling places). Reports: {counts}. Estimators: {names}.",
        "",
        "| reports | estimator | per-report error / count's (95% CI) | group-mean error / count's (95% CI) |",
        "|---|---|---|---|",
    ]
    for kind, table in tables.items():
        for name, t in table.items():
            lines.append(
                f"| {KIND_NAMES[kind]} | {name} | {_cell(t['ratio_to_count'], t['ratio_to_count_ci95'])} | "
                f"{_cell(t['group_mean_ratio_to_count'], t['group_mean_ratio_to_count_ci95'])} |"
            )
    moves = "; ".join(
        f"{name}: {t['cells_vs_count']['differ']} of {t['cells_vs_count']['cells']} differ, "
        f"{t['cells_vs_count']['closer']} closer, {t['cells_vs_count']['further']} further"
        for name, t in error["estimators"].items()
        if name != "count"
    )
    lines += [
        "",
        f"Report × category cells where an estimator differs from count, and whether it is closer to the "
        f"hand-coded share (all reports): {moves}.",
    ]
    if bound:
        lines += ["", *_bound_lines(bound, error)]
    if dispersion:
        cells = "; ".join(f"{KIND_NAMES[k]} {_cell(d['ratio'], d['ci95'])}" for k, d in dispersion.items())
        lines += [
            "",
            "Dispersion of the hand-coded counts around the calibrated expected counts, relative to independent "
            f"labels (1 = as in the calibrated world): {cells}.",
        ]
    return "\n".join(lines) + "\n"


def _bound_lines(bound: dict, error: dict) -> list[str]:
    lines = [
        "**What these sentence scores can achieve.** Expected per-report error (pp) if every sentence's true label "
        "were drawn from its calibrated probabilities (a perfectly calibrated world; exact Poisson-binomial "
        "expectation, 95% interval resampling places). The posterior median is Bayes-optimal per cell there, so "
        "its row is the lowest error any estimator using these scores can reach.",
        "",
        "| reports | estimator | expected error, calibrated world | / count's | measured error | / count's |",
        "|---|---|---|---|---|---|",
    ]
    tables = {"all": error["estimators"], **error.get("by_kind", {})}
    for kind, rows in bound.items():
        for name, b in rows.items():
            measured = tables[kind][name]
            lines.append(
                f"| {KIND_NAMES[kind]} | {name} | {_cell(b['per_report'], b['per_report_ci95'])} | "
                f"{_cell(b['ratio_to_count'], b['ratio_to_count_ci95'])} | "
                f"{_cell(measured['per_report']['all'], measured['per_report']['all_ci95'])} | "
                f"{_cell(measured['ratio_to_count'], measured['ratio_to_count_ci95'])} |"
            )
    return lines
