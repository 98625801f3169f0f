"""Results-folder outputs of attention analyses: tables, figures and metrics of profiles and of a panel.

Shared by the ``attention`` and ``panel`` commands and the ``attention`` and
``attention_panel`` experiments, so a command and an experiment write the
same files for the same profiles.
"""

from __future__ import annotations

import numpy as np

from nlp.analysis.attention import format_share, markdown_table, shifts
from nlp.analysis.panel import attention_by_year, panel_rows, regression_markdown, share_regression
from nlp.analysis.quantify import ESTIMATOR_NAMES, INTERVAL_NAMES
from nlp.analysis.share_error import KIND_NAMES, share_error_markdown
from nlp.classify.codebook import load_codebook
from nlp.io.plotting import (
    category_label,
    plot_effects,
    plot_heatmap,
    plot_interval_panels,
    plot_review_plan_shift,
    plot_shares_with_intervals,
    plot_stacked_shares,
    save_figure,
)
from nlp.io.results import ResultsDir

__all__ = ["write_attention_outputs", "write_panel_outputs", "write_share_error_outputs"]


def write_attention_outputs(out: ResultsDir, profiles) -> dict:
    """Tables, figures and the metrics dict of a set of attention profiles."""
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
    _attention_figures(out, profiles, shift_rows, categories)
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


def _attention_figures(out: ResultsDir, profiles, shift_rows, categories) -> None:
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
    if shift_rows:
        save_figure(plot_review_plan_shift(shift_rows, categories), out.path("review_plan_shift"))


def write_panel_outputs(
    out: ResultsDir,
    profiles,
    covariates: dict[str, dict],
    formulas=("year",),
    year_range=(None, None),
    min_reports: int = 10,
    seed: int = 0,
    reference=None,
    n_bootstrap: int = 0,
) -> dict:
    """The long panel, attention by year, regressions and figures of a set of profiles.

    ``n_bootstrap`` > 0 adds place-bootstrap intervals to the regressions
    (:func:`nlp.analysis.panel.share_regression`).
    """
    categories = list(load_codebook().ids)
    whole = [p for p in profiles if p.part == "all"]
    estimator = whole[0].estimator if whole else ""
    interval = whole[0].interval if whole else ""
    caption = f"{ESTIMATOR_NAMES.get(estimator, estimator)}; 95% interval: {INTERVAL_NAMES.get(interval, interval)}"
    out.write_csv("panel_long.csv", panel_rows(profiles, covariates))
    low_year, high_year = year_range
    in_range = [
        p
        for p in whole
        if covariates.get(p.report_id, {}).get("year") is not None
        and (low_year is None or covariates[p.report_id]["year"] >= low_year)
        and (high_year is None or covariates[p.report_id]["year"] <= high_year)
    ]
    present = {c: sum(1 for p in in_range if p.sentence_share[c] * p.n_sentences >= 0.5) for c in categories}
    chosen = [c for c in categories if present[c] >= min_reports]
    by_year = attention_by_year(in_range, covariates, chosen, seed)
    out.write_csv("attention_by_year.csv", by_year)
    metrics = {
        "estimator": estimator,
        "interval": interval,
        "reports_in_years": len(in_range),
        "categories": chosen,
        "reports_with_category": present,
        "regressions": {},
    }
    if by_year:
        years = sorted({r["year"] for r in by_year})
        panels = {}
        for c in chosen:
            rows = {r["year"]: r for r in by_year if r["category"] == c}
            panels[category_label(c, "zh")] = tuple(
                [rows[yv][key] if yv in rows else np.nan for yv in years] for key in ("share", "low", "high")
            )
        fig = plot_interval_panels(
            [str(yv) for yv in years],
            panels,
            f"按年份的注意力分配 (attention by year): {caption}\n"
            "点 = 该年报告的平均占比; 区间 = 报告重抽样 × 各报告占比抽样 (reports resampled × share draws)",
            "句子占比 (share)",
        )
        save_figure(fig, out.path("attention_by_year"))
    shares = {p.report_id: p.sentence_share for p in in_range}
    draws = {p.report_id: p.draws for p in in_range} if all(p.draws is not None for p in in_range) else None
    effects, all_rows = {}, []
    for formula in formulas:
        rows = share_regression(
            shares, covariates, formula, draws=draws, categories=chosen, seed=seed, n_bootstrap=n_bootstrap
        )
        for r in rows:
            r["shares"] = estimator
        all_rows += rows
        metrics["regressions"][formula] = _compact(rows)
        effects.update(
            {f"{r['term']} | ~ {formula}": {} for r in rows if r.get("term") and not r["term"].startswith("C(")}
        )
        for r in rows:
            key = f"{r.get('term')} | ~ {formula}"
            if key in effects:
                effects[key][r["category"]] = (r["ame_pp"], r["ame_low"], r["ame_high"])
        if reference is not None:
            ref_shares = {p.report_id: p.sentence_share for p in reference if p.report_id in shares}
            ref_rows = share_regression(
                ref_shares, covariates, formula, categories=chosen, seed=seed, n_bootstrap=n_bootstrap
            )
            for r in ref_rows:
                r["shares"] = "hand-coded"
            all_rows += ref_rows
            metrics["regressions"][f"{formula} [hand-coded shares]"] = _compact(ref_rows)
    out.write_csv("regression.csv", all_rows)
    text = ""
    for formula in formulas:
        for kind in (estimator, "hand-coded"):
            rows = [r for r in all_rows if r["formula"] == formula and r["shares"] == kind]
            if rows:
                name = ESTIMATOR_NAMES.get(kind, kind) if kind != "hand-coded" else "hand-coded labels (counts)"
                text += f"### share ~ {formula} — shares: {name}\n\n" + regression_markdown(rows, estimator=name) + "\n"
    out.write_text("regression.md", text)
    if effects:
        fig = plot_effects(
            effects,
            f"协变量效应 (average marginal effects, pp): {caption}\nfractional logit, 95% intervals",
            "百分点 (pp)",
        )
        save_figure(fig, out.path("covariate_effects"))
    return metrics


