"""Stage 1b: the text of reports published as HTML pages, PDF files or Word documents.

Reports reach researchers as government portal pages saved as HTML and as PDF
or Word attachments.  :func:`sniff_format` tells the formats apart by their
content (the file name's suffix only decides when the content does not), and
one function per format turns the bytes into plain text, one paragraph per
line, which then goes through the same cleaning and structure stages as a
``.txt`` report:

* :func:`extract_html` keeps the article body of a portal page (the block
  that holds most of the page's running text, found by a text-density score
  that ignores link text), drops navigation, footers, scripts and styles, and
  puts the title and the portal fields (发布日期, 索引号, 发布机构, 来源, …)
  first, as ``label: value`` lines the cleaning stage reads into
  :class:`~nlp.text.cleaning.ReportMeta`;
* :func:`extract_pdf` rebuilds paragraphs from the positions of the text
  lines: lines broken by the layout are joined, page numbers and running
  headers and footers are dropped;
* :func:`extract_docx` reads paragraphs and tables in document order, with the
  labels of automatically numbered headings (``一、``, ``（一）``, ``1.``) that
  Word stores as numbering, not as text.

HTML needs ``lxml``, PDF ``pypdfium2`` and Word ``python-docx``: the ``formats``
extra (``pip install 'nlp[formats]'``).  A missing library is a one-line
:class:`MissingExtraError`; a file that has no text to give (a scanned PDF,
an encrypted PDF, a corrupt ``.docx``, an old binary ``.doc``, a page with no
article) an :class:`~nlp.core.errors.InputError` naming the file.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from nlp.core.errors import InputError

__all__ = [
    "MissingExtraError",
    "chinese_number",
    "extract_docx",
    "extract_html",
    "extract_pdf",
    "extract_text",
    "sniff_format",
]

_FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx", ".doc": "doc"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START_RE = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)
_HTML_TAG_RE = re.compile(rb"<html[\s>]", re.I)
_EXTRA = "pip install 'nlp[formats]'"


class MissingExtraError(InputError):
    """A report format needs a library of an optional extra that is not installed.

    Unlike other input errors it is never skipped in a folder run: every other
    file of the format would fail the same way.
    """


def sniff_format(data: bytes, suffix: str = "") -> str:
    """The format of report bytes: ``"pdf"``, ``"docx"``, ``"doc"``, ``"html"`` or ``"text"``.

    The content decides (``%PDF-``, a zip holding ``word/document.xml``, the
    OLE header of old Office files, ``<html`` or ``<!DOCTYPE html`` at the
    start); the ``suffix`` only when the content is none of these.

    Examples
    --------
    >>> sniff_format(b"%PDF-1.7 ..."), sniff_format(b"<!DOCTYPE html><html>"), sniff_format("一、".encode())
    ('pdf', 'html', 'text')
    >>> sniff_format(b"just text", ".docx")
    'docx'
    """
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if b"word/document.xml" in data or suffix.lower() == ".docx" else "text"
    if data.startswith(_OLE_MAGIC):
        return "doc"
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    head = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML_START_RE.match(head) or (head.lstrip().startswith(b"<") and _HTML_TAG_RE.search(head)):
        return "html"
    return _FORMAT_BY_SUFFIX.get(suffix.lower(), "text")


def extract_text(data: bytes, name: str, fmt: str) -> str:
    """Plain text of report bytes in format ``fmt`` (as :func:`sniff_format` names it).

    Raises
    ------
    InputError
        If the file has no text to give; :class:`MissingExtraError` if the
        format's library is not installed.
    """
    if fmt == "html":
        return extract_html(data, name)
    if fmt == "pdf":
        return extract_pdf(data, name)
    if fmt == "docx":
        return extract_docx(data, name)
    if fmt == "doc":
        raise InputError(
            f"{name}: old binary Word (.doc) or other OLE Office file, which cannot be read; "
            "save it as .docx (e.g. libreoffice --headless --convert-to docx FILE)"
        )
    raise ValueError(f"unknown report format {fmt!r}")


def _needs(module: str, fmt: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(f"reading {fmt} reports needs {module.split('.')[0]}: {_EXTRA}") from exc


# --- HTML ----------------------------------------------------------------------------------------

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
# Han characters and Chinese punctuation: what running text is made of, unlike menus and links.
_TEXT_CHAR_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff，。；：！？、“”（）《》]")
_COMMA_RE = re.compile(r"[，,、；;]")
_DROP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "select",
    "option",
    "button",
    "input",
    "textarea",
    "nav",
    "footer",
    "aside",
    "map",
    "audio",
    "video",
}
_BLOCK_TAGS = {
    "address",
    "article",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
}
_CELL_TAGS = {"td", "th"}
_HIDDEN_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TITLE_SPLIT_RE = re.compile(r"\s*(?:[-_|—–]+|::)\s*")


def _decode_html(data: bytes, name: str) -> str:
    from nlp.text.reading import decode_bytes

    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data, name)[0]
    match = _CHARSET_RE.search(data[:8192])
    if match:
        charset = match.group(1).decode("ascii").lower()
        if charset in {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}:
            charset = "gb18030"  # portals say gb2312 and write GBK: GB18030 reads both
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, name)[0]


def _drop(element) -> None:
    """Remove ``element`` but keep the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _inline_text(block, blocks: set) -> tuple[str, str]:
    """The text of ``block`` outside nested blocks, and the part of it inside links."""
    parts, links = [block.text or ""], []
    for child in block:
        if child not in blocks:
            text = "".join(t for t in child.itertext())
            parts.append(text)
            if child.tag == "a":
                links.append(text)
            else:
                links.extend("".join(a.itertext()) for a in child.iter("a"))
        parts.append(child.tail or "")
    return "".join(parts), "".join(links)


