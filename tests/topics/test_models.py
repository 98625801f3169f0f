import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.resources import read_word_list, resource_path
from nlp.text.corpus import load_corpus
from nlp.topics.metrics import stability
from nlp.topics.models import (
    LDATopicModel,
    NMFTopicModel,
    normalize_rows,
    relevance_scores,
    topic_documents,
    topic_shares,
)
from tests.helpers import SEEDS


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(SEEDS)


@pytest.fixture(scope="module")
def sections(corpus):
    docs, meta = topic_documents(corpus, "section")
    return docs, [m["report_id"] for m in meta]


def test_units(corpus):
    sentences, meta = topic_documents(corpus, "sentence")
    sections, _ = topic_documents(corpus, "section")
    reports, _ = topic_documents(corpus, "report")
    assert len(sentences) == 471 and len(reports) == 5
    assert len(reports) < len(sections) < len(sentences)
    assert "".join(sections) == "".join(sentences) == "".join(reports)
    assert {m["part"] for m in meta} == {"review", "problems", "plan"}
    with pytest.raises(ValueError, match="unit"):
        topic_documents(corpus, "paragraph")


def test_nmf_is_deterministic(sections):
    docs, groups = sections
    first = NMFTopicModel(n_topics=8).fit(docs, groups=groups)
    second = NMFTopicModel(n_topics=8).fit(docs, groups=groups)
    assert np.array_equal(first.components_, second.components_)
    assert first.top_terms(10) == second.top_terms(10)
    assert np.array_equal(first.transform(docs[:5]), second.transform(docs[:5]))


def test_top_terms_have_no_stopwords_numbers_or_placeholders(sections):
    docs, groups = sections
    stopwords = set(read_word_list(resource_path("stopwords.txt")))
    for model in (NMFTopicModel(n_topics=9, relevance=0.6), LDATopicModel(n_topics=9)):
        model.fit(docs, groups=groups)
        terms = [t for topic in model.top_terms(25) for t, _ in topic]
        assert terms
        assert not set(terms) & stopwords
        assert not [t for t in terms if re.search(r"\d", t)]
        assert not [t for t in terms if "X" in t or "x" in t]
        assert all(len(t) >= 2 for t in terms)


def test_relevance_reranks_towards_specific_terms():
    components = np.array([[5.0, 4.0, 0.1], [5.0, 0.1, 4.0]])
    assert np.argsort(-relevance_scores(components, 1.0)[0])[0] == 0  # shared term by weight
    assert np.argsort(-relevance_scores(components, 0.3)[0])[0] == 1  # specific term by relevance
    model = NMFTopicModel(n_topics=2, vectorizer=TfidfVectorizer()).fit(["aa bb", "aa cc", "aa bb", "aa cc"])
    with pytest.raises(ValueError, match="relevance"):
        model.top_terms(3, relevance=2.0)


def test_parameters_are_validated(sections):
    docs, _ = sections
    with pytest.raises(ValueError, match="n_topics"):
        NMFTopicModel(n_topics=0).fit(docs)
    with pytest.raises(ValueError, match="beta_loss"):
        NMFTopicModel(beta_loss="itakura").fit(docs)


def test_min_groups_removes_terms_of_a_single_report(sections):
    docs, groups = sections
    everything = NMFTopicModel(n_topics=5).fit(docs, groups=groups)
    shared = NMFTopicModel(n_topics=5, min_groups=2).fit(docs, groups=groups)
    assert "铁石" in everything.feature_names_ and "铁石" not in shared.feature_names_
    assert len(shared.feature_names_) < len(everything.feature_names_)


def test_stability_and_shares(sections):
    docs, groups = sections
    model = NMFTopicModel(n_topics=6).fit(docs, groups=groups)
    mean, per_seed = stability(model, docs, groups, seeds=(1, 2))
    assert 0 < mean <= 1 and len(per_seed) == 2
    assert (mean, per_seed) == stability(model, docs, groups, seeds=(1, 2))
    shares = topic_shares(model.transform(docs), groups)
    assert set(shares) == set(groups)
    # documents without any topic term (a bare heading) count as zero weight everywhere
    assert all(0.5 < v.sum() <= 1 + 1e-9 for v in shares.values())
    assert np.allclose(normalize_rows(np.array([[1.0, 3.0], [0.0, 0.0]])), [[0.25, 0.75], [0.0, 0.0]])


def test_minibatch_model_streams_and_keeps_clean_terms(sections):
    from nlp.topics.models import MiniBatchNMFTopicModel

    docs, _ = sections
    calls = []

    def stream():
        calls.append(1)
        return iter(docs)

    model = MiniBatchNMFTopicModel(n_topics=6, batch_size=64, passes=2).fit(stream)
    assert len(calls) == 3  # one pass for the vocabulary, two for the factorisation
    stopwords = set(read_word_list(resource_path("stopwords.txt")))
    terms = [t for topic in model.top_terms(15) for t, _ in topic]
    assert not set(terms) & stopwords and not [t for t in terms if re.search(r"\d|X", t)]
    W = model.transform(docs[:10])
    assert W.shape == (10, 6) and (W >= 0).all()
    again = MiniBatchNMFTopicModel(n_topics=6, batch_size=64, passes=2).fit(docs)
    assert np.allclose(again.components_, model.components_)
