import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.classify.features import (
    DEFAULT_BLOCKS,
    CodebookLexicon,
    EmptySafe,
    HeadingRuleFeatures,
    SentenceField,
    StructureFeatures,
    make_features,
)

RECORDS = [
    {
        "text": "落实两不愁三保障。",
        "heading": "（二）脱贫攻坚",
        "nearest_heading": "（二）脱贫攻坚",
        "part": "review",
        "context": "落实两不愁三保障。",
        "is_heading": False,
        "is_item_lead": False,
    },
    {
        "text": "（三）疫情防控",
        "heading": "一、总结",
        "nearest_heading": "一、总结",
        "part": "plan",
        "context": "织密疫情防控网。",
        "is_heading": True,
        "is_item_lead": False,
    },
]


def test_default_features_fit_records_and_plain_strings():
    union = make_features()
    matrix = union.fit_transform([*RECORDS, "开展扫黑除恶。"])
    assert matrix.shape[0] == 3
    assert [name for name, _ in union.transformer_list] == list(DEFAULT_BLOCKS)
    assert np.isfinite(matrix.toarray()).all()


def test_feature_union_parts_are_grid_searchable():
    params = clone(make_features(weights={"words": 2.0})).get_params()
    assert params["transformer_weights"] == {"words": 2.0}
    assert "words__vectorize__vectorizer__tokenizer__min_length" in params
    with pytest.raises(ValueError, match="unknown feature blocks"):
        make_features(blocks=("words", "sentiment"))


def test_empty_fields_give_zero_columns_not_errors():
    safe = EmptySafe(TfidfVectorizer())
    assert safe.fit_transform(["", ""]).shape == (2, 0)
    assert safe.transform(["新句子"]).shape == (1, 0)
    assert EmptySafe(TfidfVectorizer(min_df=2, max_df=0.5)).fit(["aa", "aa"]).transform(["aa"]).shape == (1, 0)
    fitted = EmptySafe(TfidfVectorizer(min_df=2)).fit(["aa bb", "aa cc"]).vectorizer_
    assert getattr(fitted, "stop_words_", None) is None  # pruned terms are not kept in saved models


def test_lexicon_structure_and_rule_blocks():
    lexicon = CodebookLexicon(scale="count").fit(RECORDS)
    counts = dict(zip(lexicon.categories_, lexicon.transform(RECORDS).toarray()[0], strict=True))
    assert counts["poverty"] == 1 and counts["epidemic"] == 0
    structure = StructureFeatures().fit(RECORDS).transform(RECORDS).toarray()
    assert structure.tolist() == [[1, 0, 0, 0, 0], [0, 0, 1, 1, 0]]
    rules = HeadingRuleFeatures().fit(RECORDS).transform(RECORDS).toarray()
    assert rules.sum(axis=1).tolist() == [1, 1]
    with pytest.raises(ValueError, match="field"):
        SentenceField("title").fit(RECORDS)
    with pytest.raises(ValueError, match="scale"):
        CodebookLexicon(scale="tfidf").fit(RECORDS)


@pytest.mark.parametrize("field", ["text", "heading", "context"])
def test_fast_vectorizer_gives_scikit_learns_output(field):
    from nlp.classify.features import FastTfidfVectorizer, strip_numbers
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from nlp.text.tokenize import JiebaTokenizer
    from tests.helpers import SEED_FILES

    train = [r[field] for r in sentence_records(load_corpus(SEED_FILES[:3]))]
    test = [r[field] for r in sentence_records(load_corpus(SEED_FILES[3:]))] + ["", "\n", "  a  b ", "X12"]
    settings = [
        {"tokenizer": JiebaTokenizer(), "token_pattern": None, "lowercase": False, "sublinear_tf": True},
        {"analyzer": "char", "ngram_range": (1, 3), "preprocessor": strip_numbers, "min_df": 2, "sublinear_tf": True},
        {"analyzer": "char", "ngram_range": (2, 3)},
        {"analyzer": "word", "ngram_range": (1, 2)},  # no fast path: falls back to scikit-learn
    ]
    for params in settings:
        expected = TfidfVectorizer(**params).fit(train).transform(test)
        got = FastTfidfVectorizer(**params).fit(train).transform(test)
        assert got.shape == expected.shape
        assert abs(got - expected).max() < 1e-12, params


