"""Share estimators: category shares of a report from a classifier's labels, corrected for its errors.

Counting predicted labels ("classify and count") moves shares between
categories wherever the classifier errs, and a percentile bootstrap over
sentences gives ``0.0 (0.0–0.0)`` for a category a short report never
predicts.  This module estimates a report's share of each category four
ways and gives every estimate an interval that can express uncertainty at
zero:

``count`` -- :class:`ClassifyAndCount`
    The share of sentences with each predicted label (the naive estimator).
``probability`` -- :class:`ProbabilisticAverage`
    The mean calibrated probability of each category over the sentences
    ("probabilistic classify and count", Bella et al. 2010).  Unbiased for
    the report's share when the probabilities are calibrated on reports like
    it.
``median`` -- :class:`PosteriorMedian`
    Per category, the median of the report's sentence count under the
    calibrated probabilities, divided by the number of sentences.  With
    independent sentence labels the count of category *c* is a
    Poisson-binomial variable with success probabilities ``p_ic``; its
    median minimises the expected *absolute* error of that one cell, as the
    mean (``probability``) minimises the squared error.  The mean spreads
    small mass over every category a short report lacks; the median keeps
    them at zero unless the probabilities add up to about half a sentence.
    The shares of a report need not sum to one (each cell is estimated on its
    own); for means over reports use ``probability``, which is unbiased.
``adjusted`` -- :class:`AdjustedCount`
    Forman's (2008) adjusted classify-and-count: the observed predicted
    shares *q* are explained as ``q = Mᵀ p`` with ``M[i, j] = P(predicted j
    | true i)`` from the model's held-out evaluation; *p* is the
    least-squares solution, clipped at zero and renormalised.

Hand-coded sentences (one-hot probabilities, ``known``) enter every
estimator as they are; only predicted sentences are corrected.

Intervals (``interval``):

``dirichlet`` (default)
    Sampling: the report's profile drawn from the Dirichlet posterior of its
    label counts under a symmetric ``prior`` (default 1/K per category,
    Perks' prior: one pseudo-sentence in all, which for two categories is
    the Jeffreys prior), so a category with no sentences still gets an
    upper bound and a report all in one category a lower bound below 1.
    Classifier uncertainty: for ``probability`` each predicted sentence's
    label is drawn from its calibrated probabilities before the posterior
    draw; for ``adjusted`` the held-out confusion matrix is resampled
    (a bootstrap over the held-out sentences) in every draw.
``bootstrap``
    A percentile bootstrap over the report's sentences, with the same
    classifier uncertainty.  It collapses at zero like the old intervals.
``wilson``, ``jeffreys``
    One share at a time, from the count of sentences (``count`` only): the
    Wilson score interval and the Jeffreys interval (Brown, Cai & DasGupta
    2001), computed by :func:`statsmodels.stats.proportion.proportion_confint`.
    They ignore classifier error.

Examples
--------
>>> est = ClassifyAndCount(n_categories=3)
>>> result = est.estimate([0, 0, 0, 1])
>>> result.share.tolist()
[0.75, 0.25, 0.0]
>>> bool(result.high[2] > 0)  # no sentence of category 2, but not certainly none
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator

__all__ = [
    "DEFAULT_ESTIMATOR",
    "DEFAULT_INTERVAL",
    "ESTIMATORS",
    "ESTIMATOR_NAMES",
    "EXACT_MEDIAN_MAX",
    "INTERVALS",
    "INTERVAL_NAMES",
    "PANEL_ESTIMATOR",
    "AdjustedCount",
    "ClassifyAndCount",
    "ConfusionMatrix",
    "PosteriorMedian",
    "ProbabilisticAverage",
    "ShareEstimate",
    "ShareEstimator",
    "adjusted_shares",
    "dirichlet_intervals",
    "jeffreys_interval",
    "make_estimator",
    "poisson_binomial_median",
    "poisson_binomial_pmf",
    "wilson_interval",
]

ESTIMATORS = ("count", "probability", "median", "adjusted")
INTERVALS = ("dirichlet", "bootstrap", "wilson", "jeffreys")
#: Estimator of one report's shares: the lowest per-report error on held-out places (``attention_panel``).
DEFAULT_ESTIMATOR = "count"
#: Estimator for comparisons across reports (group means, the panel regression): the lowest error of group means.
PANEL_ESTIMATOR = "probability"
DEFAULT_INTERVAL = "dirichlet"
#: Names used in tables and figure captions.
ESTIMATOR_NAMES = {
    "count": "classify and count",
    "probability": "mean calibrated probability",
    "median": "posterior median count (calibrated probabilities)",
    "adjusted": "adjusted classify and count (held-out confusion matrix)",
}
INTERVAL_NAMES = {
    "dirichlet": "Dirichlet posterior over sentences",
    "bootstrap": "percentile bootstrap over sentences",
    "wilson": "Wilson score interval",
    "jeffreys": "Jeffreys interval",
}


def wilson_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``successes / n`` (vectorised).

    Examples
    --------
    >>> low, high = wilson_interval(0, 20)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0, 0.1611)
    """
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(np.asarray(successes, dtype=float), n, alpha=1 - level, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def jeffreys_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval: Beta(x + ½, n − x + ½) quantiles, with 0 (1) as the bound at x = 0 (x = n).

    Examples
    --------
    >>> low, high = jeffreys_interval(0, 20)
    >>> float(low), round(float(high), 4)
    (0.0, 0.1166)
    """
    from statsmodels.stats.proportion import proportion_confint

    successes = np.asarray(successes, dtype=float)
    low, high = proportion_confint(successes, n, alpha=1 - level, method="jeffreys")
    # Brown, Cai & DasGupta's (2001) convention: the bound at a boundary count is the boundary itself
    low = np.where(successes <= 0, 0.0, low)
    high = np.where(successes >= n, 1.0, high)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def dirichlet_intervals(counts, prior: float | None = None, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed intervals of each share under the posterior Dirichlet(counts + prior).

    Each share's marginal is Beta(cₖ + α, Σ(c + α) − cₖ − α), so the
    quantiles are exact; ``prior=None`` is α = 1/K.

    Examples
    --------
    >>> low, high = dirichlet_intervals([12, 0, 0])
    >>> bool(low[1] == 0 or low[1] < 1e-3), bool(0 < high[1] < 0.25)
    (True, True)
    """
    counts = np.asarray(counts, dtype=float)
    a = counts + (1.0 / len(counts) if prior is None else prior)
    b = a.sum() - a
    tail = (1 - level) / 2
    return stats.beta.ppf(tail, a, b), stats.beta.ppf(1 - tail, a, b)


def adjusted_shares(observed: Sequence[float], rates: np.ndarray) -> np.ndarray:
    """Forman's adjusted classify-and-count: solve ``rates.T @ p = observed``, clip at 0, renormalise.

    ``rates[i, j]`` is P(predicted j | true i).  When clipping leaves
    nothing (all negative) the observed shares are returned.

    Examples
    --------
    >>> rates = np.array([[0.8, 0.2], [0.1, 0.9]])
    >>> observed = rates.T @ np.array([0.3, 0.7])
    >>> adjusted_shares(observed, rates).round(6).tolist()
    [0.3, 0.7]
    """
    observed = np.asarray(observed, dtype=float)
    solution = np.linalg.lstsq(np.asarray(rates, dtype=float).T, observed, rcond=None)[0]
    solution = np.clip(solution, 0.0, None)
    total = solution.sum()
    return solution / total if total > 0 else observed


#: Reports up to this many sentences get the exact Poisson-binomial median; longer ones a refined normal one.
EXACT_MEDIAN_MAX = 4000


def poisson_binomial_pmf(p) -> np.ndarray:
    """Distribution of the number of successes of independent Bernoulli trials, one column per variable.

    Parameters
    ----------
    p : array of shape (n,) or (n, k)
        Success probability of each trial (of each of ``k`` variables).

    Returns
    -------
    ndarray of shape (n + 1,) or (n + 1, k)
        ``pmf[x]`` = P(x successes), by the exact recursion over trials.

    Examples
    --------
    >>> poisson_binomial_pmf([0.5, 0.5]).tolist()
    [0.25, 0.5, 0.25]
    """
    p = np.asarray(p, dtype=float)
    columns = p.reshape(len(p), -1)
    pmf = np.zeros((len(p) + 1, columns.shape[1]))
    pmf[0] = 1.0
    for i, q in enumerate(columns):
        pmf[1 : i + 2] = pmf[1 : i + 2] * (1 - q) + pmf[: i + 1] * q
        pmf[0] *= 1 - q
    return pmf[:, 0] if p.ndim == 1 else pmf


def poisson_binomial_median(p) -> np.ndarray:
    """The median count (smallest x with P(X ≤ x) ≥ ½) of each column of Poisson-binomial probabilities ``p``.

    Exact up to :data:`EXACT_MEDIAN_MAX` trials; beyond, the refined normal
    approximation (Volkova 1996), whose error is far below one trial there.

    Examples
    --------
    >>> poisson_binomial_median(np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8]])).tolist()
    [2, 1]
    """
    p = np.asarray(p, dtype=float).reshape(len(p), -1)
    if len(p) <= EXACT_MEDIAN_MAX:
        cdf = np.cumsum(poisson_binomial_pmf(p), axis=0)
        return (cdf < 0.5 - 1e-12).sum(axis=0)
    mean, var = p.sum(axis=0), (p * (1 - p)).sum(axis=0)
    sd = np.sqrt(np.maximum(var, 1e-12))
    skew = (p * (1 - p) * (1 - 2 * p)).sum(axis=0) / sd**3
    x = np.arange(len(p) + 1)[:, None]
    z = (x + 0.5 - mean) / sd
    cdf = stats.norm.cdf(z) + skew * (1 - z**2) * stats.norm.pdf(z) / 6
    return (cdf < 0.5).sum(axis=0)


@dataclass
class ConfusionMatrix:
    """Held-out confusion counts: rows are true categories, columns predicted ones.

    Examples
    --------
    >>> cm = ConfusionMatrix.from_predictions(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    >>> cm.rates().tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """

    counts: np.ndarray
    classes: list[str]

    @classmethod
    def from_predictions(cls, y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]) -> ConfusionMatrix:
        index = {c: i for i, c in enumerate(classes)}
        counts = np.zeros((len(classes), len(classes)))
        np.add.at(counts, ([index[t] for t in y_true], [index[p] for p in y_pred]), 1)
        return cls(counts, list(classes))

    @classmethod
    def from_card(cls, card: dict | None, classes: Sequence[str]) -> ConfusionMatrix | None:
        """The held-out confusion matrix a model card records (``heldout_metrics.confusion``), in ``classes`` order."""
        confusion = ((card or {}).get("heldout_metrics") or {}).get("confusion")
        if not confusion:
            return None
        labels, matrix = list(confusion["labels"]), np.asarray(confusion["matrix"], dtype=float)
        order = [labels.index(c) for c in classes]
        return cls(matrix[np.ix_(order, order)], list(classes))

    def rates(self) -> np.ndarray:
        """P(predicted j | true i); a category never seen held out keeps an identity row."""
        totals = self.counts.sum(axis=1, keepdims=True)
        rates = np.divide(self.counts, totals, out=np.eye(len(self.classes)), where=totals > 0)
        return rates

    def resample(self, rng: np.random.Generator) -> ConfusionMatrix:
        """A bootstrap replicate: the held-out sentences resampled with replacement (a multinomial on cells)."""
        total = int(np.rint(self.counts.sum()))
        flat = rng.multinomial(total, (self.counts / self.counts.sum()).ravel())
        return ConfusionMatrix(flat.reshape(self.counts.shape).astype(float), self.classes)


