"""What a trained classifier does when it predicts, without importing scikit-learn.

``python -m nlp predict`` on one small report should take well under a
second, and importing scikit-learn alone takes most of one (it imports SciPy's
statistics and pandas).  The steps of predicting -- selecting fields,
counting words and character n-grams, TF-IDF weighting, the lexicon, heading
and structure features, a linear model's softmax -- are therefore written
here on numpy and SciPy's sparse matrices only, and shared two ways:

* the scikit-learn estimators of :mod:`nlp.classify.features`,
  :mod:`nlp.classify.labels` and :mod:`nlp.classify.model` inherit the
  mixins below for their ``transform``/``predict_proba``;
* :mod:`nlp.classify.frozen` rebuilds a saved model from these classes alone
  (the ``Frozen*`` classes), for prediction.

The arithmetic follows scikit-learn's operation by operation (the same sums
in the same order), so a frozen model's probabilities are bit-identical to
the estimator's; ``tests/test_speed_equivalence.py`` checks it.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import chain, repeat
from operator import methodcaller
from typing import NamedTuple

import numpy as np
from scipy import sparse

from nlp.core.memo import MEMO_SIZE, compiled_regex, memo, store
from nlp.text.records import CONTEXT_SEPARATOR, get_field, get_fields
from nlp.text.sentences import HEADING_SEPARATOR
from nlp.text.structure import PARTS
from nlp.text.tokenize import JiebaTokenizer

__all__ = [
    "CODE_BITS",
    "DENSE_KEYS",
    "PACKED_VOCABULARY",
    "CharTables",
    "DistinctTexts",
    "DocumentColumns",
    "FastCounts",
    "FrozenClassifier",
    "FrozenEmptySafe",
    "FrozenField",
    "FrozenHeadingLabeler",
    "FrozenHeadingRules",
    "FrozenLexicon",
    "FrozenLogisticRegression",
    "FrozenPipeline",
    "FrozenStructure",
    "FrozenTfidf",
    "FrozenUnion",
    "HeadingRuleColumns",
    "HeadingRules",
    "KeyTable",
    "LexiconCounts",
    "SelectField",
    "StructureColumns",
    "TwoPipelines",
    "counted_lines",
    "distinct",
    "document_columns",
    "is_plain_vocabulary",
    "lines_matrix",
    "ngram_keys",
    "normalize_rows_l2",
    "remove_numbers",
    "rules_regex",
    "softmax",
    "temper",
    "term_counts",
    "tfidf_weight",
]

_NOISE_RE = re.compile(r"[0-9０-９.．%％XxＸ×]+")


def remove_numbers(text: str) -> str:
    """Remove digits, decimal points, percentages and ``X`` placeholders (see ``features.strip_numbers``)."""
    return _NOISE_RE.sub("", text)


def distinct(texts) -> tuple[list, np.ndarray]:
    """The distinct texts in first-seen order, and for each input the row of its text."""
    index: dict = {}
    rows = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.intp)
    return list(index), rows


# --- arithmetic, as scikit-learn does it ---------------------------------------------------------------


def temper(proba: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(log(proba) / temperature)`` row by row; the argmax never changes.

    Examples
    --------
    >>> temper(np.array([[0.9, 0.1]]), 2.0).round(3).tolist()
    [[0.75, 0.25]]
    """
    if temperature == 1.0 or proba.size == 0:
        return proba
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def softmax(scores: np.ndarray) -> np.ndarray:
    """In place, as ``sklearn.utils.extmath.softmax(scores, copy=False)``."""
    scores -= scores.max(axis=1).reshape((-1, 1))
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1).reshape((-1, 1))
    return scores


