"""Attention across places and years: which share estimator is closest to the hand labels, and the panel.

1. **Held-out shares.** Every sentence of the 67 labelled reports (5 seeds,
   62 external excerpts) is predicted by a model that never saw its place:
   :func:`nlp.classify.evaluate.grouped_evaluation` with ``outer_splits`` folds of
   whole places, the default classifier at a fixed C (no grid), and a
   temperature fitted on held-out places of each training part.  Each
   report's shares are then estimated four ways (:mod:`nlp.analysis.quantify`);
   the adjusted estimator corrects with the confusion matrix of the *other*
   folds' held-out predictions, so no report's own errors enter its
   correction.  The error is the absolute difference from the hand-coded
   share per report and category, averaged, with 95% intervals resampling
   places; beside it the error of group means (the corpus mean share),
   which is what comparisons across reports rest on, and how often each
   interval covers the hand-coded share; for all reports, the excerpts and
   the whole reports separately.  Beside the measured errors, the expected
   errors in a perfectly calibrated world (labels drawn from the calibrated
   probabilities): the posterior median's is the lowest any estimator using
   these sentence scores can reach.  The evaluation is
   :mod:`nlp.analysis.share_error`; this module only orchestrates.
2. **The panel.** Shares of every report from the held-out predictions with
   the panel estimator, covariates from the texts (provinces from
   ``SOURCES.md``), attention by year with intervals, and fractional-logit
   regressions on year (alone, and with genre and level) with
   cluster-robust intervals and the method of composition over share draws,
   and beside them intervals from a bootstrap over places;
   the same regressions on the hand-coded shares for reference.
"""

from __future__ import annotations

import time

import numpy as np

from nlp.analysis.attention import attention_profiles
from nlp.analysis.panel import (
    merge_covariates,
    report_covariates,
    source_provinces,
)
from nlp.analysis.quantify import make_estimator
from nlp.analysis.share_error import (
    calibrated_bound,
    count_dispersion,
    estimate_reports,
    held_out_reports,
    interval_coverage,
    share_error,
)
from nlp.classify.codebook import load_codebook
from nlp.classify.evaluate import grouped_evaluation
from nlp.classify.labels import labels_for, load_labels
from nlp.classify.training import build_classifier, sentence_groups
from nlp.experiments import load_reports
from nlp.io.attention_outputs import write_panel_outputs, write_share_error_outputs
from nlp.io.results import ResultsDir
from nlp.text.records import sentence_records

__all__ = ["EXCERPTS", "run"]

EXCERPTS = (
    "62 of the 67 reports are excerpts of about 750 characters, mostly report openings (6 are a later page); "
    "a seed report counts as one report like an excerpt. Shares of an excerpt describe how a report opens "
    "(headline framing, the first review items), not how the whole report spreads its attention. The share-error "
    "comparison holds for excerpts of ~12 sentences and five whole reports of ~100; per-report errors of short "
    "excerpts are dominated by a few misclassified sentences, which no estimator can locate. The year panel can "
    "support rough contrasts in how report openings frame the year for categories present in many reports "
    "(e.g. epidemic attention in 2020-2022); it cannot support trends in policy attention of whole reports: a "
    "year holds 1 to 17 reports from no sampling frame, and year is confounded with place, level, genre and the "
    "page store's cut. Regression effects are associations within this convenience corpus."
)


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    began = time.perf_counter()
    categories = list(load_codebook().ids)
    reports = load_reports(config.reports, config.cache, progress)
    hand = load_labels(config.labels)
    y = labels_for(reports, hand)
    records = sentence_records(reports)
    groups = sentence_groups(reports)
    result = grouped_evaluation(
        build_classifier(),
        records,
        y,
        groups,
        None,
        config.outer_splits,
        inner_splits=config.inner_splits,
        calibrate=True,
        n_jobs=config.n_jobs,
        progress=progress,
        description="held-out places",
    )
    evaluated = time.perf_counter()
    proba = np.zeros((len(y), len(categories)))
    proba[:, [categories.index(c) for c in result.classes]] = result.proba
    fold_of_group = {g: f for f, fold in enumerate(result.folds) for g in fold["groups"]}
    held = held_out_reports(
        reports, list(y), proba, groups, [fold_of_group[g] for g in groups], categories, config.whole_report_sentences
    )
    estimates = estimate_reports(held, len(categories), config.n_draws, config.seed)
    metrics = {
        "protocol": (
            f"held-out places: {config.outer_splits} group folds of whole places (county, else place); "
            "default classifier (logreg, C = 10, no grid search), temperature fitted on held-out places of each "
            f"training part ({config.inner_splits} inner folds); the adjusted estimator's confusion matrix "
            "comes from the other folds' held-out predictions"
        ),
        "n_reports": len(reports),
        "n_sentences": len(y),
        "n_place_groups": len(set(groups)),
        "held_out_accuracy": round(float(np.mean(proba.argmax(axis=1) == [categories.index(t) for t in y])), 4),
        "share_error": share_error(held, estimates, categories, config.n_bootstrap, config.seed),
        "calibrated_bound": calibrated_bound(held, estimates, config.n_bootstrap, config.seed),
        "count_dispersion": count_dispersion(held, config.n_bootstrap, config.seed),
        "coverage": interval_coverage(held, estimates),
    }
    write_share_error_outputs(
        out,
        metrics["share_error"],
        metrics["coverage"],
        categories,
        metrics["calibrated_bound"],
        metrics["count_dispersion"],
    )

    # the panel: shares from held-out predictions with the panel estimator, covariates, regressions
    labelled = [
        (report, [categories[j] for j in r.labels], ["predicted"] * len(r.labels), r.proba)
        for report, r in zip(reports, held, strict=True)
    ]
    panel_estimator = make_estimator(
        config.panel_estimator,
        n_categories=len(categories),
        n_draws=config.panel_draws,
        keep_draws=True,
        seed=config.seed,
    )
    profiles = attention_profiles(labelled, parts=("all",), estimator=panel_estimator)
    hand_profiles = attention_profiles(
        [(report, r.hand, ["hand-coded"] * len(r.hand)) for report, r in zip(reports, held, strict=True)],
        parts=("all",),
        estimator=make_estimator("count", n_categories=len(categories), n_draws=200),
    )
    covariates = merge_covariates(report_covariates(reports), source_provinces(config.sources))
    metrics["panel"] = write_panel_outputs(
        out,
        profiles,
        covariates,
        formulas=config.formulas,
        year_range=(config.year_min, config.year_max),
        min_reports=config.min_reports,
        seed=config.seed,
        reference=hand_profiles,
        n_bootstrap=config.regression_bootstrap,
    )
    metrics["excerpts"] = EXCERPTS
    metrics["timing_s"] = {
        "held_out_evaluation": round(evaluated - began, 1),
        "total": round(time.perf_counter() - began, 1),
    }
    out.write_json("metrics.json", {k: v for k, v in metrics.items() if k != "timing_s"})
    out.write_json("timing.json", metrics["timing_s"])
    return metrics
