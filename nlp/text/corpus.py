"""Reports with their sentences: the first three stages run end to end.

:func:`parse_report` reads, cleans, structures and segments one file;
:func:`load_corpus` does so for a file or a folder of reports (``.txt``,
``.html``/``.htm``, ``.pdf``, ``.docx``).  The resulting :class:`Report`
objects are what every later stage consumes.

Given a ``skipped`` list, :func:`iter_reports` and :func:`load_corpus` go on
past a file that cannot be read (a scanned PDF, a corrupt Word file, …) and
append ``(path, reason)`` to the list instead of raising.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nlp.core.errors import InputError
from nlp.core.fileio import atomic_write
from nlp.core.parallel import DEFAULT_BATCH, batches, ordered_map
from nlp.core.progress import progress_bar
from nlp.text.cleaning import ReportMeta, clean_report
from nlp.text.extract import MissingExtraError
from nlp.text.reading import RawReport, list_report_files, read_report
from nlp.text.sentences import Sentence, segment
from nlp.text.structure import PARTS, Section, build_sections, find_headings

__all__ = [
    "SEED_DIR",
    "SENTENCE_FIELDS",
    "Report",
    "ReportCache",
    "corpus_table",
    "default_report_paths",
    "default_seed_dir",
    "export_sentences",
    "find_seed_dir",
    "format_table",
    "iter_reports",
    "load_corpus",
    "parse_raw",
    "parse_report",
    "parse_text",
    "records_to_csv",
    "skip_reason",
]

#: Columns of ``--export`` files, one row per sentence.
SENTENCE_FIELDS = (
    "report_id",
    "index",
    "text",
    "start",
    "end",
    "heading_path",
    "part",
    "is_heading",
    "heading_level",
    "township",
    "years",
)


SEED_DIR = Path("seeds")


def find_seed_dir(start: str | Path | None = None) -> Path | None:
    """The ``seeds/`` folder of ``start`` (the working directory) or of the nearest folder above it, else ``None``.

    Looking upwards lets a notebook, which runs in ``notebooks/``, find the
    project's seeds as a script at the project root does.  The package never
    looks for data next to its own files, so an installed wheel behaves like
    a checkout.
    """
    here = Path(start) if start is not None else Path.cwd()
    if (here / SEED_DIR).is_dir():
        return SEED_DIR if start is None else here / SEED_DIR
    return next((folder / SEED_DIR for folder in here.resolve().parents if (folder / SEED_DIR).is_dir()), None)


def default_seed_dir() -> Path:
    """The project's ``seeds/`` folder, found from the working directory (see :func:`find_seed_dir`).

    Raises
    ------
    InputError
        If neither the working directory nor a folder above it has a ``seeds/`` folder.
    """
    found = find_seed_dir()
    if found is None:
        raise InputError(f"no seeds/ folder in {Path.cwd()} or above it; give the report files or folders explicitly")
    return found


def default_report_paths() -> list[Path]:
    """The labelled reports the package ships: the seeds and, where present, the external corpus."""
    seeds = default_seed_dir()
    external = seeds / "external" / "raw"
    return [seeds, external] if external.is_dir() else [seeds]


@dataclass(frozen=True)
class Report:
    """A cleaned report with its sections and sentences.

    Attributes
    ----------
    raw : RawReport
        The file as read (path, encoding, hash, original text).
    meta : ReportMeta
        Title, township, years, publication date, page fields.
    text : str
        The cleaned text; sentence offsets point into it.
    sections : list of Section
    sentences : list of Sentence
    """

    raw: RawReport
    meta: ReportMeta
    text: str
    sections: list[Section]
    sentences: list[Sentence]

    @property
    def report_id(self) -> str:
        return self.raw.report_id

    def top_sections(self) -> list[Section]:
        """Sections at the report's highest heading level (0 if present, else 1, …)."""
        if not self.sections:
            return []
        top = min(s.level for s in self.sections)
        return [s for s in self.sections if s.level == top]

    def sentence_counts(self) -> dict[str, int]:
        """Number of sentences per part, all parts present (zero if none)."""
        counts = Counter(s.part for s in self.sentences)
        return {part: counts.get(part, 0) for part in PARTS}

    def sentence_records(self) -> Iterator[dict]:
        """Sentence dicts with the report's township and years added, for export."""
        years = "-".join(str(y) for y in self.meta.years)
        for sentence in self.sentences:
            yield {**sentence.to_record(), "township": self.meta.township or "", "years": years}


def parse_raw(raw: RawReport, metadata: bool = True) -> Report:
    """Clean, structure and segment an already decoded report (``metadata``: see :func:`clean_report`)."""
    clean = clean_report(raw, metadata)
    if not clean.text.strip():
        raise InputError(f"{raw.path}: no report text left after removing page noise")
    headings = find_headings(clean.text)
    sections = build_sections(clean.text, headings)
    sentences = segment(clean.text, raw.report_id, headings, sections)
    return Report(raw=raw, meta=clean.meta, text=clean.text, sections=sections, sentences=sentences)


def parse_report(path: str | Path, metadata: bool = True) -> Report:
    """Read and parse one report file (``metadata=False``: the place and years are not looked for).

    Examples
    --------
    >>> report = parse_report("seeds/003_788a321da40b58ee.txt")
    >>> report.meta.township, [s.title for s in report.top_sections()][:1]
    ('荫田镇', ['一、2021年各项工作情况'])
    """
    return parse_raw(read_report(path), metadata)


def parse_text(text: str, report_id: str = "stdin", metadata: bool = True) -> Report:
    """Parse report text that did not come from a file (e.g. standard input)."""
    raw = RawReport(report_id=report_id, path=report_id, text=text, encoding="utf-8", sha256="")
    if not text.strip():
        raise InputError(f"{report_id}: input is empty")
    return parse_raw(raw, metadata)


