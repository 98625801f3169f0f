"""Policy-attention experiment: category shares per township, review vs plan, with intervals.

On the seeds the labels are the hand-coded ones.  With ``compare_predicted``
the experiment also profiles the reports with leave-one-report-out
predictions of the default classifier -- what a researcher without hand
labels would get -- and reports how far those shares fall from the
hand-coded ones.
"""

from __future__ import annotations

import numpy as np

from nlp.analysis.attention import attention_profiles
from nlp.classify.evaluate import leave_one_report_out
from nlp.classify.labels import labels_for, load_labels
from nlp.classify.predict import label_reports
from nlp.classify.training import build_classifier
from nlp.experiments import load_reports
from nlp.io.attention_outputs import write_attention_outputs
from nlp.io.results import ResultsDir
from nlp.text.records import sentence_records

__all__ = ["run"]


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    reports = load_reports(config.reports, config.cache, progress)
    hand = load_labels(config.labels)
    n_boot, seed = config.n_bootstrap, config.seed
    profiles = attention_profiles(label_reports(reports, hand_labels=hand), n_boot=n_boot, seed=seed)
    metrics = write_attention_outputs(out, profiles)
    if config.compare_predicted:
        metrics["predicted_vs_hand_coded"] = _compare_predicted(reports, hand, profiles, n_boot, seed)
    out.write_json("metrics.json", metrics)
    return metrics


def _compare_predicted(reports, hand, hand_profiles, n_boot, seed) -> dict:
    """Shares from leave-one-report-out predictions against the hand-coded shares."""
    records = sentence_records(reports)
    y = labels_for(reports, hand)
    groups = [r["report_id"] for r in records]
    predicted = leave_one_report_out(build_classifier(), records, y, groups).y_pred
    offset, labelled = 0, []
    for report in reports:
        n = len(report.sentences)
        labelled.append((report, list(predicted[offset : offset + n]), ["predicted"] * n))
        offset += n
    predicted_profiles = attention_profiles(labelled, parts=("all",), n_boot=50, seed=seed)
    hand_all = {p.report_id: p for p in hand_profiles if p.part == "all"}
    per_report = {}
    for p in predicted_profiles:
        diffs = [100 * abs(p.sentence_share[c] - hand_all[p.report_id].sentence_share[c]) for c in p.sentence_share]
        per_report[p.township] = {
            "mean_abs_diff_pp": round(float(np.mean(diffs)), 2),
            "max_abs_diff_pp": round(max(diffs), 2),
        }
    return {
        "labels": "leave-one-report-out predictions of the default classifier (logreg)",
        "per_report": per_report,
        "mean_abs_diff_pp": round(float(np.mean([v["mean_abs_diff_pp"] for v in per_report.values()])), 2),
    }
