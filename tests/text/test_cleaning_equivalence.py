"""Speed-ups of cleaning must give what the straightforward versions gave."""

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import cleaning
from nlp.text.cleaning import WORD_CHAR_RE, find_watermark, normalize_punctuation, squeeze_spaces
from tests.helpers import SEEDS

TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")) + sorted((SEEDS / "external" / "raw").glob("*.txt"))]


def reference_watermark(lines):
    """``find_watermark`` as it was: every line counted at every length."""
    stripped = [line.strip() for line in lines if len(line.strip()) > 6]
    for length in range(40, 5, -1):
        ends = Counter(line[-length:] for line in stripped if len(line) > length)
        for suffix, count in ends.most_common(3):
            if count < 3 or "。" in suffix:
                break
            before = [line[-length - 1] for line in stripped if line.endswith(suffix) and len(line) > length]
            if any(ch in "。！？：:”" for ch in before) and WORD_CHAR_RE.search(suffix):
                return suffix
    return None


@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_watermark_search_agrees_with_counting_every_line(index):
    lines = TEXTS[index].split("\n")
    mark = "c5s乡村百科--为乡村振兴助力"
    marked = [line + mark if i % 3 else line for i, line in enumerate(lines)]
    for variant in (lines, marked, lines[: len(lines) // 2], [line + "：为乡村振兴" for line in lines[:5]]):
        assert find_watermark(variant) == reference_watermark(variant)


# lines made of a few pieces and endings, so that they share suffixes of many lengths, some after a sentence end
_HEAD = st.lists(st.sampled_from(["乡村振兴", "。", "：", "助力", "ab", " ", "为", "”", "！"]), max_size=8).map("".join)
_ENDINGS = ["", "c5s乡村百科--为乡村振兴助力", "百科--为乡村振兴助力", "为乡村振兴助力", "振兴助力。", "ab cd"]
_ENDING = st.sampled_from(_ENDINGS)
_LINE = st.tuples(_HEAD, _ENDING).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=12))
def test_watermark_search_agrees_on_made_up_lines(lines):
    assert find_watermark(lines) == reference_watermark(lines)


_PUNCTUATION_TEXT = st.text(alphabet="12ab,:; ()?!中文，\n", max_size=40)


def reference_punctuation(line):
    line = re.sub(r"(?<!\d),|,(?!\d)", "，", line)
    line = re.sub(r"(?<!\d):|:(?!\d)", "：", line)
    return re.sub(r"[;()?!]", lambda m: {";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}[m.group(0)], line)


def reference_squeeze(line):
    return re.sub(r"(?<=[A-Za-z0-9]) +(?=[A-Za-z0-9])|( +)", lambda m: "" if m.group(1) else " ", line).strip()


@settings(max_examples=1000, deadline=None)
@given(_PUNCTUATION_TEXT)
def test_punctuation_and_spaces_as_the_lookbehind_patterns_gave(line):
    assert normalize_punctuation(line) == reference_punctuation(line)
    assert squeeze_spaces(line) == reference_squeeze(line)


def test_punctuation_and_spaces_of_every_report_as_before():
    for text in TEXTS:
        assert normalize_punctuation(text) == reference_punctuation(text)
        assert squeeze_spaces(text) == reference_squeeze(text)


OLD_NOISE_5 = re.compile(r"扫一扫在手机|手机打开当前页|^【?\s*(?:打印本页|关闭窗口|打印|关闭)\s*】?$|^分享到")
OLD_BREADCRUMB_RE = re.compile(r"^(?:您)?当前(?:页面|位置|所在位置|的位置)\s*[:：]|首页\s*(?:[>＞]|>>)")
_PAGE_WORDS = [
    "打印",
    "关闭",
    "分享",
    "分享到",
    "【",
    "】",
    "扫一扫在手机",
    "手机打开当前页",
    "当前位置",
    "您",
    "：",
    ":",
]
_PAGE_WORDS += [
    "首页",
    ">",
    "＞",
    ">>",
    " ",
    "字号",
    "大",
    "中",
    "小",
    "T浏览",
    "正文",
    "镇",
    "a",
    "1",
    "。",
    "打印本页",
]
_PAGE_LINE = st.lists(st.sampled_from(_PAGE_WORDS), max_size=8).map("".join)


def reference_page_control(line):
    return WORD_CHAR_RE.search(cleaning._CONTROL_WORDS_RE.sub("", line)) is None


def _span(match):
    return match and match.span()


@settings(max_examples=1500, deadline=None)
@given(_PAGE_LINE)
def test_page_furniture_tests_as_the_single_patterns_gave(line):
    split_noise = [p for p in cleaning._NOISE_PATTERNS if "扫一扫" in p.pattern or "分享到" in p.pattern]
    assert any(p.search(line) for p in split_noise) == bool(OLD_NOISE_5.search(line))
    assert _span(cleaning._find_breadcrumb(line)) == _span(OLD_BREADCRUMB_RE.search(line))
    assert cleaning._is_page_control(line) == reference_page_control(line)


def test_page_furniture_tests_of_every_report_line_as_before():
    for text in TEXTS:
        for line in cleaning.normalize_characters(text).split("\n"):
            line = line.strip()
            assert _span(cleaning._find_breadcrumb(line)) == _span(OLD_BREADCRUMB_RE.search(line))
            assert cleaning._is_page_control(line) == reference_page_control(line)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="镇中a。\n ，", max_size=6))
def test_han_ending_as_the_dollar_search_found(line):
    assert cleaning._ends_with_han(line) == bool(re.search("[\u4e00-\u9fff]$", line))


def _noise_as_before(line):
    """The noise test as it was: each pattern on its own, the 扫一扫/打印 one as a single alternation."""
    single = [p for p in cleaning._NOISE_PATTERNS if "扫一扫" not in p.pattern and "分享到" not in p.pattern]
    return any(p.search(line) for p in [*single, OLD_NOISE_5])


def _noise(line):
    return any(p.search(line) for p in cleaning._NOISE_SEARCHES)


_NOISE_WORDS = [
    "本文档由用户上传",
    "客服 qq",
    "下载券",
    "由会员分享",
    "请在百度文库上搜索",
    "信息公开",
    "目录",
    "政务公开",
]
_NOISE_WORDS += ["附件", "下载", "：", "1.5 mb", "12KB", "2020-01-02", " 12:30", "ab12cd-34", "为提高政府工作的透明度"]
_NOISE_LINE = st.lists(st.sampled_from(_NOISE_WORDS + _PAGE_WORDS), max_size=5).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_NOISE_LINE)
def test_noise_searches_as_the_single_patterns_gave(line):
    assert _noise(line) == _noise_as_before(line)


def test_noise_searches_of_every_report_line_as_before():
    for text in TEXTS:
        for line in cleaning.normalize_characters(text).split("\n"):
            assert _noise(line.strip()) == _noise_as_before(line.strip())
