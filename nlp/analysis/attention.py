"""Stage 9: policy attention (注意力分配) -- how much of a report goes to each category.

Researchers read work reports as records of how local governments allocate
attention.  For each report this module computes the share of sentences and
the share of characters in each policy category, with 95% bootstrap
intervals (resampling the report's sentences), separately for the whole
report and for its review (what was done) and plan (what is intended)
parts, and the shift from review to plan in percentage points.

Labels are hand-coded where a label file covers the sentence and predicted
by a classifier otherwise; every profile records which (``label_source``).
Reports are processed one at a time, so profiling a large collection keeps
only per-report counts in memory.

Pass a share estimator (:mod:`nlp.analysis.quantify`) to correct predicted labels for
the classifier's errors and to get intervals that do not collapse at zero;
without one, shares are counts of labels with a percentile bootstrap over
sentences, as before.  Every profile names its ``estimator`` and ``interval``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nlp.classify.codebook import load_codebook
from nlp.text.corpus import Report

__all__ = [
    "PROFILE_PARTS",
    "AttentionProfile",
    "attention_profiles",
    "bootstrap_shares",
    "caption",
    "format_share",
    "markdown_table",
    "profile",
    "shifts",
]

PROFILE_PARTS = ("all", "review", "plan")


@dataclass
class AttentionProfile:
    """Category shares of one report (or one part of it).

    Attributes
    ----------
    report_id, township, years, part : str
    label_source : str
        ``"hand-coded"``, ``"predicted"`` or ``"mixed"``.
    n_sentences, n_characters : int
    sentence_share, character_share : dict
        Category → share (0–1).
    sentence_ci95, character_ci95 : dict
        Category → (low, high) 95% interval.
    estimator, interval : str
        The share estimator and interval (:mod:`nlp.analysis.quantify`); ``count`` and
        ``bootstrap`` when none was given.
    draws : ndarray or None
        Draws of the sentence-share profile (columns in codebook order), when kept.
    """

    report_id: str
    township: str
    years: str
    part: str
    label_source: str
    n_sentences: int
    n_characters: int
    sentence_share: dict[str, float] = field(default_factory=dict)
    character_share: dict[str, float] = field(default_factory=dict)
    sentence_ci95: dict[str, tuple[float, float]] = field(default_factory=dict)
    character_ci95: dict[str, tuple[float, float]] = field(default_factory=dict)
    estimator: str = "count"
    interval: str = "bootstrap"
    draws: np.ndarray | None = field(default=None, repr=False)

    def rows(self) -> list[dict]:
        """Long-format rows, one per category (for CSV)."""
        return [
            {
                "report_id": self.report_id,
                "township": self.township,
                "years": self.years,
                "part": self.part,
                "label_source": self.label_source,
                "estimator": self.estimator,
                "interval": self.interval,
                "category": c,
                "sentences": round(self.sentence_share[c] * self.n_sentences),
                "sentence_share": round(self.sentence_share[c], 4),
                "sentence_ci_low": round(self.sentence_ci95[c][0], 4),
                "sentence_ci_high": round(self.sentence_ci95[c][1], 4),
                "character_share": round(self.character_share[c], 4),
                "character_ci_low": round(self.character_ci95[c][0], 4),
                "character_ci_high": round(self.character_ci95[c][1], 4),
            }
            for c in self.sentence_share
        ]


def bootstrap_shares(
    labels: np.ndarray, weights: np.ndarray, n_categories: int, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95% intervals of weighted category shares, resampling items with replacement.

    ``labels`` are category indices, ``weights`` 1 per sentence (sentence
    shares) or sentence lengths (character shares).  Returns ``(low, high)``
    arrays over categories.
    """
    n = len(labels)
    if n == 0:
        zeros = np.zeros(n_categories)
        return zeros, zeros
    samples = rng.integers(0, n, size=(n_boot, n))
    shares = np.empty((n_boot, n_categories))
    for b in range(n_boot):
        idx = samples[b]
        totals = np.bincount(labels[idx], weights=weights[idx], minlength=n_categories)
        shares[b] = totals / totals.sum()
    low, high = np.percentile(shares, [2.5, 97.5], axis=0)
    return low, high


def profile(
    report: Report,
    labels: Sequence[str],
    sources: Sequence[str],
    part: str = "all",
    n_boot: int = 1000,
    seed: int = 0,
    estimator=None,
    proba: np.ndarray | None = None,
) -> AttentionProfile:
    """The attention profile of one report (``part="all"``) or of its review or plan part.

    Parameters
    ----------
    estimator : nlp.analysis.quantify.ShareEstimator, optional
        How shares and intervals are estimated; default: counts of ``labels``
        with a percentile bootstrap over sentences (``n_boot`` resamples).
    proba : ndarray of shape (n_sentences, n_categories), optional
        Calibrated probabilities in codebook order (one-hot for hand-coded
        sentences), for the ``probability`` estimator.
    """
    if estimator is not None:
        return _estimated_profile(report, labels, sources, part, estimator, proba)
    categories, keep, label_idx, lengths, result = _profile_frame(report, labels, sources, part)
    ones = np.ones(len(keep))
    rng = np.random.default_rng(seed)
    for weights, shares, ci in (
        (ones, result.sentence_share, result.sentence_ci95),
        (lengths, result.character_share, result.character_ci95),
    ):
        totals = np.bincount(label_idx, weights=weights, minlength=len(categories))
        point = totals / totals.sum() if totals.sum() else np.zeros(len(categories))
        low, high = bootstrap_shares(label_idx, weights, len(categories), n_boot, rng)
        for i, c in enumerate(categories):
            shares[c] = float(point[i])
            ci[c] = (float(low[i]), float(high[i]))
    return result


