"""Topic-model experiment: unseeded NMF, codebook-seeded NMF, LDA and seeded LDA on every shipped report.

Corpus and unit.  The models are fitted on the five seed reports *and* the
external report excerpts (``external_reports``) at the configured unit --
report *sections* by default: a seed report's deepest heading sections, and
for an excerpt its text before the first heading plus each heading section
it holds (most excerpts are one or two such documents).  Sentences are too
short to show which words go together, whole reports too few (67) and too
unequal in length (a seed is ~100 sentences, an excerpt ~12).  Every
sentence is then transformed with the fitted model; sentence weights give
the topic × category matrix and, averaged per report, the report's topic
shares, which carry the report's metadata (place, level, years, genre).

Measures, for every model: NPMI coherence of the top-10 terms with sentence
co-occurrence windows, diversity of the top-25 terms, stability across 5
seeds (90% subsamples), categories matched by a distinct dominant topic, and
agreement of topic shares with the hand-coded category shares per report.

Choices made without the hand labels: the unseeded NMF's k (highest NPMI
among k >= select_k_min with diversity >= min_diversity), and the seeded
NMF's number of free topics and seed strength (highest NPMI among the
settings with diversity >= min_diversity whose every seeded topic keeps at
least ``min_seeds_kept`` of its seed terms in its top 25).
"""

from __future__ import annotations

import time
from importlib import metadata

import numpy as np

from nlp.classify.codebook import load_codebook
from nlp.classify.labels import labels_for, load_labels
from nlp.experiments import load_reports
from nlp.io.plotting import (
    category_label,
    plot_curves,
    plot_grouped_bars,
    plot_grouped_topic_shares,
    plot_heatmap,
    plot_top_terms,
    save_figure,
)
from nlp.io.results import ResultsDir, data_hashes
from nlp.text.reading import list_report_files
from nlp.topics.models import (
    LDATopicModel,
    NMFTopicModel,
    SeededLDATopicModel,
    SeededNMFTopicModel,
    topic_shares,
)
from nlp.topics.reporting import (
    COMPARISON_FIELDS,
    comparison_markdown,
    comparison_rows,
    excerpt_note,
    free_topics,
    grouped_topic_shares,
    retention_markdown,
    retention_rows,
    summary_row,
    topic_records,
)
from nlp.topics.selection import (
    TopicCorpus,
    default_nmf_npmi,
    evaluate_model,
    select_k,
    select_seeded,
)

__all__ = ["INTERVAL", "INTERVAL_SHORT", "TARGETS", "TIME_BUDGET_S", "load_topic_reports", "run"]

TIME_BUDGET_S = 180
TARGETS = {"npmi": 0.20, "diversity": 0.9, "stability": 0.85}
INTERVAL_SHORT = "95% percentile bootstrap over reports"
INTERVAL = "95% percentile bootstrap interval over reports ({n} resamples of the reports in each group)"


def load_topic_reports(config: dict, progress: bool = False):
    """Seed reports plus ``external_reports``, with the hand labels of both."""
    external = list(config.external_reports)
    paths = [config.reports, *external]
    reports = load_reports(paths, config.cache, progress)
    coded = {}
    for path in [config.labels, *config.external_labels]:
        coded.update(load_labels(path))
    return reports, labels_for(reports, coded), [*external, *config.external_labels]


