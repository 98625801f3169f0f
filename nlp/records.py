"""Sentence records: each sentence with the context a classifier may use.

Classifier inputs are *sentence records*: dicts with the sentence ``text``
and what surrounds it (``heading``, ``nearest_heading``, ``context``,
``part``, ``is_heading``, ``is_item_lead``), built by :func:`sentence_records`.
A plain string is accepted wherever a record is, standing for a sentence
without context (``predict --one-per-line``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .corpus import Report
from .sentences import HEADING_SEPARATOR, lead_clause
from .structure import ITEM_RE

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
        texts_by_path: dict[tuple[str, ...], list[str]] = {}
        for sentence in report.sentences:
            texts_by_path.setdefault(sentence.heading_path, []).append(sentence.text)
        for sentence in report.sentences:
            is_item_lead = not sentence.is_heading and ITEM_RE.match(sentence.text) is not None
            if sentence.is_heading or is_item_lead:
                # the unit a heading or item lead opens: everything below it
                title = sentence.text.rstrip("。！？!?：:，,；;") if sentence.is_heading else lead_clause(sentence.text)
                own = (*sentence.heading_path, title)
                context = "".join(t for path, texts in texts_by_path.items() if path[: len(own)] == own for t in texts)
            else:
                context = "".join(texts_by_path[sentence.heading_path])
            path = sentence.heading_path
            records.append(
                {
                    "report_id": report.report_id,
                    "index": sentence.index,
                    "text": sentence.text,
                    "heading": HEADING_SEPARATOR.join(path),
                    "nearest_heading": path[-1] if path else "",
                    "context": context,
                    "part": sentence.part,
                    "is_heading": sentence.is_heading,
                    "is_item_lead": is_item_lead,
                }
            )
    return records


def get_field(record: dict | str, field: str):
    """A field of a sentence record; a plain string is a record with only ``text``."""
    if isinstance(record, str):
        return record if field == "text" else ("" if field not in {"is_heading", "is_item_lead"} else False)
    value = record.get(field)
    if value is None:
        return "" if field not in {"is_heading", "is_item_lead"} else False
    return value
