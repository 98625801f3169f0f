"""Stage 6: turn sentence records (:mod:`nlp.text.records`) into feature matrices.

The transformers here follow scikit-learn conventions (parameters in
``__init__``, validation in ``fit``), so :func:`make_features` returns an
ordinary :class:`~sklearn.pipeline.FeatureUnion` whose parts can be swapped,
weighted and grid-searched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from nlp.classify.codebook import load_codebook
from nlp.classify.inference import (
    CODE_BITS,
    PACKED_VOCABULARY,
    DistinctTexts,
    FastCounts,
    HeadingRuleColumns,
    LexiconCounts,
    SelectField,
    StructureColumns,
    document_columns,
    is_plain_vocabulary,
    ngram_keys,
    remove_numbers,
)
from nlp.classify.labels import HeadingRuleLabeler
from nlp.text.records import FIELDS
from nlp.text.structure import PARTS
from nlp.text.tokenize import JiebaTokenizer

__all__ = [
    "DEFAULT_BLOCKS",
    "TEXT_BLOCKS",
    "CodebookLexicon",
    "EmptySafe",
    "FastTfidfVectorizer",
    "HeadingRuleFeatures",
    "SentenceField",
    "StructureFeatures",
    "char_tfidf",
    "make_features",
    "strip_numbers",
    "terms_pattern",
    "word_tfidf",
]


def strip_numbers(text: str) -> str:
    """Remove digits, decimal points, percentages and ``X`` placeholders (for character n-grams).

    Examples
    --------
    >>> strip_numbers("全镇X余名干部，完成41.7%")
    '全镇余名干部，完成'
    """
    return remove_numbers(text)  # defined there so that a frozen model needs no scikit-learn


def terms_pattern(terms) -> str:
    """One regex matching any of ``terms``, longest first (so 扫黑除恶专项斗争 beats 扫黑除恶)."""
    return "|".join(map(re.escape, sorted(terms, key=len, reverse=True)))


class SentenceField(SelectField, TransformerMixin, BaseEstimator):
    """Select one text field of sentence records, e.g. to feed a vectorizer.

    Parameters
    ----------
    field : str, default="text"
        One of :data:`FIELDS`.

    Examples
    --------
    >>> SentenceField("heading").fit_transform([{"text": "完成。", "heading": "一、总结"}, "裸句"])
    ['一、总结', '']
    """

    def __init__(self, field: str = "text"):
        self.field = field

    def fit(self, X, y=None):
        if self.field not in FIELDS:
            raise ValueError(f"field must be one of {FIELDS}, got {self.field!r}")
        return self

    def get_feature_names_out(self, input_features=None):
        """The one "feature" this step passes on: the field it selects (a vectorizer names the terms)."""
        return np.asarray([self.field], dtype=object)


class StructureFeatures(StructureColumns, TransformerMixin, BaseEstimator):
    """One-hot report part plus heading and item-lead flags (5 columns).

    A record without structure (a plain string) gets all zeros.
    """

    def fit(self, X, y=None):
        return self

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"part={p}" for p in PARTS] + ["is_heading", "is_item_lead"], dtype=object)


class CodebookLexicon(LexiconCounts, TransformerMixin, BaseEstimator):
    """Per-category counts of the codebook's typical terms in one field.

    Parameters
    ----------
    field : str, default="text"
        Record field to search.
    codebook : str or None, default=None
        Path of a codebook JSON; ``None`` uses the packaged codebook.
    scale : {"log", "binary", "count"}, default="log"
        ``log1p`` of the counts, presence only, or raw counts.

    Examples
    --------
    >>> lexicon = CodebookLexicon().fit(["x"])
    >>> row = lexicon.transform(["开展扫黑除恶，做好疫情防控和疫苗接种"]).toarray()[0]
    >>> dict(zip(lexicon.categories_, row.round(2).tolist()))["epidemic"]
    1.39
    """

    def __init__(self, field: str = "text", codebook: str | None = None, scale: str = "log"):
        self.field = field
        self.codebook = codebook
        self.scale = scale

    def fit(self, X, y=None):
        if self.scale not in {"log", "binary", "count"}:
            raise ValueError(f"scale must be 'log', 'binary' or 'count', got {self.scale!r}")
        SentenceField(self.field).fit(X)
        codebook = load_codebook(self.codebook)
        self.categories_ = list(codebook.ids)
        self.patterns_ = [terms_pattern(codebook[c].typical_terms) for c in self.categories_]
        return self

    def transform(self, X):
        check_is_fitted(self, "patterns_")
        return self._transform(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "categories_")
        return np.asarray([f"{self.field}:{c}" for c in self.categories_], dtype=object)


class HeadingRuleFeatures(HeadingRuleColumns, TransformerMixin, BaseEstimator):
    """One-hot of the weak label that heading rules give a sentence (see ``labels.HeadingRuleLabeler``)."""

    def __init__(self, rules: str | None = None):
        self.rules = rules

    def fit(self, X, y=None):
        self.labeler_ = HeadingRuleLabeler(rules=self.rules).fit()
        return self

    def transform(self, X):
        check_is_fitted(self, "labeler_")
        return self._transform(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "labeler_")
        return np.asarray([f"heading_rule={c}" for c in self.labeler_.classes_], dtype=object)


class FastTfidfVectorizer(FastCounts, TfidfVectorizer):
    """:class:`~sklearn.feature_extraction.text.TfidfVectorizer` with a vectorised ``transform``.

    Fitting is scikit-learn's own.  ``transform`` takes a fast path, with
    output identical to scikit-learn's (tested), in two common cases:

    * words from a :class:`~nlp.text.tokenize.JiebaTokenizer` (unigrams, no further
      preprocessing): each distinct line is cut once per process (the
      tokenizer's memo), so a section's text reuses its sentences' tokens,
      and a batch's tokens go through the vocabulary in one ``map``;
    * character n-grams up to length 3: characters become small integer ids
      in numpy and n-grams keys into tables of the vocabulary (arrays indexed
      by key where the key space is small, sorted keys searched otherwise).

    Anything else falls back to scikit-learn.  Predicting hundreds of
    megabytes of reports is dominated by this step, hence the effort.

    Fitting counts the same two cases the same way (scikit-learn then prunes
    and sorts the vocabulary as always), and ``fit_transform`` returns the
    matrix ``transform`` would, bit for bit, without counting twice.
    """

    def _count_vocab(self, raw_documents, fixed_vocab):
        """scikit-learn's counting step of ``fit``: ``(vocabulary, counts)``, here on the fast paths."""
        if fixed_vocab:
            return super()._count_vocab(raw_documents, fixed_vocab)
        documents = list(raw_documents)
        self.build_analyzer()  # unused, but scikit-learn's counting checks the stop words there, and notes it
        if self._word_fast_path():
            vocabulary, counts = self._learn_words(documents)
        elif self._char_fast_path():
            vocabulary, counts = self._learn_chars(documents)
        else:
            return super()._count_vocab(documents, fixed_vocab)
        if not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")  # sklearn's words
        return vocabulary, counts

    # Sorted indices after each step that reorders columns, as ``transform``'s counts have: the TF-IDF
    # rows of ``fit_transform`` then come out bit-identical to ``transform``'s.

    def _sort_features(self, X, vocabulary):
        return _sorted_indices(super()._sort_features(X, vocabulary))

    def _limit_features(self, X, vocabulary, high=None, low=None, limit=None):
        X = super()._limit_features(X, vocabulary, high, low, limit)
        return _sorted_indices(X) if sparse.issparse(X) else X  # (a tuple when there is nothing to limit)

    def _learn_words(self, documents: list[str]):
        vocabulary: dict[str, int] = {}
        block_columns: dict[tuple[str, ...], tuple[int, ...]] = {}
        counted = document_columns(
            documents, {}, lambda line: _line_columns(self.tokenizer.blocks(line), block_columns, vocabulary)
        )
        return vocabulary, self._canonical_counts(counted.columns, counted.indptr, len(vocabulary), counted.times)

    def _learn_chars(self, documents: list[str]):
        low, high = self.ngram_range
        codes, owner = self._char_codes(documents)
        # per n-gram length: the distinct n-grams, and where each first occurs
        lengths = [n for n in range(low, high + 1) if n <= len(codes)]
        distinct_keys, first_starts, occurrence_starts, occurrence_terms = [], [], [], []
        for n in lengths:
            starts = np.flatnonzero(owner[: len(codes) - n + 1] == owner[n - 1 :])  # inside one document
            keys, first, term = np.unique(ngram_keys(codes, n)[starts], return_index=True, return_inverse=True)
            distinct_keys.append(keys)
            first_starts.append(starts[first])
            occurrence_starts.append(starts)
            occurrence_terms.append(term.reshape(-1))
        # scikit-learn numbers terms as it meets them -- document by document, unigrams first -- and a
        # model file keeps that order: number them the same way
        term_lengths = np.repeat(lengths, [len(k) for k in distinct_keys])
        first_all = np.concatenate(first_starts) if first_starts else np.empty(0, dtype=np.intp)
        order = np.lexsort((first_all, term_lengths, owner[first_all]))
        column_of = np.empty(len(order), dtype=np.intp)
        column_of[order] = np.arange(len(order))
        terms = [t for keys, n in zip(distinct_keys, lengths, strict=True) for t in _ngram_texts(keys, n)]
        vocabulary = {terms[i]: column for column, i in enumerate(order.tolist())}
        # each position's n-grams side by side, as transform lays them out: rows come grouped by document
        by_position = np.full((len(codes), len(lengths)), -1, dtype=np.intp)
        offsets = np.cumsum([0] + [len(k) for k in distinct_keys])[:-1]
        for i, (offset, starts, term) in enumerate(zip(offsets, occurrence_starts, occurrence_terms, strict=True)):
            by_position[starts, i] = column_of[offset + term]
        positions_per_document = np.bincount(owner, minlength=len(documents))
        return vocabulary, self._counts_by_position(by_position, positions_per_document, len(vocabulary))

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the base class may hand out ``__dict__`` itself
        vocabulary = state.get("vocabulary_")
        if is_plain_vocabulary(vocabulary):
            # One JSON string instead of a dict: skops stores a dict as two nodes per entry, and
            # auditing and rebuilding 90,000 nodes was most of loading a model (pickles shrink too).
            state[PACKED_VOCABULARY] = json.dumps(state.pop("vocabulary_"))
        return state

    def __setstate__(self, state):
        state = dict(state)
        packed = state.pop(PACKED_VOCABULARY, None)
        super().__setstate__(state)
        if packed is not None:
            vocabulary = json.loads(packed)
            if not is_plain_vocabulary(vocabulary):
                raise ValueError("a packed vocabulary must map strings to column numbers")
            self.vocabulary_ = vocabulary

    def transform(self, raw_documents):
        check_is_fitted(self, "vocabulary_")
        documents = list(raw_documents)
        counts = self._fast_counts(documents)  # the fast paths live in nlp.classify.inference
        if counts is None:
            return super().transform(documents)
        return self._tfidf.transform(counts, copy=False)


def _sorted_indices(X):
    # the flag first: scikit-learn renumbers ``X.indices`` in place, and the flag still says "sorted"
    X.has_sorted_indices = False
    X.sort_indices()
    return X


def _line_columns(blocks, block_columns: dict, vocabulary: dict[str, int]) -> tuple[int, ...]:
    """Vocabulary columns of a line's tokens, adding new words; a clause seen before costs one lookup."""
    columns: list[int] = []
    for block in blocks:
        found = block_columns.get(block)
        if found is None:
            found = block_columns[block] = tuple(vocabulary.setdefault(t, len(vocabulary)) for t in block)
        columns += found
    return tuple(columns)


def _ngram_texts(keys: np.ndarray, n: int) -> list[str]:
    """The n-grams that ``ngram_keys`` packed into ``keys``, as strings."""
    mask = (1 << CODE_BITS) - 1
    codes = np.column_stack([(keys >> (CODE_BITS * (n - 1 - k))) & mask for k in range(n)]).astype(np.uint32)
    text = codes.tobytes().decode("utf-32-le")
    return [text[i : i + n] for i in range(0, len(text), n)]


def word_tfidf(tokenizer: JiebaTokenizer | None = None, **kwargs) -> TfidfVectorizer:
    """TF-IDF over jieba words with sensible defaults for short policy sentences."""
    params = {"sublinear_tf": True, "min_df": 1, "token_pattern": None, "lowercase": False, **kwargs}
    return FastTfidfVectorizer(tokenizer=tokenizer or JiebaTokenizer(), **params)


def char_tfidf(**kwargs) -> TfidfVectorizer:
    """TF-IDF over character 1-3-grams of text without numbers and placeholders."""
    params = {"analyzer": "char", "ngram_range": (1, 3), "sublinear_tf": True, "min_df": 2, **kwargs}
    return FastTfidfVectorizer(preprocessor=strip_numbers, **params)


class EmptySafe(DistinctTexts, TransformerMixin, BaseEstimator):
    """Wrap a vectorizer so a field with no usable words gives zero columns instead of an error.

    Sentences given as plain strings have no heading or context, and a tiny
    training set may leave no term between ``min_df`` and ``max_df``; a model
    trained on such data must still fit and predict.

    Examples
    --------
    >>> EmptySafe(TfidfVectorizer()).fit_transform(["", ""]).shape
    (2, 0)
    """

    def __init__(self, vectorizer):
        self.vectorizer = vectorizer

    def fit(self, X, y=None):
        self._fit(X, transform=False)
        return self

    def fit_transform(self, X, y=None):
        X = list(X)
        if not isinstance(self.vectorizer, FastTfidfVectorizer):
            # another vectorizer's fit_transform may differ from its transform in the last bit
            return self.fit(X).transform(X)
        matrix = self._fit(X, transform=True)  # fitting has counted every text already
        return sparse.csr_matrix((len(X), 0)) if matrix is None else matrix

    def _fit(self, X, transform: bool):
        self.vectorizer_ = clone(self.vectorizer)
        matrix = None
        try:
            matrix = self.vectorizer_.fit_transform(X) if transform else self.vectorizer_.fit(X)
        except ValueError as exc:
            # too few usable documents: nothing survives the stop list, or min_df/max_df cannot both hold
            if not any(m in str(exc) for m in ("empty vocabulary", "max_df corresponds to", "no terms remain")):
                raise
            self.vectorizer_ = None
        if getattr(self.vectorizer_, "stop_words_", None) is not None:
            # the terms pruned by min_df/max_df: introspection only, and most of a saved model's size
            self.vectorizer_.stop_words_ = None
        return matrix if transform and self.vectorizer_ is not None else None

    def transform(self, X):
        check_is_fitted(self, "vectorizer_")
        return self._transform(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vectorizer_")
        if self.vectorizer_ is None:
            return np.asarray([], dtype=object)
        return self.vectorizer_.get_feature_names_out()


def _field_pipeline(field: str, vectorizer) -> Pipeline:
    return Pipeline([("select", SentenceField(field)), ("vectorize", EmptySafe(vectorizer))])


#: Blocks of the default feature union, in order.
DEFAULT_BLOCKS = (
    "words",
    "chars",
    "heading",
    "context",
    "lexicon",
    "heading_lexicon",
    "context_lexicon",
    "heading_rules",
    "structure",
)

#: Blocks that need nothing but the sentence itself.
TEXT_BLOCKS = ("words", "chars", "lexicon")


def make_features(
    blocks: Sequence[str] = DEFAULT_BLOCKS,
    weights: dict[str, float] | None = None,
    tokenizer: JiebaTokenizer | None = None,
) -> FeatureUnion:
    """The feature union of a policy-sentence classifier.

    Parameters
    ----------
    blocks : sequence of str
        Which blocks to use: ``words`` and ``chars`` (TF-IDF of the sentence),
        ``heading`` (TF-IDF of its heading path), ``context`` (TF-IDF of its
        section text), ``lexicon`` and ``heading_lexicon`` (codebook terms in
        the sentence and its nearest heading), ``structure`` (part, heading
        and item-lead flags).
    weights : dict, optional
        Multiplier per block (``FeatureUnion.transformer_weights``).
    tokenizer : JiebaTokenizer, optional
        Shared by the word-level blocks.

    Examples
    --------
    >>> union = make_features(blocks=("words", "lexicon"))
    >>> union.fit_transform(["落实两不愁三保障。", "开展扫黑除恶。"]).shape
    (2, 11)
    """
    tokenizer = tokenizer or JiebaTokenizer()
    available = {
        "words": lambda: _field_pipeline("text", word_tfidf(tokenizer)),
        "chars": lambda: _field_pipeline("text", char_tfidf()),
        "heading": lambda: _field_pipeline("heading", word_tfidf(tokenizer)),
        "context": lambda: _field_pipeline("context", word_tfidf(tokenizer, min_df=2, max_df=0.5)),
        "lexicon": lambda: CodebookLexicon("text"),
        "heading_lexicon": lambda: CodebookLexicon("nearest_heading"),
        "context_lexicon": lambda: CodebookLexicon("context"),
        "heading_rules": lambda: HeadingRuleFeatures(),
        "structure": lambda: StructureFeatures(),
    }
    unknown = set(blocks) - set(available)
    if unknown:
        raise ValueError(f"unknown feature blocks {sorted(unknown)}; choose from {sorted(available)}")
    return FeatureUnion([(name, available[name]()) for name in blocks], transformer_weights=weights)
