"""The estimator contract on report sentences: what scikit-learn's checks test on numbers, tested on text.

See ``tests/test_estimator_checks.py`` for scikit-learn's own checks and why
its numeric-data checks cannot apply here.
"""

import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from nlp.classify.features import CodebookLexicon, HeadingRuleFeatures, SentenceField, StructureFeatures, make_features
from nlp.classify.labels import HeadingRuleLabeler, labels_for, load_labels
from nlp.classify.model import KeywordRuleClassifier, PolicyClassifier
from nlp.text.corpus import load_corpus
from nlp.text.records import sentence_records
from nlp.topics.models import NMFTopicModel, SeededNMFTopicModel, topic_documents
from tests.helpers import SEED_FILES


@pytest.fixture(scope="module")
def labelled():
    reports = load_corpus(SEED_FILES[:2])
    labels = labels_for(reports, load_labels())
    return sentence_records(reports), np.asarray(labels)


def _dense(matrix):
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix, dtype=object)


TRANSFORMERS = [
    SentenceField("heading"),
    StructureFeatures(),
    CodebookLexicon(),
    HeadingRuleFeatures(),
    make_features(),
]
CLASSIFIERS = [HeadingRuleLabeler(), KeywordRuleClassifier(), PolicyClassifier()]


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: type(t).__name__)
def test_transformers_fit_returns_self_and_feature_names_match_columns(transformer, labelled):
    records, y = labelled
    fitted = clone(transformer)
    assert fitted.fit(records, y) is fitted
    out = fitted.transform(records)
    names = fitted.get_feature_names_out()
    width = 1 if isinstance(out, list) else out.shape[1]
    assert len(names) == width and len(out if isinstance(out, list) else out.toarray()) == len(records)
    # fitting twice gives the same output, and a pickled copy transforms alike
    again = clone(transformer).fit(records, y).transform(records)
    copy = pickle.loads(pickle.dumps(fitted)).transform(records)
    np.testing.assert_array_equal(_dense(again), _dense(out))
    np.testing.assert_array_equal(_dense(copy), _dense(out))


@pytest.mark.parametrize("classifier", CLASSIFIERS, ids=lambda c: type(c).__name__)
def test_classifiers_refuse_use_before_fit_and_fit_deterministically(classifier, labelled):
    records, y = labelled
    with pytest.raises(NotFittedError):
        clone(classifier).predict(records)
    fitted = clone(classifier).fit(records, y)
    predicted = fitted.predict(records)
    assert set(predicted) <= set(fitted.classes_)
    np.testing.assert_array_equal(clone(classifier).fit(records, y).predict(records), predicted)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict(records), predicted)
    if not hasattr(fitted, "predict_proba"):
        return  # the heading rules give labels, not probabilities
    proba = fitted.predict_proba(records)
    assert proba.shape == (len(records), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(predicted, fitted.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(clone(classifier).fit(records, y).predict_proba(records), proba)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(records), proba)


@pytest.mark.parametrize(
    ("estimator", "bad", "message"),
    [
        (SentenceField(), {"field": "title"}, "field must be one of"),
        (CodebookLexicon(), {"scale": "sqrt"}, "scale must be"),
        (PolicyClassifier(), {"temperature": 0.0}, "temperature must be a positive number"),
        (HeadingRuleLabeler(), {"default": "sports"}, "default must be a codebook category"),
        (NMFTopicModel(), {"n_topics": 0}, "n_topics must be a positive integer"),
        (SeededNMFTopicModel(), {"seed_strength": -1.0}, "seed_strength must be a non-negative number"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict | str) else "",
)
def test_bad_parameters_are_accepted_by_init_and_refused_by_fit(estimator, bad, message, labelled):
    records, y = labelled
    configured = clone(estimator).set_params(**bad)  # scikit-learn convention: no validation before fit
    assert configured.get_params()[next(iter(bad))] == next(iter(bad.values()))
    data = (
        topic_documents(load_corpus(SEED_FILES[:2]), "section")[0] if "Topic" in type(estimator).__name__ else records
    )
    with pytest.raises(ValueError, match=message):
        configured.fit(data, None if "Topic" in type(estimator).__name__ else y)
