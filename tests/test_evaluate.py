import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score

from nlp.evaluate import bootstrap_interval, leave_one_report_out, summarize


class Memorizer(ClassifierMixin, BaseEstimator):
    """Predicts 'seen' for sentences it was trained on, 'unseen' otherwise."""

    def __init__(self, knob=0):
        self.knob = knob

    def fit(self, X, y):
        self.seen_ = set(X)
        self.classes_ = np.array(["seen", "unseen"])
        return self

    def predict(self, X):
        return np.array(["seen" if x in self.seen_ else "unseen" for x in X])


def test_held_out_report_is_never_trained_on():
    X = [f"r{g}-{i}" for g in range(3) for i in range(4)]
    groups = [x.split("-")[0] for x in X]
    y = ["unseen"] * len(X)
    result = leave_one_report_out(Memorizer(), X, y, groups)
    assert result.y_pred.tolist() == y
    assert [f["report"] for f in result.folds] == ["r0", "r1", "r2"]


@pytest.mark.filterwarnings("ignore")  # one-class folds make sklearn warn about undefined scores
def test_nested_search_sees_only_training_reports():
    X = [f"r{g}-{i}" for g in range(3) for i in range(4)]
    groups = [x.split("-")[0] for x in X]
    y = ["unseen"] * len(X)
    result = leave_one_report_out(Memorizer(), X, y, groups, param_grid={"knob": [0, 1]})
    assert result.y_pred.tolist() == y
    assert all(f["best_params"] == {"knob": 0} for f in result.folds)


def test_training_labels_may_differ_from_evaluation_labels():
    X = [f"r{g}-{i}" for g in range(2) for i in range(3)]
    groups = [x.split("-")[0] for x in X]
    result = leave_one_report_out(Memorizer(), X, ["a"] * 6, groups, y_train=["seen"] * 6)
    assert result.folds[0]["accuracy"] == 0.0


def test_bootstrap_interval_is_reproducible_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    y_true = rng.choice(["a", "b", "c"], 300)
    y_pred = np.where(rng.random(300) < 0.8, y_true, "a")
    first = bootstrap_interval(y_true, y_pred, accuracy_score, seed=3)
    assert first == bootstrap_interval(y_true, y_pred, accuracy_score, seed=3)
    assert first[0] < accuracy_score(y_true, y_pred) < first[1]


def test_summary_has_per_class_scores_and_confusion():
    summary = summarize(["a", "a", "b", "c"], ["a", "b", "b", "c"], ["a", "b", "c", "d"], n_boot=50)
    assert summary["per_class"]["a"]["recall"] == 0.5
    assert summary["per_class"]["d"]["support"] == 0
    assert summary["confusion"]["matrix"][0] == [1, 1, 0, 0]
    assert 0 <= summary["macro_f1_ci95"][0] <= summary["macro_f1_ci95"][1] <= 1