def _tomotopy_version() -> str | None:
    try:
        return metadata.version("tomotopy")
    except metadata.PackageNotFoundError:
        return None


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    started = time.perf_counter()
    categories = list(load_codebook().ids)
    reports, labels, extra_inputs = load_topic_reports(config, progress)
    n_seed_reports = len(list_report_files(config.reports))
    out.extra_manifest["external_data_sha256"] = data_hashes(extra_inputs)
    out.extra_manifest["topic_libraries"] = {"tomotopy": _tomotopy_version()}
    unit = config.unit
    corpus = TopicCorpus(reports, labels, unit, categories)
    relevance, min_diversity = config.relevance, config.min_diversity
    scoring = {
        "npmi_top_n": config.npmi_top_n,
        "diversity_top_n": config.diversity_top_n,
        "stability_seeds": config.stability_seeds,
    }
    quick = {**scoring, "stability_seeds": None}  # sweeps of seeded settings skip the stability refits

    def make(k: int) -> NMFTopicModel:
        return NMFTopicModel(
            n_topics=k,
            relevance=relevance,
            min_groups=config.min_groups,
            beta_loss=config.beta_loss,
            alpha_W=config.alpha_W,
            l1_ratio=config.l1_ratio,
        )

    def make_seeded(n_free: int, strength: float) -> SeededNMFTopicModel:
        return SeededNMFTopicModel(
            n_free=n_free, seed_strength=strength, relevance=relevance, min_groups=config.min_groups
        )

    def fit(model):
        return model.fit(corpus.fit_docs, groups=corpus.fit_groups)

    # unseeded NMF: sweep k
    sweep = []
    for k in range(config.k_min, config.k_max + 1):
        row, _, _ = evaluate_model(fit(make(k)), corpus, **scoring)
        sweep.append(row)
    chosen_k, reason = select_k(sweep, config.select_k_min or len(categories), min_diversity)
    model = fit(make(chosen_k))
    chosen, W, matrix = evaluate_model(model, corpus, **scoring)

    # seeded NMF: sweep free topics and seed strength, choose without hand labels
    seeded_sweep = []
    for n_free in config.seeded_n_free:
        for strength in config.seed_strengths:
            row, _, _ = evaluate_model(fit(make_seeded(n_free, strength)), corpus, **quick)
            seeded_sweep.append({"n_free": n_free, "seed_strength": strength, **row})
    best, seeded_reason = select_seeded(seeded_sweep, min_diversity, config.min_seeds_kept)
    seeded_model = fit(make_seeded(best["n_free"], best["seed_strength"]))
    seeded, W_seeded, matrix_seeded = evaluate_model(seeded_model, corpus, **scoring)
    seeded_k = seeded["k"]

    # comparisons at the seeded model's number of topics
    same_k, _, _ = evaluate_model(fit(make(seeded_k)), corpus, **scoring)
    lda = fit(LDATopicModel(n_topics=seeded_k, relevance=relevance, random_state=0))
    lda_row, _, _ = evaluate_model(lda, corpus, **scoring)
    if _tomotopy_version() is not None:
        seeded_lda = SeededLDATopicModel(
            n_free=best["n_free"],
            seed_eta=config.seed_eta,
            iterations=config.lda_iterations,
            relevance=relevance,
        )
        seeded_lda_row, _, _ = evaluate_model(fit(seeded_lda), corpus, **scoring)
        seeded_lda_summary = {
            **summary_row(seeded_lda_row),
            "seed_retention": seeded_lda.seed_retention(config.diversity_top_n),
        }
    else:
        seeded_lda_summary = {"skipped": "tomotopy is not installed (pip install tomotopy)"}
    sentence_fit = make(chosen_k).fit(corpus.sentences, groups=corpus.sentence_reports)
    sentence_row, _, _ = evaluate_model(sentence_fit, corpus, **quick)
    reference = default_nmf_npmi(corpus.sentences, chosen_k, config.npmi_top_n)

    names, seeded_names = model.topic_names(), seeded_model.topic_names()
    retention = seeded_model.seed_retention(config.diversity_top_n)
    free = free_topics(seeded_model, seeded_names, W_seeded, corpus)
    n_boot, seed = config.n_bootstrap, config.seed
    by_year, by_genre = grouped_topic_shares(seeded_model, W_seeded, corpus, config.year, config.years, n_boot, seed)
    elapsed = time.perf_counter() - started

    comparison = {
        f"nmf_k{chosen_k}": summary_row(chosen),
        f"nmf_k{seeded_k}": summary_row(same_k),
        "seeded_nmf": summary_row(seeded),
        f"lda_k{seeded_k}": summary_row(lda_row),
        "seeded_lda": seeded_lda_summary,
    }
    targets = {
        "npmi_above_default_nmf": chosen["npmi"] > reference["npmi"],
        "seeded_npmi_at_least_0.20": seeded["npmi"] >= TARGETS["npmi"],
        "seeded_diversity_at_least_0.9": seeded["diversity"] >= TARGETS["diversity"],
        "seeded_every_substantive_category_matched": seeded["n_substantive_matched"] == len(corpus.substantive),
        "seeded_stability_at_least_0.85": seeded["stability"] >= TARGETS["stability"],
        f"runtime_under_{TIME_BUDGET_S}s": elapsed < TIME_BUDGET_S,
    }
    metrics = {
        "corpus": {
            "reports": len(reports),
            "external": len(reports) - n_seed_reports,
            "cut_off_mid_sentence": sum(bool(r.meta.truncated) for r in reports),
            "inputs": [config.reports, *config.external_reports],
        },
        "unit": unit,
        "documents": len(corpus.fit_docs),
        "sentences": len(corpus.sentences),
        "vocabulary": len(model.feature_names_),
        "settings": {k: getattr(config, k) for k in ("relevance", "min_groups", "beta_loss", "alpha_W", "l1_ratio")},
        "npmi": {
            "definition": "mean NPMI of each topic's top-10 terms, sentence co-occurrence windows, epsilon 1e-12",
            "windows": "sentences",
        },
        "matching": "category and topic are each other's dominant match (mean topic share by hand-coded category)",
        "share_agreement": (
            "per report: shares of the topics standing for the substantive categories vs the hand-coded shares "
            "of those categories among its sentences, both renormalised over the substantive categories; "
            "pearson_r over all report x category cells, mean_report_r the mean of per-report correlations, "
            "mean_abs_diff in share points"
        ),
        "sweep": [{k: v for k, v in r.items() if k != "npmi_per_topic"} for r in sweep],
        "chosen_k": chosen_k,
        "chosen_k_reason": reason,
        "chosen": {
            "npmi": chosen["npmi"],
            "npmi_per_topic": dict(zip(names, chosen["npmi_per_topic"], strict=True)),
            "diversity": chosen["diversity"],
            "stability": chosen["stability"],
            "stability_per_seed": chosen["stability_per_seed"],
            "reconstruction_error": chosen["reconstruction_error"],
            "matched_categories": {c: names[t] for c, t in chosen["matched_categories"].items()},
            "n_matched_categories": len(chosen["matched_categories"]),
            "n_categories_with_unshared_dominant_topic": chosen["unshared_dominant_topics"],
        },
        "seeded_sweep": [{k: v for k, v in r.items() if k != "npmi_per_topic"} for r in seeded_sweep],
        "seeded_choice": {"n_free": best["n_free"], "seed_strength": best["seed_strength"], "reason": seeded_reason},
        "seeded": {
            "k": seeded_k,
            "npmi": seeded["npmi"],
            "npmi_per_topic": dict(zip(seeded_names, seeded["npmi_per_topic"], strict=True)),
            "diversity": seeded["diversity"],
            "stability": seeded["stability"],
            "stability_per_seed": seeded["stability_per_seed"],
            "matched_categories": {c: seeded_names[t] for c, t in seeded["matched_categories"].items()},
            "n_substantive_matched": seeded["n_substantive_matched"],
            "share_agreement": seeded["share_agreement"],
            "seed_retention": retention,
            "missing_seed_terms": seeded_model.missing_seed_terms_,
            "free_topics": free,
        },
        "comparison": {
            **comparison,
            "nmf": {"npmi": chosen["npmi"], "diversity": chosen["diversity"]},
            "lda": {
                "npmi": lda_row["npmi"],
                "diversity": lda_row["diversity"],
                "n_matched_categories": len(lda_row["matched_categories"]),
            },
            f"nmf_fit_on_sentences_k{chosen_k}": {"npmi": sentence_row["npmi"], "diversity": sentence_row["diversity"]},
            "default_nmf_plain_jieba": {"npmi": reference["npmi"], "top_terms": reference["top_terms"]},
            "npmi_ratio_ours_to_default": chosen["npmi"] / reference["npmi"] if reference["npmi"] > 0 else None,
            "npmi_difference_ours_minus_default": chosen["npmi"] - reference["npmi"],
        },
        "shares_by_year": by_year,
        "shares_by_genre": by_genre,
        "interval": INTERVAL.format(n=n_boot),
        "excerpts": excerpt_note(len(reports), len(reports) - n_seed_reports, _year_counts(by_year)),
    }
    out.write_json("metrics.json", metrics)
    out.write_json("targets.json", targets)
    out.write_json("timing.json", {"wall_time_s": round(elapsed, 2), "time_budget_s": TIME_BUDGET_S})
    _write_tables(out, comparison, retention)
    out.write_json("topics.json", topic_records(model, names, W, corpus))
    out.write_json("seeded_topics.json", topic_records(seeded_model, seeded_names, W_seeded, corpus, retention))
    _write_figures(out, model, names, sweep, chosen_k, W, matrix, corpus)
    _write_seeded_figures(out, seeded_model, seeded_names, W_seeded, matrix_seeded, corpus, by_year, by_genre)
    return metrics


