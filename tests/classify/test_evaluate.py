import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score

from nlp.classify.evaluate import (
    bootstrap_interval,
    cluster_bootstrap_interval,
    expected_calibration_error,
    fit_temperature,
    grouped_evaluation,
    learning_curve,
    leave_one_report_out,
    place_groups,
    reliability_table,
    review_threshold,
    summarize,
)
from nlp.classify.model import temper


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


# --- held-out places, document-level intervals, calibration ----------------------------------------------------


class GroupSpy(ClassifierMixin, BaseEstimator):
    """Remembers the groups (text prefixes) it was trained on; predicts a constant with fixed probabilities."""

    def __init__(self, C=1.0, temperature=1.0):
        self.C = C
        self.temperature = temperature

    def fit(self, X, y):
        self.trained_on_ = sorted({x.split("-")[0] for x in X})
        self.classes_ = np.array(sorted(set(y)))
        return self

    def predict_proba(self, X):
        # C=10 is "better": it gives class "a" more weight, and "a" is the true class of most sentences
        weight = 0.9 if self.C == 10.0 else 0.4
        base = np.tile([weight] + [(1 - weight) / (len(self.classes_) - 1)] * (len(self.classes_) - 1), (len(X), 1))
        return base

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _places(n_places=6, per_place=10):
    X = [f"p{p}-{i}" for p in range(n_places) for i in range(per_place)]
    groups = [x.split("-")[0] for x in X]
    y = ["a" if i % 5 else "b" for _ in range(n_places) for i in range(per_place)]
    return X, y, groups


def test_grouped_evaluation_never_trains_on_a_held_out_place(monkeypatch):
    X, y, groups = _places()
    trained = []
    original = GroupSpy.fit

    def spy_fit(self, X, y):
        trained.append(sorted({x.split("-")[0] for x in X}))
        return original(self, X, y)

    monkeypatch.setattr(GroupSpy, "fit", spy_fit)
    result = grouped_evaluation(GroupSpy(), X, y, groups, param_grid={"C": [1.0, 10.0]}, inner_splits=2, calibrate=True)
    assert [f["groups"] for f in result.folds] == [[f"p{p}"] for p in range(6)]
    assert all(f["best_params"] == {"C": 10.0} for f in result.folds)
    # every fit in fold k (inner folds, final refit) saw only the other five places
    per_fold = len(trained) // 6
    for k in range(6):
        assert all(f"p{k}" not in fit for fit in trained[k * per_fold : (k + 1) * per_fold])
    assert result.proba.shape == (60, 2) and np.allclose(result.proba.sum(axis=1), 1)


def test_grouped_evaluation_with_a_training_mask_only_trains_on_allowed_sentences():
    X, y, groups = _places()
    mask = [g in ("p0", "p1") for g in groups]
    result = grouped_evaluation(GroupSpy(), X, y, groups, outer_splits=3, train_mask=mask)
    assert len(result.folds) == 3 and sum(f["n"] for f in result.folds) == 60


def test_temperature_is_learnt_on_held_out_groups_and_softens_overconfidence():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b"], size=400, p=[0.7, 0.3])
    # over-confident scores: always 0.99 for "a", right only 70% of the time
    proba = np.tile([0.99, 0.01], (400, 1))
    temperature = fit_temperature(y, proba, ["a", "b"])
    assert temperature > 2
    calibrated = temper(proba, temperature)
    assert abs(calibrated[0, 0] - np.mean(y == "a")) < 0.01  # the score now says how often "a" is right
    assert expected_calibration_error(y, calibrated, ["a", "b"]) < expected_calibration_error(y, proba, ["a", "b"])


def test_ece_and_reliability_bins():
    proba = np.array([[0.95, 0.05]] * 10 + [[0.55, 0.45]] * 10)
    y = ["a"] * 10 + ["a"] * 5 + ["b"] * 5
    rows = reliability_table(y, proba, ["a", "b"])
    assert [r["n"] for r in rows if r["n"]] == [10, 10]
    assert rows[9]["accuracy"] == 1.0 and rows[5]["accuracy"] == 0.5
    assert expected_calibration_error(y, proba, ["a", "b"]) == pytest.approx((10 * 0.05 + 10 * 0.05) / 20)
    assert review_threshold(y, proba, ["a", "b"], target_accuracy=0.9) == 0.6


def test_document_bootstrap_is_wider_than_the_sentence_bootstrap_when_errors_cluster():
    # two reports are all wrong, eight all right: sentences are not independent
    y = ["a"] * 100
    pred = ["b"] * 20 + ["a"] * 80
    groups = [f"r{i // 10}" for i in range(100)]
    sentence_low, sentence_high = bootstrap_interval(y, pred, accuracy_score)
    report_low, report_high = cluster_bootstrap_interval(y, pred, groups, accuracy_score)
    assert report_high - report_low > 1.5 * (sentence_high - sentence_low)


def test_learning_curve_rows():
    X, y, groups = _places(n_places=8)
    rows = learning_curve(GroupSpy(C=10.0), X, y, groups, groups, sizes=[2, 4], n_splits=2, repeats=2)
    assert [r["reports"] for r in rows] == [2, 4] and all(r["fits"] == 4 for r in rows)
    assert all(r["low"] <= r["macro_f1"] <= r["high"] for r in rows)


def test_place_groups_use_county_then_place():
    from nlp.text.corpus import load_corpus
    from tests.helpers import ROOT

    external = ROOT / "seeds" / "external" / "raw"
    reports = load_corpus([external / "031_panyu.txt", external / "033_shiqiao.txt", external / "025_shenjiamen.txt"])
    assert place_groups(reports) == ["番禺区", "番禺区", "025_shenjiamen"]
