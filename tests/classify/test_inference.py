import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.classify.features import terms_pattern
from nlp.classify.inference import KeyTable, counted_lines, normalize_rows_l2, rules_regex, term_counts
from nlp.classify.labels import HeadingRuleLabeler
from nlp.core.memo import clear_memos


@pytest.mark.parametrize("key_space", [10**6, 10**12])  # a dense array, and sorted keys searched
@pytest.mark.parametrize("largest", [7, 40_000])  # columns in int16, and beyond it
def test_key_table_looks_up_every_key_and_nothing_else(key_space, largest):
    keys = np.array([3, 999_999, 17, 0])
    values = np.array([largest, 0, 5, 1])
    table = KeyTable.of(keys, values, key_space)
    assert (table.dense is not None) == (key_space <= 2**22)
    queries = np.array([17, 3, 4, 0, 999_999, 999_998, 3])
    assert table.look_up(queries).tolist() == [5, largest, -1, 1, 0, -1, largest]
    empty = KeyTable.of(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), key_space)
    assert empty.look_up(queries).tolist() == [-1] * len(queries)


def test_counted_lines_keep_the_first_appearance_order():
    assert list(counted_lines("")) == [("", 1)]
    assert list(counted_lines("乙\n甲\n乙\n乙\n")) == [("乙", 3), ("甲", 1), ("", 1)]


TERMS = ["扫黑除恶", "扫黑除恶专项斗争", "除恶", "恶势力", "黑"]
LEXICON_PATTERNS = [
    terms_pattern(TERMS),  # overlapping terms of one category: leftmost, then longest, never overlapping
    terms_pattern(["恶势力", "专项"]),  # a term shared with another category
    "",  # a category without terms: its pattern matches the empty string everywhere
]


def findall_counts(documents, patterns):
    """What the lexicon counted before: ``findall`` per document and pattern."""
    return [[float(len(re.findall(p, d))) for p in patterns] for d in documents]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="扫黑除恶专项斗争势力，\n ", max_size=40), max_size=12))
def test_term_counts_equal_findall_on_every_document(documents):
    clear_memos()
    assert term_counts(documents, LEXICON_PATTERNS).tolist() == findall_counts(documents, LEXICON_PATTERNS)


@pytest.mark.parametrize("memo_size", [None, 50])  # the memo of lines counted lately, and one that fills up
def test_term_counts_equal_findall_on_the_seed_contexts_after_the_sentences(memo_size, monkeypatch):
    # the lexicon of a sentence's context runs after the sentence's own: the memo must not change a count
    if memo_size is not None:
        monkeypatch.setattr("nlp.classify.inference.MEMO_SIZE", memo_size)
    from nlp.classify.codebook import load_codebook
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from tests.helpers import SEEDS

    codebook = load_codebook()
    patterns = [terms_pattern(codebook[c].typical_terms) for c in codebook.ids]
    records = sentence_records(load_corpus(SEEDS))
    clear_memos()
    for field in ("text", "nearest_heading", "context"):
        documents = list(dict.fromkeys(r[field] for r in records))
        counts = term_counts(documents, patterns)
        assert counts.tolist() == findall_counts(documents, patterns), field
        assert counts.sum() > 0


def rule_by_rule(rules, heading):
    """What the heading rules gave before they were combined: each rule searched on its own."""
    hits = [(m.start(), i, category) for i, (category, p) in enumerate(rules) if (m := re.search(p, heading))]
    return min(hits)[2] if hits else None


HEADING_WORDS = ["疫情", "产业", "党建", "环境", "道路", "脱贫", "整治", "，", "一是", "工作"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HEADING_WORDS), max_size=8).map("".join))
def test_combined_heading_rules_label_as_rule_by_rule(heading):
    labeler = HeadingRuleLabeler().fit()
    assert rules_regex(tuple(p for _, p in labeler.rules_)) is not None  # the packaged rules combine
    assert labeler.label_heading(heading) == rule_by_rule(labeler.rules_, heading)


def test_combined_heading_rules_label_every_seed_heading_as_rule_by_rule():
    from nlp.text.corpus import load_corpus
    from tests.helpers import SEEDS

    labeler = HeadingRuleLabeler().fit()
    headings = {h for r in load_corpus(SEEDS) for s in r.sentences for h in (*s.heading_path, s.text)}
    labels = [labeler.label_heading(h) for h in headings]
    assert labels == [rule_by_rule(labeler.rules_, h) for h in headings]
    assert len(set(labels)) > 5


def test_rules_with_groups_of_their_own_are_searched_one_by_one():
    assert rules_regex(("(产业)\\1", "道路")) is None  # a back-reference would point elsewhere once combined
    assert rules_regex(("(?i)abc", "道路")) is None  # global flags must open the whole pattern
    assert rules_regex(("产业", "道路")).search("修道路").lastindex == 2


@pytest.mark.parametrize("seed", range(5))
def test_normalize_rows_l2_is_bit_identical_to_scikit_learn(seed):
    from scipy import sparse
    from sklearn.preprocessing import normalize

    rng = np.random.default_rng(seed)
    lengths = rng.choice([0, 1, 3, 40, 700], size=300)  # empty rows, short ones and long ones
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(5000, size=n, replace=False)) for n in lengths])
    data = rng.lognormal(sigma=3.0, size=indptr[-1])  # magnitudes far apart: rounding depends on the order
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(lengths), 5000))
    expected = normalize(matrix, norm="l2", copy=True)
    ours = normalize_rows_l2(matrix.copy())
    assert ours.data.tobytes() == expected.data.tobytes()