def _same_matrix(a, b) -> bool:
    """Equal bit for bit, in storage order too (what the model's arithmetic sees)."""
    a, b = a.tocsr(), b.tocsr()
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


@pytest.mark.parametrize("dense_keys", [None, 0])  # the default key tables, and every table searched
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3), (3, 3), (1, 3)])
def test_char_counts_are_scikit_learns(monkeypatch, dense_keys, ngram_range):
    from sklearn.feature_extraction.text import CountVectorizer

    from nlp.classify import inference
    from nlp.classify.features import FastTfidfVectorizer
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from tests.helpers import SEED_FILES

    if dense_keys is not None:
        monkeypatch.setattr(inference, "DENSE_KEYS", dense_keys)
    train = [r["text"] for r in sentence_records(load_corpus(SEED_FILES[:2]))] + ["😀好😀", "\x00中"]
    # documents that end or start where an n-gram of the vocabulary would run on, and characters outside it
    test = [r["text"] for r in sentence_records(load_corpus(SEED_FILES[2:4]))]
    test += ["", "好", "  a  b ", "\x00中\x00", "😀好😀", "中", "华", "中华人民", "\x01\x02"]
    fast = FastTfidfVectorizer(analyzer="char", ngram_range=ngram_range, min_df=2).fit(train)
    expected = CountVectorizer(analyzer="char", ngram_range=ngram_range, vocabulary=fast.vocabulary_).transform(test)
    assert _same_matrix(fast._count_chars(test), expected)
    assert fast._count_chars([]).shape == (0, len(fast.vocabulary_))


def test_repeated_lines_of_a_context_count_as_often_as_they_occur():
    from sklearn.feature_extraction.text import CountVectorizer

    from nlp.classify.features import FastTfidfVectorizer
    from nlp.text.tokenize import JiebaTokenizer

    lines = ["落实两不愁三保障。", "开展扫黑除恶。", "落实河长制，开展扫黑除恶。"]
    documents = ["\n".join(lines * 3), "\n".join([lines[2], lines[1], lines[2]]), lines[0], "", "\n\n"]
    params = {"tokenizer": JiebaTokenizer(), "token_pattern": None, "lowercase": False}
    fast = FastTfidfVectorizer(**params)
    fitted = fast.fit_transform(documents)
    expected = TfidfVectorizer(**params).fit(documents)
    assert list(fast.vocabulary_.items()) == list(expected.vocabulary_.items())  # first-seen order kept
    assert abs(fitted - expected.transform(documents)).max() < 1e-12
    assert _same_matrix(fast.transform(documents), fitted)
    counts = CountVectorizer(**params, vocabulary=fast.vocabulary_).transform(documents)
    assert _same_matrix(fast._count_words(documents), counts)

    lexicon = CodebookLexicon(field="context", scale="count").fit(RECORDS)
    once, thrice = ({**RECORDS[0], "context": "\n".join(lines * times)} for times in (1, 3))
    assert lexicon.transform([once]).sum() > 0
    assert (lexicon.transform([thrice]).toarray() == 3 * lexicon.transform([once]).toarray()).all()


FAST_FIT_SETTINGS = [
    {"sublinear_tf": True},  # words, as word_tfidf
    {"min_df": 2, "max_df": 0.5},  # the context block's pruning
    {"analyzer": "char", "ngram_range": (1, 3), "min_df": 2, "sublinear_tf": True},  # chars, as char_tfidf
    {"analyzer": "char", "ngram_range": (2, 3), "binary": True},
    {"analyzer": "char", "ngram_range": (1, 1), "max_features": 50},
]


