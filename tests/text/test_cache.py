import gc
import json
import subprocess
import sys

import pytest

from nlp.core.errors import InputError
from nlp.text.cache import TokenCache, tokenizer_fingerprint, warm_tokens
from nlp.text.corpus import load_corpus, parse_report
from nlp.text.tokenize import JiebaTokenizer, clear_memo, default_backend
from tests.helpers import ROOT, SEED_FILES, seed


def test_cached_reports_equal_freshly_parsed_ones(tmp_path):
    cache = TokenCache(tmp_path)
    cold = load_corpus(SEED_FILES, cache=cache)
    warm = load_corpus(SEED_FILES, cache=cache)
    fresh = load_corpus(SEED_FILES)
    assert cold == warm == fresh
    assert len(list((tmp_path).glob("reports-*/*.json"))) == 5


def test_bulk_reads_mark_misses_and_restore_the_garbage_collector(tmp_path):
    cache = TokenCache(tmp_path)
    cache.report(seed("001"))
    assert [r is not None for r in cache.cached_reports([seed("001"), seed("002")])] == [True, False]
    assert gc.isenabled()
    with pytest.raises(InputError, match="no such file"):
        cache.cached_reports([tmp_path / "missing.txt"])
    assert gc.isenabled()


def test_same_content_under_another_name_keeps_that_name(tmp_path):
    cache = TokenCache(tmp_path / "cache")
    copy = tmp_path / "copy_of_003.txt"
    copy.write_bytes(seed("003").read_bytes())
    cache.report(seed("003"))
    report = cache.report(copy)
    assert report.report_id == "copy_of_003"
    assert {s.report_id for s in report.sentences} == {"copy_of_003"}
    assert report.sentences == parse_report(copy).sentences


def test_warm_tokens_reads_back_what_it_stored(tmp_path):
    cache = TokenCache(tmp_path)
    reports = load_corpus(SEED_FILES)
    tokenize = JiebaTokenizer()
    expected = [tokenize(s.text) for r in reports for s in r.sentences]
    clear_memo()
    assert warm_tokens(reports, tokenize, cache) == {"cached": 0, "segmented": 5}
    clear_memo()
    assert warm_tokens(reports, tokenize, cache) == {"cached": 5, "segmented": 0}
    assert [tokenize(s.text) for r in reports for s in r.sentences] == expected


def test_damaged_entries_are_misses_and_get_rewritten(tmp_path):
    cache = TokenCache(tmp_path)
    report = cache.report(seed("001"))
    (entry,) = tmp_path.glob("reports-*/*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert cache.report(seed("001")) == report
    assert json.loads(entry.read_text(encoding="utf-8"))["text"] == report.text


def test_fingerprint_changes_with_what_changes_tokens(tmp_path):
    base = tokenizer_fingerprint(JiebaTokenizer(backend="jieba"))
    assert tokenizer_fingerprint(JiebaTokenizer(backend="jieba")) == base
    assert tokenizer_fingerprint(JiebaTokenizer(backend="jieba", min_length=1)) != base
    assert tokenizer_fingerprint(JiebaTokenizer(backend="rjieba")) != base
    # "auto" is keyed by the backend it resolves to, not by its name
    assert tokenizer_fingerprint(JiebaTokenizer()) == tokenizer_fingerprint(JiebaTokenizer(backend=default_backend()))
    words = tmp_path / "stop.txt"
    words.write_text("工作\n", encoding="utf-8")
    assert tokenizer_fingerprint(JiebaTokenizer(backend="jieba", stopwords=words)) != base


def test_concurrent_runs_share_the_cache_safely(tmp_path):
    code = (
        "import sys\nfrom nlp.text.cache import TokenCache, warm_tokens\nfrom nlp.text.corpus import load_corpus\n"
        f"cache = TokenCache({str(tmp_path)!r})\n"
        f"warm_tokens(load_corpus({str(ROOT / 'seeds')!r}, cache=cache), cache=cache)\n"
    )
    runs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(3)]
    assert [run.wait(timeout=300) for run in runs] == [0, 0, 0]
    entries = list(tmp_path.rglob("*.json"))
    assert len(entries) == 10  # 5 reports + 5 token tables, each written whole
    assert all(json.loads(p.read_text(encoding="utf-8")) for p in entries)
    assert not [p for p in tmp_path.rglob(".*.tmp")]
