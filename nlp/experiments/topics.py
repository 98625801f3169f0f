"""Topic-model experiment: NMF with built-in evaluation and model selection, LDA for comparison.

For every k in the sweep the NMF model is fitted on the configured unit
(sections by default: sentences alone are too short to show which words go
together), sentences are transformed with it, and the experiment measures
NPMI coherence of the top-10 terms with sentence co-occurrence windows,
diversity of the top-25 terms, stability across 5 seeds, reconstruction
error and (with the hand labels, for reporting only) how many codebook
categories a distinct dominant topic matches.  k is chosen by unsupervised
criteria alone: the highest mean NPMI among the k with diversity at or above
the floor and at least as many topics as codebook categories.
"""

from __future__ import annotations

import logging
import time

import jieba
import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from ..codebook import load_codebook
from ..labels import labels_for, load_labels
from ..plotting import category_label, plot_curves, plot_grouped_bars, plot_heatmap, plot_top_terms, save_figure
from ..results import ResultsDir
from ..tokenize import JiebaTokenizer
from ..topic_metrics import (
    category_topic_matrix,
    coherence,
    diversity,
    document_sets,
    matched_categories,
    stability,
    unshared_dominant_topics,
)
from ..topics import LDATopicModel, NMFTopicModel, topic_documents, topic_shares
from . import load_reports

TIME_BUDGET_S = 60


def _terms(model, n: int) -> list[list[str]]:
    return [[t for t, _ in topic] for topic in model.top_terms(n)]


def evaluate_model(model, fit_docs, fit_groups, sentences, windows, labels, categories, config, with_stability=True):
    """Quality figures of one fitted topic model; sentence-level weights come from ``transform``."""
    top_n, div_n = config.get("npmi_top_n", 10), config.get("diversity_top_n", 25)
    per_topic = coherence(_terms(model, top_n), windows)
    W = model.transform(sentences)
    matrix = category_topic_matrix(W, labels, categories)
    row = {
        "k": model.n_topics,
        "npmi": float(np.mean(per_topic)),
        "npmi_per_topic": per_topic,
        "diversity": diversity(_terms(model, div_n)),
        "matched_categories": matched_categories(matrix, categories),
        "unshared_dominant_topics": len(unshared_dominant_topics(matrix, categories)),
    }
    if hasattr(model, "reconstruction_err_"):
        row["reconstruction_error"] = model.reconstruction_err_
    if with_stability:
        mean, per_seed = stability(model, fit_docs, fit_groups, seeds=config.get("stability_seeds", (1, 2, 3, 4, 5)))
        row["stability"], row["stability_per_seed"] = mean, per_seed
    return row, W, matrix


def select_k(rows: list[dict], min_k: int, min_diversity: float) -> tuple[int, str]:
    """The k with the highest mean NPMI among those with enough topics and diverse enough terms."""
    eligible = [r for r in rows if r["k"] >= min_k and r["diversity"] >= min_diversity]
    pool = eligible or [r for r in rows if r["k"] >= min_k] or rows
    best = max(pool, key=lambda r: (round(r["npmi"], 6), -r["k"]))
    if eligible:
        reason = (
            f"highest mean NPMI ({best['npmi']:.3f}) among k >= {min_k} (at least one topic per codebook "
            f"category possible) with top-25 diversity >= {min_diversity}; hand labels not used"
        )
    else:
        reason = f"no k >= {min_k} reached diversity {min_diversity}; highest mean NPMI among k >= {min_k}"
    return best["k"], reason


