"""Stage 2: strip web-page noise from a decoded report and read its metadata.

Work reports scraped from government portals and document-sharing sites carry
page furniture around the text: download-site notices, breadcrumbs,
publication metadata, "scan to open on your phone" footers, bullets and stray
spaces.  :func:`clean_report` removes that furniture line by line, keeps what
is useful as :class:`ReportMeta` (title, township, years, publication date,
page fields such as 索引号 or 来源), normalises punctuation and returns the
body as one paragraph per line.

Punctuation is normalised to the full-width forms of Chinese typesetting
(，；：（）？！) so later stages need to know one form only; commas and
colons between digits (``1,250``, ``15:26``) stay half-width, and full-width
letters and digits become half-width.  ``X`` placeholders of anonymised
reports are kept in the text; the tokenizer drops them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .reading import RawReport

# --- character normalisation -------------------------------------------------

_FULLWIDTH_ALNUM = {
    **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
    **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
}
_SPACES = {"\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\t": " ", "\ufeff": ""}
# Zero-width characters (space, non-joiner, joiner, word joiner) and soft hyphens are invisible copy-paste
# residue that would split words and hide headings such as "一、\u200d工作总结" from title detection.
_ZERO_WIDTH = {"\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\u00ad": ""}
_CHAR_MAP = {**_FULLWIDTH_ALNUM, **_SPACES, **_ZERO_WIDTH}
# A regex finds the few characters to replace faster than str.translate walks every character.
_CHAR_RE = re.compile("[" + re.escape("".join(_CHAR_MAP)) + "]")

# Half-width punctuation that becomes full-width; ',' and ':' only when not between digits.
_HALF_TO_FULL = {";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_HALF_TO_FULL_RE = re.compile("[" + re.escape("".join(_HALF_TO_FULL)) + "]")
_COMMA_RE = re.compile(r"(?<!\d),|,(?!\d)")
_COLON_RE = re.compile(r"(?<!\d):|:(?!\d)")
# Whitespace inside a line is dropped unless it separates two ASCII words.
_INNER_SPACE_RE = re.compile(r"(?<=[A-Za-z0-9]) +(?=[A-Za-z0-9])|( +)")
_BULLET_RE = re.compile(r"^[•·●○■□◆◇▪▶►\-*]+\s+")
#: A character that can belong to a word (letters, digits, Han): lines and sentences without one are punctuation.
WORD_CHAR_RE = re.compile(r"[\w\u4e00-\u9fff]")


def normalize_characters(text: str) -> str:
    """Unify line ends, spaces and full-/half-width characters (not yet punctuation)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CHAR_RE.sub(lambda m: _CHAR_MAP[m.group(0)], text)


def normalize_punctuation(line: str) -> str:
    """Use full-width Chinese punctuation, keeping digit separators half-width.

    Examples
    --------
    >>> normalize_punctuation("2020年,共1,250人(试行);时间15:26")
    '2020年，共1,250人（试行）；时间15:26'
    """
    line = _COMMA_RE.sub("，", line)
    line = _COLON_RE.sub("：", line)
    return _HALF_TO_FULL_RE.sub(lambda m: _HALF_TO_FULL[m.group(0)], line)


def squeeze_spaces(line: str) -> str:
    """Drop spaces in Chinese text; keep one space between two ASCII words."""
    return _INNER_SPACE_RE.sub(lambda m: "" if m.group(1) else " ", line).strip()


# --- page furniture -------------------------------------------------------------

_NOISE_PATTERNS = [
    re.compile(r"^\d+(?:\.\d+)?\s*[KMG]B$", re.IGNORECASE),  # file size of a download site
    re.compile(r"本文档由用户上传|本文档内容版权|本站不保证|网站客服|付费下载|下载券|客服\s*QQ", re.IGNORECASE),
    re.compile(r"^当前(?:页面|位置)\s*[:：]|首页\s*[>＞]"),  # breadcrumbs
    re.compile(r"^(?:政府)?信息公开(?:目录)?$"),
    re.compile(r"^附件(?:下载)?\s*[:：]?$"),
    re.compile(r"扫一扫在手机|手机打开当前页|^【?\s*(?:打印本页|关闭窗口|打印|关闭)\s*】?$|^分享到"),
]
_UPLOAD_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\s*发布$")
_BRACKET_DATE_RE = re.compile(r"^[（(]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]$")

#: Labels of publication metadata on government portals (spaces may pad them: "索 引 号").
META_LABELS = (
    "发布日期",
    "发布时间",
    "成文日期",
    "索引号",
    "发布机构",
    "文号",
    "主题词",
    "主题分类",
    "信息来源",
    "来源",
    "浏览次数",
    "点击数",
    "作者",
)
_META_LABEL_RE = re.compile("(" + "|".join(r"\s*".join(map(re.escape, label)) for label in META_LABELS) + r")\s*[:：]")
_DATE_RE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")

