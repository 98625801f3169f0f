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
from collections import Counter
from dataclasses import dataclass, field, replace

from nlp.text import metadata
from nlp.text.markers import HEADING_START_RE
from nlp.text.reading import RawReport

__all__ = [
    "META_LABELS",
    "PUBLISHER_FIELDS",
    "WORD_CHAR_RE",
    "CleanReport",
    "ReportMeta",
    "clean_report",
    "find_watermark",
    "normalize_characters",
    "normalize_punctuation",
    "parse_meta_fields",
    "squeeze_spaces",
]

# --- character normalisation -------------------------------------------------

_FULLWIDTH_ALNUM = {
    **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
    **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
}
_SPACES = {"\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\t": " ", "\ufeff": ""}
# Zero-width characters break word and title matching without showing; U+FFFD is what a page
# store leaves where it cut a multi-byte character (the end of an excerpt).
_INVISIBLE = {"\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\u00ad": "", "\ufffd": ""}
_CHAR_MAP = {**_FULLWIDTH_ALNUM, **_SPACES, **_INVISIBLE}
# A regex finds the few characters to replace faster than str.translate walks every character.
_CHAR_RE = re.compile("[" + re.escape("".join(_CHAR_MAP)) + "]")

# Half-width punctuation that becomes full-width; ',' and ':' only when not between digits.
_HALF_TO_FULL = {";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_HALF_TO_FULL_RE = re.compile("[" + re.escape("".join(_HALF_TO_FULL)) + "]")
# The comma (colon) first, then the digit test: a pattern that opens with a literal lets the regex
# engine jump from one comma to the next instead of trying every position (5x faster on a report).
_COMMA_RE = re.compile(r",(?:(?<!\d,)|(?!\d))")
_COLON_RE = re.compile(r":(?:(?<!\d:)|(?!\d))")
# Whitespace inside a line is dropped unless it separates two ASCII words.  A run of spaces is
# found by its first space, a literal (as above); "  *" rather than " +", which has no literal head.
_SPACE_RUN_RE = re.compile("  *")
_ASCII_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
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
    return _SPACE_RUN_RE.sub(_squeezed_run, line).strip()


def _squeezed_run(run: re.Match) -> str:
    """One space for a run of spaces between two ASCII letters or digits, else nothing."""
    text, start, end = run.string, run.start(), run.end()
    between_words = start > 0 and end < len(text) and text[start - 1] in _ASCII_WORD_CHARS
    return " " if between_words and text[end] in _ASCII_WORD_CHARS else ""


# --- page furniture -------------------------------------------------------------

_NOISE_PATTERNS = [
    re.compile(r"^\d+(?:\.\d+)?\s*[KMG]B$", re.IGNORECASE),  # file size of a download site
    re.compile(r"本文档由用户上传|本文档内容版权|本站不保证|网站客服|付费下载|下载券|客服\s*QQ", re.IGNORECASE),
    # document-sharing and essay sites: "…的会员“…”为你整理了这篇…", "《….docx》由会员分享，可在线阅读"
    re.compile(r"为你整理了这篇|由会员分享|可在线阅读|珍藏版|范文网|请在.{0,6}文库上搜索"),
    re.compile(r"^(?:政府)?信息公开(?:目录)?$|^政务公开$"),
    re.compile(r"^附件(?:下载)?\s*[:：]?$"),
    re.compile(r"扫一扫在手机|手机打开当前页"),
    re.compile(r"^【?\s*(?:打印本页|关闭窗口|打印|关闭)\s*】?$|^分享到"),
    # a portal's banner ("为提高政府工作的透明度…及时权威发布…信息")
    re.compile(r"^为提高政府工作的透明度|^机构设置、领导成员、政策文件及解读等信息"),
    # an index number, a bare date or a date with a view count on a line of its own
    re.compile(r"^[0-9A-Za-z]{6,}[-/][0-9A-Za-z/-]+$|^\d{4}[-./]\d{1,2}[-./]\d{1,2}(?:\s+[\d:]+)*$"),
]


def _any_of(patterns: list[re.Pattern]) -> re.Pattern:
    """One pattern that matches somewhere in a line exactly when one of ``patterns`` does.

    The patterns share their flags and refer to no groups, so their alternation is their union.
    """
    (flags,) = {pattern.flags for pattern in patterns}
    return re.compile("|".join(pattern.pattern for pattern in patterns), flags)


# The noise patterns as few searches instead of one each: those anchored to the line start together
# (tried at the start only) and the others, alternations of words, together (the regex engine skips to
# their first characters); one pattern mixing both kinds would be tried at every position of the line.
_NOISE_SEARCHES = tuple(
    _any_of(group)
    for anchored in (True, False)
    for flags in sorted({pattern.flags for pattern in _NOISE_PATTERNS})
    if (group := [p for p in _NOISE_PATTERNS if p.pattern.startswith("^") == anchored and p.flags == flags])
)
# Page controls that may share a line: a line made only of them is furniture.
_CONTROL_WORDS_RE = re.compile(
    r"导航菜单|无障碍(?:阅读|浏览)?|关怀版|长者模式|返回首页|返回手机版|手机版|选择语言|请输入检索词|检索|"
    r"回到|顶部|听全文|分享|文件下载|打印整页|打印内容|打印页面|打印|关闭页面|关闭|【正文】|【概述】|正文|概述|"
    r"字号|字体大小|字体|大|中|小|标准|加大|特大|视力保护色|T浏览|浏览|访问量|阅读次数"
)
# A word character outside every control word (the characters of the pattern, a superset of them).
_FOREIGN_WORD_CHAR_RE = re.compile(rf"(?![{re.escape(_CONTROL_WORDS_RE.pattern)}])[\w\u4e00-\u9fff]")
# A breadcrumb opens the line ("当前位置：") or follows the home page anywhere in it ("首页 > 信息公开").
_BREADCRUMB_START_RE = re.compile(r"(?:您)?当前(?:页面|位置|所在位置|的位置)\s*[:：]")
_BREADCRUMB_HOME_RE = re.compile(r"首页\s*(?:[>＞]|>>)")
_UPLOAD_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\s*发布$")
_BRACKET_DATE_RE = re.compile(r"^[（(]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]$")

#: Labels of publication metadata on government portals (spaces may pad them: "索 引 号").
META_LABELS = (
    "信息索引号",
    "索引号",
    "发布日期",
    "发布时间",
    "发表时间",
    "发文日期",
    "发文时间",
    "成文日期",
    "生成日期",
    "公开日期",
    "公布日期",
    "信息提供日期",
    "发布机构",
    "发布单位",
    "发布部门",
    "发文机关",
    "发文机构",
    "公开主体",
    "公开方式",
    "发文字号",
    "文件编号",
    "统一编号",
    "文号",
    "标题",
    "主题词",
    "主题分类",
    "信息分类",
    "公文目录",
    "效力状态",
    "效力状况",
    "所属地区",
    "内容概述",
    "信息来源",
    "来源",
    "浏览次数",
    "阅读次数",
    "访问量",
    "点击数",
    "作者",
    "时间",
    "日期",
)
_LABEL_ALTERNATIVES = "|".join(r"\s*".join(map(re.escape, label)) for label in META_LABELS)
_META_LABEL_RE = re.compile(f"({_LABEL_ALTERNATIVES})" + r"\s*[:：]")
# Some portals drop the colons: "索引号 MB1670946/2023-00023 生成日期 2023-01-17 公开日期 2023-01-17".
_BARE_LABEL_RE = re.compile(f"(?:^|(?<=\\s))({_LABEL_ALTERNATIVES})(?=\\s)")
# A cut-off label at the start of a line ("号: cxs039-…", "称: 政府工作报告…" for 索引号, 名称).
_STUB_LABEL_RE = re.compile(r"^(?:号|称|名称)\s*[:：]")
_DATE_RE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")
_LEADING_DATE_RE = re.compile(r"^\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?\s*")

# A title names a report type; a second clause may join review and plan ("…总结及…计划").
_REPORT_TYPE = (
    r"(?:工作总结|工作计划|工作打算|工作思路|工作谋划|工作安排|工作要点|工作情况报告|工作报告|工作汇报|"
    r"会议上的报告|会议报告|情况报告|工作情况)"
)
_TITLE_RE = re.compile(
    rf"^(?P<title>[^。，；！？]{{0,40}}?{_REPORT_TYPE}"
    rf"(?:(?:及|和|暨|与|、)[^。，；！？]{{0,20}}?(?:{_REPORT_TYPE}|总结|计划|打算|思路|谋划|安排|要点))?"
    r"(?:完成情况|执行情况|落实情况)?"
    r"(?:范文|[—-]?全文|[（(][^）)]{0,12}[)）]|\d篇)*)"
)
# Site tags before a title: "【杭州招商】", "[吴江上市公司名单2018]"; a page counter "1、" of a document store.
_TITLE_TAG_RE = re.compile(r"^(?:【[^】]{1,12}】|\[[^\]]{1,20}\]|\d、(?=[^。]{0,20}报告))")
_WORD_COUNT_RE = re.compile(r"[（(]全文\d+字[)）]$")
# A page's date after its title: "定海路街道2019年工作总结和2020年重点工作安排 2020-10-19".
_DATE_LINE_TAIL_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")

# --- front matter of a 政府工作报告 ----------------------------------------------------------------
# "——2023年1月16日在宜黄县第十八届人民代表大会第三次会议上", also split over lines or run together.
_DASHES = "—–\\-－―"
_DATELINE_RE = re.compile(
    # "——2023年1月16日在宜黄县第十八届人民代表大会第三次会议上", "二〇二一年一月二十二日在鄣吴镇…会议上"
    rf"^[{_DASHES}]*[^在。，；]{{0,16}}?在[^。，；]{{0,40}}?(?:代表大会|代表会议|全体会议|大会)(?:[^。，；]{{0,24}}?会议)?上?"
    # the first half of a dateline split over lines: "——2024722日在颛桥镇", "2021年10月26日在广州市荔湾区"
    rf"|^(?:[{_DASHES}]+|[{_DASHES}]*\s*(?:19|20)\d{{2}}[\d年月日]*)\s*在[^。，；]{{2,24}}$"
    # the second half: "第三次会议上", "第十七届人民代表大会第一次会议第一次全体会议上", "第六次会议"
    r"|^第[^。，；]{1,30}?会议上?$"
)
# A line naming only the government whose page it is ("大姚县人民政府").
_ORGANISATION_RE = re.compile(r"^[\u4e00-\u9fff]{2,12}(?:人民政府|办事处)$")
_NAME_ONLY_RE = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_OFFICE_TITLES = r"(?:代理|代|副)?(?:镇长|乡长|区长|县长|市长|旗长|主任|书记)"
_SPEAKER_RE = re.compile(rf"^[^。，：]{{0,24}}?{_OFFICE_TITLES}\s*(?:[\u4e00-\u9fff·]{{2,4}}|\s*)$")
_SPEAKER_PREFIX_RE = re.compile(rf"^[^。，：]{{0,16}}?{_OFFICE_TITLES}[\u4e00-\u9fff]{{2,3}}(?=各位代表)")
_SALUTATION_RE = re.compile(r"^各位代表(?:[、，]?(?:同志们|各位委员|朋友们))*\s*[：:]")
_DATE_LINE_RE = re.compile(r"^[（(]?\s*(?:19|20)\d{2}\s*年?\s*\d{0,2}\s*月?\s*\d{0,4}\s*日?\s*[)）]?$")
_WATERMARK_MIN, _WATERMARK_MAX, _WATERMARK_REPEATS = 6, 40, 3


@dataclass(frozen=True)
class ReportMeta:
    """What a report says about itself.

    Attributes
    ----------
    title : str or None
        The report's title line, e.g. ``"荫田镇2021年度工作总结及2022年工作计划"``.
    township : str or None
        The reporting unit as named in the text (``"李家疃镇"``, ``"华庄街道"``,
        ``"鼓楼区"``; ``"X镇"`` when anonymised); see :mod:`nlp.text.metadata`.
    years : tuple of int
        Years the report covers: review year(s) and plan year.
    published : str or None
        Publication (or upload) date as ``YYYY-MM-DD``.
    page_fields : dict
        Portal metadata such as 索引号, 发布机构, 来源, 浏览次数.
    level : str or None
        Administrative level of ``township``: ``township`` (乡), ``town`` (镇),
        ``street`` (街道), ``sumu``, ``village``, ``county``, ``district``, ``banner``.
    county, city : str or None
        The enclosing county (县/区/县级市) and city (市/州), where the text names them.
    genre : str or None
        ``summary``, ``half_year``, ``plan`` or ``government_work_report``.
    front_matter : tuple of str
        Lines taken out of the body as front matter: extra titles, the congress
        dateline, the speaker, the salutation (``各位代表：``).
    truncated : bool
        Whether the text stops mid-sentence (an excerpt cut off by the page store).
    watermark : str or None
        A site watermark that was removed from the end of every paragraph.
    """

    title: str | None = None
    township: str | None = None
    years: tuple[int, ...] = ()
    published: str | None = None
    page_fields: dict[str, str] = field(default_factory=dict)
    level: str | None = None
    county: str | None = None
    city: str | None = None
    genre: str | None = None
    front_matter: tuple[str, ...] = ()
    truncated: bool = False
    watermark: str | None = None

    def to_dict(self) -> dict:
        """A JSON-friendly dict (tuples as lists); :meth:`from_dict` reverses it."""
        return {**self.__dict__, "years": list(self.years), "front_matter": list(self.front_matter)}

    @classmethod
    def from_dict(cls, data: dict) -> ReportMeta:
        return cls(**{**data, "years": tuple(data["years"]), "front_matter": tuple(data.get("front_matter", ()))})


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
    >>> parse_meta_fields("索引号 MB1670946/2023-00023 生成日期 2023-01-17")
    {'索引号': 'MB1670946/2023-00023', '生成日期': '2023-01-17'}
    """
    matches = list(_META_LABEL_RE.finditer(line))
    if not matches:
        matches = list(_BARE_LABEL_RE.finditer(line))
    fields = {}
    for i, match in enumerate(matches):
        label = re.sub(r"\s+", "", match.group(1))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = re.sub(r"\s+", " ", line[match.end() : end]).strip()
        if value:
            fields[label] = value
    return fields


def _is_meta_line(line: str) -> bool:
    """A line of portal fields: it starts with a label, or is short and holds two bare labels."""
    if _META_LABEL_RE.match(line) or _STUB_LABEL_RE.match(line):
        return True
    if (date := _LEADING_DATE_RE.match(line)) and _META_LABEL_RE.match(line, date.end()):
        return True  # "2019年01月30日 来源: 上海普陀"
    return len(line) <= 120 and "。" not in line and len(_BARE_LABEL_RE.findall(f" {line}")) >= 2


def _is_page_control(line: str) -> bool:
    """A line made only of page controls and their punctuation ("打印整页 打印内容 分享", "字号:")."""
    if _FOREIGN_WORD_CHAR_RE.search(line):
        return False  # a word character no control word has stays after removing them (most lines: at once)
    return WORD_CHAR_RE.search(_CONTROL_WORDS_RE.sub("", line)) is None


def _find_breadcrumb(line: str) -> re.Match | None:
    """The leftmost breadcrumb marker of ``line``: the one that opens it, else a home-page arrow."""
    return _BREADCRUMB_START_RE.match(line) or _BREADCRUMB_HOME_RE.search(line)


def find_watermark(lines: list[str]) -> str | None:
    """A suffix that a site appends to many paragraphs ("…c5s乡村百科--为乡村振兴助力"), or ``None``.

    The longest string of 6-40 characters that ends at least three lines and
    follows a sentence end (or is a whole line) in at least one of them.

    Examples
    --------
    >>> mark = "乡村百科--为乡村振兴"
    >>> find_watermark(["一是强化领导。" + mark, "二是压实责任。" + mark, "各位代表：" + mark])
    '乡村百科--为乡村振兴'
    """
    stripped = [line.strip() for line in lines if len(line.strip()) > _WATERMARK_MIN]
    # A suffix that ends three lines ends them with the same shortest suffix, so only lines whose
    # shortest suffix recurs can carry one; the others (nearly all) are dropped before the 35 passes
    # below.  The suffixes that recur keep their counts and first lines, so the choice is unchanged.
    shortest = Counter(line[-_WATERMARK_MIN:] for line in stripped)
    stripped = [line for line in stripped if shortest[line[-_WATERMARK_MIN:]] >= _WATERMARK_REPEATS]
    if not stripped:
        return None
    for length in range(_WATERMARK_MAX, _WATERMARK_MIN - 1, -1):
        ends = Counter(line[-length:] for line in stripped if len(line) > length)
        for suffix, count in ends.most_common(3):
            if count < _WATERMARK_REPEATS or "。" in suffix:
                break
            before = [line[-length - 1] for line in stripped if line.endswith(suffix) and len(line) > length]
            if any(ch in "。！？：:”" for ch in before) and WORD_CHAR_RE.search(suffix):
                return suffix
    return None


def _split_cells(line: str) -> list[str]:
    """Cells of a table row ("| 索引号:… | 发文时间:… |"); other lines unchanged."""
    if line.count("|") >= 2 or line.startswith("|"):
        return [cell.strip() for cell in line.split("|") if cell.strip()]
    return [line]


def _continues(previous: str, line: str) -> bool:
    """Whether ``previous`` stops mid-sentence and ``line`` may carry it on.

    A long line (30+ characters) ending on a Han character continues; so does
    a shorter one (15+) when the next line opens with the rest of a word and
    a comma: ``…向大会报告工`` + ``作，请与…``.
    """
    if not _ends_with_han(previous) or _opens_heading(previous):
        return False
    return len(previous) >= 30 or (len(previous) >= 15 and re.match(r"[\u4e00-\u9fff]{1,3}[，、；]", line) is not None)


def _ends_with_han(line: str) -> bool:
    """Whether ``re.search("[\u4e00-\u9fff]$", line)`` finds a match, without that search scanning the line.

    ``$`` also matches before a final line break.
    """
    line = line.removesuffix("\n")
    return line != "" and "\u4e00" <= line[-1] <= "\u9fff"


def _join_broken_lines(lines: list[str]) -> list[str]:
    """Rejoin paragraphs broken mid-sentence by a PDF layout or a page counter.

    A long line that ends inside a sentence (on a Han character, without
    punctuation) continues on the next line when that line opens no heading:
    ``…报告工`` + ``作，请与…``.  A document store's page counter at the start
    of the continuation (``2、矿。``) is dropped.
    """
    joined: list[str] = []
    for line in lines:
        previous = joined[-1] if joined else ""
        if _continues(previous, line):
            continuation = re.sub(r"^\d{1,2}、(?=[\u4e00-\u9fff]{1,4}[。，；])", "", line)
            if not _opens_heading(continuation):
                joined[-1] = previous + continuation
                continue
        joined.append(line)
    return joined


def _opens_heading(line: str) -> bool:
    return _opens_heading_marker(line) or len(line) <= 20


def _opens_heading_marker(line: str) -> bool:
    return HEADING_START_RE.match(line) is not None


def _split_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The title at the head of the body lines (if any), and the body without it."""
    first = _TITLE_TAG_RE.sub("", lines[0]) if lines else ""
    if len(lines) > 1 and len(lines[1]) <= 6 and _title_length(first + lines[1]) > _title_length(first):
        first, lines = first + lines[1], [first + lines[1], *lines[2:]]  # "…2021年工作思" + "路范文"
    match = _TITLE_RE.match(first) if lines and not _opens_heading_marker(first) else None
    if match is None:
        return None, [line for line in lines if line]
    title = _WORD_COUNT_RE.sub("", match.group("title"))
    remainder = first[match.end() :].strip()
    if remainder and not _DATE_LINE_TAIL_RE.match(remainder):
        return title, [remainder, *lines[1:]]
    # the page may repeat its title, split over lines, before the body starts
    start = 1
    while start < len(lines) and lines[start] in match.group("title"):
        start += 1
    return title, lines[start:]


def _title_length(line: str) -> int:
    match = _TITLE_RE.match(line)
    return match.end() if match else 0


def _peel_front_matter(lines: list[str], title: str | None = None) -> tuple[list[str], list[str]]:
    """Move titles, datelines, speaker, date and salutation lines from the head of the body.

    They may stand on lines of their own or run into the first paragraph
    (``…会议上镇长李小山各位代表：现在，我代表…``); what follows them stays body.
    Once the ``title`` is known, further title lines and pieces of it count too.
    Returns ``(front matter, body lines)``.
    """
    front: list[str] = []
    body = list(lines)
    while body:
        line = body[0]
        piece = _front_matter_prefix(line, title, front)
        if piece is None:
            break
        front.append(piece)
        rest = line[len(piece) :].strip()
        body = [rest, *body[1:]] if rest else body[1:]
    return front, body


def _front_matter_prefix(line: str, title: str | None = None, before: list[str] = ()) -> str | None:
    """The front-matter piece that ``line`` starts with, or ``None``.

    ``before`` holds the pieces already taken: a bare name after a dateline is
    the speaker, and a line that repeats the end of an earlier piece (the
    table of contents "2017年工作总结" again) opens the body instead.
    """
    if any(piece.endswith(line) for piece in before):
        return None
    if title is not None and (line in title or _is_title_line(line)):
        return line  # the title repeated (maybe split over lines), or a second title
    for pattern in (_DATELINE_RE, _SALUTATION_RE, _SPEAKER_PREFIX_RE):
        if match := pattern.match(line):
            return match.group(0)
    if _SPEAKER_RE.match(line) or _DATE_LINE_RE.match(line) or _ORGANISATION_RE.match(line):
        return line
    if before and _DATELINE_RE.match(before[-1]) and _NAME_ONLY_RE.match(line):
        return line  # the speaker's name without office
    if title is not None and (match := _TITLE_RE.match(line)) and _SALUTATION_RE.match(line[match.end() :]):
        return match.group(0)  # "瓜沥镇第十八届人民代表大会第八次会议政府工作报告各位代表：…"
    return None


def _is_title_line(line: str) -> bool:
    """A line that is a title of its own (a subtitle may open with dashes: "——龙湾镇2020年上半年工作总结…")."""
    line = _TITLE_TAG_RE.sub("", line.lstrip(_DASHES.replace("\\", "")))
    return (
        "。" not in line and len(line) <= 60 and not _opens_heading_marker(line) and _TITLE_RE.match(line) is not None
    )


def _page_lines(text: str) -> tuple[list[str], dict[str, str], str | None, str | None]:
    """Body lines of a page without its furniture, the portal fields, the publication date and watermark."""
    lines = normalize_characters(text).split("\n")
    watermark = find_watermark(lines)
    if watermark:
        lines = [line.rstrip()[: -len(watermark)] if line.rstrip().endswith(watermark) else line for line in lines]
    fields: dict[str, str] = {}
    published: str | None = None
    kept: list[str] = []
    awaiting: str | None = None  # a field label whose value is on the next line
    for raw_line in lines:
        for cell in _split_cells(raw_line.strip()):
            line = _BULLET_RE.sub("", cell).strip()
            if not line:
                continue
            if awaiting and len(line) <= 30 and "。" not in line and not _is_meta_line(line):
                fields[awaiting] = line  # the value of a label that stood alone on the line before
                awaiting = None
                continue
            awaiting = None
            if WORD_CHAR_RE.search(line) is None or any(p.search(line) for p in _NOISE_SEARCHES):
                continue
            if date := (_UPLOAD_DATE_RE.match(line) or _BRACKET_DATE_RE.match(line)):
                published = published or _iso_date(*date.groups())
                continue
            if breadcrumb := _find_breadcrumb(line):
                fields.setdefault("位置", line[breadcrumb.end() :].strip())  # names the unit on many portals
                continue
            if _is_meta_line(line):
                if (date := _LEADING_DATE_RE.match(line)) and (found := _DATE_RE.match(line)):
                    published = published or _iso_date(*found.groups())
                    line = line[date.end() :]
                parsed = parse_meta_fields(line)
                fields.update({k: v for k, v in parsed.items() if k not in fields})
                awaiting = _lone_label(line)
                continue
            if _is_page_control(line):
                continue
            kept.append(line)
    return kept, fields, published, watermark


def _lone_label(line: str) -> str | None:
    """The label of a line that holds nothing else (``索引号:``): its value may follow on the next line."""
    match = _META_LABEL_RE.match(line)
    if match and not line[match.end() :].strip():
        return re.sub(r"\s+", "", match.group(1))
    return None


def _published(fields: dict[str, str], published: str | None) -> str | None:
    for label in (
        "发布日期",
        "发布时间",
        "发表时间",
        "公开日期",
        "公布日期",
        "成文日期",
        "发文日期",
        "发文时间",
        "时间",
    ):
        if not published and label in fields and (date := _DATE_RE.search(fields[label])):
            published = _iso_date(*date.groups())
    return published


_SENTENCE_END = "。！？!?”’」』）)》；;：:…"


def clean_report(raw: RawReport, metadata: bool = True) -> CleanReport:
    """Remove page noise from ``raw`` and extract its metadata.

    With ``metadata=False`` the text is the same, and the metadata only what
    the page gives at no cost (title, page fields, date, front matter): the
    reporting unit, its county and city, the years and the genre are not
    looked for (``None``, ``()``) -- for callers that need only the sentences,
    such as ``predict``, where searching a long body for place names was a
    fifth of the parsing.

    Examples
    --------
    >>> from nlp.text.reading import RawReport
    >>> page = "当前页面: 首页 > 信息公开\\n某镇2020年工作总结\\n一、工作总结\\n扫一扫在手机打开当前页"
    >>> report = clean_report(RawReport("r", "r.txt", page, "utf-8", ""))
    >>> report.text, report.meta.township, report.meta.years
    ('一、工作总结', '某镇', (2020,))
    """
    kept, fields, published, watermark = _page_lines(raw.text)
    # Kept lines are stripped, so normalising them joined is the same as line by line, only faster.
    lines = normalize_punctuation(squeeze_spaces("\n".join(kept))).split("\n")
    lines = _join_broken_lines(lines)
    front, lines = _peel_front_matter(lines)
    title, body = _split_title(lines)
    if title is None and "标题" in fields:
        title = fields["标题"]
    extra, body = _peel_front_matter(body, title or "")
    front += extra
    if title is None:
        titles = [line for line in front if _is_title_line(line)]
        title = _TITLE_TAG_RE.sub("", titles[0]) if titles else None
    text = "\n".join(body)
    meta = _page_meta(title, fields, _published(fields, published), text, tuple(front), watermark)
    return CleanReport(raw=raw, text=text, meta=_report_meta(meta, text) if metadata else meta)


def _page_meta(title, fields, published, text, front, watermark) -> ReportMeta:
    """The metadata that needs no search of the text."""
    return ReportMeta(
        title=title,
        published=published,
        page_fields=fields,
        front_matter=front,
        truncated=bool(text) and text.rstrip()[-1] not in _SENTENCE_END,
        watermark=watermark,
    )


def _report_meta(page: ReportMeta, text: str) -> ReportMeta:
    """``page`` with the reporting unit, its county and city, the years and the genre found in the text."""
    title, fields, front = page.title, page.page_fields, page.front_matter
    front_text = "\n".join(front)
    genre = metadata.genre_of(title, front_text, text[:300])
    sources = [title, front_text, *(fields.get(k) for k in PUBLISHER_FIELDS)]
    # each source read once, in the order trusted; the body last, and only as running text
    named = [p for s in sources if s and (p := metadata.find_place(s)) is not None]
    named.append(metadata.find_place(text, running_text=True))
    place = next((p for p in named if p is not None), None)
    if place is not None and place.county is None:
        # another source may name the county with the unit ("发文机构: 大姚县金碧镇", "我代表普陀区人民政府长寿路街道")
        place = next((p for p in named if p and p.name == place.name and p.county), place)
    return replace(
        page,
        township=place.name if place else None,
        years=metadata.years_covered(_title_and_datelines(title, front), genre, text, _late_in_year(title, front)),
        level=place.level if place else None,
        county=place.county if place else None,
        city=place.city if place else None,
        genre=genre,
    )


def _late_in_year(title: str | None, front: tuple[str, ...]) -> bool:
    """Whether a title without a year was delivered in July-December (its dateline says so)."""
    if title and metadata.YEAR_RE.search(title):
        return False
    months = [int(m) for line in front for m in re.findall(r"(?:19|20)\d{2}\s*年\s*(\d{1,2})\s*月", line)]
    return bool(months) and months[0] >= 7


def _title_and_datelines(title: str | None, front: tuple[str, ...]) -> str:
    """The title, or, for a title without a year, the title and the datelines that carry it."""
    if title and metadata.YEAR_RE.search(title):
        return title
    return " ".join([title or "", *(line for line in front if _DATELINE_RE.match(line) or _DATE_LINE_RE.match(line))])


#: Portal fields that name the publishing unit, in the order they are trusted.
PUBLISHER_FIELDS = ("发布机构", "发文机关", "发文机构", "发布单位", "发布部门", "公开主体", "来源", "信息来源", "位置")
