"""Stage 1: find report files and decode them to text.

Reports published as HTML pages, PDF or Word files are recognised by their
content and handed to :mod:`nlp.text.extract`, which returns their text.

Chinese government documents come as UTF-8 (with or without BOM) or as
GB18030/GBK, the national encodings that older portals and Word exports
still use; UTF-16 comes from Windows tools, with or without BOM.  These are
tried explicitly, line by line when the file mixes two of them (a GBK report
with a pasted UTF-8 line is decoded correctly, as ``gb18030+utf-8``).  Only
when they fail or give implausible text (Big5 read as GBK gives kana and
private-use characters) does charset-normalizer guess the encoding.

Anything else -- binary files, PDF or Office documents renamed ``.txt``,
empty files, special files that never end, text in no recognisable
encoding -- is rejected with an :class:`~nlp.core.errors.InputError` that names
the file, so the command line can report it in one line.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from nlp.core.errors import InputError

__all__ = [
    "MAX_INPUT_BYTES",
    "REPORT_SUFFIX",
    "REPORT_SUFFIXES",
    "RawReport",
    "decode_bytes",
    "display_path",
    "list_report_files",
    "read_bounded",
    "read_report",
    "read_stdin",
]

#: Suffix of hand-made text reports.
REPORT_SUFFIX = ".txt"
#: Suffixes of the report files picked up when a folder is given (text, HTML, PDF, Word).
REPORT_SUFFIXES = (".txt", ".html", ".htm", ".pdf", ".docx", ".doc")

# Share of characters that may be control/unassigned before a decoded file is
# called binary.  Real reports have none besides newlines and tabs.
_MAX_CONTROL_SHARE = 0.01
#: Largest input read, in bytes.  Reports are kilobytes; the bound stops ``/dev/zero`` or a huge dump.
MAX_INPUT_BYTES = 64 * 1024 * 1024
# Share of a decoding's non-ASCII characters that must be Chinese text (Han, CJK punctuation) to trust it.
_MIN_PLAUSIBLE_SHARE = 0.9
#: Leading bytes of document formats that are not plain text, even when they decode (an ASCII PDF does).
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (.docx, .xlsx, .odt, ...)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.doc, .xls)"),
    (b"{\\rtf", "an RTF document"),
)


@dataclass(frozen=True)
class RawReport:
    """A decoded report file, before any cleaning.

    Attributes
    ----------
    report_id : str
        File name without suffix, e.g. ``"000_d44e20c28648a983"``.
    path : str
        The file path as given.
    text : str
        The decoded text (BOM removed, line ends untouched).
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"`` or ``"gb18030"``; ``"html"``, ``"pdf"`` or ``"docx"``
        for text extracted from a page or document.
    sha256 : str
        Hex digest of the raw bytes, recorded in manifests and model cards.
    """

    report_id: str
    path: str
    text: str
    encoding: str
    sha256: str


def list_report_files(path: str | Path) -> list[Path]:
    """Return the report files at ``path``: the file itself, or a folder's reports sorted by name.

    A folder's reports are its files with a suffix in :data:`REPORT_SUFFIXES`.

    Raises
    ------
    InputError
        If the path does not exist or cannot be read, or a folder holds no report file.

    Hidden files (``.name.txt``: editor locks, macOS ``._`` resource forks) are skipped.
    """
    path = Path(path)
    mode = _stat_mode(path)
    if stat.S_ISDIR(mode):
        try:
            entries = list(path.iterdir())
        except OSError as exc:
            raise InputError(f"{path}: cannot list the folder ({exc.strerror})") from exc
        files = sorted(p for p in entries if _is_report_file(p))
        if not files:
            raise InputError(f"{path}: folder holds no report files ({', '.join(REPORT_SUFFIXES)})")
        return files
    return [path]


def _is_report_file(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in REPORT_SUFFIXES and path.is_file()


def _stat_mode(path: Path) -> int:
    """``st_mode`` of ``path``, or an :class:`InputError` that says why it cannot be used."""
    try:
        return os.stat(path).st_mode
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file or directory") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: too many levels of symbolic links (a symlink loop)") from exc
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


def display_path(path: str | Path) -> str:
    """``path`` as text that can be written as UTF-8.

    File names that are not valid UTF-8 reach Python as surrogate escapes,
    which cannot be written to UTF-8 files or terminals; names in GB18030
    (common for files from Chinese Windows) are decoded as such, others keep
    their odd bytes as ``\\xNN``.

    Examples
    --------
    >>> display_path(os.fsdecode("乡镇.txt".encode("gbk")))
    '乡镇.txt'
    """
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = os.fsencode(text)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def read_bounded(path: str | Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a file, at most ``limit`` of them (special files like ``/dev/zero`` never end).

    Raises
    ------
    InputError
        If the path is missing, a folder, unreadable, or longer than ``limit``.
    """
    path = Path(path)
    if stat.S_ISDIR(_stat_mode(path)):
        raise InputError(f"{path}: is a directory, expected a file")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit // 2**20} MiB (a special file or not a report); refusing it")
    return data