# A title names a report type; a second clause may join review and plan ("…总结及…计划").
_REPORT_TYPE = r"(?:工作总结|工作计划|工作打算|工作思路|工作谋划|工作安排|工作要点|工作报告)"
_TITLE_RE = re.compile(
    rf"^(?P<title>[^。，；！？]{{0,40}}?{_REPORT_TYPE}"
    rf"(?:(?:及|和|暨|与|、)[^。，；！？]{{0,20}}?(?:{_REPORT_TYPE}|总结|计划|打算|思路|谋划|安排))?)"
)
_TOWNSHIP_RE = re.compile(r"[\u4e00-\u9fffX]{1,6}?(?:镇|乡|街道)")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")


@dataclass(frozen=True)
class ReportMeta:
    """What a report says about itself.

    Attributes
    ----------
    title : str or None
        The report's title line, e.g. ``"荫田镇2021年度工作总结及2022年工作计划"``.
    township : str or None
        Township name such as ``"李家疃镇"``; ``"X镇"`` when anonymised.
    years : tuple of int
        Years named in the title (review year and plan year).
    published : str or None
        Publication (or upload) date as ``YYYY-MM-DD``.
    page_fields : dict
        Portal metadata such as 索引号, 发布机构, 来源, 浏览次数.
    """

    title: str | None = None
    township: str | None = None
    years: tuple[int, ...] = ()
    published: str | None = None
    page_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanReport:
    """A report after cleaning: one paragraph per line plus metadata."""

    raw: RawReport
    text: str
    meta: ReportMeta


def _iso_date(year: str, month: str, day: str) -> str:
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def parse_meta_fields(line: str) -> dict[str, str]:
    """Split a portal metadata line into label → value.

    Examples
    --------
    >>> parse_meta_fields("发布日期: 2020.08.05 索 引 号 : 00062160-8-0304")
    {'发布日期': '2020.08.05', '索引号': '00062160-8-0304'}
    """
    matches = list(_META_LABEL_RE.finditer(line))
    fields = {}
    for i, match in enumerate(matches):
        label = re.sub(r"\s+", "", match.group(1))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = re.sub(r"\s+", " ", line[match.end() : end]).strip()
        if value:
            fields[label] = value
    return fields


def _split_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The title at the head of the body lines (if any), and the body without it."""
    match = _TITLE_RE.match(lines[0]) if lines else None
    if match is None:
        return None, [line for line in lines if line]
    title = match.group("title")
    if remainder := lines[0][match.end() :].strip():
        return title, [remainder, *lines[1:]]
    # the page may repeat its title, split over lines, before the body starts
    start = 1
    while start < len(lines) and lines[start] in title:
        start += 1
    return title, lines[start:]


def _township_from(fields: dict[str, str], title: str | None, body: str) -> str | None:
    for source in (title, fields.get("发布机构"), fields.get("来源"), body[:200]):
        if source:
            match = _TOWNSHIP_RE.search(source.replace("人民政府", " ").replace("中共", " "))
            if match:
                return match.group(0)
    return None


def clean_report(raw: RawReport) -> CleanReport:
    """Remove page noise from ``raw`` and extract its metadata.

    Examples
    --------
    >>> from nlp.reading import RawReport
    >>> page = "当前页面: 首页 > 信息公开\\n某镇2020年工作总结\\n一、工作总结\\n扫一扫在手机打开当前页"
    >>> report = clean_report(RawReport("r", "r.txt", page, "utf-8", ""))
    >>> report.text, report.meta.township, report.meta.years
    ('一、工作总结', '某镇', (2020,))
    """
    fields: dict[str, str] = {}
    published: str | None = None
    kept: list[str] = []
    for raw_line in normalize_characters(raw.text).split("\n"):
        line = _BULLET_RE.sub("", raw_line.strip()).strip()
        if WORD_CHAR_RE.search(line) is None or any(p.search(line) for p in _NOISE_PATTERNS):
            continue
        if date := (_UPLOAD_DATE_RE.match(line) or _BRACKET_DATE_RE.match(line)):
            published = published or _iso_date(*date.groups())
            continue
        if _META_LABEL_RE.match(line):
            fields.update(parse_meta_fields(line))
            continue
        kept.append(line)
    # Kept lines are stripped, so normalising them joined is the same as line by line, only faster.
    title, body = _split_title(normalize_punctuation(squeeze_spaces("\n".join(kept))).split("\n"))

    text = "\n".join(body)
    for label in ("发布日期", "发布时间", "成文日期"):
        if not published and label in fields and (date := _DATE_RE.search(fields[label])):
            published = _iso_date(*date.groups())
    years = tuple(sorted({int(y) for y in _YEAR_RE.findall(title or text[:200])}))
    meta = ReportMeta(
        title=title,
        township=_township_from(fields, title, text),
        years=years,
        published=published,
        page_fields=fields,
    )
    return CleanReport(raw=raw, text=text, meta=meta)
