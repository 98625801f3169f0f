"""The place search skips positions and refines one name only; it must find what the plain scan found."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import metadata
from nlp.text.metadata import SUB_COUNTY, Place, find_place
from tests.helpers import SEEDS

TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")) + sorted((SEEDS / "external" / "raw").glob("*.txt"))]
# Characters that matter to the name pattern: suffixes, name and non-name characters, X, digits, punctuation.
ALPHABET = "街道苏木镇乡村县区旗市州盟省X年在我全的委和人民政府办事处位于坚持华庄鄣吴普陀长寿路颛桥2０，。、 \n"


def reference_candidates(text):
    """``_candidates`` as it was: ``_PLACE_RE.finditer`` over every position."""
    for match in metadata._PLACE_RE.finditer(text):
        name = match.group("name") + match.group("suffix")
        head = len(name) - len(match.group("suffix"))
        cut = next((i for i in range(head - 1, -1, -1) if name[i] in metadata._NOT_IN_NAME), -1)
        name = name[cut + 1 :]
        if not metadata._NOT_PLACES.match(name) and len(name) > len(match.group("suffix")):
            yield match.start() + cut + 1, match.end(), name


def reference_find_place(text, prefer_sub_county=True, running_text=False):
    """``find_place`` as it was: every span refined, then the first sub-county unit taken."""
    level = metadata._level
    original = text
    text = metadata._BREAK_RE.sub(lambda m: "，" * len(m.group(0)), text)
    spans = list(reference_candidates(text))
    if running_text:
        counts = Counter(n for _, _, n in spans)
        spans = [
            (s, e, n)
            for s, e, n in spans
            if len(n) <= 7
            and (metadata._BODY_CUE_RE.match(original, e) or (counts[n] > 1 and level(n) in SUB_COUNTY))
            and (level(n) in SUB_COUNTY or original.startswith(("人民政府", "政府"), e))
        ]
        spans.sort(key=lambda span: -counts[span[2]])
    found = [metadata._refine(text, start, end, name) for start, end, name in spans]
    if not found:
        return None
    ordered = sorted(found, key=lambda f: level(f[0]) not in SUB_COUNTY) if prefer_sub_county else found
    unit, county, city = ordered[0]
    if county is None and level(unit) in SUB_COUNTY:
        county = metadata._nearby_county(text, unit) or metadata._county_after(original, unit)
    return Place(name=unit, level=level(unit), county=county, city=city)


def _spans(matches):
    return [m.span() for m in matches]


@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_place_search_agrees_with_the_plain_scan_on_every_report(index):
    text = TEXTS[index]
    masked = metadata._BREAK_RE.sub(lambda m: "，" * len(m.group(0)), text)
    assert _spans(metadata._place_matches(masked)) == _spans(metadata._PLACE_RE.finditer(masked))
    assert list(metadata._candidates(masked)) == list(reference_candidates(masked))
    for piece in [text, text[:300], *text.split("\n")]:
        for prefer in (True, False):
            for running in (True, False):
                assert find_place(piece, prefer, running) == reference_find_place(piece, prefer, running), piece[:60]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60), st.booleans(), st.booleans())
def test_place_search_agrees_with_the_plain_scan_on_made_up_text(text, prefer, running):
    assert _spans(metadata._place_matches(text)) == _spans(metadata._PLACE_RE.finditer(text))
    assert find_place(text, prefer, running) == reference_find_place(text, prefer, running)
