"""Stage 8: topic models of report text -- NMF, seeded NMF, with LDA for comparison.

:class:`NMFTopicModel` is a scikit-learn transformer: ``fit`` learns topics
from documents (sentences by default), ``transform`` gives document-topic
weights, ``components_`` the topic-term weights.  The vectorizer is a
parameter (default: TF-IDF over the project tokenizer, so stopwords,
numbers and ``X`` placeholders never become topic terms), and NNDSVD
initialisation makes a fit deterministic.  :class:`LDATopicModel` offers the
same interface over raw counts.

:class:`SeededNMFTopicModel` is keyword-assisted NMF (in the spirit of keyATM,
Eshima, Imai & Sasaki 2024): one topic per substantive codebook category,
initialised from and softly pulled toward that category's ``typical_terms``,
plus ``n_free`` unseeded topics for what the codebook misses.
:class:`SeededLDATopicModel` does the same for LDA with tomotopy's word priors
(optional dependency: ``pip install "nlp[topics]"``).

Helpers build documents at the chosen unit (sentence, section, report) with
the report's metadata (place, level, years, genre), list top terms and
representative documents, report seed retention, and average topic shares
over groups such as reports, years or genres (with bootstrap intervals over
reports).
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import NMF, LatentDirichletAllocation, MiniBatchNMF, non_negative_factorization
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from nlp.classify.codebook import load_codebook
from nlp.text.corpus import Report
from nlp.text.tokenize import JiebaTokenizer

__all__ = [
    "NON_SUBSTANTIVE",
    "UNITS",
    "LDATopicModel",
    "MiniBatchNMFTopicModel",
    "NMFTopicModel",
    "SeededLDATopicModel",
    "SeededNMFTopicModel",
    "codebook_seed_terms",
    "default_vectorizer",
    "grouped_share_intervals",
    "normalize_rows",
    "relevance_scores",
    "report_metadata",
    "topic_documents",
    "topic_shares",
]

UNITS = ("sentence", "section", "report")
#: Codebook categories that get no seeded topic: ``general`` is framing, not a policy area.
NON_SUBSTANTIVE = ("general",)


def report_metadata(report: Report) -> dict:
    """What a topic share can be grouped by: place, level, county, city, years, genre, publication date.

    Examples
    --------
    >>> from nlp.text.corpus import load_corpus
    >>> meta = report_metadata(load_corpus("seeds/003_788a321da40b58ee.txt")[0])
    >>> meta["township"], meta["years"], meta["genre"]
    ('荫田镇', [2021, 2022], 'summary')
    """
    m = report.meta
    return {
        "report_id": report.report_id,
        "township": m.township or report.report_id,
        "level": m.level,
        "county": m.county,
        "city": m.city,
        "years": list(m.years),
        "genre": m.genre,
        "published": m.published,
    }


def topic_documents(reports: Sequence[Report], unit: str = "sentence") -> tuple[list[str], list[dict]]:
    """Texts to model and their metadata (``part``, ``index`` and the report's :func:`report_metadata`).

    ``section`` joins the sentences of each deepest heading section (the
    text before the first heading is a section of its own); ``report`` joins
    a whole report.

    Examples
    --------
    >>> from nlp.text.corpus import load_corpus
    >>> docs, meta = topic_documents(load_corpus("seeds/003_788a321da40b58ee.txt"), unit="section")
    >>> len(docs), meta[1]["section"]
    (19, '一、2021年各项工作情况')
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    docs, meta = [], []
    for report in reports:
        base = report_metadata(report)
        if unit == "report":
            docs.append("".join(s.text for s in report.sentences))
            meta.append({**base, "part": "all", "index": 0})
            continue
        if unit == "sentence":
            for s in report.sentences:
                docs.append(s.text)
                meta.append({**base, "part": s.part, "index": s.index})
            continue
        grouped: dict[int, list] = defaultdict(list)
        for s in report.sentences:
            containing = [i for i, sec in enumerate(report.sections) if sec.start <= s.start < sec.end]
            grouped[containing[-1] if containing else -1].append(s)
        for key in sorted(grouped):
            sentences = grouped[key]
            title = report.sections[key].title if key >= 0 else "（前言 preamble）"
            docs.append("".join(s.text for s in sentences))
            meta.append({**base, "part": sentences[0].part, "index": sentences[0].index, "section": title})
    return docs, meta


def default_vectorizer(**params) -> TfidfVectorizer:
    """TF-IDF over the project tokenizer; terms in fewer than 2 or more than half the documents dropped."""
    settings = {"min_df": 2, "max_df": 0.5, "sublinear_tf": True, "token_pattern": None, "lowercase": False, **params}
    return TfidfVectorizer(tokenizer=JiebaTokenizer(), **settings)


class _TopicModelBase(TransformerMixin, BaseEstimator):
    """Shared parts: vocabulary filtering by group, top terms, representative documents."""

    def _fit_vectorizer(self, docs: Sequence[str], groups: Sequence[str] | None):
        vectorizer = clone(self.vectorizer) if self.vectorizer is not None else self._default_vectorizer()
        if groups is not None and self.min_groups > 1:
            vectorizer.set_params(stop_words=_rare_across_groups(vectorizer, docs, groups, self.min_groups))
        X = vectorizer.fit_transform(docs)
        return vectorizer, X

    def top_terms(self, n: int = 10, relevance: float | None = None) -> list[list[tuple[str, float]]]:
        """The ``n`` best terms of each topic with their topic weights (``components_`` values).

        Terms are ranked by *relevance* (Sievert & Shirley 2014, as in LDAvis)::

            relevance(w, t) = λ log φ(w|t) + (1 - λ) log(φ(w|t) / p(w))

        where φ(w|t) is the topic's normalised term weight and p(w) the
        term's share of all weight.  λ = 1 ranks by weight alone; smaller λ
        favours terms specific to the topic over terms every topic shares.
        ``relevance=None`` uses the model's ``relevance`` parameter.
        """
        check_is_fitted(self, "components_")
        lam = self.relevance if relevance is None else relevance
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"relevance must be in [0, 1], got {lam!r}")
        ranking = relevance_scores(self.components_, lam)
        names = self.feature_names_
        return [
            [(str(names[j]), float(weights[j])) for j in np.argsort(-scores, kind="stable")[:n]]
            for scores, weights in zip(ranking, self.components_, strict=True)
        ]

    def representative(self, W: np.ndarray, n: int = 3) -> list[list[int]]:
        """Indices of the ``n`` documents with the highest weight on each topic."""
        return [list(np.argsort(-W[:, t], kind="stable")[:n]) for t in range(W.shape[1])]

    def topic_names(self, n: int = 3) -> list[str]:
        """Short labels: ``T3 脱贫攻坚/贫困户/扶贫``."""
        return [f"T{i + 1} " + "/".join(t for t, _ in terms) for i, terms in enumerate(self.top_terms(n))]