def default_nmf_npmi(sentences: list[str], k: int, top_n: int) -> dict:
    """scikit-learn's NMF with its defaults on plain jieba tokens of the same sentences (the reference)."""
    jieba.setLogLevel(logging.WARNING)
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False)
    X = vectorizer.fit_transform(sentences)
    nmf = NMF(n_components=k, random_state=0).fit(X)
    names = vectorizer.get_feature_names_out()
    top = [[str(names[j]) for j in np.argsort(-row, kind="stable")[:top_n]] for row in nmf.components_]
    windows = document_sets(sentences, vectorizer.build_analyzer())
    per_topic = coherence(top, windows)
    return {"npmi": float(np.mean(per_topic)), "npmi_per_topic": per_topic, "top_terms": top}


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    started = time.perf_counter()
    categories = list(load_codebook().ids)
    reports = load_reports(config, progress)
    labels = labels_for(reports, load_labels(config.get("labels")))
    unit = config.get("unit", "section")
    fit_docs, fit_meta = topic_documents(reports, unit)
    fit_groups = [m["report_id"] for m in fit_meta]
    sentences, sentence_meta = topic_documents(reports, "sentence")
    windows = document_sets(sentences, JiebaTokenizer())

    def make(k: int) -> NMFTopicModel:
        return NMFTopicModel(
            n_topics=k,
            relevance=config.get("relevance", 0.6),
            min_groups=config.get("min_groups", 1),
            beta_loss=config.get("beta_loss", "frobenius"),
            alpha_W=config.get("alpha_W", 0.0),
            l1_ratio=config.get("l1_ratio", 0.0),
        )

    sweep = []
    for k in range(config.get("k_min", 5), config.get("k_max", 20) + 1):
        model = make(k).fit(fit_docs, groups=fit_groups)
        row, _, _ = evaluate_model(model, fit_docs, fit_groups, sentences, windows, labels, categories, config)
        sweep.append(row)
    chosen_k, reason = select_k(sweep, config.get("select_k_min", len(categories)), config.get("min_diversity", 0.9))
    model = make(chosen_k).fit(fit_docs, groups=fit_groups)
    chosen, W, matrix = evaluate_model(model, fit_docs, fit_groups, sentences, windows, labels, categories, config)

    lda = LDATopicModel(n_topics=chosen_k, relevance=config.get("relevance", 0.6)).fit(fit_docs, groups=fit_groups)
    lda_row, _, _ = evaluate_model(lda, fit_docs, fit_groups, sentences, windows, labels, categories, config, False)
    sentence_fit = make(chosen_k).fit(sentences, groups=[m["report_id"] for m in sentence_meta])
    sentence_row, _, _ = evaluate_model(
        sentence_fit, sentences, None, sentences, windows, labels, categories, config, False
    )
    reference = default_nmf_npmi(sentences, chosen_k, config.get("npmi_top_n", 10))

    names = model.topic_names()
    elapsed = time.perf_counter() - started
    targets = {
        "npmi_above_default_nmf": chosen["npmi"] > reference["npmi"],
        "diversity_at_least_0.9": chosen["diversity"] >= 0.9,
        "categories_matched_at_least_7": len(chosen["matched_categories"]) >= 7,
        "runtime_under_60s": elapsed < TIME_BUDGET_S,
    }
    metrics = {
        "unit": unit,
        "documents": len(fit_docs),
        "sentences": len(sentences),
        "vocabulary": len(model.feature_names_),
        "settings": {k: config.get(k) for k in ("relevance", "min_groups", "beta_loss", "alpha_W", "l1_ratio")},
        "npmi": {
            "definition": "mean NPMI of each topic's top-10 terms, sentence co-occurrence windows, epsilon 1e-12",
            "windows": "sentences",
        },
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
            "matching": "category and topic are each other's dominant match (mean topic share by hand-coded category)",
            "n_categories_with_unshared_dominant_topic": chosen["unshared_dominant_topics"],
        },
        "comparison": {
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
        "targets": targets,
        "time_budget_s": TIME_BUDGET_S,
    }
    out.write_json("metrics.json", metrics)
    out.write_json("timing.json", {"wall_time_s": round(elapsed, 2)})
    _write_topics(out, model, names, W, sentences, sentence_meta)
    _write_figures(out, model, names, sweep, chosen_k, W, matrix, sentence_meta, categories)
    return metrics


def _write_topics(out: ResultsDir, model, names, W, sentences, meta) -> None:
    topics = []
    for t, (name, terms, docs) in enumerate(zip(names, model.top_terms(15), model.representative(W, 3), strict=True)):
        topics.append(
            {
                "topic": t,
                "name": name,
                "top_terms": [{"term": term, "weight": round(weight, 6)} for term, weight in terms],
                "representative_sentences": [
                    {"report_id": meta[i]["report_id"], "index": meta[i]["index"], "text": sentences[i]} for i in docs
                ],
            }
        )
    out.write_json("topics.json", topics)


def _write_figures(out, model, names, sweep, chosen_k, W, matrix, meta, categories) -> None:
    ks = [r["k"] for r in sweep]
    panels = {
        "NPMI（一致性 coherence）": [r["npmi"] for r in sweep],
        "多样性 (diversity)": [r["diversity"] for r in sweep],
        "稳定性 (stability)": [r["stability"] for r in sweep],
        "重构误差 (reconstruction error)": [r["reconstruction_error"] for r in sweep],
    }
    title = f"主题数选择 (choosing k): k = {chosen_k}"
    save_figure(plot_curves(ks, panels, title, "主题数 k (topics)", marker_x=chosen_k), out.path("k_selection"))
    top = model.top_terms(10)
    save_figure(plot_top_terms(top, names, "各主题代表词及权重 (top terms per topic, weight)"), out.path("top_terms"))

    townships = {m["report_id"]: m["township"] for m in meta}
    by_report = topic_shares(W, [m["report_id"] for m in meta])
    report_ids = list(by_report)
    rows = [f"{townships[r]}" for r in report_ids]
    matrix_reports = np.vstack([by_report[r] for r in report_ids])
    out.write_csv(
        "topic_shares_by_report.csv",
        [
            {"report_id": r, "township": townships[r], **dict(zip(names, by_report[r].round(4), strict=True))}
            for r in report_ids
        ],
        ["report_id", "township", *names],
    )
    save_figure(
        plot_heatmap(
            matrix_reports, rows, names, "各报告主题占比 (topic share by report)", colorbar_label="占比 (share)"
        ),
        out.path("topic_by_report"),
    )
    category_rows = [category_label(c, "zh") for c in categories]
    out.write_csv(
        "topic_by_category.csv",
        [{"category": c, **dict(zip(names, matrix[i].round(4), strict=True))} for i, c in enumerate(categories)],
        ["category", *names],
    )
    save_figure(
        plot_heatmap(
            matrix,
            category_rows,
            names,
            "主题 × 政策类别 (mean topic share by hand-coded category)",
            colorbar_label="平均占比 (mean share)",
        ),
        out.path("topic_by_category"),
    )
    by_part = topic_shares(W, [m["part"] for m in meta])
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
            series, names, "总结与计划中的主题占比 (topic shares: review vs plan)", "平均占比 (mean share)"
        ),
        out.path("review_vs_plan"),
    )
