from nlp.text.corpus import parse_report
from nlp.text.records import get_field, sentence_records
from tests.helpers import seed


def test_records_carry_heading_context_and_flags():
    records = sentence_records([parse_report(seed("000"))])
    by_text = {r["text"]: r for r in records}
    lead = by_text["一是强化组织领导。"]
    assert lead["is_item_lead"] and not lead["is_heading"]
    assert lead["nearest_heading"] == "（一）疫情防控精准防治"
    assert lead["context"].startswith("成立疫情防控领导小组")  # an item lead sees its item
    heading = by_text["（一）疫情防控精准防治"]
    assert heading["is_heading"] and "强化网格管理" in heading["context"]  # a heading sees its section
    body = by_text["镇纪委、派出所、卫生院等镇直单位按照既定方案要求，各司其职，有效落实综合性防控措施。"]
    assert body["heading"] == "一、2020年上半年工作总结 > （一）疫情防控精准防治 > 一是强化组织领导"
    assert body["context"].startswith("成立疫情防控领导小组") and body["part"] == "review"


def test_plain_strings_are_records_without_context():
    assert get_field("只有句子。", "text") == "只有句子。"
    assert get_field("只有句子。", "heading") == ""
    assert get_field("只有句子。", "is_heading") is False