def relevance_scores(components: np.ndarray, lam: float = 1.0) -> np.ndarray:
    """Topic-term relevance; with ``lam=1`` the ranking equals that of the raw weights."""
    components = np.asarray(components, dtype=float)
    phi = components / np.maximum(components.sum(axis=1, keepdims=True), 1e-12)
    if lam == 1.0:
        return phi
    marginal = components.sum(axis=0) / max(components.sum(), 1e-12)
    log_phi = np.log(phi + 1e-12)
    return lam * log_phi + (1 - lam) * (log_phi - np.log(marginal + 1e-12))


def _rare_across_groups(vectorizer, docs, groups, min_groups) -> list[str]:
    """Terms that occur in fewer than ``min_groups`` groups (e.g. place names of a single report)."""
    analyzer = vectorizer.build_analyzer()
    seen: dict[str, set] = defaultdict(set)
    for doc, group in zip(docs, groups, strict=True):
        for term in set(analyzer(doc)):
            seen[term].add(group)
    return sorted(term for term, found in seen.items() if len(found) < min_groups)


class NMFTopicModel(_TopicModelBase):
    """Non-negative matrix factorisation topics over TF-IDF.

    Parameters
    ----------
    n_topics : int, default=10
    vectorizer : vectorizer, optional
        Default :func:`default_vectorizer`.
    min_groups : int, default=1
        With ``groups`` passed to ``fit``, drop terms found in fewer groups
        (e.g. ``2`` keeps one report's place names out of the vocabulary).
    relevance : float, default=1.0
        λ of the term ranking used by :meth:`top_terms` (1: by weight).
    beta_loss : {"frobenius", "kullback-leibler"}, default="frobenius"
    alpha_W, alpha_H, l1_ratio : float
        Regularisation (see :class:`sklearn.decomposition.NMF`).
    init : str, default="nndsvd"
        Deterministic NNDSVD; ``"nndsvdar"`` or ``"random"`` make ``random_state``
        matter.  With the Kullback-Leibler loss, ``"nndsvd"`` becomes
        ``"nndsvda"`` (the multiplicative solver cannot move NNDSVD's zeros).
    max_iter : int, default=1000
    random_state : int, default=0

    Examples
    --------
    >>> docs = ["脱贫攻坚 贫困户", "脱贫攻坚 增收", "疫情防控 隔离", "疫情防控 卡点"]
    >>> model = NMFTopicModel(n_topics=2, vectorizer=TfidfVectorizer()).fit(docs)
    >>> sorted(t for t, _ in model.top_terms(1)[0] + model.top_terms(1)[1])
    ['疫情防控', '脱贫攻坚']
    """

    def __init__(
        self,
        n_topics: int = 10,
        vectorizer=None,
        min_groups: int = 1,
        relevance: float = 1.0,
        beta_loss: str = "frobenius",
        alpha_W: float = 0.0,
        alpha_H: float | str = "same",
        l1_ratio: float = 0.0,
        init: str = "nndsvd",
        max_iter: int = 1000,
        random_state: int = 0,
    ):
        self.n_topics = n_topics
        self.vectorizer = vectorizer
        self.min_groups = min_groups
        self.relevance = relevance
        self.beta_loss = beta_loss
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.init = init
        self.max_iter = max_iter
        self.random_state = random_state

    def _default_vectorizer(self):
        return default_vectorizer()

    def fit(self, docs: Sequence[str], y=None, groups: Sequence[str] | None = None):
        if not isinstance(self.n_topics, int) or self.n_topics < 1:
            raise ValueError(f"n_topics must be a positive integer, got {self.n_topics!r}")
        if self.beta_loss not in ("frobenius", "kullback-leibler"):
            raise ValueError(f"beta_loss must be 'frobenius' or 'kullback-leibler', got {self.beta_loss!r}")
        self.vectorizer_, X = self._fit_vectorizer(list(docs), groups)
        kullback_leibler = self.beta_loss == "kullback-leibler"
        self.nmf_ = NMF(
            n_components=self.n_topics,
            init="nndsvda" if kullback_leibler and self.init == "nndsvd" else self.init,
            solver="mu" if kullback_leibler else "cd",
            beta_loss=self.beta_loss,
            alpha_W=self.alpha_W,
            alpha_H=self.alpha_H,
            l1_ratio=self.l1_ratio,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        self.document_topics_ = self.nmf_.fit_transform(X)
        self.components_ = self.nmf_.components_
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        self.reconstruction_err_ = float(self.nmf_.reconstruction_err_)
        return self

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "nmf_")
        return self.nmf_.transform(self.vectorizer_.transform(list(docs)))


