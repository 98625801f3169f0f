"""Stage 8: topic models of report text -- NMF, with LDA for comparison.

:class:`NMFTopicModel` is a scikit-learn transformer: ``fit`` learns topics
from documents (sentences by default), ``transform`` gives document-topic
weights, ``components_`` the topic-term weights.  The vectorizer is a
parameter (default: TF-IDF over the project tokenizer, so stopwords,
numbers and ``X`` placeholders never become topic terms), and NNDSVD
initialisation makes a fit deterministic.  :class:`LDATopicModel` offers the
same interface over raw counts.

Helpers build documents at the chosen unit (sentence, section, report),
list top terms and representative documents, and average topic shares over
groups such as reports or report parts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import NMF, LatentDirichletAllocation, MiniBatchNMF
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .corpus import Report
from .tokenize import JiebaTokenizer

UNITS = ("sentence", "section", "report")


def topic_documents(reports: Sequence[Report], unit: str = "sentence") -> tuple[list[str], list[dict]]:
    """Texts to model and their metadata (``report_id``, ``township``, ``part``, ``index``).

    ``section`` joins the sentences of each deepest heading section (the
    text before the first heading is a section of its own); ``report`` joins
    a whole report.

    Examples
    --------
    >>> from nlp.corpus import load_corpus
    >>> docs, meta = topic_documents(load_corpus("seeds/003_788a321da40b58ee.txt"), unit="section")
    >>> len(docs), meta[1]["section"]
    (19, '一、2021年各项工作情况')
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    docs, meta = [], []
    for report in reports:
        base = {"report_id": report.report_id, "township": report.meta.township or report.report_id}
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


def normalize_rows(W: np.ndarray) -> np.ndarray:
    """Document-topic weights as shares of each document (rows summing to 1; empty rows stay 0)."""
    totals = W.sum(axis=1, keepdims=True)
    return np.divide(W, totals, out=np.zeros_like(W, dtype=float), where=totals > 0)


def topic_shares(W: np.ndarray, groups: Sequence[str]) -> dict[str, np.ndarray]:
    """Mean topic share per group (e.g. per report or per part), from row-normalised weights."""
    shares = normalize_rows(W)
    groups = np.asarray(groups)
    return {str(g): shares[groups == g].mean(axis=0) for g in dict.fromkeys(groups)}


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
