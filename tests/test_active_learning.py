"""The active-learning experiment on a tiny configuration, and its pieces."""

import json
import math

import numpy as np
import pytest
from sklearn.metrics import f1_score

from nlp.classify.active_learning import first_reaching, macro_f1_codes, place_folds
from nlp.experiments import EXPERIMENTS, run_experiment

from .helpers import ROOT


def test_fast_macro_f1_equals_sklearn_over_present_classes():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 6, 300), rng.integers(0, 5, 300)
    assert macro_f1_codes(y, p, 9) == pytest.approx(f1_score(y, p, average="macro"))


def test_places_stay_together_and_folds_are_balanced():
    groups = np.array([f"p{k % 13}" for k in range(400)])
    folds = place_folds(groups, 3, seed=1)
    for place in set(groups):
        assert len(set(folds[groups == place])) == 1
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 40
    assert not np.array_equal(folds, place_folds(groups, 3, seed=2))


def test_first_reaching():
    labels = np.array([0, 25, 50])
    assert first_reaching(np.array([0.7, 0.86, 0.84]), labels, 0.85) == 25
    assert math.isinf(first_reaching(np.array([0.7, 0.8, 0.84]), labels, 0.85))


@pytest.mark.slow
def test_tiny_run_writes_curves_and_labels_needed(tmp_path):
    assert "active_learning" in EXPERIMENTS
    config = tmp_path / "al.toml"
    config.write_text(
        "\n".join(
            [
                f'reports = "{ROOT / "seeds"}"',
                f'labels = "{ROOT / "seeds" / "labels.csv"}"',
                f'external = "{ROOT / "seeds" / "external" / "raw"}"',
                f'external_labels = "{ROOT / "seeds" / "external" / "labels.csv"}"',
                "seeds = [0]",
                "folds = 2",
                "rounds = 2",
                "batch = 10",
                "n_bootstrap = 20",
                "n_jobs = 2",
            ]
        ),
        encoding="utf-8",
    )
    metrics = run_experiment("active_learning", config, tmp_path / "results", progress=False)
    out = tmp_path / "results" / "active_learning"
    for name in ("metrics.json", "learning_curves.csv", "labels_needed.md", "comparison.csv", "learning_curves.png"):
        assert (out / name).is_file(), name
    curves = metrics["curves"]
    assert [r["labels"] for r in curves["random"]] == [0, 10, 20]
    assert curves["random"][0]["macro_f1"] == curves["uncertainty"][0]["macro_f1"]  # same seed model
    for row in curves["uncertainty"]:
        assert row["ci95_reports_low"] <= row["macro_f1"] <= row["ci95_reports_high"]
    assert {(n["strategy"], n["target"]) for n in metrics["labels_needed"]} >= {("random", 0.85), ("uncertainty", 0.9)}
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == metrics
