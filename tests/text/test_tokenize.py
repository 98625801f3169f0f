import importlib.util
import pickle
from itertools import chain

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.resources import read_word_list, resource_path
from nlp.text.tokenize import BACKENDS, JiebaTokenizer, normalize_token, read_user_dict

DOMAIN_TERMS = [word for word, _, _ in read_user_dict(str(resource_path("policy_terms.txt")))]
CONTEXTS = ["全镇要做好{}工作。", "持续推进{}，", "坚持{}的要求", "在{}中"]


def test_every_domain_term_stays_whole_in_context():
    tokenize = JiebaTokenizer(stopwords=False, min_length=1)
    broken = [(term, c) for term in DOMAIN_TERMS for c in CONTEXTS if term not in tokenize(c.format(term))]
    assert broken == []


def test_named_domain_terms_are_whole_where_plain_jieba_cuts_them():
    plain = JiebaTokenizer(user_dict=False, stopwords=False, min_length=1)
    ours = JiebaTokenizer()
    for term in ["两不愁三保障", "三会一课", "四议两公开", "防返贫监测", "反电信诈骗", "一肩挑"]:
        assert term not in plain(f"落实{term}。")
        assert term in ours(f"落实{term}。")


def test_stopwords_numbers_units_and_placeholders_are_dropped():
    tokens = JiebaTokenizer()("全镇X余名机关干部积极开展疫情防控工作，2020年共投入544万元，完成41.7%")
    assert tokens == ["机关干部", "疫情防控", "投入"]
    stopwords = set(read_word_list(resource_path("stopwords.txt")))
    assert {"全镇", "我镇", "工作", "开展", "进一步", "切实", "积极"} <= stopwords


def test_normalize_token():
    assert [normalize_token(t) for t in ["XX", "X村", "X064", "SYB", "２０20"]] == ["", "村", "", "syb", ""]
    assert normalize_token("2020", keep_numbers=True) == "2020"


def test_tokenizer_works_inside_tfidf_and_survives_pickle_and_clone():
    vectorizer = TfidfVectorizer(tokenizer=JiebaTokenizer(), token_pattern=None, lowercase=False)
    docs = ["落实两不愁三保障。", "开展扫黑除恶专项斗争。"]
    matrix = vectorizer.fit_transform(docs)
    restored = pickle.loads(pickle.dumps(vectorizer))
    assert (restored.transform(docs) != matrix).nnz == 0
    copy = clone(vectorizer)
    assert copy.get_params()["tokenizer"].get_params() == JiebaTokenizer().get_params()
    copy.set_params(tokenizer__min_length=1)
    assert copy.tokenizer.min_length == 1
    assert "两不愁三保障" in vectorizer.vocabulary_


def test_invalid_settings_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="backend"):
        JiebaTokenizer(backend="spacy")("文本")
    with pytest.raises(ValueError, match="min_length"):
        JiebaTokenizer(min_length=0)("文本")
    with pytest.raises(ValueError, match="does not exist"):
        JiebaTokenizer(stopwords=tmp_path / "none.txt")("文本")


def test_custom_word_lists(tmp_path):
    words = tmp_path / "dict.txt"
    words.write_text("荫田油茶 100 n\n", encoding="utf-8")
    stop = tmp_path / "stop.txt"
    stop.write_text("# comment\n收摘\n", encoding="utf-8")
    tokenize = JiebaTokenizer(user_dict=words, stopwords=stop)
    assert tokenize("荫田油茶收摘") == ["荫田油茶"]


def seed_sentences():
    from nlp.text.corpus import load_corpus
    from tests.helpers import SEEDS

    return [s.text for r in load_corpus(SEEDS) for s in r.sentences]


def corpus_sentences():
    """Every sentence of the seed and external reports: what the default model is trained on."""
    from nlp.text.corpus import default_report_paths, load_corpus

    return [s.text for r in load_corpus(default_report_paths()) for s in r.sentences]


