"""Scoring a model against a coded sample; training on partly coded reports with label provenance."""

import csv

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from nlp.classify.active_learning import loop_model
from nlp.classify.coding import read_codes
from nlp.classify.labels import labels_for, load_labels
from nlp.classify.training import train_classifier
from nlp.classify.validate import evaluate_coded, markdown_report
from nlp.core.errors import ConfigError
from nlp.text.corpus import load_corpus
from nlp.text.records import sentence_records
from tests.helpers import ROOT, SEEDS

EXTERNAL = ROOT / "seeds" / "external"


@pytest.fixture(scope="module")
def seeds():
    return load_corpus(SEEDS)


@pytest.fixture(scope="module")
def external():
    return load_corpus(sorted((EXTERNAL / "raw").glob("*.txt"))[:12])


@pytest.fixture(scope="module")
def model(seeds):
    return loop_model().fit(sentence_records(seeds), labels_for(seeds, load_labels()))


def _coded(path, reports, keep=None):
    labels = labels_for(reports, load_labels(EXTERNAL / "labels.csv"))
    rows = [(r.report_id, s.index, "", s.text) for r in reports for s in r.sentences]
    rows = [(row[0], row[1], label, row[3]) for row, label in zip(rows, labels, strict=True)]
    rows = rows if keep is None else [rows[k] for k in keep]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["report_id", "index", "label", "text"])
        writer.writerows(rows)
    return path, [row[2] for row in rows]


def test_evaluation_matches_sklearn_and_carries_document_intervals(tmp_path, external, model):
    path, y = _coded(tmp_path / "coded.csv", external)
    summary = evaluate_coded(model, external, read_codes(path), n_boot=200)
    predicted = model.predict(sentence_records(external))
    present = sorted(set(y) | set(predicted))
    assert summary["n"] == len(y) and summary["n_reports"] == 12
    assert summary["accuracy"] == pytest.approx(accuracy_score(y, predicted))
    assert summary["macro_f1"] == pytest.approx(f1_score(y, predicted, labels=present, average="macro"))
    low, high = summary["macro_f1_ci95_reports"]
    assert low <= summary["macro_f1"] <= high
    assert (high - low) >= (summary["macro_f1_ci95"][1] - summary["macro_f1_ci95"][0]) * 0.5
    assert 0 <= summary["ece"] <= 1 and summary["seen_in_training"] == []
    assert np.array(summary["confusion"]["matrix"]).sum() == len(y)
    report = markdown_report(summary)
    assert "interval over reports" in report and "macro-F1" in report


def test_coded_reports_the_model_was_trained_on_are_flagged(tmp_path, seeds):
    trained = train_classifier(seeds[:2], evaluate=False)
    labels = labels_for(seeds[:1], load_labels())
    path = tmp_path / "seed.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["report_id", "index", "label", "text"])
        writer.writerows(
            [(seeds[0].report_id, s.index, y, s.text) for s, y in zip(seeds[0].sentences, labels, strict=True)]
        )
    summary = evaluate_coded(trained, seeds, read_codes(path), n_boot=50)
    assert summary["seen_in_training"] == [seeds[0].report_id]
    assert "Not a held-out figure" in markdown_report(summary)


def test_one_category_and_empty_codes_are_refused(tmp_path, external, model):
    path, y = _coded(tmp_path / "one.csv", external, keep=[0])
    with pytest.raises(ConfigError, match="at least two categories"):
        evaluate_coded(model, external, read_codes(path))
    text = path.read_text(encoding="utf-8-sig").replace(f",{y[0]},", ",,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="no codes"):
        evaluate_coded(model, external, read_codes(path))


def test_training_on_a_coded_sample_records_both_label_sources(tmp_path, seeds, external):
    mine = external[:3]
    n = sum(len(r.sentences) for r in mine)
    path, y = _coded(tmp_path / "mine.csv", mine, keep=list(range(0, n, 2)))
    with pytest.raises(ConfigError, match="have no label"):
        train_classifier([*seeds[:2], *mine], [ROOT / "seeds" / "labels.csv", path], evaluate=False)
    trained = train_classifier([*seeds[:2], *mine], [ROOT / "seeds" / "labels.csv", path], evaluate=False, partial=True)
    card = trained.model_card_
    seed_n = sum(len(r.sentences) for r in seeds[:2])
    assert card["n_sentences"] == seed_n + len(y) and card["partial"]
    files = card["labels_files"]
    assert [(f["role"], f["sentences"]) for f in files] == [("shipped", seed_n), ("yours", len(y))]
    assert {r["report_id"]: r["sentences"] for r in card["training_reports"]}[mine[0].report_id] < len(
        mine[0].sentences
    )


def test_your_labels_win_over_shipped_ones_and_are_counted(tmp_path, seeds):
    report = seeds[3]
    shipped = labels_for([report], load_labels())
    flipped = "general" if shipped[0] != "general" else "economy"
    path = tmp_path / "mine.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["report_id", "index", "label", "text"])
        writer.writerow([report.report_id, 0, flipped, report.sentences[0].text])
    trained = train_classifier([report], [ROOT / "seeds" / "labels.csv", path], evaluate=False)
    shipped_file, mine = trained.model_card_["labels_files"]
    assert mine["sentences"] == 1 and mine["overrides"] == 1
    assert shipped_file["sentences"] == len(report.sentences) - 1
    assert trained.model_card_["class_counts"].get(flipped, 0) >= 1