def normalize_rows_l2(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Scale each row of a CSR matrix to unit length, in place, bit for bit as scikit-learn's ``normalize``.

    Its Cython loop sums each row's squares one stored value after the other;
    numpy's sums are pairwise, which can differ in the last bit.  SciPy's
    sparse matrix-vector product sums each row in stored order too, so the
    squares times a vector of ones give the same sums (``x * 1.0 == x``).
    """
    data, indptr = matrix.data, matrix.indptr
    squares = sparse.csr_matrix((data * data, matrix.indices, indptr), shape=matrix.shape, copy=False)
    sums = squares @ np.ones(matrix.shape[1])
    norms = np.sqrt(sums)
    norms[sums == 0.0] = 1.0  # empty rows stay as they are (x / 1.0 == x)
    data /= np.repeat(norms, np.diff(indptr))
    return matrix


def tfidf_weight(counts: sparse.csr_matrix, idf, sublinear_tf: bool, norm) -> sparse.csr_matrix:
    """``TfidfTransformer.transform(counts, copy=False)``: the same steps on the same array."""
    if sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if idf is not None:
        counts.data *= idf[counts.indices]
    if norm == "l2":
        return normalize_rows_l2(counts)
    if norm is not None:
        raise ValueError(f"unsupported TF-IDF norm {norm!r}")
    return counts


# --- the transforms of nlp.classify.features ------------------------------------------------------------


class SelectField:
    """``transform``: the text of one field of each record (``SentenceField``)."""

    def transform(self, X) -> list[str]:
        return [str(value) for value in get_fields(X, self.field)]


class StructureColumns:
    """``transform``: one-hot report part plus heading and item-lead flags (``StructureFeatures``)."""

    def transform(self, X):
        parts = np.asarray(get_fields(X, "part"), dtype=object)
        columns = [parts == p for p in PARTS] + [get_fields(X, "is_heading"), get_fields(X, "is_item_lead")]
        return sparse.csr_matrix(np.column_stack(columns).astype(float).reshape(len(parts), len(PARTS) + 2))


class LexiconCounts:
    """``_transform``: per-category counts of codebook terms in one field (``CodebookLexicon``)."""

    def _transform(self, X):
        unique, rows = distinct(str(value) for value in get_fields(X, self.field))
        counts = term_counts(unique, self.patterns_)[rows]
        if self.scale == "log":
            counts = np.log1p(counts)
        elif self.scale == "binary":
            counts = (counts > 0).astype(float)
        return sparse.csr_matrix(counts)


def term_counts(documents: list[str], patterns: list[str]) -> np.ndarray:
    """``counts[i, k] = len(re.findall(patterns[k], documents[i]))`` as floats, each regex run once over all lines.

    No term spans a line break, so a document's count is the sum over its
    lines, and a line's the same within all distinct lines joined by line
    breaks: one ``finditer`` per category over the joined text, with each
    match assigned to its line, replaces a ``findall`` per line and
    category (nine calls per sentence cost more than their scanning).

    Examples
    --------
    >>> term_counts(["扫黑除恶\\n扫黑除恶", "疫情"], ["扫黑除恶", "疫情|疫苗"]).tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    lines_in_documents, lines = lines_matrix(documents)
    # whole counts: the sums are exact in any order
    return np.asarray(lines_in_documents @ _line_term_counts(lines, patterns))


def lines_matrix(documents: list[str], dtype=np.float64) -> tuple[sparse.csr_matrix, list[str]]:
    """The distinct lines of ``documents``, and how often each document holds each (documents x lines).

    Features that no line break can split (words, codebook terms) are counted
    per distinct line; this matrix times the lines' counts gives the documents'.

    Examples
    --------
    >>> matrix, lines = lines_matrix(["甲\\n乙\\n甲", "乙"])
    >>> lines, matrix.toarray().tolist()
    (['甲', '乙'], [[2.0, 1.0], [0.0, 1.0]])
    """
    # every line of every document in order, numbered by its first appearance: loops in C, not per line
    all_lines = CONTEXT_SEPARATOR.join(documents).split(CONTEXT_SEPARATOR) if documents else []
    lines = list(dict.fromkeys(all_lines))
    line_ids = dict(zip(lines, range(len(lines)), strict=True))
    line_of = np.fromiter(map(line_ids.__getitem__, all_lines), dtype=np.intp, count=len(all_lines))
    lines_per_document = np.fromiter(map(_line_breaks, documents), dtype=np.intp, count=len(documents)) + 1
    document_of = np.repeat(np.arange(len(documents)), lines_per_document)
    # (a line twice in a document is summed when the COO entries become CSR)
    shape = (len(documents), len(lines))
    return sparse.csr_matrix((np.ones(len(all_lines), dtype=dtype), (document_of, line_of)), shape=shape), lines


def _line_term_counts(lines: list[str], patterns: list[str]) -> np.ndarray:
    """Matches of each pattern in each of the distinct ``lines``, scanning only lines not seen lately.

    The lines of the last calls are kept per patterns (emptied beyond
    :data:`~nlp.core.memo.MEMO_SIZE`): a context's lines are the sentences
    that the text field's lexicon has just counted.  The memo holds one
    ``(line rows, counts)`` pair, replaced whole, so a thread always reads a
    consistent one.
    """
    memo_dict = memo("lexicon", *patterns)
    known_rows, known_counts = memo_dict.get("known", ({}, np.zeros((0, len(patterns)))))
    rows = np.fromiter(map(known_rows.get, lines, repeat(-1)), dtype=np.intp, count=len(lines))
    known = rows >= 0
    new = np.flatnonzero(~known)
    counts = np.empty((len(lines), len(patterns)))
    counts[known] = known_counts[rows[known]]
    new_lines = [lines[i] for i in new]
    counts[new] = _scan(new_lines, [compiled_regex(p) for p in patterns])
    if len(new):
        if len(known_rows) + len(new) > MEMO_SIZE:
            known_rows, known_counts = {}, known_counts[:0]
        added = dict(zip(new_lines, range(len(known_rows), len(known_rows) + len(new)), strict=True))
        memo_dict["known"] = ({**known_rows, **added}, np.concatenate([known_counts, counts[new]]))
    return counts


_line_breaks = methodcaller("count", CONTEXT_SEPARATOR)


def _scan(lines: list[str], regexes: list[re.Pattern]) -> np.ndarray:
    """Matches of each regex in each line (none holding a line break), from one scan per regex."""
    joined = CONTEXT_SEPARATOR.join(lines)
    # a line runs from its start up to and including the break after it
    next_starts = np.cumsum(np.fromiter(map(len, lines), dtype=np.intp, count=len(lines)) + 1)
    counts = np.zeros((len(lines), len(regexes)))
    for k, regex in enumerate(regexes):
        starts = np.fromiter((match.start() for match in regex.finditer(joined)), dtype=np.intp)
        counts[:, k] = np.bincount(np.searchsorted(next_starts, starts, side="right"), minlength=len(lines))
    return counts


@lru_cache(maxsize=16)
def rules_regex(patterns: tuple[str, ...]) -> re.Pattern | None:
    """One regex whose first match is the earliest match of any of ``patterns``, the first pattern's at a tie.

    Group ``i + 1`` holds the match of pattern ``i``: one search of a heading
    instead of one per rule.  ``None`` where combining could change a
    pattern's meaning (groups of its own, flags that must come first).

    Examples
    --------
    >>> rules_regex(("疫情|防疫", "产业")).search("推进产业发展和疫情防控").lastindex
    2
    """
    if any(compiled_regex(p).groups for p in patterns):
        return None
    try:
        return re.compile("|".join(f"({p})" for p in patterns))
    except re.error:
        return None


class HeadingRules:
    """``label_heading``/``predict``: weak labels from heading word rules (``HeadingRuleLabeler``)."""

    def _heading_labeler(self) -> Callable[[str], str | None]:
        """:meth:`label_heading` as a function, the rules combined once (:func:`rules_regex`)."""
        combined = rules_regex(tuple(p for _, p in self.rules_))
        if combined is None:
            return self._label_rule_by_rule
        search, categories = combined.search, [c for c, _ in self.rules_]

        def label(heading: str) -> str | None:
            match = search(heading)
            return categories[match.lastindex - 1] if match else None

        return label

    def _label_rule_by_rule(self, heading: str) -> str | None:
        hits = [(m.start(), i, c) for i, (c, p) in enumerate(self.rules_) if (m := compiled_regex(p).search(heading))]
        return min(hits)[2] if hits else None

    def _label_heading(self, heading: str) -> str | None:
        return self._heading_labeler()(heading)

    def label_heading(self, heading: str) -> str | None:
        """The category of one heading text, or ``None`` if no rule matches."""
        return self._label_heading(heading)

    def _label_path(self, own: str, heading_path: str, label: Callable[[str], str | None]) -> str:
        """The category of a sentence's own text (a heading's or item lead's), else of its nearest heading."""
        headings = [h for h in heading_path.split(HEADING_SEPARATOR) if h]
        for heading in [own, *reversed(headings)]:
            if heading and (category := label(heading)):
                return category
        return self.default

    def predict_one(self, record: dict | str, label: Callable[[str], str | None] | None = None) -> str:
        own = get_field(record, "text") if get_field(record, "is_heading") or get_field(record, "is_item_lead") else ""
        return self._label_path(own, str(get_field(record, "heading")), label or self._heading_labeler())

    def predict(self, X) -> np.ndarray:
        label = self._heading_labeler()
        return np.asarray([self.predict_one(x, label) for x in X])


class HeadingRuleColumns:
    """``_transform``: one-hot of the heading rules' label (``HeadingRuleFeatures``)."""

    def _transform(self, X):
        # the label depends on the heading path and, for headings and item leads, the text itself
        own_text = [
            text if heading or lead else ""
            for text, heading, lead in zip(
                get_fields(X, "text"), get_fields(X, "is_heading"), get_fields(X, "is_item_lead"), strict=True
            )
        ]
        keys = list(zip(own_text, map(str, get_fields(X, "heading")), strict=True))
        unique, rows = distinct(keys)
        labeler = self.labeler_
        label = labeler._heading_labeler()
        column_of = {category: column for column, category in enumerate(labeler.classes_)}
        columns = np.fromiter(
            (column_of[labeler._label_path(own, heading, label)] for own, heading in unique),
            dtype=np.intp,
            count=len(unique),
        )
        one_hot = np.zeros((len(rows), len(column_of)))
        one_hot[np.arange(len(rows)), columns[rows]] = 1.0
        return sparse.csr_matrix(one_hot)


class DistinctTexts:
    """``_transform``: vectorize each distinct text once; no vocabulary gives zero columns (``EmptySafe``)."""

    def _transform(self, X):
        if self.vectorizer_ is None:
            return sparse.csr_matrix((len(X), 0))
        # Sentences of one section share their heading and context: vectorize each distinct text once.
        unique, rows = distinct(X)
        vectorized = self.vectorizer_.transform(unique)
        return vectorized if len(unique) == len(rows) else vectorized[rows]  # (all distinct: rows in order)


_WHITE_SPACES = re.compile(r"\s\s+")  # as in sklearn's character analyzer
CODE_BITS = 21  # Unicode code points fit in 21 bits, so up to three of them fit in one int64 key
_char_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # vectorizer -> (vocabulary, tables)


def _stays(separator: str) -> bool:
    """Whether removing numbers and collapsing white space leave ``separator`` as it is, and stop at it."""
    return remove_numbers(separator) == separator and re.fullmatch(r"\s", separator) is None


def counted_lines(document: str) -> Iterable[tuple[str, int]]:
    """``(line, times)`` of each distinct line of a document, in order of first appearance.

    A unit's context repeats a sentence as often as the unit does (a report
    with the same heading in every chapter, or pasted twice): its counts are
    then worked out once per distinct line and multiplied, not summed line
    by line.  Counts are whole numbers, so the sums are exactly the same.

    Examples
    --------
    >>> list(counted_lines("甲\\n乙\\n甲"))
    [('甲', 2), ('乙', 1)]
    """
    lines = document.split(CONTEXT_SEPARATOR)
    return ((lines[0], 1),) if len(lines) == 1 else Counter(lines).items()


class DocumentColumns(NamedTuple):
    """Counted tokens of documents in CSR layout: row pointers, columns, and how often each is counted."""

    indptr: np.ndarray
    columns: np.ndarray
    times: np.ndarray | None  # None: each column once


def document_columns(documents: list[str], line_columns: dict, columns_of_line) -> DocumentColumns:
    """Every counted token of ``documents``, each line worked out once.

    A context is its sentences joined by line breaks, so lines repeat across
    documents: ``line_columns`` memoises ``columns_of_line(line)`` (a tuple).
    Column ids are gathered as plain tuples into one list and turned into an
    array once: a numpy array per clause, line and document cost more than
    the lookups themselves on new text.
    """
    columns: list[int] = []
    repeated: list[tuple[int, int, int]] = []  # (start, end, times) of the columns of a line seen `times` times
    indptr = np.zeros(len(documents) + 1, dtype=np.intp)
    for row, document in enumerate(documents, 1):
        for line, times in counted_lines(document):
            found = line_columns.get(line)
            if found is None:
                found = store(line_columns, line, columns_of_line(line))
            if times > 1 and found:
                repeated.append((len(columns), len(columns) + len(found), times))
            columns += found
        indptr[row] = len(columns)
    times = None
    if repeated:
        times = np.ones(len(columns))
        for start, end, count in repeated:
            times[start:end] = count
    return DocumentColumns(indptr, np.array(columns, dtype=np.intp), times)


def ngram_keys(codes: np.ndarray, n: int) -> np.ndarray:
    keys = codes[: len(codes) - n + 1].astype(np.int64)
    for k in range(1, n):
        keys = (keys << CODE_BITS) | codes[k : len(codes) - n + 1 + k]
    return keys


#: The state key under which ``FastTfidfVectorizer`` saves its vocabulary as one JSON string.
PACKED_VOCABULARY = "_vocabulary_json"


def is_plain_vocabulary(vocabulary) -> bool:
    """A dict of ``str`` terms to ``int`` columns: what JSON round-trips exactly, order included."""
    return isinstance(vocabulary, dict) and all(
        type(term) is str and type(column) is int for term, column in vocabulary.items()
    )


#: Largest key space held as a dense array by :class:`KeyTable` (entries); larger ones are searched.
DENSE_KEYS = 2**22


class KeyTable(NamedTuple):
    """Values of non-negative integer keys, -1 for a missing key: a dense array or sorted keys.

    Examples
    --------
    >>> table = KeyTable.of(np.array([5, 2]), np.array([0, 1]), key_space=8)
    >>> table.look_up(np.array([2, 3, 5])).tolist()
    [1, -1, 0]
    """

    dense: np.ndarray | None
    keys: np.ndarray | None
    values: np.ndarray | None

    @classmethod
    def of(cls, keys: np.ndarray, values: np.ndarray, key_space: int) -> KeyTable:
        if key_space <= DENSE_KEYS:
            small = len(values) == 0 or values.max() < np.iinfo(np.int16).max
            dense = np.full(key_space, -1, dtype=np.int16 if small else np.intp)
            dense[keys] = values
            return cls(dense, None, None)
        order = np.argsort(keys)
        return cls(None, keys[order], values[order])

    def look_up(self, queries: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.dense[queries]
        found = np.full(len(queries), -1, dtype=np.intp)
        if len(self.keys):
            position = np.minimum(np.searchsorted(self.keys, queries), len(self.keys) - 1)
            hit = self.keys[position] == queries
            found[hit] = self.values[position[hit]]
        return found


class CharTables(NamedTuple):
    """A character n-gram vocabulary (n = 1 to 3) as integer lookups, for counting n-grams with numpy.

    Characters get ids 1..K in ``by_code`` (0: not in the vocabulary).  A
    bigram's key is ``a * (K + 1) + b``; a trigram's is the id of its first
    two characters among the trigrams' prefixes (``prefixes``), times
    ``K + 1``, plus its third.  A table whose key space has at most
    :data:`DENSE_KEYS` entries is an array indexed by key (the bigrams of an
    alphabet of up to 2,047 characters); a larger one is searched, and only
    at the positions where a trigram can start.
    """

    separator: str  # a character outside the vocabulary, put between documents
    by_code: np.ndarray  # code point -> character id; the last entry (0) stands for every larger code point
    base: int  # K + 1
    by_length: dict  # n -> KeyTable of n-gram keys -> columns
    prefixes: KeyTable  # bigram key -> prefix id of the trigrams starting with it

    @classmethod
    def of(cls, vocabulary: dict[str, int]) -> CharTables:
        alphabet = sorted(set("".join(vocabulary)))
        alphabet_codes = np.array([ord(c) for c in alphabet], dtype=np.intp)
        by_code = np.zeros(int(alphabet_codes.max(initial=0)) + 2, dtype=np.int32)
        by_code[alphabet_codes] = np.arange(1, len(alphabet) + 1)
        base = len(alphabet) + 1
        separator = chr(next(code for code in range(len(alphabet) + 1) if chr(code) not in alphabet))
        grams: dict[int, tuple[list, list]] = {}
        for ngram, column in vocabulary.items():
            ngrams, columns = grams.setdefault(len(ngram), ([], []))
            ngrams.append(ngram)
            columns.append(column)
        by_length, prefixes = {}, KeyTable.of(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), 0)
        for n, (ngrams, column_list) in grams.items():
            # the n-grams of one length side by side: one row of character ids each
            codes = np.frombuffer("".join(ngrams).encode("utf-32-le"), dtype=np.uint32).reshape(len(ngrams), n)
            ids, columns = by_code[codes].astype(np.intp), np.array(column_list, dtype=np.intp)
            keys = ids[:, 0]
            if n >= 2:
                keys = keys * base + ids[:, 1]
            if n == 3:
                prefix_keys, prefix_ids = np.unique(keys, return_inverse=True)
                prefixes = KeyTable.of(prefix_keys, np.arange(len(prefix_keys)), base * base)
                keys = prefix_ids.reshape(-1) * base + ids[:, 2]
                key_space = len(prefix_keys) * base
            else:
                key_space = base**n
            by_length[n] = KeyTable.of(keys, columns, key_space)
        return cls(separator, by_code, base, by_length, prefixes)

    def char_ids(self, codes: np.ndarray) -> np.ndarray:
        return self.by_code[np.minimum(codes, len(self.by_code) - 1)].astype(np.intp)

    def columns(self, ids: np.ndarray, n: int, positions: int) -> np.ndarray:
        """The column of the n-gram starting at each of the first ``positions`` ids, -1 where none."""
        table = self.by_length.get(n)
        if table is None:
            return np.full(positions, -1, dtype=np.intp)
        first = ids[:positions]
        if n == 1:
            return table.look_up(first)
        bigrams = first * self.base + ids[1 : positions + 1]
        if n == 2:
            return table.look_up(bigrams)
        prefix = self.prefixes.look_up(bigrams)
        found = np.full(positions, -1, dtype=np.intp)
        starts = np.flatnonzero(prefix >= 0)  # only where the first two characters begin some trigram
        found[starts] = table.look_up(prefix[starts].astype(np.intp) * self.base + ids[starts + 2])
        return found


def _found_by_position(columns: np.ndarray, positions_per_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The columns found (not -1) at consecutive positions, one row of ``columns`` each, and CSR row pointers.

    The positions run output row after output row (``positions_per_row`` of
    each), so read position by position the found columns come grouped by
    row: the CSR rows need no sort by row.
    """
    found = columns >= 0
    counted_before = np.zeros(len(columns) + 1, dtype=np.intp)  # columns found before each position
    np.cumsum(found.sum(axis=1), out=counted_before[1:])
    row_starts = np.zeros(len(positions_per_row) + 1, dtype=np.intp)
    np.cumsum(positions_per_row, out=row_starts[1:])
    return columns[found], counted_before[row_starts]


class FastCounts:
    """Term counts of a fitted TF-IDF vectorizer, vectorised (``FastTfidfVectorizer``).

    ``_fast_counts`` returns ``None`` where neither fast path applies (then
    scikit-learn's own ``transform`` is needed).  The class using it provides
    scikit-learn's vectorizer attributes and ``build_preprocessor``/``decode``.
    """

    def _fast_counts(self, documents: list[str]) -> sparse.csr_matrix | None:
        if self._word_fast_path():
            counts = self._count_words(documents)
        elif self._char_fast_path():
            counts = self._count_chars(documents)
        else:
            return None
        if self.binary:
            counts.data.fill(1)
        return counts

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

    def _count_words(self, documents: list[str]) -> sparse.csr_matrix:
        """Counts of each distinct line's tokens, then of each document's lines (no token spans a line break).

        The tokens of every line go through the vocabulary in one ``map``; the
        lines' counts and the documents' are sparse products, not Python loops.
        """
        lines_in_documents, lines = lines_matrix(documents, self.dtype)
        tokens = self.tokenizer.tokens_of(lines)
        tokens_per_line = np.fromiter(map(len, tokens), dtype=np.intp, count=len(tokens))
        all_tokens = chain.from_iterable(tokens)
        columns = np.fromiter(
            map(self.vocabulary_.get, all_tokens, repeat(-1)), dtype=np.intp, count=int(tokens_per_line.sum())
        )
        found, indptr = _found_by_position(columns[:, None], tokens_per_line)
        shape = (len(lines), len(self.vocabulary_))
        in_lines = sparse.csr_matrix((np.ones(len(found), dtype=self.dtype), found, indptr), shape=shape)
        counts = lines_in_documents @ in_lines  # (duplicates in a line's row are summed)
        counts.sum_duplicates()  # sorted indices, as scikit-learn's
        return counts

    def _char_tables(self) -> CharTables:
        """The lookup tables of the current vocabulary, built once per fit (a refit starts afresh)."""
        cached = _char_tables.get(self)
        # the cache holds the vocabulary it was built for, so ``is`` cannot match a new dict at a reused address
        if cached is None or cached[0] is not self.vocabulary_:
            cached = _char_tables[self] = (self.vocabulary_, CharTables.of(self.vocabulary_))
        return cached[1]

    def _char_texts(self, documents: list[str]) -> list[str]:
        """The documents as the char analyzer sees them (preprocessed, runs of white space as one space)."""
        preprocess = self.build_preprocessor()
        return [_WHITE_SPACES.sub(" ", preprocess(self.decode(d))) for d in documents]

    def _char_codes(self, documents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """All documents' code points in one array (as the char analyzer sees them), and each one's document."""
        texts = self._char_texts(documents)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.intp, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        return codes, np.repeat(np.arange(len(texts)), lengths)

    def _count_chars(self, documents: list[str]) -> sparse.csr_matrix:
        tables = self._char_tables()
        # one separator after every document: an n-gram across two documents holds it and matches nothing
        joined, positions_per_document = self._joined_char_texts(documents, tables.separator)
        codes = np.frombuffer((joined + tables.separator * 3).encode("utf-32-le"), dtype=np.uint32)
        if positions_per_document is None:  # each document's characters and its separator, read off the separators
            ends = np.flatnonzero(codes[: len(joined) + 1] == ord(tables.separator))
            positions_per_document = np.diff(ends, prepend=-1)
        ids = tables.char_ids(codes)
        positions = len(ids) - 2  # every character and separator starts at most one n-gram of each length
        low, high = self.ngram_range
        columns = np.full((positions, high - low + 1), -1, dtype=np.intp)
        for n in range(low, high + 1):
            columns[:, n - low] = tables.columns(ids, n, positions)
        return self._counts_by_position(columns, positions_per_document)

    def _joined_char_texts(self, documents: list[str], separator: str) -> tuple[str, np.ndarray | None]:
        """:meth:`_char_texts` joined by ``separator``, and each one's length plus one (``None``: see below).

        Removing numbers and collapsing white space never reach across the
        separator (it is neither), so with those steps alone the documents are
        joined first and processed at once; no document then holds the
        separator, and the lengths are left to be read off it.
        """
        local = self.preprocessor is remove_numbers or (self.preprocessor is None and not self.lowercase)
        if local and documents and _stays(separator) and all(type(d) is str for d in documents):
            raw = separator.join(documents)
            if raw.count(separator) == len(documents) - 1:  # no document holds the separator itself
                return _WHITE_SPACES.sub(" ", raw if self.preprocessor is None else remove_numbers(raw)), None
        texts = self._char_texts(documents)
        return separator.join(texts), np.array([len(t) + 1 for t in texts], dtype=np.intp)

    def _counts_by_position(
        self, columns: np.ndarray, positions_per_document: np.ndarray, n_columns: int | None = None
    ) -> sparse.csr_matrix:
        """Counts from the column (-1: none) of each position's n-grams, one row of ``columns`` per position."""
        return self._canonical_counts(*_found_by_position(columns, positions_per_document), n_columns)

    def _canonical_counts(
        self, columns: np.ndarray, indptr: np.ndarray, n_columns: int | None = None, times: np.ndarray | None = None
    ) -> sparse.csr_matrix:
        """Counts of the ``columns`` of each row (CSR row pointers ``indptr``), duplicates summed, indices sorted.

        Each column counts once, or ``times[i]`` times.  The entries come grouped by row
        already, so no (row, column) sort is needed, only each row's own.
        """
        values = np.ones(len(columns), dtype=self.dtype) if times is None else times.astype(self.dtype)
        shape = (len(indptr) - 1, len(self.vocabulary_) if n_columns is None else n_columns)
        counts = sparse.csr_matrix((values, columns, indptr), shape=shape)
        counts.sum_duplicates()
        return counts


class TwoPipelines:
    """``predict_proba`` and friends of ``PolicyClassifier``: records to one pipeline, bare strings to the other."""

    def _proba(self, X) -> np.ndarray:
        X = list(X)
        proba = np.zeros((len(X), len(self.classes_)))
        bare = np.array([isinstance(x, str) for x in X], dtype=bool)
        if self.text_pipeline_ is None:
            bare[:] = False
        for mask, pipeline in ((~bare, self.pipeline_), (bare, self.text_pipeline_)):
            if mask.any():
                proba[mask] = pipeline.predict_proba([x for x, m in zip(X, mask, strict=True) if m])
        return temper(proba, getattr(self, "temperature", 1.0))

    def predict_proba(self, X) -> np.ndarray:
        return self._proba(X)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)  # first: an unfitted model raises NotFittedError there, not on classes_
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_with_scores(self, X) -> list[tuple[str, float]]:
        """``(label, probability of that label)`` for each sentence."""
        proba = self.predict_proba(X)
        best = np.argmax(proba, axis=1)
        return [(str(self.classes_[i]), float(proba[row, i])) for row, i in enumerate(best)]


# --- frozen models: the fitted state of a saved model, for prediction only -----------------------------


class FrozenField(SelectField):
    def __init__(self, field: str):
        self.field = field


class FrozenStructure(StructureColumns):
    pass


class FrozenLexicon(LexiconCounts):
    def __init__(self, field: str, patterns: list[str], scale: str):
        self.field, self.patterns_, self.scale = field, patterns, scale

    def transform(self, X):
        return self._transform(X)


class FrozenHeadingLabeler(HeadingRules):
    def __init__(self, rules: list, classes: np.ndarray, default: str):
        self.rules_, self.classes_, self.default = rules, classes, default


class FrozenHeadingRules(HeadingRuleColumns):
    def __init__(self, labeler: FrozenHeadingLabeler):
        self.labeler_ = labeler

    def transform(self, X):
        return self._transform(X)


class FrozenEmptySafe(DistinctTexts):
    def __init__(self, vectorizer):
        self.vectorizer_ = vectorizer

    def transform(self, X):
        return self._transform(X)


class FrozenTfidf(FastCounts):
    """A fitted ``FastTfidfVectorizer`` on one of its fast paths (the loader checks which)."""

    def __init__(self, settings: dict, vocabulary: dict, idf, sublinear_tf: bool, norm):
        self.__dict__.update(settings)  # analyzer, tokenizer, ngram_range, preprocessor, lowercase, ...
        self.vocabulary_, self.idf_, self.sublinear_tf, self.norm = vocabulary, idf, sublinear_tf, norm

    def build_preprocessor(self):
        # scikit-learn's: the given preprocessor, else lower-casing if asked (the loader refuses accents)
        if self.preprocessor is not None:
            return self.preprocessor
        return str.lower if self.lowercase else str

    def decode(self, document):
        return document.decode(self.encoding, self.decode_error) if isinstance(document, bytes) else document

    def transform(self, raw_documents):
        counts = self._fast_counts(list(raw_documents))
        return tfidf_weight(counts, self.idf_, self.sublinear_tf, self.norm)


class FrozenUnion:
    """``FeatureUnion.transform``: each part's columns (times its weight), side by side."""

    def __init__(self, parts: list[tuple[str, object]], weights: dict | None):
        self.parts, self.weights = parts, weights or {}

    def transform(self, X):
        blocks = []
        for name, part in self.parts:
            block = part.transform(X)
            weight = self.weights.get(name)
            blocks.append(block if weight is None else block * weight)
        if not blocks:
            return np.zeros((len(X), 0))
        if any(sparse.issparse(b) for b in blocks):
            return sparse.hstack(blocks).tocsr()
        return np.concatenate(blocks, axis=1)


class FrozenLogisticRegression:
    """``LogisticRegression.predict_proba`` of a multi-class model: softmax of the linear scores."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray):
        self.coef_, self.intercept_, self.classes_ = coef, intercept, classes

    def predict_proba(self, X) -> np.ndarray:
        if X.shape[1] != self.coef_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but the model expects {self.coef_.shape[1]}")
        return softmax(X @ self.coef_.T + self.intercept_)


class FrozenPipeline:
    """``Pipeline``: transforms in turn, then the last step's ``transform`` or ``predict_proba``."""

    def __init__(self, steps: list[tuple[str, object]]):
        self.steps = steps

    def _through(self, X, steps):
        for _, step in steps:
            if step is not None:
                X = step.transform(X)
        return X

    def transform(self, X):
        return self._through(X, self.steps)

    def predict_proba(self, X) -> np.ndarray:
        return self.steps[-1][1].predict_proba(self._through(X, self.steps[:-1]))

    @property
    def classes_(self):
        return self.steps[-1][1].classes_


class FrozenClassifier(TwoPipelines):
    """A saved ``PolicyClassifier`` rebuilt for prediction only (see :mod:`nlp.classify.frozen`)."""

    def __init__(self, pipeline, text_pipeline, classes, temperature: float, model_card: dict | None):
        self.pipeline_, self.text_pipeline_, self.classes_ = pipeline, text_pipeline, classes
        self.temperature = temperature
        if model_card is not None:
            self.model_card_ = model_card
