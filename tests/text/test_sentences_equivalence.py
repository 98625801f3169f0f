"""Sentence cuts found by patterns that open with a character class must be the cuts found before."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text import sentences
from nlp.text.corpus import parse_report
from nlp.text.structure import ITEM_RE, build_sections, find_headings
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


def reference_segment(text, report_id, headings, sections):
    """``segment`` as it was: the open sections filtered again at every sentence."""
    heading_starts = {h.start: h for h in headings}
    section_at = {s.start: s for s in sections}
    found, item, previous_end, open_sections = [], None, 0, []
    pending = iter(sorted(sections, key=lambda s: s.start))
    upcoming = next(pending, None)
    for index, (start, end) in enumerate(sentences.split_spans(text, headings)):
        sentence_text = text[start:end]
        heading = heading_starts.get(start)
        open_sections = [s for s in open_sections if s.end > start]
        while upcoming is not None and upcoming.start < start:
            if upcoming.end > start:
                open_sections.append(upcoming)
            upcoming = next(pending, None)
        if heading is not None or "\n" in text[previous_end:start]:
            item = None
        path = open_sections[-1].path if open_sections else ()
        if heading is None and ITEM_RE.match(sentence_text):
            item = sentences.lead_clause(sentence_text)
        elif item is not None and heading is None:
            path = (*path, item)
        if heading is not None:
            part = section_at[start].part
        elif open_sections:
            part = open_sections[-1].part
        else:
            part = "review"
        level = heading.level if heading is not None else None
        found.append(
            sentences.Sentence(report_id, index, sentence_text, start, end, path, part, heading is not None, level)
        )
        previous_end = end
    return found


def _segment_agrees(text):
    headings = find_headings(text)
    sections = build_sections(text, headings)
    assert sentences.segment(text, "r", headings, sections) == reference_segment(text, "r", headings, sections)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:12])
def test_sentences_of_every_report_as_before(path):
    text = parse_report(path).text
    _agree_all = [text, text.replace("\n", ""), text.replace("。", "。\n")]
    for variant in _agree_all:
        _segment_agrees(variant)


_STRUCTURED = st.lists(
    st.sampled_from(
        ["一、总结", "（一）党建", "1、", "一是强化。", "二是", "；三是落实", "存在问题：", "工作计划", "。", "\n"]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_STRUCTURED)
def test_sentences_of_made_up_reports_as_before(text):
    _segment_agrees(text)