@dataclass
class ShareEstimate:
    """Shares of one report with their interval.

    Attributes
    ----------
    share, low, high : ndarray of shape (n_categories,)
    estimator, interval : str
    draws : ndarray of shape (n_draws, n_categories) or None
        Draws of the whole profile (for propagating uncertainty into a regression).
    """

    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    estimator: str
    interval: str
    draws: np.ndarray | None = None


class ShareEstimator(BaseEstimator):
    """Base class of the share estimators (scikit-learn style: parameters in ``__init__``, ``fit``, ``estimate``).

    Parameters
    ----------
    n_categories : int
        Number of categories (columns of ``proba``; label indices below it).
    interval : {"dirichlet", "bootstrap", "wilson", "jeffreys"}
    prior : float or None
        Symmetric Dirichlet prior per category for ``interval="dirichlet"``;
        ``None`` is 1 / ``n_categories`` (Perks).
    n_draws : int
        Draws of the profile for the interval.
    level : float
    seed : int
        Every :meth:`estimate` call starts its own generator from ``seed``: results are reproducible.
    keep_draws : bool
        Keep the profile draws in the result (``ShareEstimate.draws``).
    """

    name = "base"

    def __init__(
        self,
        n_categories: int = 9,
        interval: str = DEFAULT_INTERVAL,
        prior: float | None = None,
        n_draws: int = 1000,
        level: float = 0.95,
        seed: int = 0,
        keep_draws: bool = False,
    ):
        self.n_categories = n_categories
        self.interval = interval
        self.prior = prior
        self.n_draws = n_draws
        self.level = level
        self.seed = seed
        self.keep_draws = keep_draws

    def fit(self, y_true=None, y_pred=None):
        """Nothing to learn (the adjusted estimator learns its confusion matrix)."""
        return self

    # -- the estimator-specific parts ------------------------------------------------------------------------
    def _point(self, labels, proba, known, weights, rates) -> np.ndarray:
        raise NotImplementedError

    def _classifier_draw(self, labels, proba, known, rng) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels for one draw and the confusion rates to use (classifier uncertainty)."""
        return labels, None

    def _rates(self) -> np.ndarray | None:
        return None

    # -- shared ------------------------------------------------------------------------------------------------
    def estimate(self, labels, proba=None, known=None, weights=None) -> ShareEstimate:
        """Shares of one report and their interval.

        Parameters
        ----------
        labels : sequence of int
            Category index of every sentence (the predicted or hand-coded label).
        proba : ndarray of shape (n, n_categories), optional
            Calibrated probabilities (one-hot for hand-coded sentences); needed by ``probability``.
        known : sequence of bool, optional
            Sentences whose label is hand-coded (never corrected).
        weights : sequence of float, optional
            1 per sentence (default) or sentence lengths (character shares).
        """
        if self.interval not in INTERVALS:
            raise ValueError(f"unknown interval {self.interval!r}; choose from {', '.join(INTERVALS)}")
        labels = np.asarray(labels, dtype=int)
        n, k = len(labels), self.n_categories
        known = np.zeros(n, dtype=bool) if known is None else np.asarray(known, dtype=bool)
        weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        if proba is None:
            proba = np.eye(k)[labels] if n else np.zeros((0, k))
        proba = np.asarray(proba, dtype=float)
        if n == 0:
            zeros = np.zeros(k)
            return ShareEstimate(zeros, zeros, zeros, self.name, self.interval)
        point = self._point(labels, proba, known, weights, self._rates())
        if self.interval in ("wilson", "jeffreys"):
            if self.name != "count":
                raise ValueError(f"the {self.interval} interval is for the count estimator; use dirichlet or bootstrap")
            effective = weights / weights.sum() * n
            counts = np.bincount(labels, weights=effective, minlength=k)
            method = wilson_interval if self.interval == "wilson" else jeffreys_interval
            low, high = method(counts, n, self.level)
            return ShareEstimate(point, low, high, self.name, self.interval)
        draws = self._draws(labels, proba, known, weights)
        tail = (1 - self.level) / 2 * 100
        low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
        return ShareEstimate(point, low, high, self.name, self.interval, draws if self.keep_draws else None)

    def _draws(self, labels, proba, known, weights) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        n, k = len(labels), self.n_categories
        effective = weights / weights.sum() * n  # pseudo-counts in units of sentences
        draws = np.empty((self.n_draws, k))
        for b in range(self.n_draws):
            if self.interval == "bootstrap":
                idx = rng.integers(0, n, n)
                drawn, rates = self._classifier_draw(labels[idx], proba[idx], known[idx], rng)
                draws[b] = self._point(drawn, proba[idx], known[idx], weights[idx], rates)
                continue
            drawn, rates = self._classifier_draw(labels, proba, known, rng)
            draws[b] = self._posterior_draw(drawn, known, effective, rates, rng)
        return draws

    def _posterior_draw(self, labels, known, effective, rates, rng) -> np.ndarray:
        """One Dirichlet posterior draw of the profile; predicted sentences corrected with ``rates`` if given."""
        k = self.n_categories
        known_counts = np.bincount(labels[known], weights=effective[known], minlength=k)
        predicted_counts = np.bincount(labels[~known], weights=effective[~known], minlength=k)
        cells = [c for c, present in ((known_counts, known.any()), (predicted_counts, (~known).any())) if present]
        prior = 1.0 / k if self.prior is None else self.prior
        pi = rng.dirichlet(np.concatenate(cells) + prior / len(cells))
        if len(cells) == 2:
            known_part, predicted_part = pi[:k], pi[k:]
        elif known.any():
            known_part, predicted_part = pi, np.zeros(k)
        else:
            known_part, predicted_part = np.zeros(k), pi
        mass = predicted_part.sum()
        if rates is not None and mass > 0:
            predicted_part = mass * adjusted_shares(predicted_part / mass, rates)
        return known_part + predicted_part


class ClassifyAndCount(ShareEstimator):
    """The share of sentences with each (predicted or hand-coded) label.

    Examples
    --------
    >>> ClassifyAndCount(n_categories=2, interval="wilson").estimate([0, 0, 1, 1]).low.round(4).tolist()
    [0.15, 0.15]
    """

    name = "count"

    def _point(self, labels, proba, known, weights, rates) -> np.ndarray:
        totals = np.bincount(labels, weights=weights, minlength=self.n_categories)
        return totals / totals.sum()


class ProbabilisticAverage(ShareEstimator):
    """The weighted mean of the calibrated probabilities (hand-coded sentences one-hot).

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4]])
    >>> ProbabilisticAverage(n_categories=2).estimate([0, 0], proba).share.round(2).tolist()
    [0.75, 0.25]
    """

    name = "probability"

    def _point(self, labels, proba, known, weights, rates) -> np.ndarray:
        return weights @ proba / weights.sum()

    def _classifier_draw(self, labels, proba, known, rng):
        cumulative = np.cumsum(proba, axis=1)
        cumulative[:, -1] = 1.0
        drawn = (rng.random((len(labels), 1)) > cumulative).sum(axis=1)
        drawn = np.where(known, labels, np.minimum(drawn, self.n_categories - 1))
        return drawn, None

    def _draws(self, labels, proba, known, weights) -> np.ndarray:
        # a bootstrap draw counts the labels sampled from the resampled sentences' probabilities
        if self.interval != "bootstrap":
            return super()._draws(labels, proba, known, weights)
        rng = np.random.default_rng(self.seed)
        n = len(labels)
        draws = np.empty((self.n_draws, self.n_categories))
        for b in range(self.n_draws):
            idx = rng.integers(0, n, n)
            drawn, _ = self._classifier_draw(labels[idx], proba[idx], known[idx], rng)
            totals = np.bincount(drawn, weights=weights[idx], minlength=self.n_categories)
            draws[b] = totals / totals.sum()
        return draws


class PosteriorMedian(ProbabilisticAverage):
    """Per category, the posterior median of the report's count (Poisson-binomial of the calibrated probabilities).

    The estimator of one cell that minimises the expected absolute error
    when the probabilities are calibrated and the labels independent.
    Character shares (``weights``) take the median of ``n_draws`` weighted
    label draws.  Intervals are those of :class:`ProbabilisticAverage`.

    Examples
    --------
    >>> proba = np.array([[0.95, 0.05], [0.95, 0.05], [0.7, 0.3]])
    >>> PosteriorMedian(n_categories=2).estimate([0, 0, 0], proba).share.round(3).tolist()
    [1.0, 0.0]
    >>> ProbabilisticAverage(n_categories=2).estimate([0, 0, 0], proba).share.round(3).tolist()
    [0.867, 0.133]
    """

    name = "median"

    def _point(self, labels, proba, known, weights, rates) -> np.ndarray:
        proba = np.where(known[:, None], np.eye(self.n_categories)[labels], proba)
        if np.allclose(weights, weights[0]):
            return poisson_binomial_median(proba) / len(labels)
        rng = np.random.default_rng(self.seed)
        draws = np.empty((self.n_draws, self.n_categories))
        for b in range(self.n_draws):
            drawn, _ = self._classifier_draw(labels, proba, known, rng)
            draws[b] = np.bincount(drawn, weights=weights, minlength=self.n_categories) / weights.sum()
        return np.median(draws, axis=0)


class AdjustedCount(ShareEstimator):
    """Adjusted classify and count with the held-out confusion matrix (Forman 2008), clipped and renormalised.

    Parameters
    ----------
    confusion : ConfusionMatrix, optional
        Held-out confusion counts; or learn them with :meth:`fit`.
    n_categories, interval, prior, n_draws, level, seed, keep_draws
        As :class:`ShareEstimator`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rates = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> y_true = rng.choice(2, 5000)
    >>> y_pred = np.array([rng.choice(2, p=rates[t]) for t in y_true])
    >>> est = AdjustedCount(n_categories=2).fit(y_true, y_pred)
    >>> report = np.array([rng.choice(2, p=rates[t]) for t in [0] * 600 + [1] * 400])
    >>> est.estimate(report).share.round(1).tolist()
    [0.6, 0.4]
    """

    name = "adjusted"

    def __init__(
        self,
        confusion: ConfusionMatrix | None = None,
        n_categories: int = 9,
        interval: str = DEFAULT_INTERVAL,
        prior: float | None = None,
        n_draws: int = 1000,
        level: float = 0.95,
        seed: int = 0,
        keep_draws: bool = False,
    ):
        # every parameter spelled out: scikit-learn's get_params, clone and set_params read the signature
        super().__init__(n_categories, interval, prior, n_draws, level, seed, keep_draws)
        self.confusion = confusion

    def fit(self, y_true=None, y_pred=None):
        """Learn the confusion matrix from held-out true and predicted category indices."""
        if y_true is not None:
            classes = list(range(self.n_categories))
            self.confusion_ = ConfusionMatrix.from_predictions(list(y_true), list(y_pred), classes)
        else:
            self.confusion_ = self.confusion
        if self.confusion_ is None:
            raise ValueError("the adjusted estimator needs a held-out confusion matrix")
        return self

    def _matrix(self) -> ConfusionMatrix:
        matrix = getattr(self, "confusion_", None) or self.confusion
        if matrix is None:
            raise ValueError("the adjusted estimator needs a held-out confusion matrix")
        return matrix

    def _rates(self) -> np.ndarray:
        return self._matrix().rates()

    def _point(self, labels, proba, known, weights, rates) -> np.ndarray:
        k = self.n_categories
        known_totals = np.bincount(labels[known], weights=weights[known], minlength=k)
        predicted_totals = np.bincount(labels[~known], weights=weights[~known], minlength=k)
        mass = predicted_totals.sum()
        if mass > 0:
            predicted_totals = mass * adjusted_shares(predicted_totals / mass, rates)
        totals = known_totals + predicted_totals
        return totals / totals.sum()

    def _classifier_draw(self, labels, proba, known, rng):
        return labels, self._matrix().resample(rng).rates()


def make_estimator(name: str, confusion: ConfusionMatrix | None = None, **params) -> ShareEstimator:
    """A share estimator by name (``count``, ``probability``, ``median``, ``adjusted``).

    Examples
    --------
    >>> make_estimator("probability", interval="bootstrap", n_draws=200)
    ProbabilisticAverage(interval='bootstrap', n_draws=200)
    """
    if name == "count":
        return ClassifyAndCount(**params)
    if name == "probability":
        return ProbabilisticAverage(**params)
    if name == "median":
        return PosteriorMedian(**params)
    if name == "adjusted":
        return AdjustedCount(confusion=confusion, **params)
    raise ValueError(f"unknown estimator {name!r}; choose from {', '.join(ESTIMATORS)}")
