"""Render a ``.txt`` report as the formats reports are published in: a portal page, a PDF, a Word file.

The tests (and ``benchmarks/bench_extract.py``) read the renderings back and
compare them with the ``.txt`` reading.  Each renderer lays the text out the
way the real thing does: the page puts the title in ``<h1>``, the portal
fields in a table and the body among navigation, sidebars, scripts and a
footer; the PDF wraps paragraphs at the margin with a first-line indent, a
running header and page numbers, in an embedded CJK font; the Word file has
automatically numbered headings (the ``一、`` label is numbering, not text),
bullets, a header and a footer.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import mplfonts

from nlp.text.cleaning import META_LABELS, clean_report, parse_meta_fields
from nlp.text.reading import read_report

#: Noto Sans CJK SC, shipped by mplfonts.
CJK_FONT = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"

_LABELS = "|".join(r"\s*".join(map(re.escape, label)) for label in META_LABELS)
_META_START_RE = re.compile(rf"^\s*(?:{_LABELS})\s*[:：]")
_BULLET_RE = re.compile(r"^\s*[•·●]\s*")
_CN = "一二三四五六七八九十"


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in read_report(path).text.splitlines() if line.strip()]


def _title(path: Path) -> str | None:
    return clean_report(read_report(path)).meta.title


# --- HTML ----------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title} - 某某县人民政府门户网站</title>
<link rel="stylesheet" href="/css/style.css">
<style>.nav li {{ float: left; }} .TRS_Editor p {{ text-indent: 2em; }}</style>
<script>var _hmt = _hmt || []; document.write("欢迎访问某某县人民政府门户网站，今天是星期一。");</script>
</head>
<body>
<!-- 头部开始 -->
<div class="header"><div class="logo"><img src="/images/logo.png" alt="某某县人民政府"></div>
<div class="search"><form action="/search"><input type="text" name="q" value="请输入关键字">
<button>搜索</button></form></div></div>
<div class="nav"><ul>
<li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/xwzx/">新闻中心</a></li>
<li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li><li><a href="/zjxq/">走进某某</a></li>
</ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt;
<a href="/zwgk/xzgk/">乡镇信息公开</a></div>
<div class="main">
<div class="left"><h3>热点信息</h3><ul>
<li><a href="/a/1.html">某某县召开2021年全县经济工作会议，部署安排明年各项重点工作任务</a></li>
<li><a href="/a/2.html">某某县扎实推进农村人居环境整治，全力打造生态宜居美丽乡村示范点</a></li>
<li><a href="/a/3.html">关于印发某某县2020年政府工作报告重点工作责任分解方案的通知</a></li>
</ul></div>
<div class="article">
<h1 class="title">{title}</h1>
<div class="info"><table class="meta">{meta}</table></div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a>
【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div class="TRS_Editor" id="zoom">
{body}
</div>
<div class="attach">{attachments}</div>
<div style="display:none">本页面内容仅供内部审核使用，审核人员请勿对外公开，联系电话：0000-0000000。</div>
<div class="pages"><p>上一篇：<a href="/a/8.html">某某镇2019年度工作总结及2020年工作计划，全面推进乡村振兴</a></p>
<p>下一篇：<a href="/a/9.html">关于某某镇2021年上半年财政预算执行情况和下半年工作安排的报告</a></p></div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】
【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
</div>
<div class="footer">
<p>主办单位：某某县人民政府办公室　承办单位：某某县政务服务中心　网站标识码：4304000001</p>
<p>地址：某某县人民路88号　邮编：421000　联系电话：0734-1234567　湘ICP备12345678号</p>
<p>扫一扫在手机打开当前页</p>
</div>
<script type="text/javascript">$(function(){{ $(".nav li").hover(function(){{ alert("党政机关网站"); }}); }});</script>
</body>
</html>
"""


def render_html(txt: Path, out: Path, charset: str = "utf-8") -> Path:
    """Write ``txt`` as a portal page: title in ``<h1>``, portal fields in a table, the rest in the article body."""
    title = _title(txt) or _lines(txt)[0]
    meta, body, attachments = [], [], []
    title_seen = False
    for line in _lines(txt):
        if _META_START_RE.match(line):
            cells = "".join(
                f"<td class='label'>{html.escape(k)}：</td><td>{html.escape(v)}</td>"
                for k, v in parse_meta_fields(line).items()
            )
            meta.append(f"<tr>{cells}</tr>")
        elif line == title and not title_seen:
            title_seen = True  # shown in <h1>
        elif line.startswith("附件"):
            attachments.append(html.escape(line))
        elif _BULLET_RE.match(line):
            body.append(f"<ul><li>{html.escape(_BULLET_RE.sub('', line))}</li></ul>")
        else:
            body.append(f'<p style="text-indent:2em;">\u3000\u3000<span>{html.escape(line)}</span></p>')
    page = _PAGE.format(
        charset=charset,
        title=html.escape(title),
        meta="".join(meta),
        body="\n".join(body),
        attachments="".join(attachments),
    )
    out.write_bytes(page.encode("gb18030" if charset == "gb2312" else charset))
    return out


