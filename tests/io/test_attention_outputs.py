"""Share-error outputs: tables per kind of report, the calibrated bound, figures naming their estimators."""

import csv

from nlp.analysis.quantify import ESTIMATORS
from nlp.analysis.share_error import (
    calibrated_bound,
    count_dispersion,
    estimate_reports,
    interval_coverage,
    share_error,
)
from nlp.io.attention_outputs import write_share_error_outputs
from nlp.io.results import ResultsDir
from tests.analysis.test_share_error import CATEGORIES, world


def test_share_error_outputs_hold_every_kind_estimator_and_the_bound(tmp_path):
    held = world([12] * 8 + [100] * 2, seed=8)
    estimates = estimate_reports(held, 3, n_draws=20)
    error = share_error(held, estimates, CATEGORIES, n_bootstrap=40)
    bound = calibrated_bound(held, estimates, n_bootstrap=40)
    with ResultsDir("exp", root=tmp_path) as out:
        coverage = interval_coverage(held, estimates)
        write_share_error_outputs(out, error, coverage, CATEGORIES, bound, count_dispersion(held, n_bootstrap=40))
    folder = tmp_path / "exp"
    with open(folder / "share_error.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["reports"], r["estimator"], r["error_of"]) for r in rows} == {
        (kind, name, level)
        for kind in ("all", "excerpt", "whole")
        for name in ESTIMATORS
        for level in ("per_report", "group_mean")
    }
    with open(folder / "calibrated_bound.csv", encoding="utf-8-sig") as fh:
        bound_rows = list(csv.DictReader(fh))
    assert {"per_report_low", "ratio_to_count_high"} <= set(bound_rows[0])
    assert len(bound_rows) == 3 * len(ESTIMATORS)
    for level in ("per_report", "group_mean"):
        for suffix in ("", "_excerpt", "_whole"):
            assert (folder / f"share_error_{level}{suffix}.png").exists()
    text = (folder / "share_error.md").read_text(encoding="utf-8")
    assert "posterior median" in text and "Dispersion of the hand-coded counts" in text
