"""Label the sentences of report files: streaming, in batches, on several cores or a Dask cluster.

Reports are read, segmented and classified a batch of files at a time in
worker processes, and rows come back in input order as soon as their batch
is done, so memory stays flat however many reports there are.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np

from nlp.classify.codebook import load_codebook
from nlp.core.errors import InputError
from nlp.core.parallel import DEFAULT_BATCH, batches, can_fork, default_jobs, in_background, ordered_map
from nlp.core.progress import progress_bar
from nlp.text.corpus import Report, parse_report, parse_text
from nlp.text.reading import decode_bytes, list_report_files, read_report, read_stdin
from nlp.text.records import sentence_records
from nlp.text.tokenize import get_engine, iter_tokenizers

__all__ = [
    "DEFAULT_REVIEW_THRESHOLD",
    "LINE_FIELDS",
    "MIN_PIECE",
    "REPORT_FIELDS",
    "SPLIT_BYTES",
    "STDIN",
    "codebook_proba",
    "csv_text",
    "expand_sources",
    "jsonl_text",
    "label_reports",
    "label_sources",
    "predict_sources",
    "predict_text",
    "read_ahead",
    "review_threshold_of",
    "rows_for_sources",
    "worth_workers",
]

REPORT_FIELDS = ("source", "index", "text", "heading", "part", "label", "score", "check")
LINE_FIELDS = ("source", "line", "text", "label", "score", "check")
#: Review threshold for a model whose card records none (models trained before cards had one).
DEFAULT_REVIEW_THRESHOLD = 0.5


def codebook_proba(classifier, records) -> np.ndarray:
    """``classifier.predict_proba(records)`` with columns in codebook order (absent classes 0)."""
    from nlp.classify.evaluate import aligned_proba  # imports scikit-learn; `predict` never needs it

    return aligned_proba(classifier, records, load_codebook().ids)


def label_reports(
    reports: Iterable[Report], classifier=None, hand_labels: dict | None = None, with_proba: bool = False
) -> Iterator[tuple]:
    """Yield each report with a label and a label source per sentence.

    Hand labels (``{(report_id, text): label}``) win where they exist; the
    classifier labels the rest.  Reports stream through one at a time.
    With ``with_proba`` each item also carries the sentences' probabilities
    in codebook order (calibrated as the model is; one-hot where hand-coded):
    ``(report, labels, sources, proba)``.
    """
    hand_labels = hand_labels or {}
    categories = list(load_codebook().ids)
    for report in reports:
        labels = [hand_labels.get((report.report_id, s.text)) for s in report.sentences]
        missing = [i for i, label in enumerate(labels) if label is None]
        if missing and classifier is None:
            raise ValueError(f"{report.report_id}: {len(missing)} sentences have no label and no classifier was given")
        proba = np.zeros((len(labels), len(categories)))
        if missing:
            records = sentence_records([report])
            chosen = [records[i] for i in missing]
            if with_proba:
                proba[missing] = codebook_proba(classifier, chosen)
                predicted = [categories[j] for j in proba[missing].argmax(axis=1)]
            else:
                predicted = classifier.predict(chosen)
            for i, label in zip(missing, predicted, strict=True):
                labels[i] = str(label)
        predicted_at = set(missing)
        sources = ["predicted" if i in predicted_at else "hand-coded" for i in range(len(labels))]
        if with_proba:
            for i, label in enumerate(labels):
                if i not in predicted_at:
                    proba[i, categories.index(label)] = 1.0
            yield report, labels, sources, proba
        else:
            yield report, labels, sources


def review_threshold_of(classifier) -> float:
    """The score below which a label should be checked by hand, from the model card.

    It is the lowest score at which held-out sentences from places the model
    had not seen were right at least 90% of the time (see the model card).
    """
    metrics = (getattr(classifier, "model_card_", None) or {}).get("heldout_metrics") or {}
    return float(metrics.get("review_threshold", DEFAULT_REVIEW_THRESHOLD))


STDIN = "-"


def expand_sources(sources: Iterable[str]) -> list[str]:
    """Files as given, folders replaced by their report files, ``-`` (standard input) kept."""
    return [str(f) for s in sources for f in ([s] if s == STDIN else list_report_files(s))]


def _read_source(source: str) -> tuple[str, str]:
    if source == STDIN:
        return decode_bytes(read_stdin(), "<stdin>")[0], "stdin"
    raw = read_report(source)
    return raw.text, raw.report_id


def _report(source: str, metadata: bool = True) -> Report:
    return parse_text(*_read_source(source), metadata=metadata) if source == STDIN else parse_report(source, metadata)


def _inputs_for_source(source: str, one_per_line: bool) -> tuple[list, list[dict]]:
    """Classifier inputs for one source and the output rows they belong to (without labels)."""
    read = _read_ahead.pop((source, one_per_line), None)
    return read() if read is not None else _read_inputs(source, one_per_line)


def _read_inputs(source: str, one_per_line: bool) -> tuple[list, list[dict]]:
    if one_per_line:
        text, source_id = _read_source(source)
        lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        inputs: list = [line for _, line in lines]
        base = [{"source": source_id, "line": n, "text": line} for n, line in lines]
    else:
        inputs = sentence_records([_report(source, metadata=False)])  # rows carry no place or years
        base = [
            {
                "source": r["report_id"],
                "index": r["index"],
                "text": r["text"],
                "heading": r["heading"],
                "part": r["part"],
            }
            for r in inputs
        ]  # (REPORT_FIELDS up to the label)
    if not inputs:
        raise InputError(f"{source}: no sentences to label")
    return inputs, base


def rows_for_sources(classifier, sources: Sequence[str], one_per_line: bool = False) -> list[dict]:
    """Labelled rows for each sentence of ``sources`` (or each non-empty line, with ``one_per_line``).

    All sentences of the batch go through the classifier in one call: the
    per-call overhead of a nine-part feature union is larger than a report.
    """
    inputs, base = [], []
    for source in sources:
        source_inputs, source_base = _inputs_for_source(source, one_per_line)
        inputs += source_inputs
        base += source_base
    scored = classifier.predict_with_scores(inputs) if inputs else []
    return _labelled_rows(base, scored, review_threshold_of(classifier))


def _labelled_rows(base: list[dict], scored: list[tuple[str, float]], threshold: float) -> list[dict]:
    return [
        {**row, "label": label, "score": round(score, 4), "check": score < threshold}
        for row, (label, score) in zip(base, scored, strict=True)
    ]


_worker_models: dict[str, object] = {}


def _worker_model(key: str, classifier):
    """The first copy of the classifier a worker received for ``key``.

    Every task carries a pickled copy of the model; reusing the first one
    keeps its vocabulary lookup caches warm from batch to batch.
    """
    if key not in _worker_models:
        _worker_models.clear()  # one run's model at a time
        _worker_models[key] = classifier
    return _worker_models[key]


class _Task(NamedTuple):
    """One batch of files for a worker; ``option`` is ``one_per_line`` or ``(hand labels, with_proba)``.

    ``finish`` turns the batch's rows into what the worker sends back (the rows themselves, or their text).
    """

    key: str
    classifier: object
    sources: list[str]
    option: object
    finish: Callable = list


def _tasks(classifier, sources: Sequence[str], batch_size: int, option, finish: Callable = list) -> list[_Task]:
    key = uuid.uuid4().hex
    return [_Task(key, classifier, batch, option, finish) for batch in batches(list(sources), batch_size)]


def _rows_for_batch(task: _Task):
    rows = rows_for_sources(_worker_model(task.key, task.classifier), task.sources, one_per_line=task.option)
    return task.finish(rows)


def _workers(sources: Sequence[str], n_jobs: int | None, scheduler: str | None) -> tuple[int | None, str | None]:
    """``(n_jobs, scheduler)`` to use: standard input can only be read in this process."""
    return (1, None) if STDIN in sources else (n_jobs, scheduler)


def _map_batches(func, tasks: list[_Task], sources, n_jobs, scheduler, progress: bool) -> Iterator:
    """``func`` over the batch tasks, in order, with a progress bar counting files."""
    bar = progress_bar(total=len(sources), desc="labelling reports", unit="report", disable=not progress)
    with bar:
        for task, result in zip(tasks, ordered_map(func, tasks, *_workers(sources, n_jobs, scheduler)), strict=True):
            bar.update(len(task.sources))
            yield result


#: Total size of the input files above which the command line uses every core even for a few files:
#: one large report is then labelled in pieces on several workers.
SPLIT_BYTES = 2_000_000
#: Fewest sentences in a piece of a report sent to a worker: a smaller piece costs more to ship than to label.
MIN_PIECE = 2000


def worth_workers(sources: Sequence[str], batch_size: int = DEFAULT_BATCH) -> bool:
    """Whether labelling ``sources`` gains from worker processes: more than a batch of files, or much text."""
    if len(sources) > batch_size:
        return True
    if STDIN in sources:
        return False
    try:
        return sum(os.path.getsize(source) for source in sources) > SPLIT_BYTES
    except OSError:
        return False  # an unreadable file: reading it in this process gives the one-line error


def _build_lookup_tables(classifier) -> None:
    """Label a record and a bare sentence, so both pipelines build their vocabulary lookup tables."""
    classifier.predict_with_scores([{"text": "预热"}, "预热"])


def _in_pieces(sources: Sequence[str], n_jobs: int | None, scheduler: str | None) -> bool:
    """Whether ``predict_sources`` labels each report in pieces: local workers, and fewer files than them."""
    n_jobs, scheduler = _workers(sources, n_jobs, scheduler)
    workers = n_jobs or default_jobs()
    return scheduler is None and workers > 1 and len(sources) < workers


#: Sources being read ahead by :func:`read_ahead`: ``(source, one_per_line)`` -> a function for the result.
_read_ahead: dict[tuple[str, bool], object] = {}


@contextlib.contextmanager
def read_ahead(
    sources: Sequence[str], one_per_line: bool = False, n_jobs: int | None = 1, scheduler: str | None = None
):
    """Read and segment the first of ``sources`` in a forked worker while the block runs (the model loading, say).

    Only where :func:`predict_sources` with these arguments reads the reports
    itself and labels them in pieces (fewer files than workers); otherwise this
    does nothing.  Inside the block, ``predict_sources`` takes the sentences read
    ahead -- or the error reading them gave, at the same point of the rows.

    Examples
    --------
    >>> with read_ahead(["report.txt"]):  # one worker: nothing is read ahead
    ...     pass
    """
    if not sources or STDIN in sources or not _in_pieces(sources, n_jobs, scheduler):
        yield
        return
    key = (sources[0], one_per_line)
    with in_background(partial(_read_inputs, *key)) as result:
        _read_ahead[key] = result
        try:
            yield
        finally:
            _read_ahead.pop(key, None)


def _predict_in_pieces(
    classifier, sources: Sequence[str], one_per_line: bool, n_jobs: int, progress: bool, finish: Callable
) -> Iterator:
    """``finish`` of the rows of ``sources``, read here one at a time, each one's sentences labelled in pieces.

    Fewer files than workers would leave cores idle -- a single large
    report used one.  Each sentence's features and scores depend on
    that sentence alone, so the pieces give exactly the rows of one call.
    """
    threshold = review_threshold_of(classifier)
    _build_lookup_tables(classifier)  # here once: the workers forked for each report inherit them
    bar = progress_bar(total=len(sources), desc="labelling reports", unit="report", disable=not progress)
    with bar:
        for source in sources:
            inputs, base = _inputs_for_source(source, one_per_line)
            yield from _finish_in_pieces(partial(_finish_piece, classifier, threshold, finish), inputs, base, n_jobs)
            bar.update(1)


def _finish_piece(classifier, threshold: float, finish: Callable, inputs: list, base: list[dict]):
    return finish(_labelled_rows(base, classifier.predict_with_scores(inputs), threshold))


def _finish_in_pieces(finish_piece: Callable, inputs: list, base: list[dict], n_jobs: int) -> list:
    """``finish_piece(inputs, base)`` of each piece of the sentences: the first here, the others in forked workers.

    A forked worker inherits the sentences and the model, so only what it
    finishes (rows, or their text) is pickled -- shipping the sentences (with
    their section contexts) to pool workers cost as much as labelling them.
    Where workers cannot be forked, the pieces are finished here one after another.
    """
    if not inputs:
        return []
    size = max(MIN_PIECE, -(-len(inputs) // n_jobs))
    starts = range(0, len(inputs), size)
    pieces = [partial(finish_piece, inputs[start : start + size], base[start : start + size]) for start in starts]
    with contextlib.ExitStack() as workers:
        others = [workers.enter_context(in_background(piece)) for piece in pieces[1:]]
        return [pieces[0](), *(result() for result in others)]


def _load_engines(classifier, workers: int) -> None:
    """Build the classifier's segmentation engines here before workers are forked, so they inherit them.

    Otherwise every worker loads the dictionary itself (jieba takes half a second to).
    """
    if workers > 1 and can_fork():
        for tokenizer in iter_tokenizers(classifier):
            settings = tokenizer.resolved_settings()
            get_engine(settings.backend, settings.user_dict, settings.user_dict_sha256)


def predict_sources(
    classifier,
    sources: Sequence[str],
    one_per_line: bool = False,
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
) -> Iterator[dict]:
    """Rows of every sentence of every source, in order, produced batch by batch.

    With several local workers and fewer files than workers (one large
    report, say), the sentences of each report are labelled in pieces across
    the workers instead; with fewer batches than workers, the batches are
    made smaller so that every worker gets files.  The rows are the same.
    """
    for rows in _finished(classifier, sources, list, one_per_line, n_jobs, scheduler, batch_size, progress):
        yield from rows


def predict_text(
    classifier,
    sources: Sequence[str],
    format_rows: Callable[[list[dict]], str],
    *,
    one_per_line: bool = False,
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
) -> Iterator[str]:
    """The rows of :func:`predict_sources` as text, ``format_rows`` of a batch at a time, in order.

    The workers format their own rows (``format_rows`` must pickle, e.g.
    :func:`jsonl_text`), so this process only writes the text out: formatting
    and shipping a dict per sentence was a fifth of labelling a corpus.

    Examples
    --------
    >>> text = "".join(predict_text(classifier, ["report.txt"], jsonl_text))  # doctest: +SKIP
    """
    yield from _finished(classifier, sources, format_rows, one_per_line, n_jobs, scheduler, batch_size, progress)


def _finished(classifier, sources, finish: Callable, one_per_line, n_jobs, scheduler, batch_size, progress) -> Iterator:
    """``finish`` of the rows of each batch (or piece of a report), in order."""
    n_jobs, scheduler = _workers(sources, n_jobs, scheduler)
    workers = n_jobs or default_jobs()
    if scheduler is None:
        _load_engines(classifier, workers)
    if _in_pieces(sources, n_jobs, scheduler):
        yield from _predict_in_pieces(classifier, sources, one_per_line, workers, progress, finish)
        return
    if scheduler is None and workers > 1:
        batch_size = min(batch_size, -(-len(sources) // workers))  # a few files: some for every worker
    tasks = _tasks(classifier, sources, batch_size, one_per_line, finish)
    if scheduler is None and (workers == 1 or can_fork()):
        tasks = _inherited(tasks, classifier, workers)
    yield from _map_batches(_rows_for_batch, tasks, sources, n_jobs, scheduler, progress)


def _json_row_encoder() -> Callable[[dict], str]:
    """``json.dumps(row, ensure_ascii=False)`` as a function, its C encoder built once.

    ``JSONEncoder.encode`` builds that encoder anew for every call, which was
    a quarter of writing a row; without the C accelerator, the encoder is used as it is.
    """
    from json import encoder

    plain = json.JSONEncoder(ensure_ascii=False)
    if encoder.c_make_encoder is None:
        return plain.encode
    make = encoder.c_make_encoder(
        None, plain.default, encoder.encode_basestring, None, ": ", ", ", False, False, True
    )  # (no circular-reference markers: a row holds plain values)
    return lambda row: "".join(make(row, 0))


_JSON_ROW = _json_row_encoder()


def jsonl_text(rows: list[dict]) -> str:
    """Rows as JSON lines (UTF-8 text, one object per line).

    Examples
    --------
    >>> jsonl_text([{"text": "乡村振兴", "score": 0.9}])
    '{"text": "乡村振兴", "score": 0.9}\\n'
    """
    return "".join([_JSON_ROW(row) + "\n" for row in rows])


def csv_text(rows: list[dict], fields: Sequence[str]) -> str:
    """Rows as CSV lines with the columns ``fields`` (no header; other keys are left out).

    Examples
    --------
    >>> csv_text([{"text": "乡村振兴, 产业", "score": 0.9, "other": 1}], ["text", "score"])
    '"乡村振兴, 产业",0.9\\n'
    """
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n").writerows(rows)
    return out.getvalue()


def _inherited(tasks: list[_Task], classifier, workers: int) -> list[_Task]:
    """Tasks without the model, for workers forked from this process (or this process itself).

    A forked worker inherits the model, with its lookup tables built here once
    by labelling a sentence; a task that carries the model pickles it for every
    batch, and each worker then builds the tables anew.
    """
    if not tasks:
        return tasks
    if workers > 1:
        _build_lookup_tables(classifier)
    _worker_model(tasks[0].key, classifier)
    return [task._replace(classifier=None) for task in tasks]


def _label_batch(task: _Task) -> list[tuple]:
    reports = (_report(source) for source in task.sources)
    hand_labels, with_proba = task.option
    model = _worker_model(task.key, task.classifier)
    return list(label_reports(reports, model, hand_labels=hand_labels, with_proba=with_proba))


def label_sources(
    classifier,
    sources: Sequence[str],
    hand_labels: dict | None = None,
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
    with_proba: bool = False,
) -> Iterator[tuple]:
    """``(report, labels, label sources[, proba])`` per report, as :func:`label_reports`, in parallel."""
    tasks = _tasks(classifier, sources, batch_size, (hand_labels, with_proba))
    for labelled in _map_batches(_label_batch, tasks, sources, n_jobs, scheduler, progress):
        yield from labelled
