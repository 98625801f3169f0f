"""Policy-attention experiment: category shares per township, review vs plan, with intervals.

On the seeds the labels are the hand-coded ones.  With ``compare_predicted``
the experiment also profiles the reports with leave-one-report-out
predictions of the default classifier -- what a researcher without hand
labels would get -- and reports how far those shares fall from the
hand-coded ones.
"""

from __future__ import annotations

import numpy as np

from ..attention import attention_profiles, format_share, label_reports, markdown_table, shifts
from ..codebook import load_codebook
from ..evaluate import leave_one_report_out
from ..labels import labels_for, load_labels
from ..plotting import (
    category_label,
    plot_heatmap,
    plot_shares_with_intervals,
    plot_stacked_shares,
    save_figure,
)
from ..records import sentence_records
from ..results import ResultsDir
from ..training import build_classifier
from . import load_reports


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    reports = load_reports(config, progress)
    hand = load_labels(config.get("labels"))
    n_boot, seed = config.get("n_bootstrap", 1000), config.get("seed", 0)
    profiles = attention_profiles(label_reports(reports, hand_labels=hand), n_boot=n_boot, seed=seed)
    metrics = write_outputs(out, profiles)
    if config.get("compare_predicted", True):
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


def write_outputs(out: ResultsDir, profiles) -> dict:
    """Tables, figures and the metrics dict of a set of attention profiles (also used by the CLI)."""
    categories = list(load_codebook().ids)
    rows = [row for p in profiles for row in p.rows()]
    out.write_csv("attention_long.csv", rows)
    shift_rows = shifts(profiles)
    out.write_csv("review_plan_shift.csv", shift_rows)
    whole = [p for p in profiles if p.part == "all"]
    out.write_text("attention_table.md", markdown_table(profiles, "all", "sentence"))
    out.write_text("attention_table_characters.md", markdown_table(profiles, "all", "character"))
    wide = [
        {
            "township": p.township,
            "years": p.years,
            "n_sentences": p.n_sentences,
            **{c: format_share(p.sentence_share[c], p.sentence_ci95[c]) for c in categories},
        }
        for p in whole
    ]
    out.write_csv("attention_table.csv", wide, ["township", "years", "n_sentences", *categories])
    _figures(out, profiles, shift_rows, categories)
    return {
        "label_source": sorted({p.label_source for p in profiles}),
        "reports": {
            p.township: {
                "report_id": p.report_id,
                "years": p.years,
                "n_sentences": p.n_sentences,
                "n_characters": p.n_characters,
                "sentence_share": {c: round(v, 4) for c, v in p.sentence_share.items()},
                "sentence_ci95": {c: [round(a, 4), round(b, 4)] for c, (a, b) in p.sentence_ci95.items()},
                "character_share": {c: round(v, 4) for c, v in p.character_share.items()},
            }
            for p in whole
        },
        "review_plan_shift_pp": {
            township: {r["category"]: r["shift_pp"] for r in shift_rows if r["township"] == township}
            for township in dict.fromkeys(r["township"] for r in shift_rows)
        },
    }


def _figures(out: ResultsDir, profiles, shift_rows, categories) -> None:
    whole = [p for p in profiles if p.part == "all"]
    label = {p.report_id: f"{p.township}\n{p.years}" for p in whole}
    stacked = {label[p.report_id]: p.sentence_share for p in whole}
    title = "各乡镇注意力分配：句子占比 (attention: share of sentences by category)"
    save_figure(plot_stacked_shares(stacked, title, "句子占比 (share of sentences)"), out.path("attention_stacked"))
    by_part = {
        f"{p.township} {'总结' if p.part == 'review' else '计划'}": p.sentence_share
        for p in profiles
        if p.part in ("review", "plan")
    }
    title = "总结与计划的注意力分配 (attention in review vs plan)"
    save_figure(
        plot_stacked_shares(by_part, title, "句子占比 (share of sentences)"), out.path("review_vs_plan_stacked")
    )
    matrix = np.array([[100 * p.sentence_share[c] for c in categories] for p in whole])
    names = [category_label(c, "zh") for c in categories]
    save_figure(
        plot_heatmap(
            matrix,
            [p.township for p in whole],
            names,
            "注意力分配热图 (share of sentences, %)",
            cell_format="{:.0f}",
            colorbar_label="% 句子 (sentences)",
        ),
        out.path("attention_heatmap"),
    )
    intervals = {p.township: {c: (p.sentence_share[c], *p.sentence_ci95[c]) for c in categories} for p in whole}
    title = "注意力分配及95%置信区间 (shares with 95% bootstrap intervals)"
    save_figure(
        plot_shares_with_intervals(intervals, categories, title, "句子占比 (share of sentences)"),
        out.path("attention_intervals"),
    )
    townships = list(dict.fromkeys(r["township"] for r in shift_rows))
    if townships:
        shift = np.array(
            [
                [
                    next(r["shift_pp"] for r in shift_rows if r["township"] == t and r["category"] == c)
                    for c in categories
                ]
                for t in townships
            ]
        )
        save_figure(
            plot_heatmap(
                shift,
                townships,
                names,
                "从总结到计划的注意力变化 (plan minus review, percentage points)",
                cell_format="{:+.0f}",
                colorbar_label="百分点 (pp)",
                diverging=True,
            ),
            out.path("review_plan_shift"),
        )
