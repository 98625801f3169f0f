"""Coding sheets: the spreadsheets researchers hand-code sentences in, written and read back.

A coding sheet has one row per sentence: its id (``report_id#index``), the
report, the sentence with its heading path and neighbours as context, an
empty ``label_<coder>`` column per coder and a ``note`` column.  The
codebook's categories are listed on a second sheet (``.xlsx``, where the
label cells also offer them in a drop-down) or in ``#`` comment lines above
the header (``.csv``, written as UTF-8 with a BOM so Excel shows the Chinese).
Predicted labels are left out unless asked for: coders code blind.

Reading (:func:`read_codes`) accepts coding sheets and label files
(``report_id, index, label, text``, as ``seeds/labels.csv``): each
``label_<coder>`` column is one coder, a ``label`` column the final
(adjudicated) code.  A code may be a category id or its Chinese name.
Malformed sheets -- unknown labels, duplicate sentence ids, missing columns,
no codes at all -- raise :class:`~nlp.core.errors.ConfigError` naming the file and
row.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp.classify.codebook import load_codebook
from nlp.core.errors import ConfigError, InputError
from nlp.core.fileio import atomic_path, atomic_write, refuse_overwrite

__all__ = [
    "FINAL_LABEL",
    "LABEL_PREFIX",
    "PREDICTION_COLUMNS",
    "SHEET_COLUMNS",
    "SHEET_FORMATS",
    "CodeSheet",
    "CodedRow",
    "check_sheet_path",
    "label_column",
    "locate",
    "read_codes",
    "sentence_id",
    "write_sheet",
]

#: Columns of a coding sheet before the coders' label columns.
SHEET_COLUMNS = ("sentence_id", "report_id", "index", "heading", "before", "text", "after")
#: Columns shown only with ``show_predictions`` (not blind).
PREDICTION_COLUMNS = ("predicted", "score")
LABEL_PREFIX = "label_"
FINAL_LABEL = "label"
SHEET_FORMATS = (".csv", ".xlsx")


def sentence_id(report_id: str, index: int | str) -> str:
    """The id of a sentence in sheets: ``report_id#index``."""
    return f"{report_id}#{index}"


def label_column(coder: str) -> str:
    """``label_<coder>``."""
    return f"{LABEL_PREFIX}{coder}"


def check_sheet_path(path: str | Path, force: bool = False) -> Path:
    """A writable ``.csv`` or ``.xlsx`` path (refusing to overwrite without ``force``)."""
    path = Path(path)
    if path.suffix.lower() not in SHEET_FORMATS:
        raise InputError(f"{path}: a coding sheet must be .csv or .xlsx")
    refuse_overwrite(path, force)
    return path


def write_sheet(
    path: str | Path,
    rows: Sequence[dict],
    coders: Sequence[str] = ("a", "b"),
    show_predictions: bool = False,
    about: dict | None = None,
    force: bool = False,
) -> Path:
    """Write a coding sheet (``.csv`` or ``.xlsx``, by suffix) atomically.

    Parameters
    ----------
    rows : sequence of dict
        Sentences with the :data:`SHEET_COLUMNS` (and ``predicted``/``score``).
    coders : sequence of str
        One empty ``label_<coder>`` column each.
    show_predictions : bool
        Add the model's label and score (not blind coding).
    about : dict, optional
        How the sample was drawn (strategy, model, seed, ...), written into the sheet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "coding.csv"
    >>> row = {"sentence_id": "r#0", "report_id": "r", "index": 0, "text": "做好疫情防控。"}
    >>> _ = write_sheet(path, [row], coders=["wang"])
    >>> [line for line in path.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")][0]
    'sentence_id,report_id,index,heading,before,text,after,label_wang,note'
    """
    path = check_sheet_path(path, force)
    if not coders or len(set(coders)) != len(coders):
        raise InputError(f"coders must be distinct names, got {list(coders)}")
    columns = [*SHEET_COLUMNS, *(PREDICTION_COLUMNS if show_predictions else ()), *map(label_column, coders), "note"]
    table = [[row.get(c, "") if c in row else "" for c in columns] for row in rows]
    about = dict(about or {})
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, columns, table, coders, about)
    else:
        _write_csv(path, columns, table, about)
    return path


def _codebook_rows() -> list[tuple[str, str, str, str]]:
    codebook = load_codebook()
    return [(c.id, c.zh, c.en, c.definition) for c in codebook.categories]


