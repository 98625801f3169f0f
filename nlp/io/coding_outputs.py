"""Results-folder outputs of hand-coding: agreement between coders, and a model checked against a coded sample.

Written by the ``agreement`` and ``evaluate`` commands (and notebook 05).
"""

from __future__ import annotations

from collections.abc import Sequence

from nlp.classify.agreement import Codes, markdown
from nlp.classify.codebook import load_codebook
from nlp.classify.coding import label_column
from nlp.classify.validate import markdown_report
from nlp.io.plotting import plot_confusion, plot_heatmap, plot_per_class_f1, plot_reliability, save_figure

__all__ = ["write_agreement", "write_evaluation"]


def write_agreement(out, result: dict, coders: dict[str, Codes], sentences: dict, categories: Sequence[str]) -> None:
    """Write ``agreement.json``/``.md``, each pair's confusion matrix (CSV and figure), disagreements and ``coded.csv``.

    ``coded.csv`` is a label file of every coded sentence: the agreed code,
    or the only coder's, and an empty ``label`` where coders disagree --
    those rows, with every coder's code, are also in ``disagreements.csv``.
    Fill the empty labels to adjudicate, then pass ``coded.csv`` to
    ``train --labels`` or ``evaluate --labels``.
    """
    names = list(coders)
    brief = {k: v for k, v in result.items() if k != "disagreements"}
    brief["n_disagreements"] = len(result["disagreements"])
    out.write_json("agreement.json", brief)
    out.write_text(
        "agreement.md", "# Inter-coder agreement\n\n" + markdown(result, load_codebook().label_names("both"))
    )
    for pair in result["pairs"]:
        if not pair["n"]:
            continue
        first, second = pair["coders"]
        stem = f"confusion_{first}_vs_{second}"
        rows = [
            {f"{first} \\ {second}": c, **dict(zip(categories, row, strict=True))}
            for c, row in zip(categories, pair["confusion"], strict=True)
        ]
        out.write_csv(f"{stem}.csv", rows)
        title = f"编码员混淆矩阵 (coder × coder): {first} vs {second}, κ = {pair.get('kappa') or float('nan'):.3f}"
        fig = plot_heatmap(pair["confusion"], categories, categories, title, f"{second}", f"{first}", "{:.0f}")
        save_figure(fig, out.path(stem))
    columns = ["report_id", "index", "text", *map(label_column, names), "label", "note"]
    disagreements = []
    for item in result["disagreements"]:
        key = tuple(item["key"])
        codes = {label_column(n): item["codes"][n] or "" for n in names}
        disagreements.append({**sentences[key], **codes, "label": "", "note": ""})
    out.write_csv("disagreements.csv", disagreements, columns)
    disputed = {tuple(item["key"]) for item in result["disagreements"]}
    coded = []
    for key, sentence in sentences.items():
        codes = [coders[n][key] for n in names if key in coders[n]]
        if not codes:
            continue
        label = "" if key in disputed else codes[0]
        coded.append({**sentence, "label": label, **{label_column(n): coders[n].get(key, "") for n in names}})
    out.write_csv("coded.csv", coded, ["report_id", "index", "label", "text", *map(label_column, names)])


def write_evaluation(out, summary: dict, model: str = "", labels: str = "") -> None:
    """``metrics.json``, ``report.md``, per-class, confusion and prediction CSVs, and three figures."""
    categories = summary["confusion"]["labels"]
    brief = {k: v for k, v in summary.items() if k not in ("predictions",)}
    out.write_json("metrics.json", brief)
    out.write_text("report.md", markdown_report(summary, model, labels))
    per_class = [{"category": c, **s} for c, s in summary["per_class"].items()]
    out.write_csv("per_class.csv", per_class, ["category", "precision", "recall", "f1", "support"])
    matrix = summary["confusion"]["matrix"]
    out.write_csv(
        "confusion.csv",
        [
            {"coded \\ predicted": c, **dict(zip(categories, row, strict=True))}
            for c, row in zip(categories, matrix, strict=True)
        ],
    )
    out.write_csv("predictions.csv", summary["predictions"])
    title = f"混淆矩阵 (confusion matrix): coded vs predicted, macro-F1 {summary['macro_f1']:.3f}"
    save_figure(plot_confusion(matrix, categories, title), out.path("confusion"))
    title = f"可靠性图 (reliability): ECE {summary['ece']:.3f}"
    save_figure(plot_reliability(summary["reliability"], title), out.path("reliability"))
    scores = {"model": {c: s["f1"] for c, s in summary["per_class"].items()}}
    save_figure(
        plot_per_class_f1(scores, categories, "各类别F1 (per-class F1) on the coded sample"), out.path("per_class_f1")
    )