class LDATopicModel(_TopicModelBase):
    """Latent Dirichlet allocation over term counts, with the interface of :class:`NMFTopicModel`."""

    def __init__(
        self,
        n_topics: int = 10,
        vectorizer=None,
        min_groups: int = 1,
        relevance: float = 1.0,
        max_iter: int = 50,
        random_state: int = 0,
    ):
        self.n_topics = n_topics
        self.vectorizer = vectorizer
        self.min_groups = min_groups
        self.relevance = relevance
        self.max_iter = max_iter
        self.random_state = random_state

    def _default_vectorizer(self):
        return CountVectorizer(tokenizer=JiebaTokenizer(), min_df=2, max_df=0.5, token_pattern=None, lowercase=False)

    def fit(self, docs: Sequence[str], y=None, groups: Sequence[str] | None = None):
        self.vectorizer_, X = self._fit_vectorizer(list(docs), groups)
        self.lda_ = LatentDirichletAllocation(
            n_components=self.n_topics, max_iter=self.max_iter, learning_method="batch", random_state=self.random_state
        )
        self.document_topics_ = self.lda_.fit_transform(X)
        self.components_ = self.lda_.components_
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        return self

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "lda_")
        return self.lda_.transform(self.vectorizer_.transform(list(docs)))


def codebook_seed_terms(codebook=None, exclude: Sequence[str] = NON_SUBSTANTIVE) -> dict[str, tuple[str, ...]]:
    """Seed terms of every substantive category: the codebook's ``typical_terms``, in codebook order.

    Examples
    --------
    >>> seeds = codebook_seed_terms()
    >>> list(seeds)[:3], seeds["epidemic"][:2]
    (['party_building', 'epidemic', 'poverty'], ('疫情', '疫情防控'))
    """
    codebook = codebook if codebook is not None else load_codebook()
    return {c.id: c.typical_terms for c in codebook.categories if c.id not in exclude}


def _validate_seed_terms(seed_terms) -> dict[str, tuple[str, ...]]:
    seeds = codebook_seed_terms() if seed_terms is None else seed_terms
    if not isinstance(seeds, dict) or not seeds:
        raise ValueError("seed_terms must be a non-empty dict {topic name: terms} or None (codebook terms)")
    checked = {}
    for name, terms in seeds.items():
        if isinstance(terms, str) or not terms or not all(isinstance(t, str) and t for t in terms):
            raise ValueError(f"seed_terms[{name!r}] must be a non-empty sequence of terms")
        checked[str(name)] = tuple(dict.fromkeys(terms))
    return checked


