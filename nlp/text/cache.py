"""Tokenize once: an on-disk cache of parsed reports and of their tokens.

Repeated experiments on the same reports should not pay for cleaning,
segmentation and jieba again.  The cache keeps, per report file,

* the parsed report, keyed by the file's SHA-256 and the package version;
* the tokens of every clause (jieba block) of its sentences, keyed by the
  same hash plus a fingerprint of the tokenizer's settings, dictionaries
  and segmentation library.  Headings, sections and contexts are made of
  the same clauses, so these cover everything the pipeline tokenizes.

Files are JSON (no pickle) under ``.cache/nlp/`` (``NLP_CACHE_DIR``
overrides it; git ignores ``.cache/``) and are written atomically, so runs
sharing the cache concurrently never see half a file; an unreadable entry
counts as a miss and is rewritten.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from nlp.core.fileio import atomic_write
from nlp.core.parallel import DEFAULT_BATCH, batches, ordered_map
from nlp.core.progress import progress_bar
from nlp.core.version import __version__
from nlp.text.cleaning import ReportMeta
from nlp.text.corpus import Report, parse_raw
from nlp.text.reading import RawReport, read_report
from nlp.text.sentences import Sentence
from nlp.text.structure import Section
from nlp.text.tokenize import JiebaTokenizer

__all__ = [
    "CACHE_FORMAT",
    "TokenCache",
    "decode_report",
    "default_cache_dir",
    "encode_report",
    "parser_fingerprint",
    "tokenizer_fingerprint",
    "warm_tokens",
]

CACHE_FORMAT = 3
# a sentence's text is report.text[start:end]: slicing it back is faster than storing and decoding it twice
_SENTENCE_COLUMNS = ("index", "start", "end", "heading_path", "part", "is_heading", "heading_level")
_SECTION_COLUMNS = ("level", "title", "start", "end", "part", "path")


def default_cache_dir() -> Path:
    """``$NLP_CACHE_DIR`` or ``.cache/nlp`` in the working directory."""
    return Path(os.environ.get("NLP_CACHE_DIR", ".cache/nlp"))


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:32]


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while decoding many cache entries.

    Decoding a corpus builds millions of small acyclic objects, all kept;
    the collector would rescan the growing heap again and again for cycles
    there are none of, which takes a third of a warm run's loading time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def encode_report(report: Report) -> dict:
    """A compact JSON form of a parsed report: sentences and sections as columns, no raw file.

    Sentence texts are kept as offsets into the report text, heading paths as
    numbers into a table of the distinct paths.
    """
    meta = report.meta
    # sentences of a section share its heading path: stored once, referred to by number
    paths: dict[tuple, int] = {}
    path_numbers = [paths.setdefault(s.heading_path, len(paths)) for s in report.sentences]
    return {
        "meta": meta.to_dict(),
        "text": report.text,
        "sections": {c: [getattr(s, c) for s in report.sections] for c in _SECTION_COLUMNS},
        "sentences": {
            **{c: [getattr(s, c) for s in report.sentences] for c in _SENTENCE_COLUMNS},
            "heading_path": path_numbers,
        },
        "heading_paths": list(paths),
    }


def _restore(cls, fields: dict):
    """An instance of the frozen dataclass ``cls`` with ``fields``, without running ``__init__``.

    A frozen dataclass sets each field through ``object.__setattr__``, which
    makes reading a large cache three times slower; the fields come from our
    own :func:`encode_report`, so there is nothing for ``__init__`` to check.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def decode_report(data: dict, raw: RawReport) -> Report:
    """Rebuild a report from :func:`encode_report` output and the file it was read from."""
    meta = ReportMeta.from_dict(data["meta"])
    sec = data["sections"]
    sections = [
        Section(level, title, start, end, part, tuple(path))
        for level, title, start, end, part, path in zip(*(sec[c] for c in _SECTION_COLUMNS), strict=True)
    ]
    sen = data["sentences"]
    columns = {c: sen[c] for c in _SENTENCE_COLUMNS}
    text = data["text"]
    columns["text"] = [text[start:end] for start, end in zip(sen["start"], sen["end"], strict=True)]
    paths = [tuple(path) for path in data["heading_paths"]]
    columns["heading_path"] = [paths[number] for number in columns["heading_path"]]
    columns["report_id"] = [raw.report_id] * len(columns["index"])
    names = tuple(columns)
    sentences = [
        _restore(Sentence, dict(zip(names, values, strict=True))) for values in zip(*columns.values(), strict=True)
    ]
    return Report(raw=raw, meta=meta, text=data["text"], sections=sections, sentences=sentences)


#: Modules whose code decides what a parsed report holds: a change to any of them is a new cache.
_PARSER_MODULES = ("reading", "extract", "cleaning", "metadata", "markers", "structure", "sentences", "corpus")


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """A digest of the reading-to-sentences code, so a cached report never outlives the code that made it."""
    package = Path(__file__).resolve().parent
    return _digest(*(hashlib.sha256((package / f"{m}.py").read_bytes()).hexdigest() for m in _PARSER_MODULES))[:12]


def tokenizer_fingerprint(tokenizer: JiebaTokenizer) -> str:
    """Everything that changes a tokenizer's output, hashed: settings, word-list contents, library version."""
    return _fingerprint(tokenizer.resolved_settings())