def _write_tables(out: ResultsDir, comparison: dict, retention: list[dict]) -> None:
    rows = comparison_rows(comparison)
    out.write_csv("comparison.csv", rows, COMPARISON_FIELDS)
    out.write_text("comparison.md", comparison_markdown(rows))
    table = retention_rows(retention)
    out.write_csv("seed_retention.csv", table)
    out.write_text("seed_retention.md", retention_markdown(table))


def _year_counts(by_year: list[dict]) -> dict:
    return {r["year"]: r["n_reports"] for r in by_year}


def _write_figures(out, model, names, sweep, chosen_k, W, matrix, corpus: TopicCorpus) -> None:
    ks = [r["k"] for r in sweep]
    panels = {
        "NPMI（一致性 coherence）": [r["npmi"] for r in sweep],
        "多样性 (diversity)": [r["diversity"] for r in sweep],
        "稳定性 (stability)": [r["stability"] for r in sweep],
        "重构误差 (reconstruction error)": [r["reconstruction_error"] for r in sweep],
    }
    title = f"无种子NMF主题数选择 (choosing k, unseeded NMF): k = {chosen_k}"
    save_figure(plot_curves(ks, panels, title, "主题数 k (topics)", marker_x=chosen_k), out.path("k_selection"))
    top = model.top_terms(10)
    title = "无种子NMF各主题代表词及权重 (unseeded NMF: top terms per topic, weight)"
    save_figure(plot_top_terms(top, names, title), out.path("top_terms"))
    category_rows = [category_label(c, "zh") for c in corpus.categories]
    out.write_csv(
        "topic_by_category.csv",
        [{"category": c, **dict(zip(names, matrix[i].round(4), strict=True))} for i, c in enumerate(corpus.categories)],
        ["category", *names],
    )
    save_figure(
        plot_heatmap(
            matrix,
            category_rows,
            names,
            "无种子NMF：主题 × 政策类别 (unseeded NMF: mean topic share by hand-coded category)",
            colorbar_label="平均占比 (mean share)",
        ),
        out.path("topic_by_category"),
    )


