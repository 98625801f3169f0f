"""Hand-coded labels and weak labels from headings.

Hand labels are data (``seeds/labels.csv``): one row per sentence with
``report_id``, ``index``, ``label`` and ``text``.  They are keyed by report id
and sentence *text*, so they survive changes to segmentation elsewhere in a
report; ``index`` is informational.

Weak labels come from headings alone (:class:`HeadingRuleLabeler`), with
rules kept in ``nlp/resources/heading_rules.json``: a cheap alternative to
hand coding whose agreement with the hand labels the classification
experiment reports.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from nlp.classify.codebook import load_codebook
from nlp.classify.inference import HeadingRules
from nlp.core.errors import ConfigError, InputError
from nlp.core.fileio import atomic_write
from nlp.resources import resource_path
from nlp.text.corpus import Report, default_seed_dir, find_seed_dir
from nlp.text.reading import decode_bytes, read_bounded

__all__ = [
    "HEADING_RULES_FILE",
    "LABEL_COLUMNS",
    "HeadingRuleLabeler",
    "LabelKey",
    "default_label_files",
    "default_labels_path",
    "labels_for",
    "load_heading_rules",
    "load_labels",
    "relabel_resegmented",
    "write_labels",
]

LABEL_COLUMNS = ("report_id", "index", "label", "text")
HEADING_RULES_FILE = "heading_rules.json"

LabelKey = tuple[str, str]


def default_labels_path() -> Path:
    """``labels.csv`` next to the seed reports."""
    return default_seed_dir() / "labels.csv"


def default_label_files() -> list[Path]:
    """The shipped label files that exist: the seeds', then the external corpus's (none without ``seeds/``)."""
    seeds = find_seed_dir()
    if seeds is None:
        return []
    return [p for p in (seeds / "labels.csv", seeds / "external" / "labels.csv") if p.is_file()]


def load_labels(path: str | Path | Sequence[str | Path] | None = None) -> dict[LabelKey, str]:
    """Read a label CSV (or several, merged) into ``{(report_id, sentence text): label}``.

    With several files, a later file's label wins where two files label the
    same sentence (your own coding over the shipped labels).

    The file is read like a report (:func:`nlp.text.reading.read_bounded` and
    :func:`nlp.text.reading.decode_bytes`): UTF-8, UTF-16 or GB18030/GBK, binary
    files refused.

    Raises
    ------
    InputError
        If the file is missing, unreadable, binary or undecodable.
    ConfigError
        If columns are missing, a row is short, a label is not a codebook
        category, or the same sentence carries two different labels.
    """
    if path is not None and not isinstance(path, str | Path):
        merged: dict[LabelKey, str] = {}
        for one in path:
            merged.update(load_labels(one))
        return merged
    path = Path(path) if path else default_labels_path()
    if not os.path.lexists(path):
        raise InputError(f"{path}: label file not found")
    if path.suffix.lower() == ".xlsx":
        return _sheet_labels(path)
    text, _ = decode_bytes(read_bounded(path), str(path))
    if _is_coding_sheet(text):
        return _sheet_labels(path)
    valid = set(load_codebook().ids)
    labels: dict[LabelKey, str] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = {"report_id", "label", "text"} - set(reader.fieldnames or ())
        if missing:
            raise ConfigError(f"{path}: missing columns {sorted(missing)}; expected {', '.join(LABEL_COLUMNS)}")
        for row in reader:
            key, label = _label_row(row, path, reader.line_num, valid)
            if labels.get(key, label) != label:
                raise ConfigError(f"{path}:{reader.line_num}: sentence labelled both {labels[key]!r} and {label!r}")
            labels[key] = label
    except csv.Error as exc:
        raise ConfigError(f"{path}:{reader.line_num}: not a readable CSV ({exc})") from exc
    return labels


def _label_row(row: dict, path: Path, line: int, valid: set[str]) -> tuple[LabelKey, str]:
    """The key and label of one CSV row, checked."""
    # DictReader fills the columns a short row lacks with None
    if any(row.get(column) is None for column in ("report_id", "label", "text")):
        raise ConfigError(f"{path}:{line}: row has {sum(v is not None for v in row.values())} fields, too few")
    label = row["label"].strip()
    if not label:
        raise ConfigError(f"{path}:{line}: empty label (code or adjudicate this sentence, or drop the row)")
    if label not in valid:
        raise ConfigError(f"{path}:{line}: unknown label {label!r}; valid: {', '.join(sorted(valid))}")
    return (row["report_id"], row["text"]), label


def _is_coding_sheet(text: str) -> bool:
    """A CSV coding sheet (``#`` lines or ``label_<coder>`` columns and no ``label``), from its decoded text."""
    first = text.split("\n", 1)[0]
    if first.lstrip('"').startswith("#"):
        return True
    header = next(csv.reader([first]), [])
    return "label" not in header and any(h.startswith("label_") for h in header)


def _sheet_labels(path: Path) -> dict[LabelKey, str]:
    """The final codes of a coding sheet (:mod:`nlp.classify.coding`): its ``label`` column, or its only coder's."""
    from nlp.classify.coding import read_codes

    labels: dict[LabelKey, str] = {}
    for row, label in read_codes(path).final():
        key = (row.report_id, row.text)
        if labels.get(key, label) != label:
            raise ConfigError(f"{path}:{row.line}: sentence labelled both {labels[key]!r} and {label!r}")
        labels[key] = label
    return labels


def labels_for(reports: Iterable[Report], labels: dict[LabelKey, str], allow_missing: bool = False) -> list:
    """The label of every sentence of ``reports``, in order.

    With ``allow_missing`` a sentence without a label gets ``None`` (reports
    of which only a sample was coded) instead of an error.

    Raises
    ------
    ConfigError
        If any sentence has no label (the message names how many and the first).
    """
    found, missing = [], []
    by_report: dict[str, list[tuple[str, str]]] = {}
    for (report_id, text), label in labels.items():
        by_report.setdefault(report_id, []).append((text, label))
    for report in reports:
        for sentence in report.sentences:
            label = labels.get((report.report_id, sentence.text))
            if label is None:
                label = relabel_resegmented(sentence.text, by_report.get(report.report_id, ()))
            if label is None:
                missing.append(f"{report.report_id}#{sentence.index} {sentence.text[:30]}")
            found.append(label)
    if missing and not allow_missing:
        raise ConfigError(f"{len(missing)} sentences have no label, first: {missing[0]}")
    return found


def relabel_resegmented(text: str, coded: Sequence[tuple[str, str]]) -> str | None:
    """The label of a sentence that segmentation has changed since it was coded, or ``None``.

    A sentence made of coded pieces (two lines a layout had broken, now
    joined) takes the label of its longest piece; a piece of a coded sentence
    (one sentence now split in two) takes that sentence's label.  Either way
    the coded text must cover at least half of the new sentence, so a label
    is never carried to a sentence it does not describe.

    Examples
    --------
    >>> coded = [("我代表区政府报告工", "general"), ("作，请予审议。", "general"), ("抓好防疫。", "epidemic")]
    >>> relabel_resegmented("我代表区政府报告工作，请予审议。", coded)
    'general'
    >>> relabel_resegmented("抓好防疫", coded), relabel_resegmented("抓好", coded) is None
    ('epidemic', True)
    """
    pieces = [(len(t), label) for t, label in coded if t in text]
    if pieces and sum(n for n, _ in pieces) * 2 >= len(text):
        return max(pieces)[1]
    wholes = [label for t, label in coded if text in t and len(text) * 2 >= len(t)]
    return wholes[0] if wholes else None


def write_labels(path: str | Path, reports: Iterable[Report], labels: Sequence[str]) -> None:
    """Write labels for the sentences of ``reports`` in the label-file format."""
    rows = ((r.report_id, s.index, s.text) for r in reports for s in r.sentences)
    with atomic_write(path) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(LABEL_COLUMNS)
        for (report_id, index, text), label in zip(rows, labels, strict=True):
            writer.writerow([report_id, index, label, text])


@lru_cache(maxsize=4)
def load_heading_rules(path: str | None = None) -> tuple[tuple[str, str], ...]:
    """``(category, regex)`` pairs of the heading rules file."""
    source = Path(path) if path else resource_path(HEADING_RULES_FILE)
    data = json.loads(source.read_text(encoding="utf-8"))
    valid = set(load_codebook().ids)
    rules = tuple((r["category"], r["pattern"]) for r in data["rules"])
    unknown = {c for c, _ in rules} - valid
    if unknown:
        raise ConfigError(f"{source}: rules name unknown categories {sorted(unknown)}")
    return rules


class HeadingRuleLabeler(HeadingRules, ClassifierMixin, BaseEstimator):
    """Label sentences from their headings with hand-written word rules (weak labels).

    A heading or an ``一是…`` item lead is labelled from its own text; any
    other sentence from its nearest heading that a rule matches, walking up
    the heading path.  Within one heading the earliest matching word wins.
    Without any match the label is ``default``.  ``fit`` learns nothing; the
    estimator interface lets it sit beside trained models in evaluations.

    Parameters
    ----------
    rules : str or None, default=None
        Path of a rules JSON; ``None`` uses ``nlp/resources/heading_rules.json``.
    default : str, default="general"

    Examples
    --------
    >>> labeler = HeadingRuleLabeler().fit()
    >>> labeler.predict([{"text": "成立领导小组。", "heading": "一、工作总结 > （一）疫情防控精准防治"}]).tolist()
    ['epidemic']
    """

    def __init__(self, rules: str | None = None, default: str = "general"):
        self.rules = rules
        self.default = default

    def fit(self, X=None, y=None):
        rules = load_heading_rules(self.rules)
        self.classes_ = np.asarray(load_codebook().ids)
        if self.default not in self.classes_:
            raise ValueError(f"default must be a codebook category, got {self.default!r}")
        self.rules_ = list(rules)  # pattern strings, not compiled regexes: they persist safely
        return self

    def label_heading(self, heading: str) -> str | None:
        """The category of one heading text, or ``None`` if no rule matches."""
        check_is_fitted(self, "rules_")
        return self._label_heading(heading)  # predict_one and predict: nlp.classify.inference.HeadingRules

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "rules_")  # NotFittedError before fit, not a default label for every sentence
        return super().predict(X)