class _SeededMixin:
    """Seed bookkeeping shared by the seeded models: which terms anchor which topic, retention, names."""

    def _index_seeds(self, seeds: dict[str, tuple[str, ...]]) -> None:
        index = {term: j for j, term in enumerate(self.feature_names_)}
        self.seed_topics_ = list(seeds)
        self.seed_terms_ = {name: [t for t in terms if t in index] for name, terms in seeds.items()}
        self.missing_seed_terms_ = {name: [t for t in terms if t not in index] for name, terms in seeds.items()}
        empty = [name for name, found in self.seed_terms_.items() if not found]
        if empty:
            raise ValueError(f"no seed term of {', '.join(empty)} is in the vocabulary; give other terms")
        self.seed_indices_ = {name: [index[t] for t in found] for name, found in self.seed_terms_.items()}

    def seed_retention(self, n: int = 25) -> list[dict]:
        """For each seeded topic: its seed terms kept among its top ``n`` terms, and the new terms it learned.

        ``seeds_in_vocabulary`` counts the seed terms the vectorizer kept
        (terms the tokenizer splits, or rarer than ``min_df``, cannot anchor a
        topic); ``new_terms`` are the top-``n`` terms that are not its seeds.
        """
        check_is_fitted(self, "components_")
        rows = []
        for t, (name, terms) in enumerate(zip(self.seed_topics_, self.top_terms(n), strict=False)):
            top = [term for term, _ in terms]
            seeds = set(self.seed_terms_[name])
            kept = [term for term in top if term in seeds]
            rows.append(
                {
                    "topic": t,
                    "seeded_with": name,
                    "seeds_given": len(self.seed_terms_[name]) + len(self.missing_seed_terms_[name]),
                    "seeds_in_vocabulary": len(seeds),
                    "n_kept": len(kept),
                    "kept": kept,
                    "new_terms": [term for term in top if term not in seeds],
                }
            )
        return rows

    def topic_names(self, n: int = 3) -> list[str]:
        """Short labels; seeded topics carry their category: ``T3[poverty] 脱贫攻坚/贫困户/扶贫``."""
        names = []
        for i, terms in enumerate(self.top_terms(n)):
            tag = f"[{self.seed_topics_[i]}]" if i < len(self.seed_topics_) else ""
            names.append(f"T{i + 1}{tag} " + "/".join(t for t, _ in terms))
        return names