def _best_container(body):
    """The element holding the article: readability-style scores of paragraphs, given to their ancestors."""
    blocks = {el for el in body.iter() if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS | _CELL_TAGS}
    scores: dict = {}
    for block in blocks:
        text, link_text = _inline_text(block, blocks)
        chars = len(_TEXT_CHAR_RE.findall(text)) - len(_TEXT_CHAR_RE.findall(link_text))
        if chars < 20:
            continue  # a menu entry, a link, a label
        score = 1 + len(_COMMA_RE.findall(text)) + min(chars / 50, 3)
        if block.tag in {"p", "pre", "td", "li", "h1", "h2", "h3", "h4", "h5", "h6"}:
            owners = [(block.getparent(), 1.0), (block.getparent().getparent(), 0.5)]
        else:  # text directly in a div: the div is a candidate itself
            owners = [(block, 1.0), (block.getparent(), 0.5)]
        for owner, weight in owners:
            if owner is not None:
                scores[owner] = scores.get(owner, 0.0) + score * weight
    if not scores:
        return None, []
    best = max(scores, key=lambda el: (scores[el], -_depth(el)))
    parent = best.getparent()
    if parent is None:
        return best, [best]
    # an article split over sibling blocks: keep the siblings that score like article text
    threshold = max(3.0, 0.2 * scores[best])
    kept = [el for el in parent if el is best or scores.get(el, 0.0) >= threshold]
    return best, kept


def _depth(element) -> int:
    return sum(1 for _ in element.iterancestors())


def _lines(element) -> list[str]:
    """Text of ``element``, one line per block (table rows: cells joined by a space)."""
    out: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = "".join(current).strip()
        if line:
            out.append(line)
        current.clear()

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "br":
            flush()
        elif tag in _CELL_TAGS:
            current.append(" ")
        elif tag in _BLOCK_TAGS:
            flush()
        if el.text and tag != "br":
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if tag in _BLOCK_TAGS:
            flush()
        elif tag in _CELL_TAGS:
            current.append(" ")

    walk(element)
    flush()
    return [re.sub(r"[ \t\r\n\f]+", " ", line).strip() for line in out]