def read_stdin(limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of standard input, bounded like :func:`read_bounded`."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError("standard input is closed; give a file instead of -")
    try:
        data = stream.read(limit + 1)
    except (OSError, ValueError) as exc:  # ValueError: reading a closed stream
        raise InputError(f"cannot read standard input ({exc})") from exc
    if len(data) > limit:
        raise InputError(f"standard input is larger than {limit // 2**20} MiB; refusing it")
    return data


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode report bytes; return ``(text, encoding)``.

    Tries UTF-8 (BOM optional), UTF-16 (BOM optional), then GB18030 (a
    superset of GBK and GB2312), line by line when lines differ; only if
    these fail or look implausible does charset-normalizer guess.

    Examples
    --------
    >>> decode_bytes("乡镇工作总结".encode("gbk"))
    ('乡镇工作总结', 'gb18030')
    >>> decode_bytes("一、概况\\n".encode("gbk") + "二、计划".encode("utf-8"))
    ('一、概况\\n二、计划', 'gb18030+utf-8')
    """
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise InputError(f"{name}: is {kind}, not a plain-text report; save it as .txt text first")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        found = _try_decode(data, "utf-16")
        if found is None:
            raise InputError(f"{name}: has a UTF-16 byte-order mark but does not decode as UTF-16")
        return _checked(found, name)
    if b"\x00" in data:
        found = _utf16_without_bom(data)
        if found is None:
            raise InputError(f"{name}: binary file (contains NUL bytes), not a text report")
        return _checked(found, name)
    found = _try_decode(data, "utf-8-sig") or _decode_lines(data)
    if found is None or not _plausible(found[0]):
        found = _detected(data) or found
    if found is None:
        raise InputError(
            f"{name}: cannot decode as UTF-8, UTF-16 or GB18030/GBK, nor detect another encoding; "
            "convert the file to UTF-8"
        )
    text, encoding = found
    if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
    return _checked((text, encoding), name)


def _checked(found: tuple[str, str], name: str) -> tuple[str, str]:
    _check_looks_like_text(found[0], name)
    return found


def _try_decode(data: bytes, encoding: str) -> tuple[str, str] | None:
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return None


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 LE or BE text without BOM: NUL bytes then are the high bytes of ASCII characters."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        found = _try_decode(data, encoding)
        if found and not _NOT_TEXT_RE.search(found[0]) and _plausible(found[0]):
            return found
    return None


def _decode_lines(data: bytes) -> tuple[str, str] | None:
    """Decode line by line: GB18030, except lines that are plausible UTF-8 (a pasted line of another file).

    A GBK line is rarely valid UTF-8, and when it is, it decodes to Latin or
    Cyrillic letters, never to Han characters; so a valid UTF-8 line that
    reads as Chinese is UTF-8.
    """
    parts, used = [], set()
    for line in data.splitlines(keepends=True):
        utf8 = _try_decode(line, "utf-8")
        if utf8 and (line.isascii() or _plausible(utf8[0])):
            parts.append(utf8[0])
            used.add("utf-8" if not line.isascii() else "ascii")
            continue
        gb = _try_decode(line, "gb18030")
        if gb is None:
            return None
        parts.append(gb[0])
        used.add("gb18030")
    used.discard("ascii")
    encoding = "+".join(sorted(used, key=("gb18030", "utf-8").index)) or "utf-8"
    return "".join(parts), encoding


def _detected(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's best guess, if it decodes to plausible text."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    found = _try_decode(data, best.encoding)
    # traditional characters are rare in GB2312: a Big5 report is judged by its share of Chinese text only
    if found and _plausible(found[0], common=False):
        return found[0], best.encoding.replace("_", "-")
    return None


def _flag_table(flags: dict[range, int]) -> bytes:
    """A ``bytes.translate`` table that maps each byte to the OR of the flags of the ranges holding it."""
    return bytes(sum(flag for values, flag in flags.items() if byte in values) for byte in range(256))


# Chinese text is Han (U+4E00-9FFF), CJK punctuation (U+3000-303F), full-width forms (U+FF00-FFEF) and
# general punctuation (U+2000-206F, “”…—).  In UTF-16 a character of these is a high byte of its range
# and a low byte within it: each table flags a byte with the ranges it can belong to, one bit per range,
# so a character is Chinese when its two flags share a bit.
_HIGH_BYTE_FLAGS = _flag_table(
    {range(0x4E, 0xA0): 1, range(0x30, 0x31): 2, range(0xFF, 0x100): 4, range(0x20, 0x21): 8}
)
_LOW_BYTE_FLAGS = _flag_table({range(0x100): 1, range(0x40): 2, range(0xF0): 4, range(0x70): 8})
_HAN_HIGH_BYTES = bytes(range(0x4E, 0xA0))
# GB2312 writes ASCII as one byte and every other character as two bytes from 0xA1; its Han characters
# (all in U+4E00-9FFF) are exactly those whose first byte is 0xB0-0xF7 (checked over every character).
_ASCII_BYTES = bytes(range(0x80))
_GB2312_HAN_LEADS = bytes(range(0xB0, 0xF8))


def _count_deleted(data: bytes, delete: bytes) -> int:
    return len(data) - len(data.translate(None, delete))


def _plausible(text: str, common: bool = True) -> bool:
    """Whether the non-ASCII characters of ``text`` are mostly Chinese text (not kana, box drawing, Latin-1).

    With ``common``, its Han characters must also be mostly in GB2312, the
    6,763 characters of everyday simplified Chinese.
    """
    # Counted on encoded bytes by C loops (encode, translate, big-integer AND), not per character in
    # Python: this runs over every file's whole text and was a third of parsing time.
    total = len(text) - len(text.encode("ascii", "ignore"))
    if not total:
        return True
    # a character of the ranges is one UTF-16 unit; others (astral pairs, lone surrogates) flag nothing
    units = text.encode("utf-16-le", "surrogatepass")
    high, low = units[1::2], units[0::2]
    shared = int.from_bytes(high.translate(_HIGH_BYTE_FLAGS), "little") & int.from_bytes(
        low.translate(_LOW_BYTE_FLAGS), "little"
    )
    chinese = shared.bit_count()  # the ranges' high bytes differ, so a character shares at most one bit
    if chinese < _MIN_PLAUSIBLE_SHARE * total or not common:
        return chinese >= _MIN_PLAUSIBLE_SHARE * total
    # Big5 read as GBK gives Han characters too, but half of them outside GB2312's common ones
    han = _count_deleted(high, _HAN_HIGH_BYTES)
    pairs = text.encode("gb2312", "ignore").translate(None, _ASCII_BYTES)
    common = _count_deleted(pairs[0::2], _GB2312_HAN_LEADS)
    return common >= _MIN_PLAUSIBLE_SHARE * han


# Control characters (but tab and line ends), private-use code points, surrogates and the
# replacement character: what binary data turns into when decoded as text.
_NOT_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]")


def _check_looks_like_text(text: str, name: str) -> None:
    if not text.strip():
        raise InputError(f"{name}: file is empty")
    control = len(_NOT_TEXT_RE.findall(text))
    if control > _MAX_CONTROL_SHARE * len(text):
        raise InputError(f"{name}: looks binary ({control} control or unassigned characters), not a text report")


def read_report(path: str | Path) -> RawReport:
    """Read and decode one report file; HTML, PDF and Word files are extracted by :mod:`nlp.text.extract`.

    Examples
    --------
    >>> raw = read_report("seeds/003_788a321da40b58ee.txt")
    >>> raw.encoding
    'utf-8'
    """
    path = Path(path)
    data = read_bounded(path)
    from nlp.text.extract import extract_text, sniff_format  # imported here: nlp.text.extract uses this module

    fmt = sniff_format(data, path.suffix)
    if fmt == "text":
        text, encoding = decode_bytes(data, str(path))
    else:
        text, encoding = extract_text(data, str(path), fmt), fmt
    return RawReport(
        report_id=display_path(path.stem),
        path=str(path),
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
    )