class SeededNMFTopicModel(_SeededMixin, _TopicModelBase):
    """Keyword-assisted NMF: one topic anchored by each category's seed terms, plus ``n_free`` unseeded topics.

    Documents are TF-IDF rows ``X`` (as for :class:`NMFTopicModel`).  Each
    seeded topic ``k`` has a *seed document* ``p_k``: its seed terms, each
    weighted by the term's mean TF-IDF in the corpus, scaled to unit length.
    The model minimises, by multiplicative updates,

    .. math::

        \\lVert X - WH \\rVert_F^2 + \\lambda \\sum_k \\min_{c_k \\ge 0} \\lVert p_k - c_k h_k \\rVert^2
        = \\lVert X - WH \\rVert_F^2 + \\lambda \\sum_k \\sin^2 \\angle(p_k, h_k),

    so each seeded topic is pulled toward the direction of its seeds with
    strength ``λ = seed_strength`` (in units of one document), without
    fixing its scale, while the data may still add terms the seeds lack
    (``seed_retention`` reports both).  The free topics are unconstrained.
    Seeded rows of ``H`` start at the centroid of the documents weighted by
    their seed-term mass; free rows at an NMF (``init``) of what the seeded
    topics leave unexplained, so a fit is deterministic.

    Parameters
    ----------
    seed_terms : dict of {str: sequence of str}, optional
        Topic name → seed terms.  Default: :func:`codebook_seed_terms` (the
        ``typical_terms`` of every substantive codebook category).  Seeds the
        vocabulary lacks are listed in ``missing_seed_terms_``.
    n_free : int, default=4
        Unseeded topics.
    seed_strength : float, default=2.0
        λ above; 0 leaves only the seeded initialisation.
    vectorizer : vectorizer, optional
        Default :func:`default_vectorizer`.
    min_groups : int, default=1
        As in :class:`NMFTopicModel`.
    relevance : float, default=1.0
        λ of the term ranking used by :meth:`top_terms`.
    init : {"nndsvd", "nndsvda", "nndsvdar", "random"}, default="nndsvd"
        Initialisation of the free topics (``nndsvdar``/``random`` use ``random_state``).
    max_iter : int, default=500
    tol : float, default=1e-5
        Stop when the objective falls by less than this share over 10 iterations.
    random_state : int, default=0

    Attributes
    ----------
    components_ : ndarray of shape (n_seeded + n_free, n_terms)
        Seeded topics first, in the order of ``seed_topics_``.
    seed_topics_ : list of str
    seed_terms_, missing_seed_terms_ : dict of {str: list of str}
        Seed terms found in / missing from the vocabulary.
    n_topics_ : int
    reconstruction_err_ : float
        Frobenius norm of ``X - WH``.

    Examples
    --------
    >>> docs = ["脱贫 贫困户 增收", "脱贫 贫困户 帮扶", "疫情 隔离 卡点", "疫情 隔离 核酸", "道路 硬化", "道路 路灯"]
    >>> seeds = {"poverty": ["脱贫"], "epidemic": ["疫情"]}
    >>> model = SeededNMFTopicModel(seeds, n_free=1, vectorizer=TfidfVectorizer()).fit(docs)
    >>> [terms[0][0] for terms in model.top_terms(1)]
    ['脱贫', '疫情', '道路']
    >>> model.seed_retention(3)[0]["new_terms"]
    ['贫困户', '增收']
    """

    def __init__(
        self,
        seed_terms: dict | None = None,
        n_free: int = 4,
        seed_strength: float = 2.0,
        vectorizer=None,
        min_groups: int = 1,
        relevance: float = 1.0,
        init: str = "nndsvd",
        max_iter: int = 500,
        tol: float = 1e-5,
        random_state: int = 0,
    ):
        self.seed_terms = seed_terms
        self.n_free = n_free
        self.seed_strength = seed_strength
        self.vectorizer = vectorizer
        self.min_groups = min_groups
        self.relevance = relevance
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _default_vectorizer(self):
        return default_vectorizer()

    def _check_params(self) -> dict[str, tuple[str, ...]]:
        if not isinstance(self.n_free, int) or self.n_free < 0:
            raise ValueError(f"n_free must be a non-negative integer, got {self.n_free!r}")
        if not isinstance(self.seed_strength, int | float) or self.seed_strength < 0:
            raise ValueError(f"seed_strength must be a non-negative number, got {self.seed_strength!r}")
        if self.init not in ("nndsvd", "nndsvda", "nndsvdar", "random"):
            raise ValueError(f"init must be nndsvd, nndsvda, nndsvdar or random, got {self.init!r}")
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        return _validate_seed_terms(self.seed_terms)

    def fit(self, docs: Sequence[str], y=None, groups: Sequence[str] | None = None):
        seeds = self._check_params()
        self.vectorizer_, X = self._fit_vectorizer(list(docs), groups)
        X = sparse.csr_matrix(X, dtype=float)
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        self._index_seeds(seeds)
        n_seeded = len(self.seed_topics_)
        self.n_topics_ = n_seeded + self.n_free
        if X.shape[0] < self.n_topics_:
            raise ValueError(f"{X.shape[0]} documents cannot give {self.n_topics_} topics")
        P = self._seed_documents(X)
        W, H = self._initialise(X, P)
        W, H, self.n_iter_ = self._solve(X, P, W, H)
        self.components_ = H
        self.document_topics_ = W
        self.reconstruction_err_ = float(np.sqrt(max(_frobenius_loss(X, W, H), 0.0)))
        return self

    def _seed_documents(self, X: sparse.csr_matrix) -> np.ndarray:
        """One unit-length row per seeded topic: its seed terms, weighted by their mean TF-IDF."""
        mean = np.asarray(X.mean(axis=0)).ravel()
        P = np.zeros((len(self.seed_topics_), X.shape[1]))
        for k, name in enumerate(self.seed_topics_):
            cols = self.seed_indices_[name]
            P[k, cols] = np.maximum(mean[cols], 1e-12)
            P[k] /= np.linalg.norm(P[k])
        return P

    def _initialise(self, X: sparse.csr_matrix, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_seeded = len(self.seed_topics_)
        rows = []
        for k in range(n_seeded):
            mass = X @ (P[k] > 0).astype(float)  # seed-term weight of each document
            centroid = np.asarray(X.T @ mass).ravel() / max(mass.sum(), 1e-12)
            rows.append(centroid if centroid.any() else P[k])
        Hs = np.vstack(rows)
        Ws = np.maximum(np.asarray(X @ Hs.T), 0) / np.maximum((Hs**2).sum(axis=1), 1e-12)
        H, W = Hs, Ws
        if self.n_free:
            residual = _positive_residual(X, Ws, Hs)  # what the seeded topics leave unexplained
            free = NMF(n_components=self.n_free, init=self.init, max_iter=200, random_state=self.random_state)
            with warnings.catch_warnings():  # a starting point only: the joint updates below refine it
                warnings.simplefilter("ignore", ConvergenceWarning)
                Wf = free.fit_transform(residual)
            H = np.vstack([Hs, free.components_])
            W = np.hstack([Ws, Wf])
        return np.maximum(W, 1e-10), np.maximum(H, 1e-10)

    def _solve(self, X, P, W, H) -> tuple[np.ndarray, np.ndarray, int]:
        lam, n_seeded, eps = float(self.seed_strength), len(self.seed_topics_), 1e-12
        previous, n_iter = None, 0
        for n_iter in range(1, self.max_iter + 1):
            Hs = H[:n_seeded]
            scale = (P * Hs).sum(axis=1) / np.maximum((Hs**2).sum(axis=1), eps)  # best c_k
            numerator = np.asarray((X.T @ W).T)
            denominator = (W.T @ W) @ H
            numerator[:n_seeded] += lam * scale[:, None] * P
            denominator[:n_seeded] += lam * scale[:, None] ** 2 * Hs
            H = H * numerator / np.maximum(denominator, eps)
            W = W * np.asarray(X @ H.T) / np.maximum(W @ (H @ H.T), eps)
            if n_iter % 10 == 0:
                objective = _frobenius_loss(X, W, H) + lam * _seed_loss(P, H[:n_seeded])
                if previous is not None and previous - objective <= self.tol * previous:
                    break
                previous = objective
        return W, H, n_iter

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "components_")
        X = sparse.csr_matrix(self.vectorizer_.transform(list(docs)), dtype=float)
        W, _, _ = non_negative_factorization(
            X, H=self.components_, n_components=self.n_topics_, update_H=False, max_iter=self.max_iter
        )
        return W