def _page_title(root) -> str | None:
    for heading in root.iter("h1", "h2"):
        text = " ".join("".join(heading.itertext()).split())
        if 4 <= len(text) <= 80 and _TEXT_CHAR_RE.search(text):
            return text
    title = root.find(".//title")
    if title is not None and title.text:
        parts = [p for p in _TITLE_SPLIT_RE.split(title.text.strip()) if p]
        if parts:
            return max(parts, key=len)  # "报告标题 - 某某县人民政府" → the report's title
    return None


def _portal_fields(lines: list[str]) -> list[str]:
    """``label: value`` lines of the portal fields found in page lines outside the article."""
    from nlp.text.cleaning import META_LABELS, parse_meta_fields

    labels = "|".join(r"\s*".join(map(re.escape, label)) for label in META_LABELS)
    starts = re.compile(rf"^\s*(?:{labels})\s*[:：]")
    fields: dict[str, str] = {}
    for line in lines:
        if len(line) <= 300 and starts.match(line):
            for label, value in parse_meta_fields(line).items():
                fields.setdefault(label, value)
    return [f"{label}: {value}" for label, value in fields.items()]


def extract_html(data: bytes, name: str = "<html>") -> str:
    """The article of a portal page as text: title, portal fields, then the body, one paragraph per line.

    Examples
    --------
    >>> page = '''<html><head><title>某镇2020年工作总结 - 某县人民政府</title></head><body>
    ... <div class="nav"><a href="/">首页</a> <a href="/gk">政务公开</a></div>
    ... <table><tr><td>发布日期：</td><td>2020-08-05</td><td>来源：</td><td>某镇人民政府</td></tr></table>
    ... <div class="TRS_Editor"><p>一、工作总结</p><p>今年以来，我镇完成改厕任务数650个，新建道路12公里。</p></div>
    ... <div class="footer">主办：某县人民政府 地址：某县某路1号</div><script>var a = "广告";</script>
    ... </body></html>'''
    >>> print(extract_html(page.encode("utf-8")))
    某镇2020年工作总结
    发布日期: 2020-08-05
    来源: 某镇人民政府
    一、工作总结
    今年以来，我镇完成改厕任务数650个，新建道路12公里。
    """
    lxml_html = _needs("lxml.html", "HTML")
    text = _XML_DECL_RE.sub("", _decode_html(data, name))
    try:
        root = lxml_html.document_fromstring(text)
    except Exception as exc:  # lxml raises several types on garbage; any of them means "not a page"
        raise InputError(f"{name}: cannot parse as an HTML page ({exc})") from exc
    for element in list(root.iter()):
        tag = element.tag if isinstance(element.tag, str) else None
        hidden = tag is not None and (_HIDDEN_RE.search(element.get("style", "")) or element.get("hidden") is not None)
        if tag is None or tag in _DROP_TAGS or hidden:  # comments, processing instructions, furniture
            _drop(element)
    title = _page_title(root)
    body = root.find("body")
    if body is None:
        body = root
    best, kept = _best_container(body)
    if best is None:
        raise InputError(f"{name}: HTML page without an article (no block of running text found)")
    article = [line for el in kept for line in _lines(el)]
    for el in kept:
        _drop(el)
    head_lines = []
    if title and title not in "\n".join(article)[:1000]:
        head_lines.append(title)
    return "\n".join([*head_lines, *_portal_fields(_lines(body)), *article])


# --- PDF -----------------------------------------------------------------------------------------

