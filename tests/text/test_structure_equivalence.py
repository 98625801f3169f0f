"""The heading-marker pattern opened by one character class must match what the plain alternation matched."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import structure
from tests.helpers import SEEDS

TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")) + sorted((SEEDS / "external" / "raw").glob("*.txt"))]
PLAIN_MARKER_RE = re.compile(structure._MARKER_ALTERNATION)


def _found(pattern, text, pos=0, endpos=None):
    endpos = len(text) if endpos is None else endpos
    return [(m.span(), m.lastgroup) for m in pattern.finditer(text, pos, endpos)]


def _agree(text):
    assert _found(structure._MARKER_RE, text) == _found(PLAIN_MARKER_RE, text)
    for pos in range(min(len(text), 12)):  # searches that start and stop inside the text, as per line
        assert _found(structure._MARKER_RE, text, pos, len(text) - pos) == _found(
            PLAIN_MARKER_RE, text, pos, len(text) - pos
        )
        plain = PLAIN_MARKER_RE.match(text, pos)
        fast = structure._MARKER_RE.match(text, pos)
        assert (fast and (fast.span(), fast.lastgroup)) == (plain and (plain.span(), plain.lastgroup))


@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_markers_of_every_report_as_the_plain_alternation_found(index):
    _agree(TEXTS[index])


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="一二三十四是、（）()1234５.．。，a \n", max_size=30))
def test_markers_of_made_up_text_as_the_plain_alternation_found(text):
    _agree(text)
