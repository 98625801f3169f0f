"""Sentence records: each sentence with the context a classifier may use.

Classifier inputs are *sentence records*: dicts with the sentence ``text``
and what surrounds it (``heading``, ``nearest_heading``, ``context``,
``part``, ``is_heading``, ``is_item_lead``), built by :func:`sentence_records`.
A plain string is accepted wherever a record is, standing for a sentence
without context (``predict --one-per-line``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from operator import itemgetter

from nlp.text.corpus import Report
from nlp.text.sentences import HEADING_SEPARATOR, lead_clause
from nlp.text.structure import ITEM_RE

__all__ = ["CONTEXT_SEPARATOR", "FIELDS", "get_field", "get_fields", "sentence_records"]

#: Joins the sentences of a context: no word or codebook term spans a line break, so the
#: context's counts are the sum of its sentences' counts (which lets features reuse them).
CONTEXT_SEPARATOR = "\n"
#: Fields of a sentence record.
FIELDS = ("text", "heading", "nearest_heading", "context", "part", "is_heading", "is_item_lead")


def sentence_records(reports: Iterable[Report]) -> list[dict]:
    """One record per sentence of ``reports``, in order, with its context.

    ``context`` is the text of the sentence's unit: the sentences sharing its
    heading path, or, for a heading or an ``一是…`` item lead, everything
    below it -- so a vague sentence such as ``一是强化组织领导。`` carries what
    its item is about.
    """
    records = []
    for report in reports:
        records += _report_records(report)
    return records


def _report_records(report: Report) -> list[dict]:
    on_path: dict[tuple[str, ...], list[str]] = {}  # sentences whose heading path is exactly this
    below: dict[tuple[str, ...], list[str]] = {}  # sentences anywhere under this path
    for sentence in report.sentences:
        path = sentence.heading_path
        on_path.setdefault(path, []).append(sentence.text)
        for depth in range(1, len(path) + 1):
            below.setdefault(path[:depth], []).append(sentence.text)
    # Each context and heading string is joined once per unit and the same object shared by every
    # sentence of the unit: joining per sentence is quadratic in a long section, and a shared
    # string hashes once, where the feature blocks look up each distinct text.
    contexts: dict[tuple[bool, tuple[str, ...]], str] = {}
    headings: dict[tuple[str, ...], tuple[str, str]] = {}
    records = []
    report_id = report.report_id
    for sentence in report.sentences:
        path = sentence.heading_path
        is_item_lead = not sentence.is_heading and ITEM_RE.match(sentence.text) is not None
        if sentence.is_heading or is_item_lead:
            # the unit a heading or item lead opens: everything below it
            title = sentence.text.rstrip("。！？!?：:，,；;") if sentence.is_heading else lead_clause(sentence.text)
            key = (True, (*path, title))
            context = contexts.get(key)
            if context is None:
                context = contexts[key] = CONTEXT_SEPARATOR.join(below.get(key[1], ()))
        else:
            key = (False, path)
            context = contexts.get(key)
            if context is None:
                context = contexts[key] = CONTEXT_SEPARATOR.join(on_path[path])
        heading = headings.get(path)
        if heading is None:
            heading = headings[path] = (HEADING_SEPARATOR.join(path), path[-1] if path else "")
        records.append(
            {
                "report_id": report_id,
                "index": sentence.index,
                "text": sentence.text,
                "heading": heading[0],
                "nearest_heading": heading[1],
                "context": context,
                "part": sentence.part,
                "is_heading": sentence.is_heading,
                "is_item_lead": is_item_lead,
            }
        )
    return records


_FLAGS = frozenset({"is_heading", "is_item_lead"})


def get_field(record: dict | str, field: str):
    """A field of a sentence record; a plain string is a record with only ``text``."""
    # what get_fields([record], field)[0] gives, without its lists (classifiers call this per record)
    try:
        value = record.get(field)
    except AttributeError:
        value = record.get(field) if isinstance(record, dict) else _string_field(record, field)
    if value is None:
        return False if field in _FLAGS else ""
    return value


def get_fields(records: Iterable[dict | str], field: str) -> list:
    """``field`` of every record: missing text fields are ``""``, missing flags ``False``."""
    missing = False if field in _FLAGS else ""
    records = list(records)
    values = None
    if records and type(records[0]) is dict:  # the common case: dicts with every field, taken in C
        # (a later record without the field, or not a dict: rows of a numpy array raise IndexError)
        with contextlib.suppress(KeyError, TypeError, IndexError):
            values = list(map(itemgetter(field), records))
    if values is None:
        try:
            values = [record.get(field) for record in records]  # records without some fields
        except AttributeError:
            values = [
                record.get(field) if isinstance(record, dict) else _string_field(record, field) for record in records
            ]
    return [missing if value is None else value for value in values]  # (`is`: a value may be an array)


def _string_field(text: str, field: str) -> str | None:
    return text if field == "text" else None