def _positive_residual(X: sparse.csr_matrix, W: np.ndarray, H: np.ndarray) -> sparse.csr_matrix:
    """``max(X - WH, 0)`` on the non-zero cells of ``X`` (sparse)."""
    coo = X.tocoo()
    approx = np.einsum("ij,ji->i", W[coo.row], H[:, coo.col])
    residual = sparse.csr_matrix((np.maximum(coo.data - approx, 0.0), (coo.row, coo.col)), shape=X.shape)
    residual.eliminate_zeros()
    return residual


def _frobenius_loss(X: sparse.csr_matrix, W: np.ndarray, H: np.ndarray) -> float:
    """``||X - WH||_F^2`` without forming ``WH``."""
    cross = float(np.sum(W * np.asarray(X @ H.T)))
    return float(X.multiply(X).sum()) - 2 * cross + float(np.sum((W.T @ W) * (H @ H.T)))


def _seed_loss(P: np.ndarray, Hs: np.ndarray) -> float:
    """``sum_k min_c ||p_k - c h_k||^2`` for unit-length ``p_k``: the squared sines of the seed angles."""
    dots = (P * Hs).sum(axis=1)
    return float(np.sum(1.0 - dots**2 / np.maximum((Hs**2).sum(axis=1), 1e-12)))


class SeededLDATopicModel(_SeededMixin, _TopicModelBase):
    """Keyword-assisted LDA (tomotopy's word priors): seeded topics per category plus ``n_free`` free topics.

    Each seed term of topic ``k`` gets the topic-word prior ``seed_eta`` in
    topic ``k`` and ``eta`` elsewhere (as GuidedLDA and tomotopy's
    ``set_word_prior`` example); collapsed Gibbs sampling in one thread with
    a fixed seed makes a fit deterministic.  Needs the optional ``tomotopy``
    package (``pip install "nlp[topics]"``).  Counts come from the same
    vectorizer as :class:`LDATopicModel`; ``components_`` are the
    topic-word distributions, ``transform`` infers document-topic shares.

    Parameters
    ----------
    seed_terms : dict of {str: sequence of str}, optional
        Default :func:`codebook_seed_terms`.
    n_free : int, default=4
    seed_eta : float, default=1.0
        Prior weight of a seed term in its own topic.
    alpha : float, default=0.1
        Document-topic prior.
    eta : float, default=0.01
        Topic-word prior of every other term and topic.
    iterations : int, default=500
        Gibbs sweeps (``infer`` uses 100 per document).
    vectorizer, min_groups, relevance, random_state
        As in :class:`LDATopicModel`.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> docs = ["脱贫 贫困户 增收", "脱贫 贫困户 帮扶", "疫情 隔离 卡点", "疫情 隔离 核酸"] * 5
    >>> model = SeededLDATopicModel({"poverty": ["脱贫"], "epidemic": ["疫情"]}, n_free=0,
    ...                             vectorizer=CountVectorizer()).fit(docs)
    >>> [sorted(t for t, _ in terms[:2]) for terms in model.top_terms(2)]
    [['脱贫', '贫困户'], ['疫情', '隔离']]
    """

    def __init__(
        self,
        seed_terms: dict | None = None,
        n_free: int = 4,
        seed_eta: float = 1.0,
        alpha: float = 0.1,
        eta: float = 0.01,
        iterations: int = 500,
        vectorizer=None,
        min_groups: int = 1,
        relevance: float = 1.0,
        random_state: int = 0,
    ):
        self.seed_terms = seed_terms
        self.n_free = n_free
        self.seed_eta = seed_eta
        self.alpha = alpha
        self.eta = eta
        self.iterations = iterations
        self.vectorizer = vectorizer
        self.min_groups = min_groups
        self.relevance = relevance
        self.random_state = random_state

    def _default_vectorizer(self):
        return LDATopicModel()._default_vectorizer()

    def _tokens(self, docs: Sequence[str]) -> list[list[str]]:
        analyzer, vocabulary = self.vectorizer_.build_analyzer(), self.vectorizer_.vocabulary_
        return [[t for t in analyzer(doc) if t in vocabulary] for doc in docs]

    def fit(self, docs: Sequence[str], y=None, groups: Sequence[str] | None = None):
        tp = _tomotopy()
        if not isinstance(self.n_free, int) or self.n_free < 0:
            raise ValueError(f"n_free must be a non-negative integer, got {self.n_free!r}")
        for name in ("seed_eta", "alpha", "eta"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        seeds = _validate_seed_terms(self.seed_terms)
        docs = list(docs)
        self.vectorizer_, _ = self._fit_vectorizer(docs, groups)
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        self._index_seeds(seeds)
        n_seeded = len(self.seed_topics_)
        self.n_topics_ = n_seeded + self.n_free
        lda = tp.LDAModel(k=self.n_topics_, alpha=self.alpha, eta=self.eta, seed=self.random_state)
        for tokens in self._tokens(docs):
            if tokens:
                lda.add_doc(tokens)
        for k, name in enumerate(self.seed_topics_):
            for term in self.seed_terms_[name]:
                lda.set_word_prior(term, [self.seed_eta if t == k else self.eta for t in range(self.n_topics_)])
        lda.train(self.iterations, workers=1, parallel=tp.ParallelScheme.NONE)
        self.lda_ = lda
        position = {term: j for j, term in enumerate(lda.used_vocabs)}
        dist = np.array([lda.get_topic_word_dist(t) for t in range(self.n_topics_)], dtype=float)
        components = np.zeros((self.n_topics_, len(self.feature_names_)))
        for j, term in enumerate(self.feature_names_):
            if term in position:
                components[:, j] = dist[:, position[term]]
        self.components_ = components
        return self

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "lda_")
        tp = _tomotopy()
        tokens = self._tokens(list(docs))
        W = np.zeros((len(tokens), self.n_topics_))
        kept = [i for i, t in enumerate(tokens) if t]
        if kept:
            made = [self.lda_.make_doc(tokens[i]) for i in kept]
            inferred, _ = self.lda_.infer(made, iterations=100, workers=1, parallel=tp.ParallelScheme.NONE)
            W[kept] = np.asarray(inferred, dtype=float)
        return W

    def __getstate__(self):
        state = super().__getstate__()
        if "lda_" in state:  # tomotopy models pickle through their own byte format
            state["lda_"] = state["lda_"].saves(full=True)
        return state

    def __setstate__(self, state):
        if isinstance(state.get("lda_"), bytes):
            state = {**state, "lda_": _tomotopy().LDAModel.loads(state["lda_"])}
        super().__setstate__(state)


