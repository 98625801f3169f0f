"""Topic quality measured inside the package: coherence, diversity, stability, codebook agreement.

Agreement with the codebook is measured two ways: categories matched by a
distinct dominant topic (:func:`matched_categories`), and how closely a
model's topic shares per report follow the hand-coded category shares
(:func:`share_agreement`).

Coherence is NPMI (normalised pointwise mutual information, Bouma 2009) of
every pair among a topic's top terms, estimated on the corpus itself with
each document (a sentence by default) as the co-occurrence window::

    p(w)      = documents containing w / N
    p(wi, wj) = documents containing both / N
    NPMI      = log((p(wi, wj) + ε) / (p(wi) p(wj))) / -log(p(wi, wj) + ε)

with ε = 1e-12 (as in Röder et al. 2015 and gensim), so a pair that never
co-occurs scores just above -1 and a pair that always co-occurs scores 1.
A topic's coherence is the mean over its term pairs.  No external reference
corpus or service is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone

__all__ = [
    "EPSILON",
    "align_components",
    "assign_topics",
    "category_shares_by_report",
    "category_topic_matrix",
    "coherence",
    "diversity",
    "document_sets",
    "matched_categories",
    "matched_similarity",
    "npmi",
    "npmi_matrix",
    "share_agreement",
    "stability",
    "topic_npmi",
    "unshared_dominant_topics",
]

EPSILON = 1e-12


def document_sets(docs: Iterable[str], analyzer: Callable[[str], list[str]]) -> list[frozenset[str]]:
    """The set of terms of each document, as the co-occurrence windows for NPMI."""
    return [frozenset(analyzer(doc)) for doc in docs]


def npmi_matrix(
    terms: Sequence[str], windows: Sequence[frozenset[str]], eps: float = EPSILON
) -> tuple[np.ndarray, dict[str, int]]:
    """NPMI of every pair of ``terms`` over co-occurrence windows, from one sparse product.

    ``NPMI(a, b) = log((P(a, b) + eps) / (P(a) P(b))) / -log(P(a, b) + eps)``,
    with probabilities the shares of windows holding the terms (gensim's
    ``c_npmi`` with whole documents as windows); a term found in no window
    gets ``-1`` with every other term.

    Returns
    -------
    matrix : ndarray of shape (n_terms, n_terms)
        Pairwise NPMI (the diagonal is meaningless).
    index : dict
        Row and column of each distinct term.
    """
    index = {t: i for i, t in enumerate(dict.fromkeys(terms))}
    rows, cols = [], []
    for r, window in enumerate(windows):
        for term in window & index.keys():
            rows.append(r)
            cols.append(index[term])
    presence = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(windows), len(index)))
    n = max(len(windows), 1)
    joint = (presence.T @ presence).toarray() / n
    marginal = joint.diagonal().copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        matrix = np.log((joint + eps) / np.outer(marginal, marginal)) / -np.log(joint + eps)
    absent = marginal == 0
    matrix[absent, :] = -1.0
    matrix[:, absent] = -1.0
    return matrix, index


def npmi(term_a: str, term_b: str, windows: Sequence[frozenset[str]], eps: float = EPSILON) -> float:
    """NPMI of two terms over co-occurrence windows (see :func:`npmi_matrix`).

    Examples
    --------
    >>> windows = [frozenset("ab"), frozenset("ab"), frozenset("c"), frozenset("ac")]
    >>> round(npmi("a", "b", windows), 4)  # log((1/2)/(3/4 * 1/2)) / -log(1/2)
    0.415
    """
    matrix, index = npmi_matrix([term_a, term_b], windows, eps)
    return float(matrix[index[term_a], index[term_b]])


def topic_npmi(terms: Sequence[str], windows: Sequence[frozenset[str]], eps: float = EPSILON) -> float:
    """Mean NPMI over all pairs of ``terms``."""
    return coherence([terms], windows, eps)[0]


def coherence(
    top_terms: Sequence[Sequence[str]], windows: Sequence[frozenset[str]], eps: float = EPSILON
) -> list[float]:
    """NPMI coherence of each topic (``top_terms``: the term lists, best first): the mean over its term pairs.

    All topics share one co-occurrence product over the union of their terms.
    """
    matrix, index = npmi_matrix([t for terms in top_terms for t in terms], windows, eps)
    scores = []
    for terms in top_terms:
        ids = [index[t] for t in terms]
        upper = np.triu_indices(len(ids), k=1)
        pairs = matrix[np.ix_(ids, ids)][upper]
        scores.append(float(pairs.mean()) if pairs.size else 0.0)
    return scores


def diversity(top_terms: Sequence[Sequence[str]]) -> float:
    """Share of unique terms among all topics' top terms (1.0: no term shared by two topics).

    Examples
    --------
    >>> diversity([["a", "b"], ["b", "c"]])
    0.75
    """
    terms = [t for topic in top_terms for t in topic]
    return len(set(terms)) / len(terms) if terms else 0.0


def _cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def matched_similarity(reference: np.ndarray, other: np.ndarray) -> float:
    """Mean cosine similarity of topic-term vectors after the best one-to-one matching.

    Both matrices must share the vocabulary (columns); rows are topics.
    """
    similarity = _cosine_matrix(reference, other)
    rows, cols = linear_sum_assignment(-similarity)
    return float(similarity[rows, cols].mean())


def align_components(components: np.ndarray, names: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """Re-index topic-term weights onto another vocabulary (missing terms weigh 0)."""
    position = {term: i for i, term in enumerate(names)}
    aligned = np.zeros((components.shape[0], len(vocabulary)))
    for j, term in enumerate(vocabulary):
        if term in position:
            aligned[:, j] = components[:, position[term]]
    return aligned


def stability(
    model,
    docs: Sequence[str],
    groups: Sequence[str] | None = None,
    seeds: Sequence[int] = (1, 2, 3, 4, 5),
    fraction: float = 0.9,
) -> tuple[float, list[float]]:
    """Mean best-match similarity between a fitted model's topics and refits under 5 seeds.

    Each seed refits a clone of ``model`` on a random ``fraction`` of the
    documents, with a seeded initialisation (``nndsvdar``: NNDSVD with small
    random values in its zeros) where the model has an ``init`` parameter --
    NNDSVD alone is deterministic, so seeds would otherwise change nothing.
    Topics are compared by cosine similarity of their term weights on the
    reference vocabulary after one-to-one matching (Hungarian algorithm).
    Returns the mean and the per-seed values.
    """
    reference = model.components_  # fails early if the model is not fitted
    docs = list(docs)
    per_seed = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(docs), size=max(2, round(fraction * len(docs))), replace=False))
        params = {"random_state": seed}
        if "init" in model.get_params():
            params["init"] = "nndsvdar"
        refit = clone(model).set_params(**params)
        refit.fit([docs[i] for i in keep], groups=None if groups is None else [groups[i] for i in keep])
        aligned = align_components(refit.components_, refit.feature_names_, model.feature_names_)
        per_seed.append(matched_similarity(reference, aligned))
    return float(np.mean(per_seed)), per_seed


def category_topic_matrix(W: np.ndarray, labels: Sequence[str], categories: Sequence[str]) -> np.ndarray:
    """Mean topic share (row-normalised weights) of the documents of each category: categories × topics."""
    totals = W.sum(axis=1, keepdims=True)
    shares = np.divide(W, totals, out=np.zeros_like(W, dtype=float), where=totals > 0)
    labels = np.asarray(labels)
    return np.vstack(
        [shares[labels == c].mean(axis=0) if (labels == c).any() else np.zeros(W.shape[1]) for c in categories]
    )


def matched_categories(matrix: np.ndarray, categories: Sequence[str]) -> dict[str, int]:
    """Categories matched by a distinct dominant topic: ``{category: topic index}``.

    A category is matched when its dominant topic (highest mean share among
    its sentences) has that category as *its* dominant category too -- a
    mutual best match, so no topic can match two categories.

    Examples
    --------
    >>> m = np.array([[0.6, 0.1, 0.3], [0.5, 0.2, 0.3], [0.1, 0.1, 0.8]])
    >>> matched_categories(m, ["a", "b", "c"])
    {'a': 0, 'c': 2}
    """
    dominant_topic = matrix.argmax(axis=1)
    dominant_category = matrix.argmax(axis=0)
    return {
        c: int(t) for i, (c, t) in enumerate(zip(categories, dominant_topic, strict=True)) if dominant_category[t] == i
    }


def unshared_dominant_topics(matrix: np.ndarray, categories: Sequence[str]) -> dict[str, int]:
    """Stricter count: categories whose dominant topic is dominant for no other category.

    Examples
    --------
    >>> m = np.array([[0.6, 0.1, 0.3], [0.5, 0.2, 0.3], [0.1, 0.1, 0.8]])
    >>> unshared_dominant_topics(m, ["a", "b", "c"])
    {'c': 2}
    """
    dominant = matrix.argmax(axis=1)
    counts = np.bincount(dominant, minlength=matrix.shape[1])
    return {c: int(t) for c, t in zip(categories, dominant, strict=True) if counts[t] == 1}


def assign_topics(matrix: np.ndarray, categories: Sequence[str]) -> dict[str, int]:
    """One distinct topic per category maximising the summed mean shares (Hungarian algorithm).

    Used to read an *unseeded* model's topics as categories; it looks at the
    hand labels, so it is an upper bound on how well such a model can stand
    in for the codebook.  Seeded models need no assignment: topic ``k`` is
    seeded with category ``k``.

    Examples
    --------
    >>> assign_topics(np.array([[0.6, 0.1, 0.3], [0.5, 0.2, 0.3]]), ["a", "b"])
    {'a': 0, 'b': 2}
    """
    rows, cols = linear_sum_assignment(-np.asarray(matrix))
    return {categories[r]: int(c) for r, c in zip(rows, cols, strict=True)}


def category_shares_by_report(
    labels: Sequence[str], report_ids: Sequence[str], categories: Sequence[str]
) -> dict[str, np.ndarray]:
    """Hand-coded share of each category among the sentences of each report (in ``categories`` order).

    Examples
    --------
    >>> category_shares_by_report(["a", "b", "b", "a"], ["r1", "r1", "r1", "r2"], ["a", "b"])
    {'r1': array([0.33333333, 0.66666667]), 'r2': array([1., 0.])}
    """
    position = {c: i for i, c in enumerate(categories)}
    counts: dict[str, np.ndarray] = {}
    for label, report in zip(labels, report_ids, strict=True):
        row = counts.setdefault(report, np.zeros(len(categories)))
        if label in position:
            row[position[label]] += 1
    return {r: c / max(c.sum(), 1) for r, c in counts.items()}


def share_agreement(
    topic_shares: dict[str, np.ndarray],
    category_shares: dict[str, np.ndarray],
    topic_of: dict[str, int],
    categories: Sequence[str],
) -> dict:
    """How well a model's topic shares per report track the hand-coded category shares.

    For each report, the share of the topic standing for each category
    (``topic_of``) and the hand-coded share of that category are both
    renormalised over ``categories`` (e.g. the substantive ones), so the
    comparison is about the *mix* of policy areas.  Reports with no sentence
    in those categories, or no weight on their topics, are skipped.

    Returns the Pearson correlation over all report × category cells
    (``pearson_r``), the mean of per-report correlations (``mean_report_r``,
    reports whose two profiles are not constant), the mean absolute
    difference of shares (``mean_abs_diff``) and the number of reports.

    Examples
    --------
    >>> topics = {"r1": np.array([0.7, 0.2, 0.1]), "r2": np.array([0.1, 0.1, 0.8])}
    >>> hand = {"r1": np.array([0.8, 0.2]), "r2": np.array([0.2, 0.8])}
    >>> result = share_agreement(topics, hand, {"a": 0, "b": 2}, ["a", "b"])
    >>> result["n_reports"], round(result["pearson_r"], 2), round(result["mean_abs_diff"], 3)  # r1: (.875, .125)
    (2, 1.0, 0.082)
    """
    model_rows, hand_rows = [], []
    for report, hand in category_shares.items():
        if report not in topic_shares:
            continue
        hand = np.asarray(hand[: len(categories)], dtype=float)
        mine = np.array([topic_shares[report][topic_of[c]] if c in topic_of else 0.0 for c in categories])
        if hand.sum() <= 0 or mine.sum() <= 0:
            continue
        model_rows.append(mine / mine.sum())
        hand_rows.append(hand / hand.sum())
    if not model_rows:
        return {"pearson_r": None, "mean_report_r": None, "mean_abs_diff": None, "n_reports": 0}
    mine, hand = np.vstack(model_rows), np.vstack(hand_rows)
    per_report = [
        float(np.corrcoef(a, b)[0, 1]) for a, b in zip(mine, hand, strict=True) if a.std() > 0 and b.std() > 0
    ]
    return {
        "pearson_r": float(np.corrcoef(mine.ravel(), hand.ravel())[0, 1]),
        "mean_report_r": float(np.mean(per_report)) if per_report else None,
        "mean_abs_diff": float(np.abs(mine - hand).mean()),
        "n_reports": len(model_rows),
    }