def _profile_frame(report, labels, sources, part, **profile_fields):
    """What both kinds of profile start from: categories, the part's sentences, their labels and lengths, and
    an empty profile carrying the report's metadata."""
    categories = list(load_codebook().ids)
    index = {c: i for i, c in enumerate(categories)}
    keep = [i for i, s in enumerate(report.sentences) if part == "all" or s.part == part]
    label_idx = np.array([index[labels[i]] for i in keep], dtype=int)
    lengths = np.array([len(report.sentences[i].text) for i in keep], dtype=float)
    kinds = {sources[i] for i in keep}
    result = AttentionProfile(
        report_id=report.report_id,
        township=report.meta.township or report.report_id,
        years="-".join(str(y) for y in report.meta.years),
        part=part,
        label_source=kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "none"),
        n_sentences=len(keep),
        n_characters=int(lengths.sum()),
        **profile_fields,
    )
    return categories, keep, label_idx, lengths, result


def _estimated_profile(report, labels, sources, part, estimator, proba) -> AttentionProfile:
    categories, keep, label_idx, lengths, result = _profile_frame(
        report, labels, sources, part, estimator=estimator.name, interval=estimator.interval
    )
    known = np.array([sources[i] == "hand-coded" for i in keep], dtype=bool)
    sub_proba = None if proba is None else np.asarray(proba)[keep]
    for weights, shares, ci in (
        (None, result.sentence_share, result.sentence_ci95),
        (lengths, result.character_share, result.character_ci95),
    ):
        estimate = estimator.estimate(label_idx, sub_proba, known, weights)
        for i, c in enumerate(categories):
            shares[c] = float(estimate.share[i])
            ci[c] = (float(estimate.low[i]), float(estimate.high[i]))
        if weights is None:
            result.draws = estimate.draws
    return result


def attention_profiles(
    labelled: Iterable[tuple],
    parts: Sequence[str] = PROFILE_PARTS,
    n_boot: int = 1000,
    seed: int = 0,
    estimator=None,
) -> list[AttentionProfile]:
    """Profiles of every report and part, from :func:`label_reports` output (with or without probabilities)."""
    profiles = []
    for item in labelled:
        report, labels, sources = item[:3]
        proba = item[3] if len(item) > 3 else None
        for part in parts:
            if part == "all" or any(s.part == part for s in report.sentences):
                profiles.append(
                    profile(report, labels, sources, part, n_boot=n_boot, seed=seed, estimator=estimator, proba=proba)
                )
    return profiles


def shifts(profiles: Sequence[AttentionProfile]) -> list[dict]:
    """Plan minus review share per report and category, in percentage points."""
    by_key = {(p.report_id, p.part): p for p in profiles}
    rows = []
    for p in profiles:
        if p.part != "all" or (p.report_id, "review") not in by_key or (p.report_id, "plan") not in by_key:
            continue
        review, plan = by_key[(p.report_id, "review")], by_key[(p.report_id, "plan")]
        for c in p.sentence_share:
            rows.append(
                {
                    "report_id": p.report_id,
                    "township": p.township,
                    "category": c,
                    "review_share": round(review.sentence_share[c], 4),
                    "plan_share": round(plan.sentence_share[c], 4),
                    "shift_pp": round(100 * (plan.sentence_share[c] - review.sentence_share[c]), 2),
                }
            )
    return rows


def caption(profiles: Sequence[AttentionProfile], measure: str = "sentence") -> str:
    """The sentence under a table or figure: which share, estimator, interval and labels."""
    from nlp.analysis.quantify import ESTIMATOR_NAMES, INTERVAL_NAMES

    source = ", ".join(sorted({p.label_source for p in profiles}))
    unit = "sentences" if measure == "sentence" else "characters"
    estimators = ", ".join(ESTIMATOR_NAMES.get(e, e) for e in sorted({p.estimator for p in profiles}))
    intervals = ", ".join(INTERVAL_NAMES.get(i, i) for i in sorted({p.interval for p in profiles}))
    return f"Share of {unit} per category, % (95% interval: {intervals}); estimator: {estimators}; labels: {source}."


def format_share(share: float, interval: tuple[float, float]) -> str:
    """``0.123, (0.081, 0.169)`` → ``"12.3 (8.1–16.9)"`` (percent with 95% interval)."""
    return f"{100 * share:.1f} ({100 * interval[0]:.1f}–{100 * interval[1]:.1f})"


def markdown_table(profiles: Sequence[AttentionProfile], part: str = "all", measure: str = "sentence") -> str:
    """A paper-ready table: one row per report, one column per category, ``share % (95% CI)``."""
    chosen = [p for p in profiles if p.part == part]
    if not chosen:
        return ""
    names = load_codebook().label_names("zh")
    categories = list(chosen[0].sentence_share)
    header = ["乡镇 (township)", "年份 (years)", "句子数 (n)", *(f"{names[c]} ({c})" for c in categories)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for p in chosen:
        shares = p.sentence_share if measure == "sentence" else p.character_share
        cis = p.sentence_ci95 if measure == "sentence" else p.character_ci95
        cells = [format_share(shares[c], cis[c]) for c in categories]
        lines.append("| " + " | ".join([p.township, p.years, str(p.n_sentences), *cells]) + " |")
    lines.append("")
    lines.append(caption(chosen, measure))
    return "\n".join(lines) + "\n"
