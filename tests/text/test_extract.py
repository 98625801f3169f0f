"""Reports as they are published: portal pages, PDF and Word files read like the same report in ``.txt``."""

import io
import sys
import zipfile

import pytest

from nlp.core.errors import InputError
from nlp.text.corpus import load_corpus, parse_report
from nlp.text.extract import chinese_number, extract_html, sniff_format
from nlp.text.reading import list_report_files, read_report
from tests.helpers import SEED_FILES, assert_one_line_error, run_cli, seed
from tests.render import render_docx, render_html, render_pdf

RENDERERS = {"html": render_html, "pdf": render_pdf, "docx": render_docx}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every seed report rendered to every format, in one folder per format."""
    root = tmp_path_factory.mktemp("rendered")
    out = {}
    for fmt, render in RENDERERS.items():
        (root / fmt).mkdir()
        for txt in SEED_FILES:
            out[fmt, txt.stem] = render(txt, root / fmt / f"{txt.stem}.{fmt}")
    return out


def _sentences(report):
    return [(s.text, s.part, s.heading_path, s.start, s.end) for s in report.sentences]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("txt", SEED_FILES, ids=lambda p: p.name[:3])
def test_rendered_seed_reads_like_the_txt(rendered, fmt, txt):
    expected = parse_report(txt)
    report = parse_report(rendered[fmt, txt.stem])
    assert report.raw.encoding == fmt
    assert report.report_id == txt.stem
    assert _sentences(report) == _sentences(expected)
    assert report.text == expected.text
    assert report.meta == expected.meta  # title, township, years, date and portal fields alike


def test_portal_page_keeps_the_article_and_its_fields(rendered):
    page = read_report(rendered["html", seed("000").stem]).text
    for furniture in ["首页", "热点信息", "主办单位", "上一篇", "欢迎访问", "党政机关网站", "内部审核", "分享到"]:
        assert furniture not in page
    assert page.splitlines()[:3] == [
        "李家疃镇人民政府2020年上半年工作总结及下半年工作谋划",
        "发布日期: 2020.08.05",
        "索引号: 00062160-8-0304-2011-1005",
    ]
    meta = parse_report(rendered["html", seed("000").stem]).meta
    assert meta.published == "2020-08-05" and meta.page_fields["发布机构"] == "李家疃镇"


def test_gb2312_page_and_content_sniffing(tmp_path):
    page = render_html(seed("003"), tmp_path / "page.html", charset="gb2312")
    disguised = tmp_path / "page.txt"  # saved with the wrong suffix: the content decides
    disguised.write_bytes(page.read_bytes())
    assert _sentences(parse_report(disguised)) == _sentences(parse_report(seed("003")))
    assert read_report(disguised).encoding == "html"
    assert sniff_format(b"%PDF-1.4", ".txt") == "pdf" and sniff_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "") == "doc"


def test_pdf_drops_running_header_and_page_numbers(rendered):
    text = read_report(rendered["pdf", seed("002").stem]).text
    assert "某某县人民政府文件" not in text and "- 2 -" not in text
    # paragraphs wrapped over several lines (and pages) come back as one line each
    assert len(text.splitlines()) == len(read_report(seed("002")).text.strip().splitlines())


def test_word_numbering_labels_are_read(rendered):
    import docx

    path = rendered["docx", seed("000").stem]
    stored = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "2020年上半年工作总结" in stored and "一、2020年上半年工作总结" not in stored  # the label is numbering
    lines = read_report(path).text.splitlines()
    assert "一、2020年上半年工作总结" in lines and "（一）\t疫情防控精准防治" in lines
    assert [chinese_number(n) for n in (3, 11, 40)] == ["三", "十一", "四十"]


def test_folder_lists_every_format(rendered):
    folder = rendered["pdf", seed("000").stem].parent
    assert [p.suffix for p in list_report_files(folder)] == [".pdf"] * 5
    assert len(load_corpus(folder)) == 5


# --- bad input ---------------------------------------------------------------------------------


def _scanned_pdf(path):
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("L", (200, 280), 255), x=10, y=10, w=190)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, rendered):
    folder = tmp_path_factory.mktemp("bad")
    files = {
        "scanned": _scanned_pdf(folder / "scan.pdf"),
        "encrypted": render_pdf(seed("003"), folder / "locked.pdf", encrypt="secret"),
        "corrupt": folder / "broken.docx",
        "doc": folder / "old.doc",
        "no_article": folder / "menu.html",
    }
    docx = rendered["docx", seed("003").stem].read_bytes()
    files["corrupt"].write_bytes(docx[: len(docx) // 2])
    files["doc"].write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    files["no_article"].write_text(
        "<html><body><ul><li><a href='/'>首页</a></li><li><a href='/gk'>政务公开</a></li></ul></body></html>",
        encoding="utf-8",
    )
    return files


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("scanned", "without a text layer"),
        ("encrypted", "needs a password"),
        ("corrupt", "corrupt or unreadable Word file"),
        ("doc", "save it as .docx"),
        ("no_article", "without an article"),
    ],
)
def test_bad_files_give_one_line_errors_naming_the_file(bad_files, kind, message):
    path = bad_files[kind]
    with pytest.raises(InputError, match=message) as info:
        read_report(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert_one_line_error(run_cli("corpus", str(path)), path.name)


def test_empty_password_pdf_is_read(tmp_path):
    path = render_pdf(seed("004"), tmp_path / "no_copy.pdf", encrypt="")
    assert _sentences(parse_report(path)) == _sentences(parse_report(seed("004")))


def test_folder_run_skips_unreadable_files_and_lists_them(bad_files, tmp_path):
    folder = bad_files["scanned"].parent
    skipped = []
    assert load_corpus(folder, skipped=skipped) == []
    assert sorted(p for p, _ in skipped) == sorted(str(p) for p in bad_files.values())
    with pytest.raises(InputError):
        load_corpus(folder)  # without a list the first bad file stops the run

    (tmp_path / "good.txt").write_bytes(seed("003").read_bytes())
    result = run_cli("corpus", str(folder), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "荫田镇" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 5 and all(line.startswith("skipped ") for line in lines)
    assert any("old.doc: " in line and ".docx" in line for line in lines)

    nothing = run_cli("corpus", str(folder))
    assert nothing.returncode == 2
    assert nothing.stderr.strip().splitlines()[-1] == "error: none of the 5 report files could be read"


def test_html_without_body_text_and_not_a_zip():
    with pytest.raises(InputError, match="without an article"):
        extract_html(b"<html><head><title>x</title></head><body></body></html>", "x.html")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<a/>")
    assert sniff_format(buffer.getvalue(), ".docx") == "docx"
    assert sniff_format(buffer.getvalue(), ".txt") == "text"


def test_missing_library_names_the_extra(rendered, monkeypatch):
    from nlp.text.extract import MissingExtraError

    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # as if not installed: importing it fails
    with pytest.raises(MissingExtraError, match=r"pip install 'nlp\[formats\]'"):
        read_report(rendered["pdf", seed("000").stem])
    with pytest.raises(MissingExtraError):  # never skipped: every PDF would fail alike
        load_corpus(rendered["pdf", seed("000").stem].parent, skipped=[])