def _write_seeded_figures(out, model, names, W, matrix, corpus: TopicCorpus, by_year, by_genre) -> None:
    top = model.top_terms(10)
    title = "种子NMF各主题代表词 (seeded NMF: top terms; [category] = seeded topic)"
    save_figure(plot_top_terms(top, names, title), out.path("seeded_top_terms"))
    category_rows = [category_label(c, "zh") for c in corpus.categories]
    out.write_csv(
        "seeded_topic_by_category.csv",
        [{"category": c, **dict(zip(names, matrix[i].round(4), strict=True))} for i, c in enumerate(corpus.categories)],
        ["category", *names],
    )
    save_figure(
        plot_heatmap(
            matrix,
            category_rows,
            names,
            "种子NMF：主题 × 政策类别 (seeded NMF: mean topic share by hand-coded category)",
            colorbar_label="平均占比 (mean share)",
        ),
        out.path("seeded_topic_by_category"),
    )
    by_report = topic_shares(W, corpus.sentence_reports, skip_empty=True)
    meta = {m["report_id"]: m for m in corpus.sentence_meta}
    out.write_csv(
        "topic_shares_by_report.csv",
        [
            {
                "report_id": r,
                "township": meta[r]["township"],
                "level": meta[r]["level"],
                "years": "-".join(str(y) for y in meta[r]["years"]),
                "genre": meta[r]["genre"],
                **dict(zip(names, by_report[r].round(4), strict=True)),
            }
            for r in by_report
        ],
        ["report_id", "township", "level", "years", "genre", *names],
    )
    rows = [f"{r[:3]} {meta[r]['township']}" for r in by_report]
    save_figure(
        plot_heatmap(
            np.vstack(list(by_report.values())),
            rows,
            names,
            "种子NMF：各报告主题占比 (seeded NMF: topic share by report)",
            colorbar_label="占比 (share)",
            size=(16, 0.22 * len(rows) + 3),
            cell_format="{:.1f}",
        ),
        out.path("topic_by_report"),
    )
    by_part = topic_shares(W, [m["part"] for m in corpus.sentence_meta])
    series = {
        "工作总结 (review)": by_part.get("review", np.zeros(len(names))),
        "工作计划 (plan)": by_part.get("plan", np.zeros(len(names))),
    }
    out.write_csv(
        "topic_shares_by_part.csv",
        [{"part": p, **dict(zip(names, v.round(4), strict=True))} for p, v in by_part.items()],
        ["part", *names],
    )
    save_figure(
        plot_grouped_bars(
            series,
            names,
            "种子NMF：总结与计划中的主题占比 (seeded NMF: topic shares, review vs plan)",
            "平均占比 (mean share)",
        ),
        out.path("review_vs_plan"),
    )
    for grouping, rows in (("year", by_year), ("genre", by_genre)):
        out.write_csv(f"topic_shares_by_{grouping}.csv", [{**r, "interval": INTERVAL_SHORT} for r in rows])
        save_figure(plot_grouped_topic_shares(rows, grouping, names), out.path(f"topic_shares_by_{grouping}"))