def _tomotopy():
    try:
        import tomotopy
    except ImportError as exc:
        raise ImportError("SeededLDATopicModel needs the tomotopy package: pip install tomotopy") from exc
    return tomotopy


def normalize_rows(W: np.ndarray) -> np.ndarray:
    """Document-topic weights as shares of each document (rows summing to 1; empty rows stay 0)."""
    totals = W.sum(axis=1, keepdims=True)
    return np.divide(W, totals, out=np.zeros_like(W, dtype=float), where=totals > 0)


def topic_shares(W: np.ndarray, groups: Sequence[str], skip_empty: bool = False) -> dict[str, np.ndarray]:
    """Mean topic share per group (e.g. per report or per part), from row-normalised weights.

    With ``skip_empty``, documents without any topic weight (no vocabulary
    term) are left out, so every group's shares sum to 1 (a group of only
    empty documents gets zeros).
    """
    shares = normalize_rows(W)
    groups = np.asarray(groups)
    keep = shares.sum(axis=1) > 0 if skip_empty else np.ones(len(groups), dtype=bool)
    result = {}
    for g in dict.fromkeys(groups):
        rows = shares[(groups == g) & keep]
        result[str(g)] = rows.mean(axis=0) if len(rows) else np.zeros(W.shape[1])
    return result


