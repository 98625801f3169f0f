"""Score a trained model against a hand-coded sample of your own reports.

:func:`evaluate_coded` labels the coded sentences with the model and
reports macro-F1, accuracy, Cohen's kappa, per-class precision/recall/F1,
the confusion matrix and the expected calibration error of the scores,
with 95% bootstrap intervals over sentences *and* over reports (resampling
whole documents, whose sentences are not independent).  It is honest only
if the model never saw the coded reports: sentences of reports the model
was trained on (by the SHA-256 of the report file in its model card) are
counted and flagged.

Draw the sample with ``python -m nlp sample --strategy stratified`` so it is
self-weighting: plain figures on it then estimate those of the whole corpus.
An uncertainty (active-learning) sample is biased towards hard sentences and
understates accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp.classify.codebook import load_codebook
from nlp.classify.coding import CodeSheet, locate
from nlp.classify.evaluate import GroupedResult, place_groups, summarize_grouped
from nlp.core.errors import ConfigError
from nlp.text.records import sentence_records

__all__ = ["evaluate_coded", "markdown_report"]


def evaluate_coded(classifier, reports: Sequence, sheet: CodeSheet, n_boot: int = 1000, seed: int = 0) -> dict:
    """Held-out metrics of ``classifier`` on the coded sentences of ``reports``.

    Parameters
    ----------
    classifier : fitted PolicyClassifier
    reports : sequence of Report
        The reports the coded sentences come from.
    sheet : CodeSheet
        Codes read by :func:`nlp.classify.coding.read_codes` (its ``label`` column, or its only coder's).

    Returns
    -------
    dict
        :func:`nlp.classify.evaluate.summarize_grouped` figures (``macro_f1``,
        ``macro_f1_ci95``, ``macro_f1_ci95_reports``, ``accuracy`` …, ``ece``,
        ``per_class``, ``confusion``, ``per_report``) plus ``seen_in_training``
        (coded reports the model was trained on) and ``predictions``.

    Raises
    ------
    ConfigError
        If a row does not match the reports, a row has no code, or all codes
        are one category.
    """
    coded = sheet.final()
    if not coded:
        raise ConfigError(f"{sheet.path}: no coded rows")
    categories = {code for _, code in coded}
    if len(categories) < 2:
        raise ConfigError(
            f"{sheet.path}: every code is {categories.pop()!r}; macro-F1 needs codes of at least two categories"
        )
    records = sentence_records(reports)
    positions = locate([row for row, _ in coded], records, sheet.path)
    X = [records[k] for k in positions]
    y = np.array([code for _, code in coded])
    report_ids = np.array([r["report_id"] for r in X])
    group_of = dict(zip((r.report_id for r in reports), place_groups(reports), strict=True))
    groups = np.array([group_of[r] for r in report_ids])
    proba_model = np.asarray(classifier.predict_proba(X))
    classes = sorted(set(load_codebook().ids) | {str(c) for c in classifier.classes_})
    proba = np.zeros((len(X), len(classes)))
    proba[:, [classes.index(str(c)) for c in classifier.classes_]] = proba_model
    y_pred = np.asarray(classes)[proba.argmax(axis=1)]
    result = GroupedResult(y_pred=y_pred, proba=proba, classes=classes)
    # macro-F1 over the categories coded or predicted: a small sample need not hold every category
    present = [c for c in load_codebook().ids if c in categories or c in set(y_pred)]
    summary = summarize_grouped(y, result, present, groups, report_ids, n_boot=n_boot, seed=seed)
    trained = {r["sha256"] for r in (getattr(classifier, "model_card_", None) or {}).get("training_reports", [])}
    seen = sorted({r.report_id for r in reports if r.raw.sha256 in trained} & set(report_ids))
    summary["seen_in_training"] = seen
    summary["n_seen_in_training"] = int(np.isin(report_ids, seen).sum())
    summary["categories_coded"] = sorted(categories)
    summary["predictions"] = [
        {
            "report_id": x["report_id"],
            "index": x["index"],
            "text": x["text"],
            "label": code,
            "predicted": predicted,
            "score": round(float(p.max()), 4),
            "correct": code == predicted,
        }
        for x, code, predicted, p in zip(X, y, y_pred, proba, strict=True)
    ]
    return summary


def markdown_report(summary: dict, model: str = "", labels: str = "") -> str:
    """The evaluation as a Markdown report: headline figures, per-class table, calibration, caveats."""
    names = load_codebook().label_names("both")
    low, high = summary["macro_f1_ci95"]
    r_low, r_high = summary["macro_f1_ci95_reports"]
    a_low, a_high = summary["accuracy_ci95"]
    ar_low, ar_high = summary["accuracy_ci95_reports"]
    lines = ["# Evaluation on a hand-coded sample", ""]
    if model or labels:
        lines += [f"Model `{model}`, codes `{labels}`.", ""]
    lines += [
        f"{summary['n']} coded sentences from {summary['n_reports']} reports ({summary['n_groups']} places).",
        "",
        "| measure | value | 95% interval over sentences | 95% interval over reports |",
        "|---|---|---|---|",
        f"| macro-F1 | **{summary['macro_f1']:.3f}** | {low:.3f}–{high:.3f} | {r_low:.3f}–{r_high:.3f} |",
        f"| accuracy | {summary['accuracy']:.3f} | {a_low:.3f}–{a_high:.3f} | {ar_low:.3f}–{ar_high:.3f} |",
        f"| Cohen's kappa (model vs codes) | {summary['kappa']:.3f} | | |",
        f"| expected calibration error | {summary['ece']:.3f} | | |",
        "",
        f"Macro-F1 averages the {len(summary['per_class'])} categories coded or predicted in the sample.",
        "",
        "| category | precision | recall | F1 | coded |",
        "|---|---|---|---|---|",
    ]
    for category, s in summary["per_class"].items():
        lines.append(
            f"| {names.get(category, category)} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
            f"| {s['support']} |"
        )
    if summary["seen_in_training"]:
        lines += [
            "",
            f"**Not a held-out figure**: {summary['n_seen_in_training']} of the coded sentences come from "
            f"reports the model was trained on ({', '.join(summary['seen_in_training'])}).",
        ]
    return "\n".join(lines) + "\n"