def _compact(rows) -> list[dict]:
    keys = (
        "category",
        "term",
        "coef",
        "coef_low",
        "coef_high",
        "ame_pp",
        "ame_low",
        "ame_high",
        "p_value",
        "ame_boot_low",
        "ame_boot_high",
        "n_boot_fits",
        "n_reports",
        "n_clusters",
        "note",
    )
    return [{k: (round(r[k], 4) if isinstance(r.get(k), float) else r.get(k)) for k in keys if k in r} for r in rows]


def write_share_error_outputs(
    out: ResultsDir, error: dict, coverage: list[dict], categories, bound=None, dispersion=None
) -> None:
    """``share_error.csv``/``.md``, ``interval_coverage.csv``, ``calibrated_bound.csv`` and the share-error figures.

    ``error``, ``coverage``, ``bound`` and ``dispersion`` come from
    :func:`nlp.analysis.share_error.share_error`, :func:`~nlp.analysis.share_error.interval_coverage`,
    :func:`~nlp.analysis.share_error.calibrated_bound` and :func:`~nlp.analysis.share_error.count_dispersion`.
    """
    tables = {"all": error["estimators"], **error.get("by_kind", {})}
    out.write_csv("share_error.csv", _share_error_rows(tables, categories))
    out.write_csv("interval_coverage.csv", coverage)
    if bound:
        rows = [
            {"reports": kind, "estimator": name, **values} for kind, t in bound.items() for name, values in t.items()
        ]
        for row in rows:
            for key in ("per_report_ci95", "ratio_to_count_ci95"):
                row[key.replace("ci95", "low")], row[key.replace("ci95", "high")] = row.pop(key)
        out.write_csv("calibrated_bound.csv", rows)
    out.write_text("share_error.md", share_error_markdown(error, categories, bound, dispersion))
    for level, title in (
        ("per_report", "各报告占比误差 (mean absolute share error per report, held-out places)"),
        ("group_mean", "全体平均占比误差 (error of the mean share over reports, held-out places)"),
    ):
        for kind, table in tables.items():
            series = {
                f"{name}: {ESTIMATOR_NAMES.get(name, name)}": {
                    c: (t[level][c], *t[level]["ci95"][c]) for c in categories
                }
                for name, t in table.items()
            }
            fig = plot_shares_with_intervals(
                series,
                categories,
                f"{title}\n{KIND_NAMES[kind]}; 95% intervals resample places",
                "误差，百分点 (error, pp)",
            )
            save_figure(fig, out.path(f"share_error_{level}" + ("" if kind == "all" else f"_{kind}")))


def _share_error_rows(tables: dict, categories) -> list[dict]:
    rows = []
    for kind, table in tables.items():
        for name, t in table.items():
            for level in ("per_report", "group_mean"):
                cells = t[level]
                rows.append(
                    {
                        "reports": kind,
                        "estimator": name,
                        "error_of": level,
                        "all": cells["all"],
                        "all_low": cells["all_ci95"][0],
                        "all_high": cells["all_ci95"][1],
                        **{c: cells[c] for c in categories},
                        **{f"{c}_low": cells["ci95"][c][0] for c in categories},
                        **{f"{c}_high": cells["ci95"][c][1] for c in categories},
                    }
                )
    return rows