@pytest.mark.parametrize("params", FAST_FIT_SETTINGS)
@pytest.mark.parametrize("field", ["text", "context"])
def test_fast_fit_learns_scikit_learns_vocabulary_and_idf(params, field):
    from nlp.classify.features import FastTfidfVectorizer, strip_numbers
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from nlp.text.tokenize import JiebaTokenizer
    from tests.helpers import SEED_FILES

    documents = [r[field] for r in sentence_records(load_corpus(SEED_FILES[:3]))] + ["", "  a  b ", "X12", "😀好"]
    word = {"tokenizer": JiebaTokenizer(), "token_pattern": None, "lowercase": False}
    params = {**(word if params.get("analyzer") != "char" else {"preprocessor": strip_numbers}), **params}
    fast = FastTfidfVectorizer(**params)
    assert fast._word_fast_path() or fast._char_fast_path()  # the case under test takes a fast path
    matrix = fast.fit_transform(documents)
    expected = TfidfVectorizer(**params).fit(documents)  # scikit-learn's own counting
    assert list(fast.vocabulary_.items()) == list(expected.vocabulary_.items())  # same order: same model file
    assert np.array_equal(fast.idf_, expected.idf_)
    assert _same_matrix(matrix, fast.transform(documents))  # fit_transform is transform's matrix, bit for bit
    assert _same_matrix(FastTfidfVectorizer(**params).fit(documents).transform(documents), matrix)


@pytest.mark.parametrize(
    "params, documents",
    [
        ({"analyzer": "char"}, ["", ""]),  # empty vocabulary
        ({"analyzer": "char", "min_df": 2}, ["乡镇", "会议"]),  # no terms remain
        ({"analyzer": "char", "min_df": 2, "max_df": 0.5}, ["乡镇", "会议"]),  # max_df below min_df
        ({"min_df": 2}, ["，。", "  "]),  # words: empty vocabulary
        ({"max_df": 0.5}, ["乡镇会议", "乡镇会议"]),  # words: no terms remain
    ],
)
def test_fast_fit_fails_as_scikit_learn_does(params, documents):
    from nlp.classify.features import FastTfidfVectorizer
    from nlp.text.tokenize import JiebaTokenizer

    if params.get("analyzer") != "char":
        params = {"tokenizer": JiebaTokenizer(), "token_pattern": None, "lowercase": False, **params}
    with pytest.raises(ValueError) as expected:
        TfidfVectorizer(**params).fit(documents)
    with pytest.raises(ValueError) as got:
        FastTfidfVectorizer(**params).fit(documents)
    assert str(got.value) == str(expected.value)


def test_empty_safe_fit_transform_equals_fit_then_transform():
    from nlp.classify.features import char_tfidf, word_tfidf
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from tests.helpers import SEED_FILES

    records = sentence_records(load_corpus(SEED_FILES[:2]))
    texts = [r["text"] for r in records]
    for vectorizer in (word_tfidf(), char_tfidf()):
        fitted_once = EmptySafe(vectorizer).fit_transform(texts)
        assert _same_matrix(fitted_once, EmptySafe(vectorizer).fit(texts).transform(texts))
    plain = EmptySafe(TfidfVectorizer())  # any other vectorizer: fit, then transform, as before
    assert _same_matrix(plain.fit_transform(texts), plain.transform(texts))
    assert EmptySafe(word_tfidf(min_df=2)).fit_transform(["乡镇", "会议"]).shape == (2, 0)
    union = make_features()
    assert _same_matrix(union.fit_transform(records), make_features().fit(records).transform(records))


def test_fast_vectorizer_forgets_its_lookups_on_refit_and_new_tokenizer():
    from nlp.classify.features import FastTfidfVectorizer
    from nlp.text.tokenize import JiebaTokenizer

    params = {"token_pattern": None, "lowercase": False}
    first, second = ["落实两不愁三保障。", "开展扫黑除恶。"], ["织密疫情防控网。", "落实河长制。"]
    vectorizer = FastTfidfVectorizer(tokenizer=JiebaTokenizer(), **params).fit(first)
    vectorizer.transform(first + second)  # fills the lookup caches
    vectorizer.fit(second)
    expected = TfidfVectorizer(tokenizer=JiebaTokenizer(), **params).fit(second).transform(first + second)
    assert abs(vectorizer.transform(first + second) - expected).max() < 1e-12

    vectorizer.set_params(tokenizer=JiebaTokenizer(min_length=1))  # same vocabulary, other tokens
    expected = TfidfVectorizer.transform(vectorizer, first + second)  # scikit-learn's own path
    assert abs(vectorizer.transform(first + second) - expected).max() < 1e-12


