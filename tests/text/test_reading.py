import pytest

from nlp.core.errors import InputError
from nlp.text.reading import decode_bytes, list_report_files, read_bounded, read_report
from tests.helpers import SEED_FILES, SEEDS, seed

REPORT = "荫田镇2021年度工作总结及2022年工作计划\n一、2021年各项工作情况\n完成改厕任务数650个。"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_report_decodes_to_the_same_text(tmp_path, encoding):
    path = tmp_path / "gbk.txt"
    path.write_bytes(REPORT.encode(encoding))
    raw = read_report(path)
    assert raw.text == REPORT
    assert raw.encoding == "gb18030"


def test_utf8_with_bom_and_utf16_decode(tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + REPORT.encode("utf-8"))
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes(REPORT.encode("utf-16"))
    assert read_report(bom).text == REPORT
    assert read_report(bom).encoding == "utf-8-sig"
    assert read_report(utf16).text == REPORT


def test_seed_reports_are_utf8_and_hashed():
    raws = [read_report(p) for p in SEED_FILES]
    assert [r.encoding for r in raws] == ["utf-8"] * 5
    assert len({r.sha256 for r in raws}) == 5
    assert raws[0].report_id == "000_d44e20c28648a983"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 32)) * 50, "binary"),
        (b"\xff\xff\xff\xff\x80\x80", "cannot decode"),
    ],
)
def test_bad_bytes_are_rejected_with_the_file_name(data, message):
    with pytest.raises(InputError, match=message) as info:
        decode_bytes(data, "bad.txt")
    assert "bad.txt" in str(info.value)


def test_missing_paths_and_folders(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_report(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_report(tmp_path)
    with pytest.raises(InputError, match=r"no report files \(\.txt"):
        list_report_files(tmp_path)


def test_folder_lists_txt_reports_sorted():
    files = list_report_files(SEEDS)
    assert files == SEED_FILES
    assert list_report_files(seed("002")) == [seed("002")]


TRADITIONAL = "某鄉鎮2021年工作總結\n一、過去一年的工作\n全面推進鄉村振興，鞏固脫貧攻堅成果，加強黨的建設。\n"


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (REPORT.encode("utf-16-le"), REPORT, "utf-16-le"),
        (REPORT.encode("utf-16-be"), REPORT, "utf-16-be"),
        (TRADITIONAL.encode("big5"), TRADITIONAL, "big5"),
        (
            "一、概况\n".encode("gbk") + "二、计划\n".encode() + "三、措施".encode("gbk"),
            "一、概况\n二、计划\n三、措施",
            "gb18030+utf-8",
        ),
        (
            "一、概况\n".encode() + "二、计划\n".encode("gbk") + "三、措施".encode(),
            "一、概况\n二、计划\n三、措施",
            "gb18030+utf-8",
        ),
    ],
)
def test_encodings_beyond_the_explicit_list_decode_correctly(data, text, encoding):
    assert decode_bytes(data, "r.txt") == (text, encoding)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n", "PDF"),
        (b"PK\x03\x04\x14\x00" + b"x" * 50, "ZIP"),
        (b"{\\rtf1\\ansi x}", "RTF"),
    ],
)
def test_documents_renamed_txt_are_refused_by_content(data, kind):
    with pytest.raises(InputError, match=kind):
        decode_bytes(data, "r.txt")


def test_hidden_files_are_skipped_and_endless_files_refused(tmp_path):
    (tmp_path / "a.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "._a.txt").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert list_report_files(tmp_path) == [tmp_path / "a.txt"]
    with pytest.raises(InputError, match="larger than"):
        read_bounded("/dev/zero", limit=1000)