@lru_cache(maxsize=16)
def _fingerprint(settings) -> str:
    # computed once per settings (which carry the word lists' SHA-256): it is needed for every report
    library = metadata.version("jieba" if settings.backend == "jieba" else "rjieba")
    return _digest(
        CACHE_FORMAT,
        settings.backend,
        library,
        settings.hmm,
        settings.min_length,
        settings.keep_numbers,
        settings.user_dict_sha256,
        settings.stopwords_sha256,
    )


class TokenCache:
    """Parsed reports and clause tokens on disk.

    Parameters
    ----------
    root : path, optional
        Cache folder; default :func:`default_cache_dir`.

    Examples
    --------
    >>> import tempfile
    >>> cache = TokenCache(tempfile.mkdtemp())
    >>> report = cache.report("seeds/003_788a321da40b58ee.txt")  # parsed and stored
    >>> cache.report("seeds/003_788a321da40b58ee.txt") == report  # read back
    True
    """

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else default_cache_dir()

    def _read(self, path: Path) -> dict | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or damaged: a miss

    def _write(self, path: Path, data: dict) -> None:
        with atomic_write(path, durable=False) as fh:  # a damaged entry reads as a miss
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))

    def _report_path(self, sha256: str) -> Path:
        return self.root / f"reports-v{CACHE_FORMAT}-{__version__}-{parser_fingerprint()}" / f"{sha256}.json"

    def cached_report(self, path: str | Path) -> Report | None:
        """The report of a file if its content is in the cache, else ``None``."""
        raw = read_report(path)  # reading is cheap, and the hash must come from the bytes
        data = self._read(self._report_path(raw.sha256))
        if data is not None:
            try:
                return decode_report(data, raw)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                pass  # an entry of another shape: a miss, overwritten by report()
        return None

    def cached_reports(self, paths, progress: bool = False) -> list[Report | None]:
        """:meth:`cached_report` of every path, ``None`` for those not cached."""
        bar = progress_bar(paths, desc="reading cache", unit="report", disable=not progress)
        with _gc_paused():
            return [self.cached_report(path) for path in bar]

    def report(self, path: str | Path) -> Report:
        """The parsed report of a file, from the cache when its content was seen before."""
        cached = self.cached_report(path)
        if cached is not None:
            return cached
        report = parse_raw(read_report(path))
        self._write(self._report_path(report.raw.sha256), encode_report(report))
        return report

    def _tokens_path(self, report: Report, tokenizer: JiebaTokenizer) -> Path:
        return self.root / "tokens" / tokenizer_fingerprint(tokenizer) / f"{report.raw.sha256}.json"

    def cached_tokens(self, report: Report, tokenizer: JiebaTokenizer) -> dict[str, tuple[str, ...]] | None:
        """The clause → tokens table of ``report`` if cached, else ``None``."""
        stored = self._read(self._tokens_path(report, tokenizer))
        if not _is_token_table(stored):
            return None  # missing, damaged or of another shape: a miss, overwritten by tokens()
        # tokens never contain spaces: one string per clause decodes far faster than nested lists
        pairs = zip(stored["blocks"], stored["tokens"], strict=True)
        return {block: tuple(tokens.split(" ")) if tokens else () for block, tokens in pairs}

    def tokens(self, report: Report, tokenizer: JiebaTokenizer) -> dict[str, tuple[str, ...]]:
        """The clause → tokens table of ``report``, segmented and stored on a miss."""
        table = self.cached_tokens(report, tokenizer)
        if table is None:
            table = tokenizer.block_table(s.text for s in report.sentences)
            stored = {"blocks": list(table), "tokens": [" ".join(tokens) for tokens in table.values()]}
            self._write(self._tokens_path(report, tokenizer), stored)
        return table


def _is_token_table(stored) -> bool:
    """Whether a token-cache entry has the shape :meth:`TokenCache.tokens` writes."""
    if not isinstance(stored, dict):
        return False
    blocks, tokens = stored.get("blocks"), stored.get("tokens")
    return (
        isinstance(blocks, list)
        and isinstance(tokens, list)
        and len(blocks) == len(tokens)
        and all(isinstance(x, str) for x in blocks)
        and all(isinstance(x, str) for x in tokens)
    )


def _tables(task: tuple) -> list[dict]:
    cache, reports, tokenizer = task
    return [cache.tokens(report, tokenizer) for report in reports]


def warm_tokens(
    reports, tokenizer: JiebaTokenizer | None = None, cache: TokenCache | None = None, n_jobs: int | None = 1
) -> dict[str, int]:
    """Make every clause of ``reports`` a memo hit for ``tokenizer``: read from the cache, or segmented once.

    Cached tables are read here; only reports missing from the cache go to
    ``n_jobs`` processes to be segmented and stored.  Returns how many
    reports were ``cached`` and ``segmented``.
    """
    tokenizer = tokenizer or JiebaTokenizer()
    cache = cache or TokenCache()
    missing, hits = [], 0
    with _gc_paused():
        for report in reports:
            table = cache.cached_tokens(report, tokenizer)
            if table is None:
                missing.append(report)
            else:
                tokenizer.remember(table)
                hits += 1
    tasks = [(cache, batch, tokenizer) for batch in batches(missing, DEFAULT_BATCH)]
    for tables in ordered_map(_tables, tasks, n_jobs if len(tasks) > 1 else 1):
        for table in tables:
            tokenizer.remember(table)
    return {"cached": hits, "segmented": len(missing)}