# Page numbers as they are printed: "3", "- 3 -", "— 3 —", "第3页", "第 3 页 共 9 页", "3 / 9", "Page 3 of 9".
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-—–\s]*\d+[-—–\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|page\s*\d+(?:\s*of\s*\d+)?)$",
    re.I,
)
_CN_NUMERAL = "[一二三四五六七八九十]+"
_HEADING_START_RE = re.compile(rf"^(?:{_CN_NUMERAL}、|[（(]{_CN_NUMERAL}[)）]|\d+[、.．]\D|第{_CN_NUMERAL}[章节部分])")
_FIRST_TOKEN_RE = re.compile(r"^(?:[A-Za-z0-9]+(?:[.,:%\-/][A-Za-z0-9]+)*%?|.)")
_ALNUM = re.compile(r"[A-Za-z0-9]")


@dataclass
class _Line:
    page: int
    y: float  # baseline
    x0: float
    x1: float
    size: float  # font size
    first: float  # width of the first word (or character), which did not fit on the line before if it wrapped
    text: str


def _page_lines(page, number: int) -> list[_Line]:
    """The text lines of a PDF page (as PDFium splits them), top to bottom, with their geometry."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        if len(text) != count:  # characters outside the BMP: fall back to one call per character
            text = "".join(textpage.get_text_range(i, 1) or " " for i in range(count))
        lines: list[_Line] = []
        start = 0
        for match in re.finditer(r"\r\n|\n|$", text):
            end = match.start()
            first_end = start + len(_FIRST_TOKEN_RE.match(text[start:end].lstrip() or " ").group(0))
            indices = [i for i in range(start, end) if not text[i].isspace()]
            if indices:
                boxes = [textpage.get_charbox(i, loose=True) for i in indices]
                lead = len(text[start:end]) - len(text[start:end].lstrip())
                first = [b for i, b in zip(indices, boxes, strict=True) if i < first_end + lead]
                size = max(pdfium_c.FPDFText_GetFontSize(textpage.raw, i) for i in indices[:20])
                lines.append(
                    _Line(
                        page=number,
                        y=min(b[1] for b in boxes),
                        x0=min(b[0] for b in boxes),
                        x1=max(b[2] for b in boxes),
                        size=size or (boxes[0][3] - boxes[0][1]) or 1.0,
                        first=(max(b[2] for b in first) - min(b[0] for b in first)) if first else 0.0,
                        text=text[start:end].strip(),
                    )
                )
            start = match.end()
            if not match.group(0):
                break
    finally:
        textpage.close()
    return sorted(lines, key=lambda line: (-round(line.y), line.x0))


def _drop_page_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Remove page numbers and running headers/footers (the same first or last line on many pages)."""

    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text))

    edges = [{id(line) for line in page[:2] + page[-2:]} for page in pages]
    counts = Counter(key(line) for page, edge in zip(pages, edges, strict=True) for line in page if id(line) in edge)
    repeated = {k for k, n in counts.items() if n >= max(2, len(pages) // 2 + len(pages) % 2)}
    kept = []
    for page, edge in zip(pages, edges, strict=True):
        kept.append(
            [
                line
                for line in page
                if id(line) not in edge or not (_PAGE_NUMBER_RE.match(line.text) or key(line) in repeated)
            ]
        )
    return kept


def _paragraphs(pages: list[list[_Line]]) -> list[str]:
    lines = [line for page in pages for line in page]
    if not lines:
        return []
    left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
    right = sorted(line.x1 for line in lines)[int(0.9 * (len(lines) - 1))]
    gaps = [a.y - b.y for page in pages for a, b in itertools.pairwise(page) if a.y > b.y]
    spacing = statistics.median(gaps) if gaps else 0.0
    paragraphs: list[str] = [lines[0].text]
    for a, b in itertools.pairwise(lines):
        new = (
            b.x0 > left + 0.8 * b.size  # indented or centred
            or a.x1 < right - b.first - 1.0 * a.size  # the next line's first word would have fitted
            or abs(a.size - b.size) > 0.5
            or (a.page == b.page and spacing and a.y - b.y > 1.6 * spacing)
            or (a.text[-1] in "。！？；：" and _HEADING_START_RE.match(b.text) is not None)
        )
        if new:
            paragraphs.append(b.text)
        else:
            glue = " " if _ALNUM.match(a.text[-1]) and _ALNUM.match(b.text[0]) else ""
            paragraphs[-1] += glue + b.text
    return paragraphs


def extract_pdf(data: bytes, name: str = "<pdf>") -> str:
    """The text of a PDF report, one paragraph per line.

    PDFium (``pypdfium2``) reads the text and the position of every
    character.  A line continues the paragraph before it unless it is
    indented, the line before ended so far short of the right margin that
    this line's first word would have fitted there, a larger vertical gap or
    another font size separates them, or it starts a numbered heading after a
    finished sentence.  Page numbers and lines repeated at the top or bottom
    of most pages (running headers and footers) are dropped.
    """
    pdfium = _needs("pypdfium2", "PDF")
    try:
        document = pdfium.PdfDocument(data)  # an encryption with an empty password opens as it is
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError(f"{name}: encrypted PDF that needs a password; save an unencrypted copy") from exc
        raise InputError(f"{name}: corrupt or unreadable PDF ({exc})") from exc
    try:
        pages = [_page_lines(page, n) for n, page in enumerate(document)]
    except pdfium.PdfiumError as exc:
        raise InputError(f"{name}: corrupt or unreadable PDF ({exc})") from exc
    finally:
        document.close()
    text = "\n".join(_paragraphs(_drop_page_furniture(pages)))
    if len(_TEXT_CHAR_RE.findall(text)) + len(_ALNUM.findall(text)) < 10:
        raise InputError(f"{name}: PDF without a text layer (a scan?); run OCR on it first, e.g. with ocrmypdf")
    return text


# --- Word ----------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"


def chinese_number(n: int) -> str:
    """``n`` in Chinese counting numerals, as Word's ``chineseCounting`` numbering writes it.

    Examples
    --------
    >>> [chinese_number(n) for n in (1, 10, 12, 20, 35, 100, 105)]
    ['一', '十', '十二', '二十', '三十五', '一百', '一百零五']
    """
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + _CN_DIGITS[rest] if rest < 10 else chinese_number(rest))
        if 10 <= rest < 20:
            tail = "一" + tail
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)


