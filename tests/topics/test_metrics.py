import math

import numpy as np
import pytest

from nlp.topics.metrics import (
    EPSILON,
    align_components,
    assign_topics,
    category_shares_by_report,
    category_topic_matrix,
    coherence,
    diversity,
    document_sets,
    matched_categories,
    matched_similarity,
    npmi,
    share_agreement,
    topic_npmi,
)

# Four one-sentence documents small enough to count by hand.
WINDOWS = document_sets(["a b c", "a b", "a d", "c d"], str.split)


def test_npmi_equals_the_hand_computation():
    # p(a)=3/4, p(b)=2/4, p(a,b)=2/4: log((2/4)/(3/4*2/4)) / -log(2/4)
    assert npmi("a", "b", WINDOWS) == pytest.approx(math.log(0.5 / (0.75 * 0.5)) / -math.log(0.5))
    # p(b)=2/4, p(d)=2/4, never together: log(eps/(1/4)) / -log(eps), just above -1
    expected = math.log(EPSILON / 0.25) / -math.log(EPSILON)
    assert npmi("b", "d", WINDOWS) == pytest.approx(expected)
    assert -1 < npmi("b", "d", WINDOWS) < -0.9
    # c and d co-occur once: p(c)=2/4, p(d)=2/4, p(c,d)=1/4 -> log(1) = 0
    assert npmi("c", "d", WINDOWS) == pytest.approx(0.0, abs=1e-9)
    assert npmi("a", "zzz", WINDOWS) == -1.0


def test_topic_coherence_is_the_mean_over_pairs():
    pairs = [npmi("a", "b", WINDOWS), npmi("a", "c", WINDOWS), npmi("b", "c", WINDOWS)]
    assert topic_npmi(["a", "b", "c"], WINDOWS) == pytest.approx(np.mean(pairs))
    assert coherence([["a", "b"], ["c", "d"]], WINDOWS) == [pytest.approx(pairs[0]), pytest.approx(0.0, abs=1e-9)]


def test_diversity():
    assert diversity([["a", "b", "c"], ["d", "e", "f"]]) == 1.0
    assert diversity([["a", "b"], ["a", "b"]]) == 0.5


def test_matched_similarity_ignores_topic_order():
    topics = np.array([[1.0, 0, 0], [0, 1.0, 1.0]])
    assert matched_similarity(topics, topics[::-1]) == pytest.approx(1.0)
    aligned = align_components(np.array([[2.0, 1.0]]), ["b", "a"], ["a", "b", "c"])
    assert aligned.tolist() == [[1.0, 2.0, 0.0]]


def test_category_topic_matrix_and_matching():
    W = np.array([[1.0, 0.0], [3.0, 1.0], [0.0, 2.0]])
    matrix = category_topic_matrix(W, ["x", "x", "y"], ["x", "y", "z"])
    assert matrix.tolist() == [[0.875, 0.125], [0.0, 1.0], [0.0, 0.0]]
    assert matched_categories(matrix, ["x", "y", "z"]) == {"x": 0, "y": 1}


def test_category_shares_by_report_count_only_the_categories_compared():
    shares = category_shares_by_report(["a", "general", "b", "b", "a"], ["r", "r", "r", "r", "s"], ["a", "b"])
    assert shares["r"].tolist() == pytest.approx([1 / 3, 2 / 3])  # the general sentence is left out
    assert shares["s"].tolist() == [1.0, 0.0]


def test_assign_topics_gives_each_category_its_own_topic():
    # topic 0 is best for both categories; the assignment gives b its next best instead
    matrix = np.array([[0.6, 0.1, 0.3], [0.5, 0.2, 0.4]])
    assert assign_topics(matrix, ["a", "b"]) == {"a": 0, "b": 2}


def test_share_agreement_is_perfect_for_identical_mixes_and_ignores_other_topics():
    hand = {"r1": np.array([0.5, 0.3, 0.2]), "r2": np.array([0.1, 0.1, 0.8]), "r3": np.array([0.0, 0.0, 0.0])}
    # topic 3 is a free topic: its share is dropped before the mixes are compared
    topics = {r: np.append(v, 0.4) * 0.6 for r, v in hand.items()}
    result = share_agreement(topics, hand, {"a": 0, "b": 1, "c": 2}, ["a", "b", "c"])
    assert result["pearson_r"] == pytest.approx(1.0) and result["mean_report_r"] == pytest.approx(1.0)
    assert result["mean_abs_diff"] == pytest.approx(0.0) and result["n_reports"] == 2  # r3 has nothing to compare
    swapped = share_agreement(topics, hand, {"a": 2, "b": 1, "c": 0}, ["a", "b", "c"])
    assert swapped["pearson_r"] < 0 and swapped["mean_abs_diff"] > 0.2
    missing = share_agreement({}, hand, {"a": 0}, ["a"])
    assert missing == {"pearson_r": None, "mean_report_r": None, "mean_abs_diff": None, "n_reports": 0}


def test_vectorised_npmi_matches_gensim_c_npmi_on_seed_sentences():
    # gensim's c_npmi is the reference implementation; whole sentences as windows
    # (a window at least as long as the longest sentence) match our definition
    gensim_models = pytest.importorskip("gensim.models")
    from gensim.corpora import Dictionary

    from nlp.text.corpus import load_corpus
    from nlp.text.tokenize import JiebaTokenizer
    from nlp.topics.metrics import coherence, document_sets

    tokenize = JiebaTokenizer()
    texts = [tokenize(s.text) for report in load_corpus("seeds") for s in report.sentences]
    texts = [t for t in texts if t]
    windows = document_sets([" ".join(t) for t in texts], str.split)
    dictionary = Dictionary(texts)
    by_frequency = [dictionary[i] for i, _ in sorted(dictionary.dfs.items(), key=lambda kv: (-kv[1], kv[0]))]
    topics = [by_frequency[0:10], by_frequency[10:20], by_frequency[5:40:3], by_frequency[100:110]]
    oracle = gensim_models.CoherenceModel(
        topics=topics,
        texts=texts,
        dictionary=dictionary,
        coherence="c_npmi",
        window_size=max(map(len, texts)),
        processes=1,
    ).get_coherence_per_topic()
    assert coherence(topics, windows) == pytest.approx(oracle, abs=1e-9)
