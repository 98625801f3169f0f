import csv
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.classify.predict import REPORT_FIELDS, csv_text, jsonl_text

ROWS = [
    {"source": "r", "index": 0, "text": '乡村振兴, "产业"\n兴旺', "label": "rural", "score": 0.91, "check": False},
    {"source": "r", "index": 1, "text": "", "label": "other", "score": 0.4, "check": True, "extra": 1},
]


def test_jsonl_text_is_one_json_dumps_per_row():
    assert jsonl_text(ROWS) == "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS)
    assert [json.loads(line) for line in jsonl_text(ROWS).splitlines()] == ROWS
    assert jsonl_text([]) == ""


def test_csv_text_is_what_a_dict_writer_writes():
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=REPORT_FIELDS, extrasaction="ignore", lineterminator="\n").writerows(ROWS)
    assert csv_text(ROWS, REPORT_FIELDS) == out.getvalue()
    read = list(csv.DictReader(io.StringIO(",".join(REPORT_FIELDS) + "\n" + csv_text(ROWS, REPORT_FIELDS))))
    assert [row["text"] for row in read] == [row["text"] for row in ROWS]


_VALUES = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.text(min_size=1), _VALUES, max_size=9), max_size=5))
def test_jsonl_text_equals_json_dumps_on_any_plain_rows(rows):
    # the encoder is built once and reused: it must write exactly what json.dumps writes
    assert jsonl_text(rows) == "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
