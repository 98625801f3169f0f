"""``get_field`` reads one record directly; it must give what ``get_fields([record])[0]`` gives."""

from collections import UserDict

import pytest

from nlp.text.records import FIELDS, get_field, get_fields

RECORDS = [
    {"text": "一是强化领导。", "heading": "一、总结", "is_heading": False, "is_item_lead": True, "part": "review"},
    {"text": "", "heading": None, "is_heading": None},
    {},
    "一句没有上下文的话",
    "",
    UserDict({"text": "映射", "is_heading": True}),
]


@pytest.mark.parametrize("record", RECORDS, ids=range(len(RECORDS)))
@pytest.mark.parametrize("field", [*FIELDS, "report_id", "missing"])
def test_get_field_is_get_fields_of_one(record, field):
    found, expected = get_field(record, field), get_fields([record], field)[0]
    assert found == expected and type(found) is type(expected)


def test_get_field_of_something_without_get_as_get_fields():
    for field in ("text", "part", "is_heading"):
        assert get_field(42, field) == get_fields([42], field)[0]
