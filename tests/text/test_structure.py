import pytest

from nlp.text.corpus import parse_report, parse_text
from nlp.text.structure import build_sections, find_headings, part_of
from tests.helpers import seed

# Top-level sections as they stand in each document (read off the files by hand).
TOP_SECTIONS = {
    "000": ["一、2020年上半年工作总结", "二、存在问题", "三、下半年工作计划"],
    "001": ["一、2020年工作总结", "二、存在的问题", "三、2021年工作计划"],
    "002": ["一、2020年工作开展情况", "二、存在的问题", "三、2021年工作打算"],
    "003": ["一、2021年各项工作情况", "二、存在的问题及不足", "三、2022年工作安排及打算"],
    "004": ["2019年工作总结", "2020年工作思路"],
}
TOP_PARTS = {
    "000": ["review", "problems", "plan"],
    "001": ["review", "problems", "plan"],
    "002": ["review", "problems", "plan"],
    "003": ["review", "problems", "plan"],
    "004": ["review", "plan"],
}
# Number of （一）-level sections per report, and of 一、-level sections in 004.
LEVEL2_COUNTS = {"000": 6, "001": 13, "002": 14, "003": 8, "004": 0}


@pytest.mark.parametrize("prefix", sorted(TOP_SECTIONS))
def test_seed_top_level_sections(prefix):
    report = parse_report(seed(prefix))
    assert [s.title for s in report.top_sections()] == TOP_SECTIONS[prefix]
    assert [s.part for s in report.top_sections()] == TOP_PARTS[prefix]


@pytest.mark.parametrize("prefix", sorted(LEVEL2_COUNTS))
def test_seed_second_level_sections(prefix):
    report = parse_report(seed(prefix))
    assert sum(s.level == 2 for s in report.sections) == LEVEL2_COUNTS[prefix]


def test_004_numbered_sections_sit_under_the_review_heading():
    report = parse_report(seed("004"))
    level1 = [s for s in report.sections if s.level == 1]
    assert len(level1) == 7
    assert all(s.path[0] == "2019年工作总结" and s.part == "review" for s in level1)


def test_003_numbered_third_level():
    report = parse_report(seed("003"))
    titles = [s.title for s in report.sections if s.level == 3]
    assert titles == [
        "1、乡村振兴开局有力",
        "2、农业生产稳步推进",
        "3、油茶收摘秩序井然",
        "4、河长制工作持续开展",
        "1.抓实安全生产工作",
        "2.抓好禁毒和反电信诈骗工作",
        "3.抓好信访矛盾化解工作",
    ]


def test_heading_running_into_its_text():
    text = "一、2020年工作总结(一)疫情防控常态开展。新冠肺炎疫情防控期间，全镇干部奋战一线。(二)脱贫攻坚成效显著。"
    report = parse_text("某镇2020年工作总结\n" + text)
    titles = [s.title for s in report.sections]
    assert titles == ["一、2020年工作总结", "（一）疫情防控常态开展", "（二）脱贫攻坚成效显著"]
    texts = [s.text for s in report.sentences]
    assert texts[:3] == ["一、2020年工作总结", "（一）疫情防控常态开展。", "新冠肺炎疫情防控期间，全镇干部奋战一线。"]
    assert report.sentences[2].heading_path == ("一、2020年工作总结", "（一）疫情防控常态开展")


def test_heading_running_into_enumeration_and_into_plan_text():
    text = "二、存在的问题一是民生短板；二是机制不健全。三、2021年工作计划2021年是开局之年，全镇将统筹推进各项工作。"
    headings = find_headings(text)
    assert [h.title for h in headings] == ["二、存在的问题", "三、2021年工作计划"]
    assert [h.part for h in headings] == ["problems", "plan"]


def test_disguised_section_continues_the_numbering():
    report = parse_report(seed("002"))
    level2 = [s.title for s in report.sections if s.level == 2][:7]
    assert level2[4] == "五是聚焦整治强保护，生态环境更加优美"


def test_parts_are_inherited_and_default_to_review():
    text = "前言。\n一、工作回顾\n（一）党建\n二、存在问题\n三、明年打算\n（一）党建"
    sections = build_sections(text, find_headings(text))
    assert [(s.title, s.part) for s in sections] == [
        ("一、工作回顾", "review"),
        ("（一）党建", "review"),
        ("二、存在问题", "problems"),
        ("三、明年打算", "plan"),
        ("（一）党建", "plan"),
    ]
    assert part_of("一、党建工作有亮点") is None


def test_numbers_and_parenthesised_words_are_not_headings():
    text = "完成14个村（社区）书记、主任“一肩挑”，明确一、二、三类村。\n1.3万亩土地流转。"
    assert find_headings(text) == []
