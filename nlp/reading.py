"""Stage 1: find report files and decode them to text.

Reports published as HTML pages, PDF or Word files are recognised by their
content and handed to :mod:`nlp.extract`, which returns their text.

Chinese government documents come as UTF-8 (with or without BOM) or as
GB18030/GBK, the national encodings that older portals and Word exports
still use.  Anything else -- binary files, empty files, text in some third
encoding -- is rejected with an :class:`~nlp.errors.InputError` that names
the file, so the command line can report it in one line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

#: Suffix of hand-made text reports.
REPORT_SUFFIX = ".txt"
#: Suffixes of the report files picked up when a folder is given (text, HTML, PDF, Word).
REPORT_SUFFIXES = (".txt", ".html", ".htm", ".pdf", ".docx", ".doc")

# Share of characters that may be control/unassigned before a decoded file is
# called binary.  Real reports have none besides newlines and tabs.
_MAX_CONTROL_SHARE = 0.01


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
        If the path does not exist or a folder holds no report file.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES)
        if not files:
            raise InputError(f"{path}: folder holds no report files ({', '.join(REPORT_SUFFIXES)})")
        return files
    return [path]


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode report bytes; return ``(text, encoding)``.

    Tries UTF-8 (BOM optional), UTF-16 when a BOM says so, then GB18030 (a
    superset of GBK and GB2312).

    Examples
    --------
    >>> decode_bytes("乡镇工作总结".encode("gbk"))
    ('乡镇工作总结', 'gb18030')
    """
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in data:
        raise InputError(f"{name}: binary file (contains NUL bytes), not a text report")
    else:
        candidates = ["utf-8-sig", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        _check_looks_like_text(text, name)
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return text, encoding
    raise InputError(f"{name}: cannot decode as UTF-8 or GB18030/GBK; convert the file to UTF-8")


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
    """Read and decode one report file; HTML, PDF and Word files are extracted by :mod:`nlp.extract`.

    Examples
    --------
    >>> raw = read_report("seeds/003_788a321da40b58ee.txt")
    >>> raw.encoding
    'utf-8'
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a report file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    from .extract import extract_text, sniff_format  # imported here: nlp.extract uses this module

    fmt = sniff_format(data, path.suffix)
    if fmt == "text":
        text, encoding = decode_bytes(data, str(path))
    else:
        text, encoding = extract_text(data, str(path), fmt), fmt
    return RawReport(
        report_id=path.stem,
        path=str(path),
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
    )
