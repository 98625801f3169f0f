import numpy as np
import pytest
from sklearn.base import clone
from sklearn.svm import LinearSVC

from nlp.classify.labels import labels_for, load_labels
from nlp.classify.model import KeywordRuleClassifier, PolicyClassifier, make_model
from nlp.text.corpus import load_corpus
from nlp.text.records import sentence_records
from tests.helpers import mark_where_the_text_pipeline_fits, seed


@pytest.fixture(scope="module")
def training():
    reports = load_corpus([seed("000"), seed("003")])
    return sentence_records(reports), labels_for(reports, load_labels())


@pytest.mark.parametrize("name", ["logreg", "svm", "cnb"])
def test_models_fit_records_and_give_probabilities(training, name):
    records, labels = training
    clf = PolicyClassifier(model=make_model(name)).fit(records, labels)
    proba = clf.predict_proba([*records[:10], "开展扫黑除恶专项斗争。"])
    assert proba.shape == (11, len(clf.classes_))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (clf.predict(records) == np.asarray(labels)).mean() > 0.8  # fits its training data


def test_bare_sentences_use_the_sentence_only_pipeline(training):
    records, labels = training
    clf = PolicyClassifier().fit(records, labels)
    assert clf.text_pipeline_ is not None
    assert clf.predict(["做好疫情防控工作", "开展扫黑除恶专项斗争", "新增低保35人"]).tolist() == [
        "epidemic",
        "governance",
        "welfare",
    ]
    without = PolicyClassifier(text_features=False).fit(records, labels)
    assert without.text_pipeline_ is None
    assert without.predict(["做好疫情防控工作"]).shape == (1,)


def test_classifier_is_an_estimator(training):
    records, labels = training
    clf = PolicyClassifier(model=make_model("logreg", C=1.0))
    assert clone(clf).get_params()["model__C"] == 1.0
    with pytest.raises(ValueError, match="predict_proba"):
        PolicyClassifier(model=LinearSVC()).fit(records, labels)
    with pytest.raises(ValueError, match="two categories"):
        PolicyClassifier().fit(records[:2], ["economy", "economy"])
    with pytest.raises(ValueError, match="unknown model"):
        make_model("bert")


def test_fitting_on_two_processes_gives_the_same_model(training, forkable, monkeypatch):
    import os
    import pickle

    mark_where_the_text_pipeline_fits(monkeypatch)
    records, labels = training
    serial = PolicyClassifier().fit(records, labels)
    assert PolicyClassifier(n_jobs=2).fit(records, labels).text_pipeline_.fitted_in_process_ == os.getpid()  # small
    monkeypatch.setattr("nlp.classify.model.PARALLEL_FIT_MIN_SENTENCES", 10)
    parallel = PolicyClassifier(n_jobs=2).fit(records, labels)
    assert serial.text_pipeline_.fitted_in_process_ == os.getpid()
    assert parallel.text_pipeline_.fitted_in_process_ != os.getpid()  # it did run in a worker
    inputs = [*records, *(r["text"] for r in records)]  # records and bare sentences: both pipelines
    assert np.array_equal(parallel.predict_proba(inputs), serial.predict_proba(inputs))
    assert PolicyClassifier(n_jobs=np.int64(2)).fit(records, labels).text_pipeline_ is not None
    for n_jobs in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_jobs"):
            PolicyClassifier(n_jobs=n_jobs).fit(records, labels)
    # a model saved before n_jobs existed unpickles without it and still clones
    state = serial.__getstate__()
    state.pop("n_jobs")
    old = PolicyClassifier.__new__(PolicyClassifier)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert clone(old).get_params()["n_jobs"] is None


def test_a_failing_background_fit_raises_here(training, forkable, monkeypatch):
    records, labels = training

    def broken(self, X, y):
        def fit():
            raise RuntimeError("text pipeline broke")

        return fit

    monkeypatch.setattr(PolicyClassifier, "_text_pipeline_fitter", broken)
    monkeypatch.setattr("nlp.classify.model.PARALLEL_FIT_MIN_SENTENCES", 10)
    with pytest.raises(RuntimeError, match="broke"):  # raised in the child, after this process's fit succeeded
        PolicyClassifier(n_jobs=2).fit(records, labels)


def test_keyword_rules_count_terms_and_fall_back_to_the_heading():
    clf = KeywordRuleClassifier().fit()
    records = [
        "深入开展扫黑除恶专项斗争，维护社会稳定。",
        {"text": "一是强化组织领导。", "nearest_heading": "（一）疫情防控精准防治"},
        "召开会议。",
    ]
    assert clf.predict(records).tolist() == ["governance", "epidemic", "general"]
    assert np.allclose(clf.predict_proba(records).sum(axis=1), 1.0)