# --- PDF -----------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[.,:%\-/][A-Za-z0-9]+)*%?|\s+|.")
# Characters a line may not start with (kinsoku): they hang at the end of the line before.
_NO_LINE_START = set("。，、；：？！）》」』”’,.;:?!)")


def _wrap(text: str, width: float, indent: float, measure) -> list[str]:
    """Break ``text`` into lines of at most ``width`` points, never inside a number or a Latin word."""
    lines, current, used = [], "", indent
    for token in _TOKEN_RE.findall(text):
        w = measure(token)
        if used + w > width and current.strip() and token not in _NO_LINE_START:
            lines.append(current)
            current, used = "", 0.0
            if token.isspace():
                continue
        current += token
        used += w
    if current.strip():
        lines.append(current)
    return lines


def render_pdf(txt: Path, out: Path, encrypt: str | None = None) -> Path:
    """Write ``txt`` as an A4 PDF with the CJK font embedded, wrapped paragraphs, a running header and page numbers."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("cjk", size=9)
            self.text(72, 40, "某某县人民政府文件")

        def footer(self):
            self.set_font("cjk", size=9)
            self.text(280, 800, f"- {self.page_no()} -")

    pdf = Report(unit="pt", format="A4")
    pdf.add_font("cjk", fname=str(CJK_FONT))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    size, left, width, y = 12.0, 72.0, 451.0, 90.0
    title = _title(txt)
    for line in _lines(txt):
        if line == title:
            pdf.set_font("cjk", size=16)
            pdf.text((595 - pdf.get_string_width(line)) / 2, y, line)
            y += 32
            continue
        pdf.set_font("cjk", size=size)
        for k, piece in enumerate(_wrap(line, width, 2 * size, pdf.get_string_width)):
            if y > 760:
                pdf.add_page()
                pdf.set_font("cjk", size=size)
                y = 90.0
            pdf.text(left + (2 * size if k == 0 else 0), y, piece.strip())
            y += size * 1.5
    if encrypt is not None:
        pdf.set_encryption(owner_password="owner", user_password=encrypt)
    pdf.output(str(out))
    return out


# --- Word ----------------------------------------------------------------------------------------

_LEVELS = [  # heading pattern, style, numbering label, separator after the label
    (re.compile(rf"^([{_CN}]+)、(.+)$"), "Heading 1", "%1、", "nothing"),
    (re.compile(rf"^[（(]([{_CN}]+)[)）](.+)$"), "Heading 2", "（%1）", "tab"),
]


def _number(numeral: str) -> int:
    return _CN.index(numeral) + 1 if len(numeral) == 1 else 0


def render_docx(txt: Path, out: Path) -> Path:
    """Write ``txt`` as a Word file; ``一、`` and ``（一）`` headings in sequence become Word numbering."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "某某镇人民政府"
    document.sections[0].footer.paragraphs[0].text = "第 1 页"
    numbering = document.part.numbering_part.element
    first_num = numbering.find(docx.oxml.ns.qn("w:num"))
    abstract_ids, next_id = [], [900]

    for _, _, label, suffix in _LEVELS:
        abstract_ids.append(next_id[0])
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{next_id[0]}"><w:multiLevelType w:val="singleLevel"/>'
            f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="{suffix}"/>'
            f'<w:lvlText w:val="{label}"/><w:lvlJc w:val="left"/></w:lvl></w:abstractNum>'
        )
        first_num.addprevious(abstract)
        next_id[0] += 1

    def new_list(level: int) -> str:
        num_id = next_id[0]
        next_id[0] += 1
        numbering.append(
            parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_ids[level]}"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        )
        return str(num_id)

    lists: list[list] = [[None, 0], [None, 0]]  # per level: current numId, last number
    title = _title(txt)
    for line in _lines(txt):
        if line == title:
            document.add_paragraph(line, style="Title")
            continue
        if _BULLET_RE.match(line):
            document.add_paragraph(_BULLET_RE.sub("", line), style="List Bullet")
            continue
        for level, (pattern, style, _, _) in enumerate(_LEVELS):
            match = pattern.match(line)
            if match and (n := _number(match.group(1))) and (n == 1 or n == lists[level][1] + 1):
                if n == 1:
                    lists[level][0] = new_list(level)
                lists[level][1] = n
                paragraph = document.add_paragraph(match.group(2), style=style)
                paragraph._p.get_or_add_pPr().append(
                    parse_xml(
                        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{lists[level][0]}"/></w:numPr>'
                    )
                )
                break
        else:
            document.add_paragraph(line)
    document.save(str(out))
    return out
