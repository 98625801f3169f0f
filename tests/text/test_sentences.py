import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text.corpus import parse_report, parse_text
from nlp.text.sentences import Sentence, segment, split_spans
from nlp.text.structure import build_sections, find_headings
from tests.helpers import SEED_FILES, seed

# Fragments that exercise every cutting rule: terminators, closers, headings,
# enumerations after ；/：, line ends and whitespace.
FRAGMENTS = [
    "。",
    "！",
    "？",
    "?",
    "!",
    "；",
    "：",
    "，",
    "、",
    "”",
    "“",
    "）",
    "（",
    "\n",
    "\n\n",
    " ",
    "\u3000",
    "\t",
    "一、",
    "二、",
    "（一）",
    "(二)",
    "1、",
    "2.",
    "一是",
    "二是",
    "三是",
    "X",
    "2020年",
    "1.3万亩",
    "工作总结",
    "存在问题",
    "工作计划",
    "疫情防控",
    "脱贫攻坚",
    "人居环境",
    "镇",
    "村",
    "a",
    "b",
]
report_like_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=60).map("".join)


def assert_no_loss(text, sentences):
    """Sentences plus the whitespace separators between them give back ``text`` exactly."""
    pieces, position = [], 0
    for sentence in sentences:
        assert sentence.start >= position
        gap = text[position : sentence.start]
        assert gap.strip() == "", repr(gap)
        assert sentence.text == text[sentence.start : sentence.end]
        assert sentence.text and sentence.text == sentence.text.strip()
        pieces += [gap, sentence.text]
        position = sentence.end
    assert text[position:].strip() == ""
    assert "".join(pieces) + text[position:] == text


@settings(max_examples=400, deadline=None)
@given(report_like_text)
def test_sentences_and_separators_concatenate_to_the_text(text):
    headings = find_headings(text)
    sentences = segment(text, "r", headings, build_sections(text, headings))
    assert_no_loss(text, sentences)
    assert [s.index for s in sentences] == list(range(len(sentences)))


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_no_loss_on_every_seed(path):
    report = parse_report(path)
    assert_no_loss(report.text, report.sentences)


def test_cut_rules():
    text = "挑战：一是缺乏企业；二是作风不实；三是创新不足。“好。”他说！对吗？\n第二段无句号"
    assert [text[s:e] for s, e in split_spans(text)] == [
        "挑战：",
        "一是缺乏企业；",
        "二是作风不实；",
        "三是创新不足。",
        "“好。”",
        "他说！",
        "对吗？",
        "第二段无句号",
    ]


def test_semicolon_chains_without_enumeration_stay_one_sentence():
    text = "新建道路X公里；维修路面X公里；完成水库整治。"
    assert split_spans(text) == [(0, len(text))]


def test_sentences_carry_heading_path_item_and_part():
    report = parse_report(seed("000"))
    by_text = {s.text: s for s in report.sentences}
    lead = by_text["一是强化组织领导。"]
    follower = report.sentences[lead.index + 1]
    assert lead.heading_path == ("一、2020年上半年工作总结", "（一）疫情防控精准防治")
    assert follower.heading_path == (*lead.heading_path, "一是强化组织领导")
    assert by_text["二、存在问题"].is_heading and by_text["二、存在问题"].heading_level == 1
    assert by_text["三是创新意识不强。"].part == "problems"
    assert by_text["加强安全生产工作。"].part == "plan"


def test_sentence_record_for_export():
    record = parse_text("某镇2020年工作总结\n一、工作总结\n（一）党建\n完成换届。").sentences[-1].to_record()
    assert record["heading_path"] == "一、工作总结 > （一）党建"
    assert record["text"] == "完成换届。"


def test_segment_builds_the_sentences_the_dataclass_would():
    # segment fills the frozen dataclass's fields directly: every field, as __init__ would
    from dataclasses import asdict, fields

    from nlp.text.corpus import load_corpus
    from tests.helpers import SEEDS

    sentences = [s for report in load_corpus(SEEDS) for s in report.sentences]
    assert len(sentences) > 400
    names = {f.name for f in fields(Sentence)}
    assert all(set(vars(s)) == names for s in sentences)
    rebuilt = [Sentence(**asdict(s)) for s in sentences]
    assert rebuilt == sentences
    assert [hash(s) for s in rebuilt] == [hash(s) for s in sentences]