def _write_csv(path: Path, columns, table, about: dict) -> None:
    codebook = load_codebook()
    with atomic_write(path, encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        notes = [f"# coding sheet; codebook version {codebook.version}. Fill each label_ column with one category id:"]
        notes += [f"# {cid} = {zh} ({en})" for cid, zh, en, _ in _codebook_rows()]
        notes += [f"# {key}: {value}" for key, value in about.items()]
        writer.writerows([note] for note in notes)
        writer.writerow(columns)
        writer.writerows(table)


def _write_xlsx(path: Path, columns, table, coders, about: dict) -> None:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font
        from openpyxl.worksheet.datavalidation import DataValidation
    except ImportError as exc:  # pragma: no cover - openpyxl is a core dependency
        raise InputError("writing .xlsx needs openpyxl (pip install openpyxl)") from exc
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "coding"
    sheet.append(columns)
    for row in table:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = {"text": 60, "before": 30, "after": 30, "heading": 30, "sentence_id": 24, "report_id": 18, "note": 20}
    wrap = Alignment(wrap_text=True, vertical="top")
    for k, name in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=k).column_letter
        sheet.column_dimensions[letter].width = widths.get(name, 14)
        if name in ("text", "before", "after", "heading"):
            for cell in sheet[letter][1:]:
                cell.alignment = wrap
    book = workbook.create_sheet("codebook")
    book.append(["id", "中文", "English", "definition"])
    for row in _codebook_rows():
        book.append(list(row))
    for cell in book[1]:
        cell.font = Font(bold=True)
    book.column_dimensions["A"].width, book.column_dimensions["D"].width = 16, 80
    n_categories = len(_codebook_rows())
    validation = DataValidation(
        type="list", formula1=f"codebook!$A$2:$A${n_categories + 1}", allow_blank=True, showErrorMessage=True
    )
    validation.error = "Use a category id from the codebook sheet"
    sheet.add_data_validation(validation)
    for coder in coders:
        k = columns.index(label_column(coder)) + 1
        letter = sheet.cell(row=1, column=k).column_letter
        validation.add(f"{letter}2:{letter}{max(len(table), 1) + 1}")
    info = workbook.create_sheet("about")
    info.append(["codebook_version", load_codebook().version])
    for key, value in about.items():
        info.append([key, str(value)])
    with atomic_path(path, suffix=".xlsx") as tmp:
        workbook.save(tmp)


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass
class CodedRow:
    """One sentence of a sheet: where it is, and each coder's code (``None`` if left empty)."""

    line: int
    report_id: str
    index: str
    text: str
    codes: dict[str, str | None]

    @property
    def key(self) -> tuple[str, str]:
        """``(report_id, index)``, or ``(report_id, text)`` in a sheet without an index column."""
        return (self.report_id, self.index if self.index != "" else self.text)


@dataclass
class CodeSheet:
    """The rows of one coding sheet or label file, and its coders (label columns)."""

    path: Path
    rows: list[CodedRow] = field(default_factory=list)
    coders: list[str] = field(default_factory=list)

    def codes_of(self, coder: str) -> dict[tuple[str, str], str]:
        """``{key: code}`` of one coder's non-empty codes."""
        return {r.key: r.codes[coder] for r in self.rows if r.codes.get(coder)}

    def final(self) -> list[tuple[CodedRow, str]]:
        """``(row, code)`` for the sheet's one set of codes: the ``label`` column, else its only coder's.

        Only columns holding at least one code count: a sheet drawn for two
        coders and filled by one gives that coder's codes.

        Raises
        ------
        ConfigError
            If the sheet has several coders and no ``label`` column, or a row has no code.
        """
        active = [c for c in self.coders if any(r.codes.get(c) for r in self.rows)]
        coder = FINAL_LABEL if FINAL_LABEL in active else (active[0] if len(active) == 1 else None)
        if coder is None and not active:
            raise ConfigError(f"{self.path}: no codes: every label column is empty")
        if coder is None:
            raise ConfigError(
                f"{self.path}: {len(active)} coders' columns ({', '.join(map(label_column, active))}) and "
                "no 'label' column; adjudicate them first (python -m nlp agreement … --out DIR writes coded.csv)"
            )
        missing = [r for r in self.rows if not r.codes.get(coder)]
        if missing:
            name = FINAL_LABEL if coder == FINAL_LABEL else label_column(coder)
            raise ConfigError(f"{self.path}:{missing[0].line}: empty {name} ({len(missing)} rows have no code)")
        return [(r, r.codes[coder]) for r in self.rows]


