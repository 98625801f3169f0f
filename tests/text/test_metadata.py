"""Report metadata (place, level, county, city, years, genre) against a table checked by hand."""

import csv
from pathlib import Path

import pytest

from nlp.text.corpus import parse_report
from nlp.text.metadata import find_place, genre_of, years_covered
from tests.helpers import ROOT

EXTERNAL = ROOT / "seeds" / "external" / "raw"
TABLE = Path(__file__).parent.parent / "data" / "external_metadata.tsv"


def _expected_rows() -> list[dict]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_the_table_covers_every_external_report():
    assert sorted(row["report_id"] for row in _expected_rows()) == sorted(p.stem for p in EXTERNAL.glob("*.txt"))


@pytest.mark.parametrize("row", _expected_rows(), ids=lambda row: row["report_id"][:3])
def test_external_report_metadata(row):
    meta = parse_report(EXTERNAL / f"{row['report_id']}.txt").meta
    found = {
        "place": meta.township or "",
        "level": meta.level or "",
        "county": meta.county or "",
        "city": meta.city or "",
        "years": "-".join(map(str, meta.years)),
        "genre": meta.genre or "",
    }
    assert found == {k: v for k, v in row.items() if k != "report_id"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("（安吉县）2021年鄣吴镇人民政府工作报告", ("鄣吴镇", "town", "安吉县", None)),
        ("2020年萧山区瓜沥镇政府工作报告", ("瓜沥镇", "town", "萧山区", None)),
        ("上海市闵行区颛桥镇人民政府", ("颛桥镇", "town", "闵行区", "上海市")),
        ("2021年10月26日在广州市荔湾区", ("荔湾区", "district", None, "广州市")),
        ("普陀区人民政府长寿路街道办事处", ("长寿路街道", "street", "普陀区", None)),
        ("济淡河乡位于龙江县西北部", ("济淡河乡", "township", "龙江县", None)),
        ("2017年达拉特旗政府工作报告", ("达拉特旗", "banner", None, None)),
    ],
)
def test_find_place(text, expected):
    place = find_place(text)
    assert (place.name, place.level, place.county, place.city) == expected


@pytest.mark.parametrize(
    "text", ["建议今年全乡经济社会发展", "在镇党委、政府的正确领导下", "我街道紧扣幸福普陀建设", "乡镇政府工作报告"]
)
def test_no_place_is_invented(text):
    assert find_place(text) is None


def test_running_text_needs_a_cue_or_a_repeat():
    assert find_place("围绕打造乡村振兴示范区，百企进百村、促振兴", running_text=True) is None
    assert find_place("2022年，光明街道党工委认真贯彻", running_text=True).name == "光明街道"
    assert find_place("成立中共福海街道智能制造党委；福海街道党史馆", running_text=True).name == "福海街道"


def test_genre_and_years():
    assert genre_of("潮海街道办事处2020年下半年工作计划完成情况") == "summary"
    assert genre_of(None, "", "各位代表，2018年，我们付出了更多的努力") == "government_work_report"
    assert genre_of(None, "", "美丽栖霞底色更加鲜明。") is None
    assert years_covered("政府工作报告（2021）", "government_work_report", "2020年是极不平凡的一年。") == (2020, 2021)
    assert years_covered("在荔湾区", "government_work_report", "一、工作回顾", late_in_year=True) == ()


def test_without_metadata_the_text_and_sentences_are_the_same_and_no_place_is_looked_for():
    from tests.helpers import SEED_FILES

    for path in SEED_FILES:
        full, bare = parse_report(path), parse_report(path, metadata=False)
        assert bare.text == full.text and bare.sentences == full.sentences and bare.sections == full.sections
        assert (bare.meta.title, bare.meta.page_fields) == (full.meta.title, full.meta.page_fields)
        assert full.meta.township and bare.meta.township is None and bare.meta.years == ()