def test_rjieba_matches_jieba_on_the_seed_and_external_reports():
    # the condition for rjieba being the default backend where it is installed
    texts = corpus_sentences()
    assert len(texts) > 1000
    ours, fast = JiebaTokenizer(backend="jieba"), JiebaTokenizer(backend="rjieba")
    assert [ours(t) for t in texts] == [fast(t) for t in texts]  # the tokens features see: 100% agreement
    raw_jieba = JiebaTokenizer(backend="jieba", stopwords=False, min_length=1)
    raw_rust = JiebaTokenizer(backend="rjieba", stopwords=False, min_length=1)
    differing = [t for t in texts if raw_jieba.cut(t) != raw_rust.cut(t)]
    agreement = 1 - len(differing) / len(texts)
    print(f"raw segmentation agreement jieba vs rjieba: {agreement:.2%} of {len(texts)} sentences")
    assert agreement >= 0.99
    for text in differing:  # the only disagreement: number ranges like 2019-2020, dropped as numbers anyway
        only = set(raw_jieba.cut(text)) ^ set(raw_rust.cut(text))
        assert all(token[0].isdigit() or token == "-" for token in only), only


def test_auto_backend_is_rjieba_where_installed():
    from nlp.text.tokenize import default_backend

    expected = "rjieba" if importlib.util.find_spec("rjieba") else "jieba"
    assert JiebaTokenizer().backend == "auto"
    assert default_backend() == expected
    assert JiebaTokenizer().resolved_settings().backend == expected
    with pytest.raises(ValueError, match="backend must be one of"):
        JiebaTokenizer(backend="spacy").resolved_settings()


def test_blocks_memo_and_plain_jieba_agree():
    import jieba

    from nlp.text.tokenize import clear_memo

    texts = seed_sentences()
    tokenize = JiebaTokenizer()
    first = [tokenize(t) for t in texts]
    assert [[tok for block in tokenize.blocks(t) for tok in block] for t in texts] == first
    clear_memo()
    assert [tokenize(t) for t in texts] == first
    engine = jieba.Tokenizer()
    for word, freq, tag in read_user_dict(str(resource_path("policy_terms.txt"))):
        engine.add_word(word, freq, tag)
    plain = JiebaTokenizer(stopwords=False, min_length=1, backend="jieba")
    assert all(plain.cut(t) == [w for w in engine.lcut(t) if not w.isspace()] for t in texts)


def test_set_backend_reaches_fitted_vectorizers():
    from nlp.classify.model import PolicyClassifier
    from nlp.text.tokenize import iter_tokenizers, set_backend

    clf = PolicyClassifier().fit(["做好疫情防控工作。", "开展扫黑除恶。"] * 2, ["epidemic", "governance"] * 2)
    assert set_backend(clf, "rjieba") >= 4
    assert {t.backend for t in iter_tokenizers(clf)} == {"rjieba"}
    with pytest.raises(ValueError, match="backend"):
        set_backend(clf, "spacy")


def test_the_readme_tokenizer_example_shows_what_the_code_returns():
    from tests.helpers import ROOT

    tokens = JiebaTokenizer()("全面落实“两不愁三保障”，覆盖贫困学生X名")
    assert tokens == ["两不愁三保障", "覆盖", "贫困学生"]
    assert f"# {tokens}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_new_tokenizer_reads_an_edited_stopword_file(tmp_path):
    # bug: memos and the stopword cache were keyed by path, so an edit in the same process was ignored
    stopwords = tmp_path / "stop.txt"
    stopwords.write_text("贫困学生\n", encoding="utf-8")
    sentence = "全面落实“两不愁三保障”，覆盖贫困学生X名"
    assert "贫困学生" not in JiebaTokenizer(stopwords=stopwords)(sentence)
    stopwords.write_text("覆盖\n", encoding="utf-8")
    tokens = JiebaTokenizer(stopwords=stopwords)(sentence)
    assert "贫困学生" in tokens and "覆盖" not in tokens


