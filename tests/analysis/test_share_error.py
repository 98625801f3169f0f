"""Share-error evaluation: held-out reports, place bootstrap, errors per kind, the calibrated bound."""

from types import SimpleNamespace

import numpy as np
import pytest

from nlp.analysis.quantify import ESTIMATORS
from nlp.analysis.share_error import (
    KIND_NAMES,
    calibrated_bound,
    count_dispersion,
    estimate_reports,
    expected_abs_error,
    held_out_reports,
    interval_coverage,
    place_samples,
    share_error,
    share_error_markdown,
)

CATEGORIES = ["a", "b", "c"]


def fake_reports(sizes):
    return [SimpleNamespace(report_id=f"r{i}", sentences=[None] * n) for i, n in enumerate(sizes)]


def world(sizes, seed=0, alpha=(0.4, 0.4, 0.4), perfect=False):
    """Held-out reports whose hand labels are drawn from their calibrated probabilities (or are the argmax)."""
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    proba = rng.dirichlet(alpha, size=n)
    truth = proba.argmax(axis=1) if perfect else np.array([rng.choice(3, p=row) for row in proba])
    hand = [CATEGORIES[t] for t in truth]
    report_of = np.repeat(np.arange(len(sizes)), sizes)
    groups = [f"place{r // 2}" for r in report_of]  # two reports per place
    folds = [(r // 2) % 3 for r in report_of]
    return held_out_reports(fake_reports(sizes), hand, proba, groups, folds, CATEGORIES, whole_min=40)


def test_held_out_reports_cut_by_report_with_the_other_folds_confusion_and_kinds():
    held = world([12, 12, 100, 12, 12, 12])
    assert [r.kind for r in held] == ["excerpt", "excerpt", "whole", "excerpt", "excerpt", "excerpt"]
    assert [len(r.labels) for r in held] == [12, 12, 100, 12, 12, 12]
    assert all(np.isclose(r.truth.sum(), 1.0) for r in held)
    # report 0 is in fold 0 (with report 1); its confusion counts only the sentences of folds 1 and 2
    assert held[0].confusion.counts.sum() == 100 + 12 + 12 + 12
    assert held[2].confusion.counts.sum() == 12 + 12 + 12 + 12


def test_place_samples_resample_whole_places():
    groups = ["x", "x", "y", "z", "z", "z"]
    for sample in place_samples(groups, 50, seed=1):
        counts = np.bincount(sample, minlength=6)
        assert counts[0] == counts[1] and counts[3] == counts[4] == counts[5]
    assert [s.tolist() for s in place_samples(groups, 5, 2)] == [s.tolist() for s in place_samples(groups, 5, 2)]


def test_expected_abs_error_matches_simulation():
    rng = np.random.default_rng(4)
    proba = rng.dirichlet(np.ones(3), size=10)
    point = np.array([0.5, 0.3, 0.2])
    drawn = np.array([[rng.choice(3, p=row) for row in proba] for _ in range(4000)])
    shares = np.stack([np.bincount(d, minlength=3) / 10 for d in drawn])
    assert np.allclose(expected_abs_error(proba, point), np.abs(shares - point).mean(axis=0), atol=0.01)


@pytest.fixture(scope="module")
def evaluated():
    held = world([12] * 16 + [100] * 4, seed=5)
    estimates = estimate_reports(held, 3, n_draws=50)
    return held, estimates


def test_share_error_gives_every_estimator_for_all_reports_and_per_kind(evaluated):
    held, estimates = evaluated
    error = share_error(held, estimates, CATEGORIES, n_bootstrap=200)
    assert error["n_reports"] == {"all": 20, "excerpt": 16, "whole": 4}
    assert set(error["estimators"]) == set(ESTIMATORS) and set(error["by_kind"]) == {"excerpt", "whole"}
    for table in (error["estimators"], *error["by_kind"].values()):
        count = table["count"]["per_report"]
        assert count["ci95"]["a"][0] <= count["ci95"]["a"][1]
        assert table["count"]["ratio_to_count"] == 1.0
    # the whole reports' errors are their own, not those of all reports
    whole = error["by_kind"]["whole"]["count"]["per_report"]["all"]
    excerpt = error["by_kind"]["excerpt"]["count"]["per_report"]["all"]
    assert whole < excerpt and error["estimators"]["count"]["per_report"]["all"] == pytest.approx(
        (4 * whole + 16 * excerpt) / 20, abs=1e-3
    )


def test_perfect_predictions_have_no_count_error():
    held = world([12] * 6, seed=6, perfect=True)
    error = share_error(held, estimate_reports(held, 3, n_draws=20), CATEGORIES, n_bootstrap=50)
    assert error["estimators"]["count"]["per_report"]["all"] == 0
    assert error["estimators"]["probability"]["per_report"]["all"] > 0
    assert error["estimators"]["count"]["ratio_to_count"] is None  # 0 / 0: no ratio, not a crash
    moves = error["estimators"]["probability"]["cells_vs_count"]
    assert moves["cells"] == 18 and moves["differ"] == moves["further"] > 0 and moves["closer"] == 0


def test_calibrated_bound_puts_the_median_lowest(evaluated):
    held, estimates = evaluated
    bound = calibrated_bound(held, estimates, n_bootstrap=100)
    for kind in ("all", "excerpt", "whole"):
        rows = bound[kind]
        assert rows["median"]["per_report"] == min(r["per_report"] for r in rows.values())
        assert rows["median"]["ratio_to_count"] < 1
        low, high = rows["median"]["ratio_to_count_ci95"]
        assert low <= high


def test_interval_coverage_and_markdown_name_every_estimator_and_kind(evaluated):
    held, estimates = evaluated
    rare = world([12] * 6, seed=7, alpha=(1.0, 1.0, 0.02))  # category c is rarely predicted
    rows = interval_coverage(rare, estimate_reports(rare, 3, n_draws=50))
    bootstrap = next(r for r in rows if r["estimator"] == "count" and r["interval"] == "bootstrap")
    dirichlet = next(r for r in rows if r["estimator"] == "count" and r["interval"] == "dirichlet")
    assert dirichlet["collapsed"] == 0 and bootstrap["collapsed"] > 0
    assert all(0 <= r["coverage"] <= 1 for r in rows)
    error = share_error(held, estimates, CATEGORIES, n_bootstrap=50)
    text = share_error_markdown(error, CATEGORIES, calibrated_bound(held, estimates, n_bootstrap=50))
    for name in ESTIMATORS:
        assert f"| {name} |" in text
    for kind in KIND_NAMES.values():
        assert kind in text
    assert "calibrated world" in text


def test_count_dispersion_is_near_one_for_calibrated_labels_and_above_for_clustered_errors():
    calibrated = count_dispersion(world([12] * 40, seed=9), n_bootstrap=200)
    assert 0.7 < calibrated["all"]["ratio"] < 1.3
    assert calibrated["all"]["ci95"][0] < 1 < calibrated["all"]["ci95"][1]
    # every report's ambiguous sentences all go one way: the same scores, clustered labels
    rng = np.random.default_rng(10)
    proba = np.tile([0.6, 0.3, 0.1], (12 * 40, 1))
    hand = [CATEGORIES[t] for t in np.repeat(rng.choice(3, 40, p=[0.6, 0.3, 0.1]), 12)]
    groups = [f"p{i // 24}" for i in range(12 * 40)]
    clustered = held_out_reports(fake_reports([12] * 40), hand, proba, groups, [0] * len(hand), CATEGORIES)
    assert count_dispersion(clustered, n_bootstrap=50)["all"]["ratio"] > 5
