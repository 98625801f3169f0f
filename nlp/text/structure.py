"""Stage 3: recover a report's heading hierarchy and tag each section's part.

Chinese work reports number their headings by convention:

===== ==================================== ===============================
level marker                               example
===== ==================================== ===============================
0     unnumbered part heading on its line  ``2019年工作总结``
1     ``一、``                              ``一、2020年上半年工作总结``
2     ``（一）`` / ``(一)``                  ``（一）疫情防控精准防治``
3     ``1、`` / ``1.``                      ``1、乡村振兴开局有力。``
item  ``一是`` … ``二是`` enumerations       ``一是强化组织领导。``
===== ==================================== ===============================

Scraped pages often lose line breaks, so a heading may run into the next one
or into its text (``一、2020年工作总结（一）疫情防控常态开展。新冠肺炎…``).
Headings are therefore searched at every line start *and* right after a
sentence end or another heading, and a heading ends at the first sentence
terminator, line end, next heading marker or ``一是`` enumeration.

Each section is tagged with its *part* of the report: ``review`` (what was
done), ``problems`` (存在问题/不足) or ``plan`` (计划/打算/思路/谋划/安排).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.text.markers import CN_DIGITS, HEADING_MARKERS

__all__ = ["ITEM_RE", "PARTS", "Heading", "Section", "build_sections", "find_headings", "part_of"]

PARTS = ("review", "problems", "plan")

# The markers of HEADING_MARKERS, one group per level, as one alternation: the plain form of _MARKER_RE.
_MARKER_ALTERNATION = "|".join(f"(?P<l{level}>{pattern})" for level, pattern in HEADING_MARKERS.items())
# The same markers opened by one character class, each level told by a lookbehind on that first
# character: a pattern that opens with a class lets the regex engine skip to the next digit or
# bracket, where the alternation was tried at every position of every line.  Same matches, and
# ``lastgroup`` still names the level (tests/text/test_structure_equivalence.py holds them equal).
_MARKER_RE = re.compile(
    rf"[{CN_DIGITS}（(\d](?:(?<=[{CN_DIGITS}])[{CN_DIGITS}]{{0,2}}(?P<l1>、)"
    rf"|(?<=[（(])[{CN_DIGITS}]{{1,3}}(?P<l2>[）)])"
    r"|(?<=\d)\d?(?P<l3>[、．.])(?!\d))"
)
#: ``一是`` / ``二是`` … opening an enumerated item.
ITEM_RE = re.compile(rf"[{CN_DIGITS}]{{1,3}}是")
_TERMINATORS = "。！？!?"
_HEADING_START_AFTER = _TERMINATORS + "”’」』）)"

_PART_KEYWORDS = (
    ("problems", re.compile(r"存在(?:的)?(?:主要)?(?:问题|不足|困难)|问题(?:及|和|与)不足|不足之处|困难和问题|短板")),
    ("plan", re.compile(r"计划|打算|思路|谋划|安排|下一步|今后|展望")),
    ("review", re.compile(r"总结|情况|回顾|成效|成绩|完成")),
)
_PART_HEADING_RE = re.compile(
    r"^(?:第[一二三四五六七八九十]部分)?(?:(?:19|20)\d{2}年度?|上半年|下半年|今年|明年)?[^。，；！？、]{0,12}?"
    r"(?:工作总结|工作思路|工作计划|工作打算|工作谋划|工作安排|工作要点|存在(?:的)?问题(?:及不足)?|"
    r"工作回顾|发展回顾|主要工作(?:回顾)?|重点工作(?:安排)?)$"
)
# A level-1 heading longer than this that names a part ends right after the part word:
# "三、2021年工作计划2021年是…" lost the line break between heading and text.
_LONG_HEADING = 20
_PART_WORD_END_RE = re.compile(
    r"(?:工作总结|工作计划|工作打算|工作思路|工作谋划|工作安排|存在的?问题(?:及不足)?|工作回顾|发展回顾|主要工作|工作情况)"
)


@dataclass(frozen=True)
class Heading:
    """A heading found in the cleaned text.

    ``start``/``end`` delimit the heading sentence, including a trailing
    terminator when the heading ends with one; ``title`` is the same text
    without trailing punctuation, as shown in heading paths.
    """

    level: int
    start: int
    end: int
    title: str
    part: str | None


@dataclass(frozen=True)
class Section:
    """A heading with everything up to the next heading of the same or a higher level."""

    level: int
    title: str
    start: int
    end: int
    part: str
    path: tuple[str, ...]


def part_of(title: str) -> str | None:
    """Return the report part a heading names, or ``None`` if it names none.

    Examples
    --------
    >>> part_of("二、存在的问题及不足"), part_of("三、2022年工作安排及打算"), part_of("一、党建工作有亮点")
    ('problems', 'plan', None)
    """
    for part, pattern in _PART_KEYWORDS:
        if pattern.search(title):
            return part
    return None


def _heading_end(text: str, start: int, body_start: int, line_end: int, level: int) -> int:
    """End of a heading that starts at ``start`` and whose marker ends at ``body_start``."""
    end = line_end
    terminator = min((i for i in (text.find(t, body_start, line_end) for t in _TERMINATORS) if i >= 0), default=-1)
    if terminator >= 0:
        end = terminator + 1
    for pattern in (_MARKER_RE, ITEM_RE):
        nested = pattern.search(text, body_start, end)
        if nested:
            end = min(end, nested.start())
    if level == 1 and end - start > _LONG_HEADING and (word := _PART_WORD_END_RE.search(text, body_start, end)):
        end = word.end()
    return end


def _is_heading_position(text: str, pos: int, line_start: int, previous_end: int) -> bool:
    return pos in (line_start, previous_end) or text[pos - 1] in _HEADING_START_AFTER


def find_headings(text: str) -> list[Heading]:
    """Find the numbered and part headings of a cleaned report, in text order.

    Examples
    --------
    >>> [h.title for h in find_headings("一、2020年工作总结（一）疫情防控常态开展。新冠肺炎疫情…")]
    ['一、2020年工作总结', '（一）疫情防控常态开展']
    """
    headings: list[Heading] = []
    # Whether a level-2 heading follows the last level-0/1 one: kept as headings are found, since
    # searching the headings so far on every line was quadratic in a long report.
    level2_open = False
    offset = 0
    for line in text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        if not _MARKER_RE.match(line) and _PART_HEADING_RE.match(line):
            found = [Heading(0, line_start, line_end, line, part_of(line))]
        else:
            found = _find_line_headings(text, line_start, line_end, level2_open)
        for heading in found:
            if heading.level <= 1:
                level2_open = False
            elif heading.level == 2:
                level2_open = True
        headings.extend(found)
    return headings


def _find_line_headings(text: str, line_start: int, line_end: int, level2_open: bool) -> list[Heading]:
    found: list[Heading] = []
    previous_end = -1
    pos = line_start
    while (match := _MARKER_RE.search(text, pos, line_end)) is not None:
        pos = match.end()
        if not _is_heading_position(text, match.start(), line_start, previous_end):
            continue
        level = int(match.lastgroup[1:])
        end = _heading_end(text, match.start(), match.end(), line_end, level)
        if end <= match.end():
            continue  # a bare marker with nothing after it is not a heading
        title = text[match.start() : end].rstrip(_TERMINATORS + "：:，,；;")
        found.append(Heading(level, match.start(), end, title, part_of(title) if level <= 1 else None))
        previous_end = end
        pos = end
    if not found and level2_open and _is_disguised_section(text, line_start, line_end):
        end = _heading_end(text, line_start, line_start + 2, line_end, 2)
        found.append(Heading(2, line_start, end, text[line_start:end].rstrip(_TERMINATORS), None))
    return found


def _is_disguised_section(text: str, line_start: int, line_end: int) -> bool:
    """A paragraph like ``五是聚焦整治强保护…。一是…二是…`` between ``（四）`` and ``（六）``.

    Its ordinal continues the level-2 numbering (the caller checks that level-2
    headings precede it in the current top-level section) and it opens its own
    ``一是`` enumeration, so it is a level-2 heading whose parentheses were lost.
    """
    item = ITEM_RE.match(text, line_start, line_end)
    if item is None or item.group(0) == "一是":
        return False
    return text.find("一是", item.end(), line_end) >= 0


def build_sections(text: str, headings: list[Heading]) -> list[Section]:
    """Give each heading its extent, heading path and part.

    A heading that names no part inherits the part of its enclosing section;
    the text before the first heading and unmarked top-level sections are
    ``review``.
    """
    # Where each section ends: the start of the next heading of the same or a higher level, found in
    # one pass with a stack of headings still open (their levels increase from bottom to top).
    ends = [len(text)] * len(headings)
    still_open: list[int] = []
    for i, heading in enumerate(headings):
        while still_open and headings[still_open[-1]].level >= heading.level:
            ends[still_open.pop()] = heading.start
        still_open.append(i)
    sections: list[Section] = []
    stack: list[tuple[Heading, str]] = []
    for heading, end in zip(headings, ends, strict=True):
        while stack and stack[-1][0].level >= heading.level:
            stack.pop()
        inherited = stack[-1][1] if stack else "review"
        part = heading.part or inherited
        path = (*tuple(h.title for h, _ in stack), heading.title)
        sections.append(Section(heading.level, heading.title, heading.start, end, part, path))
        stack.append((heading, part))
    return sections
