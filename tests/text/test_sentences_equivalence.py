"""Sentence cuts found by patterns that open with a character class must be the cuts found before."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import sentences
from nlp.text.corpus import parse_report
from nlp.text.structure import ITEM_RE, find_headings
from tests.helpers import SEEDS

FILES = sorted(SEEDS.glob("*.txt")) + sorted((SEEDS / "external" / "raw").glob("*.txt"))


def reference_cut_points(text, headings):
    """``_cut_points`` as it was: ``[…]+`` and a lookbehind, tried at every position."""
    cuts = {0, len(text)}
    cuts.update(m.end() for m in re.finditer("[。！？!?]+[”’」』）)》]*", text))
    cuts.update(m.start() for m in re.finditer("\n", text))
    for heading in headings:
        cuts.update((heading.start, heading.end))
    cuts.update(m.start() for m in re.finditer(rf"(?<=[；：;:]){ITEM_RE.pattern}", text))
    return sorted(cuts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:12])
def test_cut_points_of_every_report_as_before(path):
    text = parse_report(path).text
    headings = find_headings(text)
    assert sentences._cut_points(text, headings) == reference_cut_points(text, headings)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="一二三是；：;:。！？!?”）)》，、文\n ", max_size=40))
def test_cut_points_of_made_up_text_as_before(text):
    headings = find_headings(text)
    assert sentences._cut_points(text, headings) == reference_cut_points(text, headings)
