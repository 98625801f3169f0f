"""Stage 6: turn sentence records (:mod:`nlp.text.records`) into feature matrices.

The transformers here follow scikit-learn conventions (parameters in
``__init__``, validation in ``fit``), so :func:`make_features` returns an
ordinary :class:`~sklearn.pipeline.FeatureUnion` whose parts can be swapped,
weighted and grid-searched.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from nlp.classify.codebook import load_codebook
from nlp.classify.labels import HeadingRuleLabeler
from nlp.core.memo import compiled_regex, memo, store
from nlp.text.records import CONTEXT_SEPARATOR, FIELDS, get_fields
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

_NOISE_RE = re.compile(r"[0-9０-９.．%％XxＸ×]+")


def strip_numbers(text: str) -> str:
    """Remove digits, decimal points, percentages and ``X`` placeholders (for character n-grams).

    Examples
    --------
    >>> strip_numbers("全镇X余名干部，完成41.7%")
    '全镇余名干部，完成'
    """
    return _NOISE_RE.sub("", text)


def _distinct(texts) -> tuple[list[str], np.ndarray]:
    """The distinct texts in first-seen order, and for each input the row of its text."""
    index: dict[str, int] = {}
    rows = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.intp)
    return list(index), rows


def terms_pattern(terms) -> str:
    """One regex matching any of ``terms``, longest first (so 扫黑除恶专项斗争 beats 扫黑除恶)."""
    return "|".join(map(re.escape, sorted(terms, key=len, reverse=True)))


class SentenceField(TransformerMixin, BaseEstimator):
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

    def transform(self, X) -> list[str]:
        return [str(value) for value in get_fields(X, self.field)]

    def get_feature_names_out(self, input_features=None):
        """The one "feature" this step passes on: the field it selects (a vectorizer names the terms)."""
        return np.asarray([self.field], dtype=object)


class StructureFeatures(TransformerMixin, BaseEstimator):
    """One-hot report part plus heading and item-lead flags (5 columns).

    A record without structure (a plain string) gets all zeros.
    """

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        parts = np.asarray(get_fields(X, "part"), dtype=object)
        columns = [parts == p for p in PARTS] + [get_fields(X, "is_heading"), get_fields(X, "is_item_lead")]
        return sparse.csr_matrix(np.column_stack(columns).astype(float).reshape(len(parts), len(PARTS) + 2))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"part={p}" for p in PARTS] + ["is_heading", "is_item_lead"], dtype=object)


class CodebookLexicon(TransformerMixin, BaseEstimator):
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
        unique, rows = _distinct(SentenceField(self.field).fit_transform(X))
        regexes = [compiled_regex(p) for p in self.patterns_]
        line_counts = memo("lexicon", *self.patterns_)
        counts = np.array([self._counts(text, regexes, line_counts) for text in unique], dtype=float)
        counts = counts.reshape(len(unique), len(self.patterns_))[rows]
        if self.scale == "log":
            counts = np.log1p(counts)
        elif self.scale == "binary":
            counts = (counts > 0).astype(float)
        return sparse.csr_matrix(counts)

    @staticmethod
    def _counts(text: str, regexes: list, line_counts: dict) -> list[int]:
        """Term counts per category; a context is summed over its lines, each counted once per process."""
        total = None
        for line in text.split(CONTEXT_SEPARATOR):
            found = line_counts.get(line)
            if found is None:
                found = store(line_counts, line, [len(regex.findall(line)) for regex in regexes])
            total = found if total is None else [a + b for a, b in zip(total, found, strict=True)]
        return total

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "categories_")
        return np.asarray([f"{self.field}:{c}" for c in self.categories_], dtype=object)


class HeadingRuleFeatures(TransformerMixin, BaseEstimator):
    """One-hot of the weak label that heading rules give a sentence (see ``labels.HeadingRuleLabeler``)."""

    def __init__(self, rules: str | None = None):
        self.rules = rules

    def fit(self, X, y=None):
        self.labeler_ = HeadingRuleLabeler(rules=self.rules).fit()
        return self

    def transform(self, X):
        check_is_fitted(self, "labeler_")
        # the label depends on the heading path and, for headings and item leads, the text itself
        own_text = [
            text if heading or lead else ""
            for text, heading, lead in zip(
                get_fields(X, "text"), get_fields(X, "is_heading"), get_fields(X, "is_item_lead"), strict=True
            )
        ]
        keys = list(zip(own_text, get_fields(X, "heading"), strict=True))
        unique, rows = _distinct(keys)
        predicted = self.labeler_.predict(
            [{"text": text, "heading": heading, "is_heading": bool(text)} for text, heading in unique]
        )[rows]
        classes = list(self.labeler_.classes_)
        rows = np.zeros((len(predicted), len(classes)))
        for i, label in enumerate(predicted):
            rows[i, classes.index(label)] = 1.0
        return sparse.csr_matrix(rows)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "labeler_")
        return np.asarray([f"heading_rule={c}" for c in self.labeler_.classes_], dtype=object)


_WHITE_SPACES = re.compile(r"\s\s+")  # as in sklearn's character analyzer
_CODE_BITS = 21  # Unicode code points fit in 21 bits, so up to three of them fit in one int64 key
_lookup_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ngram_keys(codes: np.ndarray, n: int) -> np.ndarray:
    keys = codes[: len(codes) - n + 1].astype(np.int64)
    for k in range(1, n):
        keys = (keys << _CODE_BITS) | codes[k : len(codes) - n + 1 + k]
    return keys


_PACKED_VOCABULARY = "_vocabulary_json"


def _is_plain_vocabulary(vocabulary) -> bool:
    """A dict of ``str`` terms to ``int`` columns: what JSON round-trips exactly, order included."""
    return isinstance(vocabulary, dict) and all(
        type(term) is str and type(column) is int for term, column in vocabulary.items()
    )


class FastTfidfVectorizer(TfidfVectorizer):
    """:class:`~sklearn.feature_extraction.text.TfidfVectorizer` with a vectorised ``transform``.

    Fitting is scikit-learn's own.  ``transform`` takes a fast path, with
    output identical to scikit-learn's (tested), in two common cases:

    * words from a :class:`~nlp.text.tokenize.JiebaTokenizer` (unigrams, no further
      preprocessing): vocabulary lookups are cached per clause, so a
      section's text reuses the work done for its sentences;
    * character n-grams up to length 3: n-grams become integer keys in numpy
      and are looked up in the vocabulary in one ``searchsorted``.

    Anything else falls back to scikit-learn.  Predicting hundreds of
    megabytes of reports is dominated by this step, hence the effort.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the base class may hand out ``__dict__`` itself
        vocabulary = state.get("vocabulary_")
        if _is_plain_vocabulary(vocabulary):
            # One JSON string instead of a dict: skops stores a dict as two nodes per entry, and
            # auditing and rebuilding 90,000 nodes was most of loading a model (pickles shrink too).
            state[_PACKED_VOCABULARY] = json.dumps(state.pop("vocabulary_"))
        return state

    def __setstate__(self, state):
        state = dict(state)
        packed = state.pop(_PACKED_VOCABULARY, None)
        super().__setstate__(state)
        if packed is not None:
            vocabulary = json.loads(packed)
            if not _is_plain_vocabulary(vocabulary):
                raise ValueError("a packed vocabulary must map strings to column numbers")
            self.vocabulary_ = vocabulary

    def transform(self, raw_documents):
        check_is_fitted(self, "vocabulary_")
        documents = list(raw_documents)
        if self._word_fast_path():
            counts = self._count_words(documents)
        elif self._char_fast_path():
            counts = self._count_chars(documents)
        else:
            return super().transform(documents)
        if self.binary:
            counts.data.fill(1)
        return self._tfidf.transform(counts, copy=False)

    def _word_fast_path(self) -> bool:
        return (
            self.analyzer == "word"
            and isinstance(self.tokenizer, JiebaTokenizer)
            and tuple(self.ngram_range) == (1, 1)
            and self.preprocessor is None
            and not self.lowercase
            and self.strip_accents is None
            and not self.stop_words
            and self.input == "content"
        )

    def _char_fast_path(self) -> bool:
        low, high = self.ngram_range
        return self.analyzer == "char" and 1 <= low <= high <= 3 and self.input == "content"

    def _cache(self) -> dict:
        """Lookups of the current vocabulary and tokenizer: a refit or another tokenizer starts afresh."""
        tokenizer = self.tokenizer.resolved_settings() if isinstance(self.tokenizer, JiebaTokenizer) else None
        cache = _lookup_caches.get(self)
        # the cache holds the vocabulary it was built for, so ``is`` cannot match a new dict at a reused address
        if cache is None or cache["vocabulary"] is not self.vocabulary_ or cache["tokenizer"] != tokenizer:
            cache = _lookup_caches[self] = {"vocabulary": self.vocabulary_, "tokenizer": tokenizer}
        return cache

    def _count_words(self, documents: list[str]) -> sparse.csr_matrix:
        cache = self._cache()
        blocks = cache.setdefault("blocks", {})
        lines = cache.setdefault("lines", {})
        vocabulary = self.vocabulary_
        # Column ids as plain tuples, gathered into one list and turned into an array once: a numpy
        # array per clause, line and document cost more than the lookups themselves on new text.
        columns: list[int] = []
        lengths = np.empty(len(documents), dtype=np.intp)
        for row, document in enumerate(documents):
            start = len(columns)
            # a context is its sentences joined by line breaks, so lines repeat across documents
            for line in document.split(CONTEXT_SEPARATOR):
                found = lines.get(line)
                if found is None:
                    found = store(lines, line, self._line_ids(line, blocks, vocabulary))
                columns += found
            lengths[row] = len(columns) - start
        rows = np.repeat(np.arange(len(documents)), lengths)
        return self._to_matrix_from([rows], [np.array(columns, dtype=np.intp)], len(documents))

    def _line_ids(self, line: str, blocks: dict, vocabulary: dict) -> tuple[int, ...]:
        ids: list[int] = []
        for block in self.tokenizer.blocks(line):
            found = blocks.get(block)
            if found is None:
                found = store(blocks, block, tuple(vocabulary[t] for t in block if t in vocabulary))
            ids += found
        return tuple(ids)

    def _char_tables(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        cache = self._cache()
        if "tables" not in cache:
            by_length: dict[int, tuple[list, list]] = {}
            for ngram, column in self.vocabulary_.items():
                codes = np.frombuffer(ngram.encode("utf-32-le"), dtype=np.uint32)
                keys, columns = by_length.setdefault(len(ngram), ([], []))
                keys.append(int(_ngram_keys(codes, len(ngram))[0]))
                columns.append(column)
            tables = {}
            for n, (keys, columns) in by_length.items():
                order = np.argsort(keys)
                tables[n] = (np.asarray(keys, dtype=np.int64)[order], np.asarray(columns, dtype=np.intp)[order])
            cache["tables"] = tables
        return cache["tables"]

    def _count_chars(self, documents: list[str]) -> sparse.csr_matrix:
        preprocess = self.build_preprocessor()
        texts = [_WHITE_SPACES.sub(" ", preprocess(self.decode(d))) for d in documents]
        tables = self._char_tables()
        low, high = self.ngram_range
        # All documents in one array; an n-gram counts only if it starts and ends in the same document.
        lengths = np.fromiter((len(t) for t in texts), dtype=np.intp, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        owner = np.repeat(np.arange(len(texts)), lengths)
        rows, columns = [], []
        for n in range(low, high + 1):
            if n not in tables or len(codes) < n:
                continue
            keys, table_columns = tables[n]
            ngrams = _ngram_keys(codes, n)
            position = np.searchsorted(keys, ngrams)
            position[position == len(keys)] = 0
            hit = (keys[position] == ngrams) & (owner[: len(ngrams)] == owner[n - 1 :])
            rows.append(owner[: len(ngrams)][hit])
            columns.append(table_columns[position[hit]])
        return self._to_matrix_from(rows, columns, len(documents))

    def _to_matrix_from(self, rows: list[np.ndarray], columns: list[np.ndarray], n_documents: int):
        rows_all = np.concatenate(rows) if rows else np.empty(0, dtype=np.intp)
        columns_all = np.concatenate(columns) if columns else np.empty(0, dtype=np.intp)
        values = np.ones(len(columns_all), dtype=self.dtype)
        counts = sparse.csr_matrix((values, (rows_all, columns_all)), shape=(n_documents, len(self.vocabulary_)))
        counts.sum_duplicates()
        counts.sort_indices()
        return counts


def word_tfidf(tokenizer: JiebaTokenizer | None = None, **kwargs) -> TfidfVectorizer:
    """TF-IDF over jieba words with sensible defaults for short policy sentences."""
    params = {"sublinear_tf": True, "min_df": 1, "token_pattern": None, "lowercase": False, **kwargs}
    return FastTfidfVectorizer(tokenizer=tokenizer or JiebaTokenizer(), **params)


def char_tfidf(**kwargs) -> TfidfVectorizer:
    """TF-IDF over character 1-3-grams of text without numbers and placeholders."""
    params = {"analyzer": "char", "ngram_range": (1, 3), "sublinear_tf": True, "min_df": 2, **kwargs}
    return FastTfidfVectorizer(preprocessor=strip_numbers, **params)


class EmptySafe(TransformerMixin, BaseEstimator):
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
        self.vectorizer_ = clone(self.vectorizer)
        try:
            self.vectorizer_.fit(X)
        except ValueError as exc:
            # too few usable documents: nothing survives the stop list, or min_df/max_df cannot both hold
            if not any(m in str(exc) for m in ("empty vocabulary", "max_df corresponds to", "no terms remain")):
                raise
            self.vectorizer_ = None
        if getattr(self.vectorizer_, "stop_words_", None) is not None:
            # the terms pruned by min_df/max_df: introspection only, and most of a saved model's size
            self.vectorizer_.stop_words_ = None
        return self

    def transform(self, X):
        check_is_fitted(self, "vectorizer_")
        if self.vectorizer_ is None:
            return sparse.csr_matrix((len(X), 0))
        # Sentences of one section share their heading and context: vectorize each distinct text once.
        unique, rows = _distinct(X)
        return self.vectorizer_.transform(unique)[rows]

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