def test_every_block_names_its_features_so_coefficients_can_be_read():
    from nlp.classify.features import make_features
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from tests.helpers import SEEDS

    records = sentence_records(load_corpus(SEEDS))
    union = make_features().fit(records)
    names = union.get_feature_names_out()
    assert len(names) == union.transform(records[:3]).shape[1]
    assert "heading_rules__heading_rule=epidemic" in set(names)
    assert any(n.startswith("words__") and n.endswith("疫情防控") for n in names)


def test_fast_vectorizer_saves_its_vocabulary_packed_and_restores_it_exactly(tmp_path):
    import pickle

    import skops.io as sio

    from nlp.classify.features import FastTfidfVectorizer, word_tfidf
    from nlp.classify.persist import ALLOWED_TYPES

    vectorizer = word_tfidf().fit(["落实两不愁三保障。", "开展扫黑除恶专项斗争，做好疫情防控。", "做好疫苗接种"])
    vocabulary = dict(vectorizer.vocabulary_)
    state = vectorizer.__getstate__()
    assert "vocabulary_" not in state and vectorizer.vocabulary_ == vocabulary  # the estimator is left alone
    for restored in (
        pickle.loads(pickle.dumps(vectorizer)),
        sio.loads(sio.dumps(vectorizer), trusted=sorted(ALLOWED_TYPES)),
    ):
        assert list(restored.vocabulary_.items()) == list(vocabulary.items())  # order and columns
        texts = ["做好疫情防控", "扫黑除恶"]
        assert (restored.transform(texts) != vectorizer.transform(texts)).nnz == 0
    # a model saved before vocabularies were packed holds the plain dict, and still loads
    old_state = {key: value for key, value in state.items() if key != "_vocabulary_json"}
    old = FastTfidfVectorizer.__new__(FastTfidfVectorizer)
    old.__setstate__({**old_state, "vocabulary_": vocabulary})
    assert old.vocabulary_ == vocabulary
    with pytest.raises(ValueError, match="packed vocabulary"):
        FastTfidfVectorizer.__new__(FastTfidfVectorizer).__setstate__({**state, "_vocabulary_json": '{"a": "b"}'})


@pytest.mark.parametrize("settings", [{"lowercase": False}, {"preprocessor": "strip_numbers"}])
@pytest.mark.parametrize("separator_in_a_document", [False, True])
def test_char_counts_of_documents_processed_joined_are_scikit_learns(settings, separator_in_a_document):
    # numbers and runs of white space at the ends of documents: removing or collapsing them must stop there
    from sklearn.feature_extraction.text import CountVectorizer

    from nlp.classify.features import FastTfidfVectorizer, strip_numbers
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records
    from tests.helpers import SEED_FILES

    if settings.get("preprocessor"):
        settings = {"preprocessor": strip_numbers}
    train = [r["text"] for r in sentence_records(load_corpus(SEED_FILES[:2]))] + ["中 华 ", "好 1 好", " 中"]
    test = [r["text"] for r in sentence_records(load_corpus(SEED_FILES[2:3]))]
    test += ["12", "中1", "1中", " 3 ", "X镇 ", "  ", "Ab", "AB 中", "中  ", "\n好", "好\t"]
    fast = FastTfidfVectorizer(analyzer="char", ngram_range=(1, 3), **settings).fit(train)
    separator = fast._char_tables().separator
    if separator_in_a_document:
        test.append(f"中{separator}华")
    expected = CountVectorizer(analyzer="char", ngram_range=(1, 3), vocabulary=fast.vocabulary_, **settings)
    assert _same_matrix(fast._count_chars(test), expected.transform(test))
