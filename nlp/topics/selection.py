"""Choosing and scoring topic models without the hand labels: NPMI, diversity, stability, k and seeded settings.

:class:`TopicCorpus` holds what a model is scored against; :func:`evaluate_model`
scores one fitted model; :func:`select_k` and :func:`select_seeded` choose
among a sweep by rules that never look at the hand labels;
:func:`default_nmf_npmi` is the reference a researcher would get from
scikit-learn's NMF on plain jieba tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import jieba
import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.text.tokenize import JiebaTokenizer
from nlp.topics.metrics import (
    assign_topics,
    category_shares_by_report,
    category_topic_matrix,
    coherence,
    diversity,
    document_sets,
    matched_categories,
    share_agreement,
    stability,
    unshared_dominant_topics,
)
from nlp.topics.models import NON_SUBSTANTIVE, topic_documents, topic_shares

__all__ = [
    "TopicCorpus",
    "default_nmf_npmi",
    "evaluate_model",
    "n_topics",
    "select_k",
    "select_seeded",
    "top_term_lists",
]


def top_term_lists(model, n: int) -> list[list[str]]:
    """The ``n`` top terms of every topic, without their weights."""
    return [[t for t, _ in topic] for topic in model.top_terms(n)]


def n_topics(model) -> int:
    """Number of topics of a fitted model."""
    return int(model.components_.shape[0])


class TopicCorpus:
    """Everything a model is evaluated against: fit documents, sentences, NPMI windows, labels, hand shares.

    Examples
    --------
    >>> from nlp.classify.codebook import load_codebook
    >>> from nlp.text.corpus import load_corpus
    >>> from nlp.classify.labels import labels_for, load_labels
    >>> reports = load_corpus("seeds")
    >>> corpus = TopicCorpus(reports, labels_for(reports, load_labels()), "section", list(load_codebook().ids))
    >>> len(corpus.fit_docs), len(corpus.sentences), corpus.substantive[:2]
    (74, 471, ['party_building', 'epidemic'])
    """

    def __init__(self, reports, labels, unit, categories):
        self.reports = reports
        self.labels = labels
        self.categories = categories
        self.substantive = [c for c in categories if c not in NON_SUBSTANTIVE]
        self.fit_docs, self.fit_meta = topic_documents(reports, unit)
        self.fit_groups = [m["report_id"] for m in self.fit_meta]
        self.sentences, self.sentence_meta = topic_documents(reports, "sentence")
        self.sentence_reports = [m["report_id"] for m in self.sentence_meta]
        self.windows = document_sets(self.sentences, JiebaTokenizer())
        self.hand_shares = category_shares_by_report(labels, self.sentence_reports, self.substantive)


def evaluate_model(
    model,
    corpus: TopicCorpus,
    npmi_top_n: int = 10,
    diversity_top_n: int = 25,
    stability_seeds: Sequence[int] | None = (1, 2, 3, 4, 5),
):
    """Quality figures of one fitted topic model, with its sentence weights and topic × category matrix.

    Sentence weights come from ``model.transform``.  ``stability_seeds=None``
    skips the stability refits (the slow part).

    Returns
    -------
    row : dict
        NPMI (mean and per topic), diversity, matched categories, share
        agreement with the hand-coded shares, and stability.
    W : ndarray of shape (n_sentences, n_topics)
    matrix : ndarray of shape (n_categories, n_topics)
    """
    top_n, div_n = npmi_top_n, diversity_top_n
    per_topic = coherence(top_term_lists(model, top_n), corpus.windows)
    W = model.transform(corpus.sentences)
    matrix = category_topic_matrix(W, corpus.labels, corpus.categories)
    matched = matched_categories(matrix, corpus.categories)
    seeded = getattr(model, "seed_topics_", None)
    if seeded:
        topic_of, mapping = {c: i for i, c in enumerate(seeded)}, "seeded topic k stands for category k"
    else:
        rows = [corpus.categories.index(c) for c in corpus.substantive]
        topic_of = assign_topics(matrix[rows], corpus.substantive)
        mapping = "one topic per category by Hungarian assignment on the hand labels (an upper bound)"
    shares = topic_shares(W, corpus.sentence_reports, skip_empty=True)
    row = {
        "k": n_topics(model),
        "npmi": float(np.mean(per_topic)),
        "npmi_per_topic": per_topic,
        "diversity": diversity(top_term_lists(model, div_n)),
        "matched_categories": matched,
        "n_substantive_matched": len([c for c in matched if c in corpus.substantive]),
        "unshared_dominant_topics": len(unshared_dominant_topics(matrix, corpus.categories)),
        "share_agreement": {
            **share_agreement(shares, corpus.hand_shares, topic_of, corpus.substantive),
            "topics_as_categories": mapping,
        },
    }
    if hasattr(model, "reconstruction_err_"):
        row["reconstruction_error"] = model.reconstruction_err_
    if hasattr(model, "seed_retention"):
        kept = [r["n_kept"] for r in model.seed_retention(div_n)]
        row["seeds_kept_min"], row["seeds_kept_mean"] = min(kept), float(np.mean(kept))
    if stability_seeds is not None:
        mean, per_seed = stability(model, corpus.fit_docs, corpus.fit_groups, seeds=list(stability_seeds))
        row["stability"], row["stability_per_seed"] = mean, per_seed
    return row, W, matrix


def select_k(rows: list[dict], min_k: int, min_diversity: float) -> tuple[int, str]:
    """The k with the highest mean NPMI among those with enough topics and diverse enough terms."""
    eligible = [r for r in rows if r["k"] >= min_k and r["diversity"] >= min_diversity]
    pool = eligible or [r for r in rows if r["k"] >= min_k] or rows
    best = max(pool, key=lambda r: (round(r["npmi"], 6), -r["k"]))
    if eligible:
        reason = (
            f"highest mean NPMI ({best['npmi']:.3f}) among k >= {min_k} (at least one topic per codebook "
            f"category possible) with top-25 diversity >= {min_diversity}; hand labels not used"
        )
    else:
        reason = f"no k >= {min_k} reached diversity {min_diversity}; highest mean NPMI among k >= {min_k}"
    return best["k"], reason


def select_seeded(rows: list[dict], min_diversity: float, min_kept: int) -> tuple[dict, str]:
    """The seeded setting with the highest NPMI among those diverse enough whose every anchor holds."""
    eligible = [r for r in rows if r["diversity"] >= min_diversity and r["seeds_kept_min"] >= min_kept]
    if eligible:
        best = max(eligible, key=lambda r: (round(r["npmi"], 6), -r["n_free"], -r["seed_strength"]))
        reason = (
            f"highest mean NPMI ({best['npmi']:.3f}) among settings with top-25 diversity >= {min_diversity} "
            f"whose every seeded topic keeps >= {min_kept} of its seed terms in its top 25; hand labels not used"
        )
    else:
        best = max(rows, key=lambda r: (r["seeds_kept_min"], round(r["npmi"], 6)))
        reason = f"no setting met diversity {min_diversity} and {min_kept} seeds kept; most seeds kept, then NPMI"
    return best, reason


def default_nmf_npmi(sentences: list[str], k: int, top_n: int) -> dict:
    """scikit-learn's NMF with its defaults on plain jieba tokens of the same sentences (the reference)."""
    jieba.setLogLevel(logging.WARNING)
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False)
    X = vectorizer.fit_transform(sentences)
    nmf = NMF(n_components=k, random_state=0).fit(X)
    names = vectorizer.get_feature_names_out()
    top = [[str(names[j]) for j in np.argsort(-row, kind="stable")[:top_n]] for row in nmf.components_]
    windows = document_sets(sentences, vectorizer.build_analyzer())
    per_topic = coherence(top, windows)
    return {"npmi": float(np.mean(per_topic)), "npmi_per_topic": per_topic, "top_terms": top}