def grouped_share_intervals(
    report_shares: dict[str, np.ndarray],
    group_of: dict[str, object],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[object, dict]:
    """Mean topic shares of the reports in each group with percentile bootstrap intervals over *reports*.

    Reports are the independent units: each resample draws a group's
    reports with replacement (its sentences stay together), so the interval
    says how much the group mean depends on which reports happen to be in
    the corpus -- not on sentence-level noise.  Reports whose group is
    ``None`` are left out.  Returns ``{group: {"n_reports", "mean", "low",
    "high"}}`` in sorted group order.

    Examples
    --------
    >>> shares = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": np.array([0.5, 0.5])}
    >>> out = grouped_share_intervals(shares, {"a": 2020, "b": 2020, "c": 2021}, n_boot=200)
    >>> out[2020]["n_reports"], out[2020]["mean"].tolist(), out[2021]["low"].tolist()
    (2, [0.5, 0.5], [0.5, 0.5])
    """
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2 * 100
    members: dict[object, list[str]] = defaultdict(list)
    for report, group in group_of.items():
        if group is not None and report in report_shares:
            members[group].append(report)
    result = {}
    for group in sorted(members, key=str):
        values = np.vstack([report_shares[r] for r in members[group]])
        draws = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
        low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
        result[group] = {"n_reports": len(values), "mean": values.mean(axis=0), "low": low, "high": high}
    return result


class MiniBatchNMFTopicModel(_TopicModelBase):
    """NMF for corpora too large for memory: two streaming passes, then ``MiniBatchNMF.partial_fit``.

    Pass one counts document frequencies with the tokenizer and fixes the
    vocabulary (``min_df``, ``max_df`` as a share, at most ``max_features``
    terms by frequency) and its IDF weights; pass two turns each batch into
    sublinear, L2-normalised TF-IDF over that vocabulary and updates the
    factorisation.  Memory holds one batch and the vocabulary, never the
    whole document-term matrix.  Use it when :class:`NMFTopicModel` runs out
    of memory (millions of sentences); on a corpus that fits, the full-batch
    model converges to better topics.

    ``fit`` takes a list of documents or a zero-argument callable returning a
    fresh iterable of documents (read ``1 + passes`` times).  Updates follow
    the order of the stream: shuffle documents across reports, or one
    report's vocabulary dominates the first topics.

    Examples
    --------
    >>> docs = ["脱贫攻坚 贫困户 增收", "脱贫攻坚 贫困户", "疫情防控 隔离 卡点", "疫情防控 隔离"] * 5
    >>> model = MiniBatchNMFTopicModel(n_topics=2, tokenizer=str.split, min_df=1, batch_size=8).fit(docs)
    >>> sorted(terms[0][0] for terms in model.top_terms(1))
    ['疫情防控', '脱贫攻坚']
    """

    def __init__(
        self,
        n_topics: int = 10,
        tokenizer=None,
        min_df: int = 2,
        max_df: float = 0.5,
        max_features: int | None = 20000,
        batch_size: int = 2048,
        relevance: float = 1.0,
        beta_loss: str = "frobenius",
        passes: int = 3,
        random_state: int = 0,
    ):
        self.n_topics = n_topics
        self.tokenizer = tokenizer
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.batch_size = batch_size
        self.relevance = relevance
        self.beta_loss = beta_loss
        self.passes = passes
        self.random_state = random_state

    def _tokenize(self):
        return self.tokenizer if self.tokenizer is not None else JiebaTokenizer()

    def _batches(self, docs) -> Iterator[list[str]]:
        iterable = docs() if callable(docs) else docs
        batch: list[str] = []
        for doc in iterable:
            batch.append(doc)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _tfidf(self, batch: list[str]) -> sparse.csr_matrix:
        tokenize, index = self._tokenize(), self.vocabulary_
        rows, cols, vals = [], [], []
        for i, doc in enumerate(batch):
            counts = Counter(index[t] for t in tokenize(doc) if t in index)
            for j, c in counts.items():
                rows.append(i)
                cols.append(j)
                vals.append((1.0 + np.log(c)) * self.idf_[j])
        X = sparse.csr_matrix((vals, (rows, cols)), shape=(len(batch), len(index)))
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        return sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ X

    def fit(self, docs, y=None, groups=None):
        tokenize = self._tokenize()
        df: Counter = Counter()
        n_docs = 0
        for batch in self._batches(docs):
            for doc in batch:
                df.update(set(tokenize(doc)))
            n_docs += len(batch)
        ceiling = self.max_df * n_docs
        kept = [t for t, c in df.most_common() if self.min_df <= c <= ceiling][: self.max_features]
        if not kept:
            raise ValueError("no term is frequent enough for the vocabulary; lower min_df")
        self.feature_names_ = np.asarray(sorted(kept), dtype=object)
        self.vocabulary_ = {t: i for i, t in enumerate(self.feature_names_)}
        # smooth IDF, as scikit-learn's TfidfTransformer
        self.idf_ = np.log((1 + n_docs) / (1 + np.array([df[t] for t in self.feature_names_]))) + 1
        self.nmf_ = MiniBatchNMF(
            n_components=self.n_topics,
            batch_size=self.batch_size,
            beta_loss=self.beta_loss,
            random_state=self.random_state,
        )
        for _ in range(self.passes):
            for batch in self._batches(docs):
                if len(batch) >= self.n_topics:  # the first update initialises from its batch
                    self.nmf_.partial_fit(self._tfidf(batch))
        self.components_ = self.nmf_.components_
        return self

    def transform(self, docs) -> np.ndarray:
        check_is_fitted(self, "nmf_")
        return np.vstack([self.nmf_.transform(self._tfidf(batch)) for batch in self._batches(list(docs))])
