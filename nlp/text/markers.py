"""Heading numbers of Chinese government documents (一、 / （一） / 1. / 第一部分), shared by cleaning and structure.

Cleaning needs them to tell a heading run into the title from a title;
structure to give each heading its level.  One definition keeps the two
from drifting apart.
"""

from __future__ import annotations

import re

__all__ = ["CN_DIGITS", "HEADING_MARKERS", "HEADING_START_RE"]

CN_DIGITS = "一二三四五六七八九十"
#: Heading level -> the number that opens a heading of that level.
HEADING_MARKERS = {
    1: rf"[{CN_DIGITS}]{{1,3}}、",
    2: rf"[（(][{CN_DIGITS}]{{1,3}}[）)]",
    3: r"\d{1,2}[、．.](?!\d)",
}
#: A line that opens with a heading number, or with a part number (第一部分).
HEADING_START_RE = re.compile("^(?:" + "|".join(HEADING_MARKERS.values()) + rf"|第[{CN_DIGITS}]部分)")