def _category_lookup() -> dict[str, str]:
    codebook = load_codebook()
    lookup = {c.id: c.id for c in codebook.categories}
    lookup.update({c.zh: c.id for c in codebook.categories})
    return lookup


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line, cells)`` rows of a ``.csv`` (``#`` lines above the header skipped) or ``.xlsx``."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() == ".xlsx":
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(f"{path}: not a readable .xlsx file ({type(exc).__name__})") from exc
        sheet = workbook["coding"] if "coding" in workbook.sheetnames else workbook.worksheets[0]
        lines = [
            (n, ["" if v is None else str(v).strip() for v in values])
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        workbook.close()
    else:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                lines = [(n, [c.strip() for c in cells]) for n, cells in enumerate(csv.reader(fh), start=1)]
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text; save the sheet as CSV UTF-8") from exc
    lines = [(n, cells) for n, cells in lines if any(cells) and not cells[0].startswith("#")]
    if not lines:
        raise ConfigError(f"{path}: no header row and no codes")
    (_, header), rows = lines[0], lines[1:]
    return header, rows


def read_codes(path: str | Path, require_codes: bool = True) -> CodeSheet:
    """Read a coding sheet or label file: every row, with each coder's code checked against the codebook.

    Raises
    ------
    InputError
        If the file is missing or unreadable.
    ConfigError
        If ``report_id``/``text`` or any label column is missing, a code is
        not a category, a sentence id occurs twice, or (with ``require_codes``)
        no row has a code.
    """
    path = Path(path)
    header, table = _read_table(path)
    missing = {"report_id", "text"} - set(header)
    if missing:
        raise ConfigError(f"{path}: missing columns {sorted(missing)}")
    coders = [h[len(LABEL_PREFIX) :] for h in header if h.startswith(LABEL_PREFIX)]
    coders += [FINAL_LABEL] if FINAL_LABEL in header else []
    if not coders:
        raise ConfigError(f"{path}: no label column (label, or label_<coder> per coder)")
    lookup, valid = _category_lookup(), ", ".join(load_codebook().ids)
    column = {name: k for k, name in enumerate(header)}
    sheet, seen = CodeSheet(path=path, coders=coders), {}
    for line, cells in table:
        cells = cells + [""] * (len(header) - len(cells))

        def cell(name: str, cells=cells) -> str:
            return cells[column[name]] if name in column else ""

        codes = {}
        for coder in coders:
            name = FINAL_LABEL if coder == FINAL_LABEL else label_column(coder)
            raw = cell(name)
            if raw and raw not in lookup:
                raise ConfigError(f"{path}:{line}: unknown label {raw!r} in {name}; valid: {valid}")
            codes[coder] = lookup[raw] if raw else None
        row = CodedRow(line, cell("report_id"), cell("index"), cell("text"), codes)
        if not row.report_id or not row.text:
            raise ConfigError(f"{path}:{line}: empty report_id or text")
        if row.key in seen:
            raise ConfigError(
                f"{path}:{line}: duplicate sentence id {sentence_id(*row.key)} (first on line {seen[row.key]})"
            )
        seen[row.key] = line
        sheet.rows.append(row)
    if require_codes and not any(code for r in sheet.rows for code in r.codes.values()):
        raise ConfigError(f"{path}: no codes: every label column is empty")
    return sheet


def locate(rows: Sequence[CodedRow], records: Sequence[dict], path: str | Path) -> list[int]:
    """The position in ``records`` (:func:`nlp.text.records.sentence_records`) of each coded row.

    Rows are matched by report id and sentence text, like label files.

    Raises
    ------
    ConfigError
        Naming the file and row of the first row whose report was not given
        or whose text is no sentence of that report.
    """
    where: dict[tuple[str, str], int] = {}
    reports = set()
    for k, record in enumerate(records):
        where.setdefault((record["report_id"], record["text"]), k)
        reports.add(record["report_id"])
    found = []
    for row in rows:
        if row.report_id not in reports:
            raise ConfigError(f"{path}:{row.line}: report {row.report_id!r} is not among the reports given")
        k = where.get((row.report_id, row.text))
        if k is None:
            raise ConfigError(
                f"{path}:{row.line}: no sentence of report {row.report_id!r} reads {row.text[:30]!r} "
                "(the row does not match the corpus)"
            )
        found.append(k)
    return found