def _roman(n: int) -> str:
    values = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC")]
    values += [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, numeral in values:
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in {"chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "japaneseCounting"}:
        return chinese_number(n)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return _HEAVENLY_STEMS[n - 1]
    if fmt == "decimalEnclosedCircle" and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in {"upperLetter", "lowerLetter"}:
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in {"upperRoman", "lowerRoman"}:
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt == "none":
        return ""
    return str(n)  # decimal, decimalZero and the rest


class _Numbering:
    """The labels Word draws before numbered paragraphs (``一、``, ``（一）``, ``1.``), counted in document order."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int, str]] = {}  # (numId, ilvl) → fmt, text, start, suffix
        self.counters: dict[str, dict[int, int]] = {}
        self.styles = document.styles.element
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {a.get(f"{_W}abstractNumId"): a for a in numbering.iter(f"{_W}abstractNum")}
        for num in numbering.iter(f"{_W}num"):
            num_id = num.get(f"{_W}numId")
            ref = num.find(f"{_W}abstractNumId")
            definition = abstract.get(ref.get(f"{_W}val")) if ref is not None else None
            levels = {}
            if definition is not None:
                levels = {int(lvl.get(f"{_W}ilvl")): lvl for lvl in definition.iter(f"{_W}lvl")}
            for override in num.iter(f"{_W}lvlOverride"):
                lvl = override.find(f"{_W}lvl")
                if lvl is not None:
                    levels[int(override.get(f"{_W}ilvl"))] = lvl
            for ilvl, lvl in levels.items():
                self.levels[(num_id, ilvl)] = (
                    self._val(lvl, "numFmt", "decimal"),
                    self._val(lvl, "lvlText", ""),
                    int(self._val(lvl, "start", "1")),
                    self._val(lvl, "suff", "tab"),
                )
            for override in num.iter(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    key = (num_id, int(override.get(f"{_W}ilvl")))
                    if key in self.levels:
                        fmt, text, _, suffix = self.levels[key]
                        self.levels[key] = (fmt, text, int(start.get(f"{_W}val")), suffix)

    @staticmethod
    def _val(element, tag: str, default: str) -> str:
        child = element.find(f"{_W}{tag}")
        return child.get(f"{_W}val", default) if child is not None else default

    def _num_pr(self, paragraph) -> tuple[str, int] | None:
        ppr = paragraph.find(f"{_W}pPr")
        num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
        style_id = None
        if ppr is not None and (style := ppr.find(f"{_W}pStyle")) is not None:
            style_id = style.get(f"{_W}val")
        seen = set()
        while num_pr is None and style_id and style_id not in seen:  # numbering given by the style (chain)
            seen.add(style_id)
            style = self.styles.find(f"{_W}style[@{_W}styleId='{style_id}']")
            if style is None:
                break
            style_ppr = style.find(f"{_W}pPr")
            num_pr = style_ppr.find(f"{_W}numPr") if style_ppr is not None else None
            based = style.find(f"{_W}basedOn")
            style_id = based.get(f"{_W}val") if based is not None else None
        if num_pr is None:
            return None
        num_id = num_pr.find(f"{_W}numId")
        ilvl = num_pr.find(f"{_W}ilvl")
        if num_id is None or num_id.get(f"{_W}val") in (None, "0"):
            return None
        return num_id.get(f"{_W}val"), int(ilvl.get(f"{_W}val")) if ilvl is not None else 0

    def label(self, paragraph) -> str:
        """The label of ``paragraph`` with its separator, ``""`` if it is not numbered (bullets included)."""
        found = self._num_pr(paragraph)
        if found is None or found not in self.levels:
            return ""
        num_id, ilvl = found
        fmt, text, start, suffix = self.levels[found]
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]
        if fmt == "bullet":
            return ""

        def number(match: re.Match) -> str:
            level = int(match.group(1)) - 1
            level_fmt, _, level_start, _ = self.levels.get((num_id, level), ("decimal", "", 1, ""))
            return _format_number(counters.get(level, level_start), level_fmt)

        label = re.sub(r"%(\d)", number, text)
        return label + {"tab": "\t", "space": " "}.get(suffix, "") if label else ""


def _paragraph_text(element, document) -> str:
    from docx.text.paragraph import Paragraph

    return Paragraph(element, document).text


def extract_docx(data: bytes, name: str = "<docx>") -> str:
    """The text of a Word ``.docx`` report: paragraphs and table rows in order, numbered headings labelled.

    Headers, footers, comments and footnotes are left out.
    """
    docx = _needs("docx", "Word")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a broken zip, a missing part, bad XML: python-docx raises each differently
        raise InputError(f"{name}: corrupt or unreadable Word file ({type(exc).__name__}: {exc})") from exc
    numbering = _Numbering(document)
    lines: list[str] = []

    def visit(container) -> None:
        for child in container.iterchildren():
            if child.tag == f"{_W}p":
                label = numbering.label(child)
                text = _paragraph_text(child, document)
                if text.strip():
                    lines.append(label + text)
            elif child.tag == f"{_W}tbl":
                for row in child.iter(f"{_W}tr"):
                    cells = [
                        " ".join(_paragraph_text(p, document) for p in cell.iter(f"{_W}p"))
                        for cell in row.findall(f"{_W}tc")
                    ]
                    if line := " ".join(c.strip() for c in cells if c.strip()):
                        lines.append(line)
            elif child.tag == f"{_W}sdt":  # content controls wrap paragraphs
                content = child.find(f"{_W}sdtContent")
                if content is not None:
                    visit(content)

    visit(document.element.body)
    if not any(_TEXT_CHAR_RE.search(line) or _ALNUM.search(line) for line in lines):
        raise InputError(f"{name}: Word file holds no text")
    return "\n".join(lines)
