"""The optimised paths give exactly what the straightforward ones gave, on every shipped report.

Sections, sentence records and predictions are computed here the slow way --
with the implementations the package had before its speed work, kept below as
references -- and compared with the package's own, value for value.
"""

from __future__ import annotations

import numpy as np
import pytest

from nlp.classify.inference import FrozenClassifier
from nlp.classify.labels import default_label_files, labels_for, load_labels
from nlp.classify.persist import load_classifier, save_classifier
from nlp.classify.predict import jsonl_text, predict_sources, predict_text
from nlp.classify.training import build_classifier
from nlp.text.corpus import default_report_paths, load_corpus
from nlp.text.records import CONTEXT_SEPARATOR, sentence_records
from nlp.text.sentences import HEADING_SEPARATOR, lead_clause
from nlp.text.structure import ITEM_RE, Section, build_sections, find_headings
from nlp.text.tokenize import set_backend

from .helpers import SEED_FILES


@pytest.fixture(scope="module")
def reports():
    reports = load_corpus(default_report_paths())
    assert len(reports) > 60  # the seeds and the external reports
    return reports


def reference_sections(text, headings) -> list[Section]:
    """``build_sections`` as it was: the end of each section by a scan of all later headings."""
    sections, stack = [], []
    for i, heading in enumerate(headings):
        while stack and stack[-1][0].level >= heading.level:
            stack.pop()
        part = heading.part or (stack[-1][1] if stack else "review")
        end = next((h.start for h in headings[i + 1 :] if h.level <= heading.level), len(text))
        path = (*tuple(h.title for h, _ in stack), heading.title)
        sections.append(Section(heading.level, heading.title, heading.start, end, part, path))
        stack.append((heading, part))
    return sections


def reference_records(reports) -> list[dict]:
    """``sentence_records`` as it was: every context joined anew for every sentence."""
    records = []
    for report in reports:
        on_path, below = {}, {}
        for sentence in report.sentences:
            path = sentence.heading_path
            on_path.setdefault(path, []).append(sentence.text)
            for depth in range(1, len(path) + 1):
                below.setdefault(path[:depth], []).append(sentence.text)
        for sentence in report.sentences:
            is_item_lead = not sentence.is_heading and ITEM_RE.match(sentence.text) is not None
            if sentence.is_heading or is_item_lead:
                title = sentence.text.rstrip("。！？!?：:，,；;") if sentence.is_heading else lead_clause(sentence.text)
                context = CONTEXT_SEPARATOR.join(below.get((*sentence.heading_path, title), ()))
            else:
                context = CONTEXT_SEPARATOR.join(on_path[sentence.heading_path])
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


def test_sections_are_those_of_the_quadratic_scan(reports):
    for report in reports:
        headings = find_headings(report.text)
        assert build_sections(report.text, headings) == reference_sections(report.text, headings) == report.sections


def test_records_are_those_joined_per_sentence(reports):
    assert sentence_records(reports) == reference_records(reports)


def test_one_long_report_gives_the_records_and_sections_of_the_slow_way(reports):
    # the seeds concatenated: one long report whose sections recur, where per-sentence joins were quadratic
    from nlp.text.corpus import parse_text

    text = "".join(path.read_text(encoding="utf-8") for path in SEED_FILES) * 3
    report = parse_text(text, "long")
    assert report.sections == reference_sections(report.text, find_headings(report.text))
    assert sentence_records([report]) == reference_records([report])


@pytest.mark.slow
def test_a_jieba_model_predicts_identically_with_rjieba_and_in_pieces(reports, tmp_path, monkeypatch):
    pytest.importorskip("rjieba")
    records = reference_records(reports)
    classifier = build_classifier()
    set_backend(classifier, "jieba")
    classifier.fit(sentence_records(reports), labels_for(reports, load_labels(default_label_files())))
    with_jieba = classifier.predict_proba(records)
    set_backend(classifier, "rjieba")
    with_rjieba = classifier.predict_proba(records)
    assert np.array_equal(with_jieba, with_rjieba)  # bit for bit, not approximately
    # report by report (as `predict` batches them) gives the same scores as one call
    by_report = np.vstack([classifier.predict_proba(sentence_records([r])) for r in reports])
    assert np.array_equal(by_report, with_jieba)
    # the command-line path: one report split into pieces across workers
    sources = [str(reports[0].raw.path), str(reports[-1].raw.path)]
    sequential = list(predict_sources(classifier, sources, n_jobs=1))
    monkeypatch.setattr("nlp.classify.predict.MIN_PIECE", 20)
    assert list(predict_sources(classifier, sources, n_jobs=2)) == sequential
    for n_jobs in (1, 2):  # text formatted where the rows are labelled: the rows' own JSON lines
        assert "".join(predict_text(classifier, sources, jsonl_text, n_jobs=n_jobs)) == jsonl_text(sequential)
    n = len(reports[0].sentences)
    assert [row["label"] for row in sequential[:n]] == list(classifier.classes_[with_jieba[:n].argmax(axis=1)])


def test_a_model_loaded_for_prediction_gives_the_estimators_scores_bit_for_bit(reports, tmp_path):
    # `predict` rebuilds the model without scikit-learn (nlp.classify.frozen); the arithmetic must be the same
    training = reports[:3]
    labels = labels_for(training, load_labels(default_label_files()))
    classifier = build_classifier().fit(sentence_records(training), labels)
    path = save_classifier(classifier, tmp_path / "model.skops")
    frozen = load_classifier(path, for_prediction=True)
    assert isinstance(frozen, FrozenClassifier)
    records = sentence_records(reports)
    texts = [r["text"] for r in records]
    text = "".join(p.read_text(encoding="utf-8") for p in SEED_FILES) * 3
    from nlp.text.corpus import parse_text

    long_report = sentence_records([parse_text(text, "long")])
    for inputs in (records, texts, long_report, records[:1], ["", "X"]):
        assert np.array_equal(frozen.predict_proba(inputs), classifier.predict_proba(inputs))
    sources = [str(reports[0].raw.path), str(reports[-1].raw.path)]
    assert list(predict_sources(frozen, sources)) == list(predict_sources(classifier, sources))
