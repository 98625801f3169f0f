import pytest

from nlp.cleaning import clean_report, normalize_punctuation, parse_meta_fields, squeeze_spaces
from nlp.reading import RawReport, read_report

from .helpers import SEED_FILES, seed

PAGE_NOISE = [
    "本文档由用户上传",
    "网站客服",
    "KB",
    "当前页面",
    "首页 >",
    "发布日期",
    "索 引 号",
    "索引号",
    "发布机构",
    "主题词",
    "浏览次数",
    "附件下载",
    "扫一扫在手机打开当前页",
    "政府信息公开",
    "•",
    "\xa0",
    " ",
    ",",
    "(",
]


def clean(prefix):
    return clean_report(read_report(seed(prefix)))


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_page_noise_is_removed_from_every_seed(path):
    text = clean_report(read_report(path)).text
    for noise in PAGE_NOISE:
        assert noise not in text, noise
    assert "\n\n" not in text
    assert not text.startswith(("-", " "))


@pytest.mark.parametrize(
    ("prefix", "township", "years", "published"),
    [
        ("000", "李家疃镇", (2020,), "2020-08-05"),
        ("001", "X镇", (2020, 2021), "2022-03-29"),
        ("002", "铁石口镇", (2020, 2021), None),
        ("003", "荫田镇", (2021, 2022), "2021-12-06"),
        ("004", "洋沙湖镇", (2019, 2020), "2019-12-16"),
    ],
)
def test_seed_metadata(prefix, township, years, published):
    meta = clean(prefix).meta
    assert (meta.township, meta.years, meta.published) == (township, years, published)
    assert meta.title and "工作" in meta.title


def test_portal_metadata_is_kept_as_fields():
    assert clean("000").meta.page_fields["索引号"] == "00062160-8-0304-2011-1005"
    assert clean("000").meta.page_fields["发布机构"] == "李家疃镇"
    assert clean("004").meta.page_fields["来源"] == "中共洋沙湖镇委员会 洋沙湖镇人民政府"


def test_title_running_into_the_text_is_split_off():
    report = clean("001")
    assert report.meta.title == "X镇政府2020年工作总结暨2021年工作计划"
    assert report.text.startswith("2020年是全面建成小康社会")


def test_title_repeated_on_the_page_is_not_body_text():
    text = clean("000").text
    assert text.startswith("2020年上半年，李家疃镇全体干部")
    assert "李家疃镇人民政府\n" not in text


def test_x_placeholders_stay_in_the_text():
    assert "全镇X余名机关干部" in clean("001").text


def test_punctuation_and_spaces_are_normalised():
    assert normalize_punctuation("年,共1,250人(试行);15:26?") == "年，共1,250人（试行）；15:26？"
    assert squeeze_spaces("有 1250 人,“两级管控” 工作 SYB training") == "有1250人,“两级管控”工作SYB training"
    page = "某镇2020年工作总结\r\n  • 聚力镇村发展,提升集体经济。\r\n\u3000\u3000有 ３ 个村。"
    raw = RawReport("r", "r", page, "utf-8", "")
    assert clean_report(raw).text == "聚力镇村发展，提升集体经济。\n有3个村。"


def test_meta_line_parsing_tolerates_spaced_labels():
    fields = parse_meta_fields("主 题  词: 组织机构 主题分类: 组织机构")
    assert fields == {"主题词": "组织机构", "主题分类": "组织机构"}
