"""Share estimators: known shares recovered, intervals against published values, no collapse at zero."""

import numpy as np
import pytest
from scipy import stats

from nlp.analysis.quantify import (
    AdjustedCount,
    ClassifyAndCount,
    ConfusionMatrix,
    PosteriorMedian,
    ProbabilisticAverage,
    adjusted_shares,
    dirichlet_intervals,
    jeffreys_interval,
    make_estimator,
    poisson_binomial_median,
    poisson_binomial_pmf,
    wilson_interval,
)

RATES = np.array(
    [
        [0.80, 0.15, 0.05],
        [0.10, 0.70, 0.20],
        [0.05, 0.25, 0.70],
    ]
)


def simulate(true_labels, rates, rng):
    return np.array([rng.choice(len(rates), p=rates[t]) for t in true_labels])


def test_adjusted_count_recovers_known_shares_that_counting_misses():
    rng = np.random.default_rng(0)
    held_true = rng.choice(3, 6000)
    estimator = AdjustedCount(n_categories=3, n_draws=200).fit(held_true, simulate(held_true, RATES, rng))
    truth = np.array([0.6, 0.3, 0.1])
    report_true = np.repeat([0, 1, 2], (truth * 4000).astype(int))
    predicted = simulate(report_true, RATES, rng)
    adjusted = estimator.estimate(predicted)
    counted = ClassifyAndCount(n_categories=3, n_draws=200).estimate(predicted)
    assert np.abs(adjusted.share - truth).max() < 0.02
    assert np.abs(counted.share - truth).max() > 0.08  # what the correction is for
    assert np.all(adjusted.low <= truth) and np.all(truth <= adjusted.high)
    assert np.isclose(adjusted.share.sum(), 1.0)


def test_adjusted_shares_clip_and_renormalise():
    exact = adjusted_shares(RATES.T @ np.array([0.5, 0.5, 0.0]), RATES)
    assert np.allclose(exact, [0.5, 0.5, 0.0], atol=1e-9)
    # observed shares impossible under the rates: the solution has a negative part, clipped away
    clipped = adjusted_shares([0.0, 0.5, 0.5], RATES)
    assert clipped.min() >= 0 and np.isclose(clipped.sum(), 1.0) and clipped[0] == 0


def test_confusion_matrix_rates_resample_and_card_order():
    cm = ConfusionMatrix(np.array([[8.0, 2.0], [0.0, 0.0]]), ["a", "b"])
    assert cm.rates().tolist() == [[0.8, 0.2], [0.0, 1.0]]  # a class never held out keeps an identity row
    replicate = cm.resample(np.random.default_rng(1))
    assert replicate.counts.sum() == 10 and replicate.counts[1].sum() == 0
    card = {"heldout_metrics": {"confusion": {"labels": ["b", "a"], "matrix": [[3, 1], [2, 4]]}}}
    assert ConfusionMatrix.from_card(card, ["a", "b"]).counts.tolist() == [[4, 2], [1, 3]]
    assert ConfusionMatrix.from_card({}, ["a", "b"]) is None


def test_probability_estimator_is_the_mean_probability_and_unbiased_when_calibrated():
    rng = np.random.default_rng(3)
    proba = rng.dirichlet([1, 1, 1], size=3000)
    truth = np.array([rng.choice(3, p=p) for p in proba])
    estimate = ProbabilisticAverage(n_categories=3, n_draws=300).estimate(proba.argmax(axis=1), proba)
    assert np.allclose(estimate.share, proba.mean(axis=0))
    observed = np.bincount(truth, minlength=3) / len(truth)
    assert np.abs(estimate.share - observed).max() < 0.02
    assert np.all(estimate.low <= observed) and np.all(observed <= estimate.high)


def test_wilson_matches_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:857, Table II, method 3 (score interval without correction)
    low, high = wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    assert np.round(low, 4).tolist() == [0.2553, 0.0624, 0.0, 0.0061]
    assert np.round(high, 4).tolist() == [0.3662, 0.1605, 0.1611, 0.1718]


def test_jeffreys_is_the_beta_half_interval_with_brown_cai_dasgupta_boundaries():
    x, n = np.array([0, 1, 81, 20]), np.array([20, 29, 263, 20])
    low, high = jeffreys_interval(x, n)
    expected_low = stats.beta.ppf(0.025, x + 0.5, n - x + 0.5)
    expected_high = stats.beta.ppf(0.975, x + 0.5, n - x + 0.5)
    assert np.allclose(low[1:3], expected_low[1:3]) and np.allclose(high[:3], expected_high[:3])
    assert low[0] == 0.0 and high[3] == 1.0
    assert round(float(high[0]), 4) == 0.1166  # the 97.5% quantile of Beta(0.5, 20.5)


def test_no_interval_collapses_at_zero_except_the_bootstrap():
    labels = np.array([0] * 9 + [1] * 3)  # a 12-sentence excerpt, category 2 never predicted
    for name in ("wilson", "jeffreys", "dirichlet"):
        result = ClassifyAndCount(n_categories=3, interval=name, n_draws=500).estimate(labels)
        assert result.high[2] > 0.05, name
        assert result.low[0] <= result.share[0] <= result.high[0]
    boot = ClassifyAndCount(n_categories=3, interval="bootstrap", n_draws=500).estimate(labels)
    assert boot.low[2] == boot.high[2] == 0.0
    low, high = dirichlet_intervals([12, 0, 0])
    assert high[1] > 0 and low[0] < 1 and high[0] > 0.99


