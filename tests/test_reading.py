import pytest

from nlp.errors import InputError
from nlp.reading import decode_bytes, list_report_files, read_report

from .helpers import SEED_FILES, SEEDS, seed

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