class ReportCache(Protocol):
    """What :func:`load_corpus` needs of a cache of parsed reports (:class:`nlp.text.cache.TokenCache` is one).

    Declared here so that the corpus stage does not depend on the cache module,
    which is built on top of it.
    """

    def report(self, path: str | Path) -> Report:
        """The parsed report of a file, from the cache when its content was seen before."""
        ...

    def cached_report(self, path: str | Path) -> Report | None:
        """The report of a file if its content is in the cache, else ``None``."""
        ...

    def cached_reports(self, paths, progress: bool = False) -> list[Report | None]:
        """:meth:`cached_report` of every path."""
        ...


def _parse_or_skip(file, cache: ReportCache | None, skip: bool) -> Report | tuple[str, str]:
    """The parsed report, or ``(path, reason)`` when ``skip`` and the file cannot be read."""
    try:
        return cache.report(file) if cache is not None else parse_report(file)
    except MissingExtraError:
        raise  # every file of the format would fail alike: stop with the one message
    except InputError as exc:
        if not skip:
            raise
        return skip_reason(file, exc)


def skip_reason(path, exc: Exception) -> tuple[str, str]:
    """``(path, reason)`` of a skipped file, the path taken off the front of the error message."""
    path, message = str(path), str(exc)
    return path, message.removeprefix(f"{path}: ")


def _parse_batch(task: tuple) -> list[Report | tuple[str, str]]:
    files, cache, skip = task
    return [_parse_or_skip(f, cache, skip) for f in files]


def iter_reports(
    paths: Iterable[str | Path],
    progress: bool = False,
    n_jobs: int | None = 1,
    cache: ReportCache | None = None,
    scheduler: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    skipped: list[tuple[str, str]] | None = None,
) -> Iterator[Report]:
    """Parse reports batch by batch, in order (memory stays flat for large collections).

    ``n_jobs`` worker processes (or a Dask ``scheduler``) parse batches in
    parallel; a :class:`nlp.text.cache.TokenCache` as ``cache`` reuses reports
    parsed before.  With a ``skipped`` list, a file that cannot be read is
    left out and ``(path, reason)`` appended to the list; without one its
    :class:`~nlp.core.errors.InputError` stops the iteration.
    """
    files = [f for path in paths for f in list_report_files(path)]
    bar = progress_bar(total=len(files), desc="reading reports", unit="report", disable=not progress)
    tasks = [(batch, cache, skipped is not None) for batch in batches(files, batch_size)]
    with bar:
        for parsed in ordered_map(_parse_batch, tasks, n_jobs, scheduler):
            bar.update(len(parsed))
            for item in parsed:
                if isinstance(item, Report):
                    yield item
                else:
                    skipped.append(item)


def load_corpus(
    path: str | Path | Iterable[str | Path],
    progress: bool = False,
    n_jobs: int | None = 1,
    cache: ReportCache | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> list[Report]:
    """Parse a report file, a folder of reports, or several of either.

    With a ``skipped`` list, files that cannot be read are left out and
    listed there as ``(path, reason)`` (see :func:`iter_reports`).

    Examples
    --------
    >>> reports = load_corpus("seeds")
    >>> len(reports)
    5
    """
    paths = [path] if isinstance(path, str | Path) else list(path)
    if cache is None:
        return list(iter_reports(paths, progress=progress, n_jobs=n_jobs, skipped=skipped))
    # cached reports are read here; only the others go to worker processes
    files = [f for p in paths for f in list_report_files(p)]
    if skipped is None:
        reports = cache.cached_reports(files, progress=progress)
    else:
        reports = []
        for file in files:
            try:
                reports.append(cache.cached_report(file))
            except MissingExtraError:
                raise
            except InputError as exc:
                skipped.append(skip_reason(file, exc))
                reports.append(False)  # not read: neither cached nor to parse
    missing = [f for f, report in zip(files, reports, strict=True) if report is None]
    parsed = iter(iter_reports(missing, progress=progress, n_jobs=n_jobs, cache=cache, skipped=skipped))
    return [report if report is not None else next(parsed) for report in reports if report is not False]


def corpus_table(reports: list[Report]) -> list[dict]:
    """One summary row per report: place, level, county, genre, years, sections, sentences per part."""
    rows = []
    for report in reports:
        counts = report.sentence_counts()
        rows.append(
            {
                "report_id": report.report_id,
                "township": report.meta.township or "?",
                "level": report.meta.level or "?",
                "county": report.meta.county or "",
                "genre": report.meta.genre or "?",
                "years": "-".join(str(y) for y in report.meta.years) or "?",
                "published": report.meta.published or "",
                "encoding": report.raw.encoding,
                "top_sections": len(report.top_sections()),
                "sections": len(report.sections),
                "sentences": len(report.sentences),
                **counts,
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """Render dict rows as an aligned plain-text table (CJK counted double width)."""
    if not rows:
        return ""
    columns = list(rows[0])

    def width(value: str) -> int:
        return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in value)

    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [max(width(c), *(width(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def export_sentences(reports: Iterable[Report], path: str | Path) -> int:
    """Write one row per sentence to ``.csv`` or ``.jsonl`` (atomically); return the row count."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl"}:
        raise InputError(f"{path}: export format must be .csv or .jsonl")
    count = 0
    with atomic_write(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=SENTENCE_FIELDS) if suffix == ".csv" else None
        if writer:
            writer.writeheader()
        for report in reports:
            for record in report.sentence_records():
                if writer:
                    writer.writerow(record)
                else:
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    return count


def records_to_csv(records: list[dict], fields: Iterable[str]) -> str:
    """Render records as CSV text (used for stdout output)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()