def test_estimates_are_deterministic_and_keep_draws_on_request():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([2, 1, 1], size=30)
    est = make_estimator("probability", n_categories=3, n_draws=100, keep_draws=True, seed=4)
    first, second = est.estimate(proba.argmax(1), proba), est.estimate(proba.argmax(1), proba)
    assert np.array_equal(first.low, second.low) and first.draws.shape == (100, 3)
    assert np.allclose(first.draws.sum(axis=1), 1.0)


def test_hand_coded_sentences_are_never_corrected():
    cm = ConfusionMatrix(np.array([[50.0, 50.0], [0.0, 100.0]]), ["a", "b"])
    est = AdjustedCount(confusion=cm, n_categories=2, n_draws=50).fit()
    all_known = est.estimate([0, 0, 1], known=[True, True, True])
    assert np.allclose(all_known.share, [2 / 3, 1 / 3])
    mixed = est.estimate([0, 1, 1, 1], known=[True, False, False, False])
    # predicted part: q = (0, 1) under rates [[.5,.5],[0,1]] -> all b; plus the one hand-coded a
    assert np.allclose(mixed.share, [0.25, 0.75])


def test_misuse_is_reported():
    with pytest.raises(ValueError, match="confusion"):
        AdjustedCount(n_categories=2).estimate([0, 1])
    with pytest.raises(ValueError, match="count estimator"):
        ProbabilisticAverage(n_categories=2, interval="wilson").estimate([0, 1])
    with pytest.raises(ValueError, match="unknown estimator"):
        make_estimator("mode")
    with pytest.raises(ValueError, match="count estimator"):
        make_estimator("median", n_categories=2, interval="jeffreys").estimate([0, 1], np.eye(2))


def test_poisson_binomial_pmf_is_the_binomial_for_equal_probabilities_and_sums_to_one():
    pmf = poisson_binomial_pmf(np.full(12, 0.3))
    assert np.allclose(pmf, stats.binom.pmf(np.arange(13), 12, 0.3))
    columns = poisson_binomial_pmf(np.random.default_rng(0).random((30, 4)))
    assert columns.shape == (31, 4) and np.allclose(columns.sum(axis=0), 1.0)


def test_poisson_binomial_median_minimises_expected_absolute_error():
    rng = np.random.default_rng(1)
    for _ in range(20):
        p = rng.random(9) ** 3
        pmf = poisson_binomial_pmf(p)
        loss = [pmf @ np.abs(np.arange(10) - a) for a in range(10)]
        assert loss[int(poisson_binomial_median(p)[0])] == pytest.approx(min(loss))


def test_poisson_binomial_median_approximation_agrees_with_the_exact_one(monkeypatch):
    import nlp.analysis.quantify as quantify

    p = np.random.default_rng(2).dirichlet(np.full(6, 0.3), size=600)
    exact = poisson_binomial_median(p)
    monkeypatch.setattr(quantify, "EXACT_MEDIAN_MAX", 100)
    assert np.abs(poisson_binomial_median(p) - exact).max() <= 1
    assert (poisson_binomial_median(p) == exact).mean() >= 5 / 6


def test_median_keeps_absent_categories_at_zero_where_the_mean_spreads_mass():
    proba = np.tile([0.9, 0.05, 0.05], (12, 1))
    median = PosteriorMedian(n_categories=3).estimate(np.zeros(12, int), proba)
    mean = ProbabilisticAverage(n_categories=3).estimate(np.zeros(12, int), proba)
    assert median.share.tolist() == [11 / 12, 0.0, 0.0]
    assert mean.share[1] == pytest.approx(0.05)
    assert median.high[1] > 0  # zero, but not certainly zero
    assert np.allclose(median.low, mean.low) and np.allclose(median.high, mean.high)  # the same posterior


def test_median_has_the_lowest_per_cell_absolute_error_when_probabilities_are_calibrated():
    rng = np.random.default_rng(3)
    errors = {"count": [], "probability": [], "median": []}
    for _ in range(300):
        proba = rng.dirichlet(np.full(5, 0.4), size=12)
        truth = np.array([rng.choice(5, p=row) for row in proba])
        share = np.bincount(truth, minlength=5) / 12
        labels = proba.argmax(axis=1)
        for name in errors:
            estimate = make_estimator(name, n_categories=5, n_draws=10).estimate(labels, proba)
            errors[name].append(np.abs(estimate.share - share).mean())
    assert np.mean(errors["median"]) < np.mean(errors["count"])
    assert np.mean(errors["median"]) < np.mean(errors["probability"])


def test_median_takes_hand_coded_sentences_as_they_are_and_weights_by_draws():
    proba = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]])
    known = PosteriorMedian(n_categories=2).estimate([1, 1, 0], proba, known=[True, True, False])
    assert known.share.tolist() == [1 / 3, 2 / 3]
    weighted = PosteriorMedian(n_categories=2, n_draws=400).estimate([0, 0, 0], proba, weights=[1, 1, 10])
    assert weighted.share[0] == pytest.approx(10 / 12, abs=0.1)
    again = PosteriorMedian(n_categories=2, n_draws=400).estimate([0, 0, 0], proba, weights=[1, 1, 10])
    assert np.array_equal(weighted.share, again.share)
