import pytest

from nlp.text.cleaning import clean_report, normalize_punctuation, parse_meta_fields, squeeze_spaces
from nlp.text.reading import RawReport, read_report
from tests.helpers import SEED_FILES, seed

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


# --- other portals and genres: real lines from seeds/external/raw ---------------------------------------------

EXTERNAL = seed("000").parent / "external" / "raw"


def clean_external(prefix):
    (path,) = EXTERNAL.glob(f"{prefix}_*.txt")
    return clean_report(read_report(path))


def page(text):
    return clean_report(RawReport("r", "r", text, "utf-8", ""))


def test_site_watermark_after_every_paragraph_is_removed():
    report = clean_external("003")
    assert report.meta.watermark == "c5s乡村百科--为乡村振兴助力"
    assert "乡村百科" not in report.text


def test_pipe_table_of_portal_fields_becomes_metadata():
    report = clean_external("009")
    fields = report.meta.page_fields
    assert fields["索引号"] == "000014349/2022-83299" and fields["发文机关"] == "南漳镇人民政府"
    assert report.meta.title == "南漳镇人民政府2023年工作计划" and report.meta.published == "2023-01-05"
    assert "|" not in report.text and report.text.startswith("一是扎实推进产业强镇。")


def test_portal_fields_without_colons_and_lone_labels_are_metadata():
    fields = clean_external("001").meta.page_fields
    assert fields["索引号"] == "MB1670946/2023-00023" and fields["发布机构"] == "华庄街道办事处"
    report = page(
        "2018年政府工作报告\n  • 索引号:\n\n  • 发布日期:\n\n    2018-01-16\n崇明区人民政府区长\n各位代表:\n现在我代表…"
    )
    assert report.meta.page_fields["发布日期"] == "2018-01-16" and report.meta.published == "2018-01-16"
    assert report.text == "现在我代表…"


@pytest.mark.parametrize(
    ("prefix", "front_matter"),
    [
        ("011", ("--2023年1月16日在宜黄县第十八届人民代表大会", "第三次会议上", "县人民政府县长陈小青", "各位代表：")),
        ("039", ("——在红土坡镇第五届人民代表大会第五次会议上", "红土坡镇人民政府镇长李维俊", "各位代表、同志们：")),
        ("042", ("——2022年7月28日在颛桥镇第六届人民代表大会第二次会议上", "镇长李小山", "各位代表：")),
        ("003", ("二〇二一年一月二十二日在鄣吴镇第十七届人民代表大会第九次会议上", "刘欣欣", "各位代表：")),
    ],
)
def test_congress_front_matter_becomes_metadata(prefix, front_matter):
    report = clean_external(prefix)
    assert report.meta.front_matter == front_matter
    assert report.meta.genre in {"government_work_report", "half_year"}
    assert "各位代表：" not in report.text and "会议上" not in report.text.split("\n")[0]


def test_title_salutation_and_first_heading_run_together():
    report = clean_external("005")
    assert report.meta.title == "桥头镇2023年度政府工作报告"
    assert report.text.startswith("现在，我代表桥头镇人民政府")
    report = clean_external("004")
    assert report.meta.front_matter == ("瓜沥镇第十八届人民代表大会第八次会议政府工作报告", "各位代表：")


def test_page_controls_breadcrumbs_and_aggregator_notices_are_dropped():
    text = clean_external("007").text + clean_external("002").text + clean_external("031").text
    for noise in ("无障碍", "关怀版", "打印整页", "字号", "好范文网", "为你整理", "【正文】", "听全文", "分享"):
        assert noise not in text, noise
    assert clean_external("033").meta.page_fields["位置"].startswith("首页 > 机构专页")


def test_site_tags_and_dates_around_titles():
    assert clean_external("004").meta.title == "2020年萧山区瓜沥镇政府工作报告"  # "【杭州招商】" dropped
    assert clean_external("050").meta.title == "2018年苏州市吴江区政府工作报告全文"
    report = clean_external("016")  # "…重点工作安排 2020-10-19" and a table of contents
    assert report.meta.title == "定海路街道2019年工作总结和2020年重点工作安排"
    assert report.text.startswith("2019年是新中国成立70周年")


def test_lines_broken_by_a_pdf_layout_are_joined():
    report = clean_external("058")
    assert "代表江汉区人民政府向大会报告工作，请与" in report.text


def test_zero_width_characters_and_cut_characters_are_removed():
    report = page("某镇2020年\u200b工作总结\n一是强化\u200d领导。二是压实\ufffd")
    assert report.meta.title == "某镇2020年工作总结"
    assert report.text == "一是强化领导。二是压实"
    assert report.meta.truncated


def test_seed_reports_end_with_a_sentence():
    assert not any(clean(prefix).meta.truncated for prefix in ("000", "001", "002", "003", "004"))