def test_an_edited_user_dictionary_gives_a_new_engine_and_settings(tmp_path):
    user_dict = tmp_path / "terms.txt"
    user_dict.write_text("落实两不愁\n", encoding="utf-8")
    first = JiebaTokenizer(user_dict=user_dict, stopwords=False).resolved_settings()
    user_dict.write_text("两不愁三保障 100000\n", encoding="utf-8")
    tokenizer = JiebaTokenizer(user_dict=user_dict, stopwords=False)
    assert tokenizer.resolved_settings().user_dict_sha256 != first.user_dict_sha256
    assert "两不愁三保障" in tokenizer("落实两不愁三保障")


def test_resolved_settings_follow_set_params_and_are_not_pickled():
    import pickle

    tokenizer = JiebaTokenizer()
    assert tokenizer.resolved_settings().min_length == 2
    tokenizer.set_params(min_length=3)
    assert tokenizer.resolved_settings().min_length == 3
    assert "_resolved" not in pickle.loads(pickle.dumps(tokenizer)).__dict__
    assert "_resolved" in tokenizer.__dict__  # pickling leaves the original's resolved settings alone


def test_remembered_clauses_win_over_a_text_seen_before():
    from nlp.text.tokenize import clear_memo

    tokenize = JiebaTokenizer()
    text = "加强基层党组织建设。"
    assert tokenize.blocks(text)[0] == ("基层党组织", "建设")  # now memoised as a whole text
    tokenize.remember({"加强基层党组织建设": ("记住的",)})
    assert tokenize.blocks(text)[0] == ("记住的",)
    clear_memo()
    assert tokenize.blocks(text)[0] == ("基层党组织", "建设")


# Characters each backend puts in a different kind of block, and the ones around them.
EDGE_CHARACTERS = "㐀䶿一龥鿕鿖鿿豈﫿𠀀𪜀 \u3000\t\r\n a1.5%-#&+_，。ａ１Ⅻ"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("settings", [{}, {"stopwords": False, "min_length": 1}])
def test_whole_text_tokens_equal_tokens_block_by_block(backend, settings):
    from nlp.text.tokenize import clear_memo

    if backend == "rjieba" and importlib.util.find_spec("rjieba") is None:
        pytest.skip("rjieba is not installed")
    texts = corpus_sentences()
    contexts = ["\n".join(texts[i : i + 5]) for i in range(0, len(texts), 5)]
    rng = np.random.default_rng(0)
    edges = ["".join(rng.choice(list(EDGE_CHARACTERS + "发展经济"), size=12)) for _ in range(2000)]
    tokenize = JiebaTokenizer(backend=backend, **settings)
    clear_memo()
    by_blocks = [tuple(chain.from_iterable(tokenize.blocks(t))) for t in texts + contexts + edges]
    clear_memo()
    assert [tokenize.tokens(t) for t in texts + contexts + edges] == by_blocks
    assert any(by_blocks[-len(edges) :])  # the edge cases hold tokens to compare


def test_tokens_of_remembered_clauses_come_from_the_table():
    tokenize = JiebaTokenizer()
    tokenize.remember({"落实两不愁三保障": ("记住的词",)})
    try:
        assert tokenize.tokens("落实两不愁三保障，覆盖贫困学生") == ("记住的词", "覆盖", "贫困学生")
    finally:
        from nlp.text.tokenize import clear_memo

        clear_memo()
    assert tokenize.tokens("落实两不愁三保障，覆盖贫困学生") == ("两不愁三保障", "覆盖", "贫困学生")


def test_tokens_of_gives_each_texts_tokens_whether_memoised_or_new():
    from nlp.text.tokenize import clear_memo

    texts = seed_sentences()[:400]
    tokenize = JiebaTokenizer()
    clear_memo()
    expected = [tuple(tokenize(t)) for t in texts]
    clear_memo()
    tokenize.tokens_of(texts[::3])  # a third memoised, the rest new
    assert tokenize.tokens_of(texts) == expected
    assert tokenize.tokens_of([]) == []
