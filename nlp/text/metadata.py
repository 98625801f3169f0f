"""Report metadata read from the text: place, administrative level, years covered, genre.

These are the covariates of every comparison a researcher makes (attention
by place, level, year or genre), so each is taken only from text that names
it, and is ``None`` rather than a guess when the excerpt does not say:

* **place** -- the unit that wrote the report, with its administrative
  suffix (``鄣吴镇``, ``华庄街道``, ``鼓楼区``), its **level** (``township`` 乡,
  ``town`` 镇, ``street`` 街道, ``sumu`` 苏木, ``village`` 村, ``county`` 县,
  ``district`` 区, ``banner`` 旗) and, where the text names them, the
  enclosing **county** (县/区/县级市) and **city** (市/州/盟).  Sources in
  order: the title, the congress dateline (``在鄣吴镇第十七届人民代表大会…``),
  the speaker line, the portal's publisher fields, then the opening of the body.
* **years** -- the years the report covers: the review year(s) and the plan
  year.  A 政府工作报告 titled with year *Y* reviews *Y − 1* unless it names
  the review year itself.
* **genre** -- ``summary`` (工作总结), ``half_year`` (上半年/半年 report),
  ``plan`` (计划/要点/安排 only), ``government_work_report`` (政府工作报告 or
  a report delivered to a people's congress or community-representatives
  meeting).

Examples
--------
>>> find_place("(安吉县)2021年鄣吴镇人民政府工作报告")
Place(name='鄣吴镇', level='town', county='安吉县', city=None)
>>> find_place("2015年南京市鼓楼区政府工作报告全文")
Place(name='鼓楼区', level='district', county=None, city='南京市')
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["GENRES", "LEVELS", "SUB_COUNTY", "YEAR_RE", "Place", "find_place", "genre_of", "years_covered"]

#: Administrative suffix → level code, longest suffix first.
LEVELS = {
    "街道": "street",
    "苏木": "sumu",
    "镇": "town",
    "乡": "township",
    "村": "village",
    "县": "county",
    "区": "district",
    "旗": "banner",
}
#: Levels of sub-county units (a report by one of them may also name its county).
SUB_COUNTY = frozenset({"street", "sumu", "town", "township", "village"})
GENRES = ("summary", "half_year", "plan", "government_work_report")

# Characters that end a place name's left context: a name never starts with them
# (年 of "2021年鄣吴镇", 在 of "在红土坡镇", 我/全/本/该 of "我镇", "全镇").
_NOT_NAME_START = "年月日在我全本该各这那和与及的了是为对于向由从把被等个届次今明去共省委"
# Characters that never stand inside a name: a match is cut after the last of them.
_NOT_IN_NAME = "年在我的了是为对于向由从把被等届次委和与及该这那"
_MAX_NAME = 6  # characters before the suffix
_NAME = rf"[^\W\d_{_NOT_NAME_START}X][^\W\d_]{{0,{_MAX_NAME - 1}}}?|X"
_SUFFIX = "|".join(LEVELS)
# Words that look like names before a suffix but are not places.
_NOT_PLACES = re.compile(
    r"^(?:乡镇|街镇|城乡|全乡|全镇|各乡|各镇|村镇|社区|集镇|圩镇|场镇|小镇|城镇|乡村|新村|农村|山村|"
    r"市区|城区|园区|辖区|景区|片区|社区|小区|校区|库区|山区|区县|县区|县乡|县城|街道|全县|全区|本县|本区|我县|我区|"
    r".*(?:园区|片区|示范区|功能区|开发区|保护区|风貌区|商圈)|"
    r".*[产工作部会议社委办局所站院厅处]镇|.*(?:风情|特色|美丽|历史文化|康养|旅游|森林)小?镇)$"
)
_CITY_RE = re.compile(r"([^\W\d_年在县区旗市州盟省]{1,4}(?:州市|市|州|盟))")
_COUNTY_RE = re.compile(r"([^\W\d_年在县区旗市州盟省]{1,4}(?:县|区|旗|市))$")
# Words that sit between names ("普陀区人民政府长寿路街道办事处"): masked before matching, so that no
# name can run across them.
_BREAK_RE = re.compile(
    r"人民政府|政府|办事处|党工委|党委|人大|委员会|位于|全体|代表|同志|领导|范文|工作|按照|根据|通过|结合|围绕|推进|打造|实施|开展|"
    r"中共|成立|组织|依托|走进|首个"
)
_PLACE_RE = re.compile(rf"(?P<name>{_NAME})(?P<suffix>{_SUFFIX})")


@dataclass(frozen=True)
class Place:
    """An administrative unit named in a report."""

    name: str
    level: str
    county: str | None = None
    city: str | None = None


@lru_cache(maxsize=4096)  # a long body names the same few places thousands of times
def _level(name: str) -> str:
    return next(level for suffix, level in LEVELS.items() if name.endswith(suffix))


# The first character of every suffix.  A name is at most six characters before its suffix, so a
# match can only start within six characters before one of them.
_SUFFIX_START_RE = re.compile("[" + "".join(sorted({suffix[0] for suffix in LEVELS})) + "]")


def _place_matches(text: str) -> Iterator[re.Match]:
    """The matches of ``_PLACE_RE.finditer(text)``, trying only the positions just before a suffix character.

    ``finditer`` tries the name pattern at every position of a long body (most of them Han
    characters it cannot rule out at once); here the pattern is tried, in the same order, only
    where a suffix follows within reach, which skips the positions that cannot match.
    """
    match_at = _PLACE_RE.match
    untried = 0  # positions before this one were tried or lie inside a match
    for suffix in _SUFFIX_START_RE.finditer(text):
        at = suffix.start()
        for start in range(max(untried, at - _MAX_NAME), at):
            if (match := match_at(text, start)) is not None:
                yield match
                untried = match.end()
                break
        else:
            untried = max(untried, at)


# The head of a name up to the last character that cannot stand inside one: what is cut off.
_CUT_BEFORE_NAME_RE = re.compile(f".*[{_NOT_IN_NAME}]")


def _candidates(text: str) -> Iterable[tuple[int, int, str]]:
    """``(start, end, name)`` of every administrative name in ``text``, left to right."""
    for match in _place_matches(text):
        name = match.group()
        suffix_start = match.start("suffix")
        # a name runs from the last character that cannot belong to one ("建议今年全乡" → "全乡"), found by
        # one greedy match before the suffix, not one rfind per such character (a long body has 10^4 names)
        if (cut := _CUT_BEFORE_NAME_RE.match(name, 0, suffix_start - match.start())) is not None:
            name = name[cut.end() :]
        if not _NOT_PLACES.match(name) and len(name) > match.end() - suffix_start:
            yield match.end() - len(name), match.end(), name


def _split_chain(text: str, start: int, end: int) -> tuple[str, str | None, str | None]:
    """Split a run such as ``上海市闵行区颛桥镇`` ending at ``end`` into (unit, county, city)."""
    head = text[max(0, start - 12) : start]
    unit = text[start:end]
    county = city = None
    if (m := _COUNTY_RE.search(head)) and _level(unit) in SUB_COUNTY:
        county = m.group(1)
        head = head[: m.start()]
    if m := _CITY_RE.search(head):
        city = m.group(1)
    return unit, county, city


def _refine(text: str, start: int, end: int, name: str) -> tuple[str, str | None, str | None]:
    """The unit at ``text[start:end]``; a name that swallowed its county (``萧山区瓜沥镇``) is split."""
    for match in _candidates(name[:-1]):
        # a county or city inside the name: the unit starts after it
        inner_start = start + match[1]
        if inner_start < end - 1 and _level(name) in SUB_COUNTY and _level(match[2]) in {"county", "district"}:
            return _split_chain(text, inner_start, end)
    city = _CITY_RE.match(name)
    if city and city.end() < len(name) - 1:
        return _split_chain(text, start + city.end(), end)
    return _split_chain(text, start, end)


# In running text a place name is only trusted as the subject of a clause or before its
# government ("龙田街道党工委坚持…", "济淡河乡位于…"), not inside phrases ("围绕打造乡村振兴…").
_BODY_CUE_RE = re.compile(
    r"(?:人民政府|政府|办事处|街道办|党委|党工委|人大|全体|位于|在|坚持|深入|紧紧|紧扣|围绕|认真|团结|上下|以|聚焦|"
    r"(?:19|20)\d{2}年)"
)


def find_place(text: str, prefer_sub_county: bool = True, running_text: bool = False) -> Place | None:
    """The reporting unit named in ``text``: the first sub-county unit, else the first county-level one.

    Examples
    --------
    >>> find_place("上海市闵行区颛桥镇人民政府")
    Place(name='颛桥镇', level='town', county='闵行区', city='上海市')
    >>> find_place("我街道紧扣幸福普陀建设") is None
    True
    """
    original = text
    text = _BREAK_RE.sub(lambda m: "，" * len(m.group(0)), text)
    spans = [(start, end, name) for start, end, name in _candidates(text)]
    if running_text:
        # a name counts when a cue follows it or it recurs; the most frequent wins (OCR may vary one spelling)
        counts = Counter(n for _, _, n in spans)
        spans = [
            (s, e, n)
            for s, e, n in spans
            if len(n) <= 7
            and (_BODY_CUE_RE.match(original, e) or (counts[n] > 1 and _level(n) in SUB_COUNTY))
            # a county named in a township's text is its county, not its author, unless it speaks as a government
            and (_level(n) in SUB_COUNTY or original.startswith(("人民政府", "政府"), e))
        ]
        spans.sort(key=lambda span: -counts[span[2]])
    if not spans:
        return None
    # only the chosen span is refined (a long body has 10^4); refining keeps a name's suffix, so its level
    first = spans[0]
    if prefer_sub_county:
        first = next((span for span in spans if _level(span[2]) in SUB_COUNTY), first)
    unit, county, city = _refine(text, *first)
    if county is None and _level(unit) in SUB_COUNTY:
        county = _nearby_county(text, unit) or _county_after(original, unit)
    return Place(name=unit, level=_level(unit), county=county, city=city)


def _nearby_county(text: str, unit: str) -> str | None:
    """A county named just before ``unit``: "(安吉县)2021年鄣吴镇", "普陀区人民政府长寿路街道"."""
    at = text.find(unit)
    before = re.search(
        r"([^\W\d_年在县区旗市州盟省]{1,4}(?:县|区|旗|市))(?:人民政府|[，,]{0,8})?[^\w]{0,2}(?:(?:19|20)\d{2}年度?)?$",
        text[:at],
    )
    return before.group(1) if before else None


def _county_after(text: str, unit: str) -> str | None:
    """The county of "…乡位于龙江县…"."""
    after = re.search(re.escape(unit) + r"位于([^\W\d_县区旗市州盟省]{1,4}(?:县|区|旗|市))", text)
    return after.group(1) if after else None


#: A year as titles write it: "2021年", "（2021）".
YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年|[（(]((?:19|20)\d{2})[)）]")
_CONGRESS_RE = re.compile(r"政府工作报告|人民代表大会|代表会议|代表大会|各位代表")
_HALF_YEAR_RE = re.compile(r"上半年|(?<!下)半年|1-6月|1—6月")
_PLAN_RE = re.compile(r"计划|要点|安排|打算|思路|谋划")
_SUMMARY_RE = re.compile(r"总结|回顾|情况|汇报|成效|报告")
_REVIEW_HEADING_RE = re.compile(
    r"((?:19|20)\d{2})\s*年(?:度)?[^。，；\n]{0,10}?工作(?:回顾|总结|情况)|((?:19|20)\d{2})\s*年主要工作"
)
_PAST_YEAR_RE = re.compile(
    r"(?:刚刚过去的|过去的|即将过去的)((?:19|20)\d{2})年|(?:^|[。\n])((?:19|20)\d{2})年度?[，,]?是"
)


def genre_of(title: str | None, front_matter: str = "", body: str = "") -> str | None:
    """The report's genre from its title and front matter (``None`` without either).

    Examples
    --------
    >>> genre_of("桥头镇2023年度政府工作报告"), genre_of("龙湾镇2020年上半年工作总结")
    ('government_work_report', 'half_year')
    >>> genre_of("南漳镇人民政府2023年工作计划"), genre_of("华庄街道2022年工作总结")
    ('plan', 'summary')
    """
    text = f"{title or ''}\n{front_matter}"
    if not text.strip():
        # a later page of a report: only a speech formula in its body tells the genre
        if re.search(r"各位代表", body):
            return "government_work_report"
        return "summary" if re.search(r"工作总结|工作回顾|总结如下|汇报如下", body) else None
    if _HALF_YEAR_RE.search(title or ""):
        return "half_year"
    if _CONGRESS_RE.search(text):
        return "government_work_report"
    if title and _PLAN_RE.search(title) and not _SUMMARY_RE.search(title):
        return "plan"
    return "summary"


def years_covered(title: str | None, genre: str | None, body: str, late_in_year: bool = False) -> tuple[int, ...]:
    """Review and plan years: those in the title, plus the review year of a 政府工作报告.

    A 政府工作报告 is titled with the year it is delivered in and reviews the
    year before: the review year is read from a heading or opening sentence
    that names it (``一、2022年工作回顾``, ``刚刚过去的2020年``), else taken as
    the title year minus one (or the title year itself when the report was
    ``late_in_year``, delivered in the second half of the year it reviews).
    Without a title, years come from the opening of the body.

    Examples
    --------
    >>> years_covered("鄣吴镇2021年政府工作报告", "government_work_report", "一、2020年主要工作")
    (2020, 2021)
    >>> years_covered("华庄街道2022年工作总结", "summary", "2022年是…")
    (2022,)
    """
    years = {int(a or b) for a, b in YEAR_RE.findall(title or "")}
    opening = body[:300]
    if not years:
        if m := (_REVIEW_HEADING_RE.search(opening) or _PAST_YEAR_RE.search(opening)):
            reviewed = int(next(g for g in m.groups() if g))
            # a 政府工作报告 reviews one year and plans the next
            years.update((reviewed, reviewed + 1) if genre == "government_work_report" else (reviewed,))
        return tuple(sorted(years))
    if genre == "government_work_report" and len(years) == 1:
        (year,) = years
        review = _REVIEW_HEADING_RE.search(opening) or _PAST_YEAR_RE.search(opening)
        reviewed = int(next(g for g in review.groups() if g)) if review else year - (0 if late_in_year else 1)
        if reviewed <= year:
            years.add(reviewed)
    return tuple(sorted(years))
