"""Figures with readable Chinese text and one colour per policy category.

The CJK font comes with the project's own install: the ``mplfonts`` package
from PyPI ships Noto Sans CJK SC, which :func:`use_cjk_font` registers with
matplotlib once per process -- no system font, no ``mplfonts init`` step.
Figures are built on :class:`matplotlib.figure.Figure` (no pyplot state), so
they work the same in scripts, tests and notebooks.

Colours follow the Okabe–Ito palette, which stays distinguishable for the
common forms of colour blindness; ``general`` is grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure

from nlp.classify.codebook import load_codebook
from nlp.core.fileio import atomic_path
from nlp.text.structure import PARTS

__all__ = [
    "CATEGORY_COLORS",
    "CJK_FONT_FILE",
    "CJK_FONT_NAME",
    "FIGURE_FORMATS",
    "PART_NAMES",
    "SERIES_COLORS",
    "category_label",
    "cjk_font_path",
    "new_figure",
    "plot_confusion",
    "plot_curves",
    "plot_effects",
    "plot_grouped_bars",
    "plot_grouped_topic_shares",
    "plot_heatmap",
    "plot_interval_panels",
    "plot_learning_curves",
    "plot_per_class_f1",
    "plot_reliability",
    "plot_review_plan_shift",
    "plot_sentences_per_part",
    "plot_shares_with_intervals",
    "plot_stacked_shares",
    "plot_top_terms",
    "save_figure",
    "use_cjk_font",
]

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_NAME = "Noto Sans CJK SC"

#: One colour per category, shared by every figure (Okabe–Ito + grey).
CATEGORY_COLORS = {
    "party_building": "#D55E00",
    "epidemic": "#CC79A7",
    "poverty": "#E69F00",
    "economy": "#0072B2",
    "infrastructure": "#56B4E9",
    "environment": "#009E73",
    "welfare": "#F0E442",
    "governance": "#444444",
    "general": "#BBBBBB",
}
#: Colours for models/series that are not categories.
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#444444"]
FIGURE_FORMATS = ("png", "svg")


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font shipped by the ``mplfonts`` package."""
    try:
        from mplfonts.conf import FONT_DIR
    except ImportError as exc:  # a broken install, not a user error
        raise RuntimeError("the mplfonts package (CJK fonts) is missing; reinstall the project") from exc
    path = Path(FONT_DIR) / CJK_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"CJK font {path} is missing from the mplfonts package")
    return path


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register the packaged CJK font with matplotlib and make it the default; return its name."""
    font_manager.fontManager.addfont(str(cjk_font_path()))
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [CJK_FONT_NAME, *matplotlib.rcParams["font.sans-serif"]]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.hashsalt"] = "nlp"  # stable SVG ids, so reruns give identical files
    return CJK_FONT_NAME


def new_figure(width: float = 8.0, height: float = 5.0) -> Figure:
    """A pyplot-free figure with the CJK font active."""
    use_cjk_font()
    return Figure(figsize=(width, height), layout="constrained")


def category_label(category_id: str, language: str = "both") -> str:
    """Display name: ``"疫情防控 (Epidemic prevention)"``, or Chinese/English only."""
    return load_codebook().label_names(language).get(category_id, category_id)


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = FIGURE_FORMATS, dpi: int = 150) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically (temp file + rename); return the paths."""
    stem = Path(stem)
    written = []
    for fmt in formats:
        target = stem.with_suffix(f".{fmt}")
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        with atomic_path(target, suffix=f".{fmt}") as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        written.append(target)
    return written


def plot_heatmap(
    matrix: Sequence[Sequence[float]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    cell_format: str = "{:.2f}",
    colorbar_label: str = "",
    vmax: float | None = None,
    size: tuple[float, float] | None = None,
    annotations: Sequence[Sequence[float]] | None = None,
    diverging: bool = False,
) -> Figure:
    """Annotated heatmap (sequential colour map, darker = larger).

    Cells show ``matrix`` values, or ``annotations`` (e.g. counts behind shares) when given.
    ``diverging`` centres a purple–orange map on zero for signed values such as shifts.
    """
    matrix = np.asarray(matrix, dtype=float)
    shown = matrix if annotations is None else np.asarray(annotations, dtype=float)
    width, height = size or (max(6.0, 0.9 * len(col_labels) + 3), max(4.0, 0.45 * len(row_labels) + 2))
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    if diverging:
        top = vmax if vmax is not None else max(float(np.abs(matrix).max()) if matrix.size else 0.0, 1e-9)
        image = ax.imshow(matrix, cmap="PuOr_r", vmin=-top, vmax=top, aspect="auto")
    else:
        top = vmax if vmax is not None else (matrix.max() if matrix.size and matrix.max() > 0 else 1.0)
        image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=top, aspect="auto")
    ax.set_xticks(range(len(col_labels)), col_labels, rotation=45, ha="right")
    ax.set_yticks(range(len(row_labels)), row_labels)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if shown[i, j]:
                color = "white" if abs(matrix[i, j]) > 0.6 * top else "black"
                ax.text(j, i, cell_format.format(shown[i, j]), ha="center", va="center", color=color, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=colorbar_label)
    return fig


def plot_confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str) -> Figure:
    """Confusion matrix, rows = hand-coded, columns = predicted; shaded by row share, counts in cells."""
    counts = np.asarray(matrix, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    names = [category_label(c, "zh") for c in labels]
    return plot_heatmap(
        shares,
        names,
        names,
        title,
        xlabel="预测类别 (predicted)",
        ylabel="人工编码 (hand-coded)",
        colorbar_label="行内比例 (share of row)",
        vmax=1.0,
        size=(9, 7.5),
        annotations=counts,
        cell_format="{:.0f}",
    )


def plot_grouped_bars(
    series: dict[str, Sequence[float]],
    categories: Sequence[str],
    title: str,
    ylabel: str,
    colors: Sequence[str] | None = None,
    ylim: tuple[float, float] | None = None,
) -> Figure:
    """Grouped bars: one group per category (x), one bar per series."""
    fig = new_figure(max(8.0, 0.9 * len(categories) + 3), 5)
    ax = fig.add_subplot()
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(categories))
    colors = colors or SERIES_COLORS
    for k, (name, values) in enumerate(series.items()):
        offset = (k - (len(series) - 1) / 2) * width
        ax.bar(x + offset, list(values), width, label=name, color=colors[k % len(colors)])
    ax.set_xticks(x, list(categories), rotation=30, ha="right")
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=min(len(series), 7), fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_per_class_f1(scores: dict[str, dict[str, float]], labels: Sequence[str], title: str) -> Figure:
    """Grouped bars: F1 per category (x) for each model or baseline (series)."""
    series = {name: [per_class.get(label, 0.0) for label in labels] for name, per_class in scores.items()}
    names = [category_label(c, "zh") for c in labels]
    return plot_grouped_bars(series, names, title, "F1（留一报告交叉验证 leave-one-report-out）", ylim=(0, 1.05))


def plot_top_terms(topics: Sequence[Sequence[tuple[str, float]]], names: Sequence[str], title: str, ncols: int = 4):
    """One small horizontal bar chart of top terms per topic, all topics in one grid."""
    nrows = -(-len(topics) // ncols)
    fig = new_figure(3.2 * ncols, 2.9 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(topics):
            ax.set_axis_off()
            continue
        terms = list(topics[k])[::-1]
        ax.barh([t for t, _ in terms], [w for _, w in terms], color=SERIES_COLORS[k % len(SERIES_COLORS)])
        ax.set_title(names[k], fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle(title)
    return fig


def plot_curves(
    x: Sequence[float], panels: dict[str, Sequence[float]], title: str, xlabel: str, marker_x: float | None = None
) -> Figure:
    """One small line plot per quantity against a shared x (e.g. metrics against k)."""
    fig = new_figure(3.2 * len(panels), 3.4)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for k, (ax, (name, values)) in enumerate(zip(axes, panels.items(), strict=True)):
        ax.plot(list(x), list(values), marker="o", color=SERIES_COLORS[k % len(SERIES_COLORS)])
        if marker_x is not None:
            ax.axvline(marker_x, color="#444444", linestyle="--", linewidth=1)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def plot_stacked_shares(shares: dict[str, dict[str, float]], title: str, ylabel: str) -> Figure:
    """One stacked bar per row (e.g. township) with a segment per category, in the category colours."""
    fig = new_figure(max(7.0, 1.3 * len(shares) + 4), 5.5)
    ax = fig.add_subplot()
    rows = list(shares)
    bottom = np.zeros(len(rows))
    for category, color in CATEGORY_COLORS.items():
        values = np.array([shares[r].get(category, 0.0) for r in rows])
        ax.bar(rows, values, bottom=bottom, color=color, label=category_label(category, "zh"), edgecolor="white")
        bottom += values
    ax.set_ylim(0, 1)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.legend(loc="outside right center", fontsize="small")
    return fig


def plot_shares_with_intervals(
    shares: dict[str, dict[str, tuple[float, float, float]]], categories: Sequence[str], title: str, ylabel: str
) -> Figure:
    """Point estimates with 95% intervals: categories on x, one marker series per row (e.g. township).

    ``shares[row][category]`` is ``(share, low, high)``; a point outside its
    interval (a counted share beside a posterior interval) is drawn with the
    interval's near end only.
    """
    fig = new_figure(max(9.0, 1.1 * len(categories) + 3), 5)
    ax = fig.add_subplot()
    x = np.arange(len(categories))
    step = 0.8 / max(len(shares), 1)
    for k, (row, values) in enumerate(shares.items()):
        point = np.array([values[c][0] for c in categories])
        # a posterior interval need not contain the counted share (0 of 12 sentences): never a negative bar
        low = np.clip(point - np.array([values[c][1] for c in categories]), 0, None)
        high = np.clip(np.array([values[c][2] for c in categories]) - point, 0, None)
        offset = (k - (len(shares) - 1) / 2) * step
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        ax.errorbar(x + offset, point, yerr=[low, high], fmt="o", capsize=2, label=row, color=color, markersize=4)
    ax.set_xticks(x, [category_label(c, "zh") for c in categories], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=min(len(shares), 6), fontsize="small")
    return fig


def plot_reliability(bins: Sequence[dict], title: str) -> Figure:
    """Reliability diagram: accuracy against mean confidence per score bin, bar width ∝ sentences.

    ``bins`` are rows of :func:`nlp.classify.evaluate.reliability_table`; the diagonal is perfect calibration.
    """
    fig = new_figure(5.6, 5.0)
    ax = fig.subplots()
    total = sum(b["n"] for b in bins) or 1
    for b in bins:
        if not b["n"]:
            continue
        middle, width = (b["low"] + b["high"]) / 2, (b["high"] - b["low"]) * 0.9
        ax.bar(middle, b["accuracy"], width=width, color=SERIES_COLORS[0], alpha=0.35 + 0.65 * b["n"] / total)
        ax.plot([b["confidence"]], [b["accuracy"]], marker="o", color=SERIES_COLORS[1])
    ax.plot([0, 1], [0, 1], linestyle="--", color="#444444", linewidth=1, label="完美校准 (perfect calibration)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("模型分数 (score of the label)")
    ax.set_ylabel("正确率 (accuracy)")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=9)
    return fig


def plot_interval_panels(
    x_labels: Sequence[str],
    panels: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    title: str,
    ylabel: str,
    ncols: int = 4,
    connect: bool = True,
) -> Figure:
    """One small panel per series (e.g. topic): point estimates with intervals over shared categorical x.

    ``panels[name]`` is ``(point, low, high)``, one value per x label (e.g.
    years or genres).  All panels share the y axis, so heights compare.
    ``connect`` joins the points with a line (for ordered x such as years).
    """
    nrows = -(-len(panels) // ncols)
    fig = new_figure(3.3 * ncols, 2.6 * nrows + 0.8)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    x = np.arange(len(x_labels))
    for k, ax in enumerate(axes.flat):
        if k >= len(panels):
            ax.set_axis_off()
            continue
        name, (point, low, high) = list(panels.items())[k]
        point, low, high = (np.asarray(v, dtype=float) for v in (point, low, high))
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        ax.errorbar(
            x,
            point,
            yerr=[point - low, high - point],
            fmt="o-" if connect else "o",
            capsize=2,
            color=color,
            markersize=3,
        )
        ax.set_title(name, fontsize=8)
        ax.grid(alpha=0.3)
        ax.set_xticks(x, list(x_labels), rotation=60, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=8)
    fig.suptitle(title)
    return fig


def plot_effects(
    effects: dict[str, dict[str, tuple[float, float, float]]], title: str, xlabel: str, ncols: int = 3
) -> Figure:
    """Covariate effects with intervals: one panel per term, categories on y, a zero line.

    ``effects[term][category]`` is ``(point, low, high)``, e.g. an average
    marginal effect in percentage points.
    """
    ncols = min(ncols, max(len(effects), 1))
    nrows = -(-max(len(effects), 1) // ncols)
    categories = list(dict.fromkeys(c for values in effects.values() for c in values))
    fig = new_figure(4.2 * ncols + 1.5, 0.42 * len(categories) * nrows + 1.6)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    y = np.arange(len(categories))[::-1]
    for k, ax in enumerate(axes.flat):
        if k >= len(effects):
            ax.set_axis_off()
            continue
        term, values = list(effects.items())[k]
        for j, category in enumerate(categories):
            if category not in values:
                continue
            point, low, high = values[category]
            color = CATEGORY_COLORS.get(category, SERIES_COLORS[0])
            xerr = [[max(point - low, 0.0)], [max(high - point, 0.0)]]
            ax.errorbar(point, y[j], xerr=xerr, fmt="o", capsize=2, color=color)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(term, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_yticks(y, [category_label(c, "zh") for c in categories], fontsize=8)
    fig.suptitle(title, fontsize=10)
    return fig


def plot_grouped_topic_shares(rows: list[dict], grouping: str, names: list[str]):
    """Topic shares by year or genre (``grouped_topic_shares`` rows): a panel per topic, 95% intervals."""
    label = {"year": "年份 year reviewed", "genre": "文种 genre"}.get(grouping, grouping)
    groups = list(dict.fromkeys(r[grouping] for r in rows))
    counts = {r[grouping]: r["n_reports"] for r in rows}
    panels = {
        name: tuple([r[key] for r in rows if r["topic"] == name] for key in ("mean", "low", "high")) for name in names
    }
    title = (
        f"主题占比（按{label}）: 报告均值, 95% bootstrap区间（按报告重抽样）\n"
        f"topic share by {grouping}: mean over reports, 95% percentile bootstrap interval over reports"
    )
    x_labels = [f"{g}\n(n={counts[g]})" for g in groups]
    return plot_interval_panels(x_labels, panels, title, "占比 (share)", connect=grouping == "year")


#: The names figures give the report parts (``nlp.text.structure.PARTS``).
PART_NAMES = {"review": "工作总结 (review)", "problems": "存在问题 (problems)", "plan": "工作计划 (plan)"}


def plot_sentences_per_part(rows: list[dict]) -> Figure:
    """Stacked bars of sentences per report part, one bar per row of ``corpus_table``."""
    fig = new_figure(max(8, 0.28 * len(rows)), 4.5)
    ax = fig.add_subplot()
    names = [f"{r['township']}\n{r['years']}" if len(rows) <= 12 else r["report_id"][:3] for r in rows]
    bottom = np.zeros(len(rows))
    for k, part in enumerate(PARTS):
        values = np.array([r[part] for r in rows], dtype=float)
        ax.bar(names, values, bottom=bottom, label=PART_NAMES[part], color=SERIES_COLORS[k])
        bottom += values
    ax.set_ylabel("句子数 (sentences)")
    ax.set_title("各报告句子数，按报告部分 (sentences per report part)")
    ax.legend(fontsize="small")
    ax.tick_params(axis="x", labelsize=8 if len(rows) <= 12 else 6, rotation=0 if len(rows) <= 12 else 90)
    return fig


def plot_review_plan_shift(shift_rows: Sequence[dict], categories: Sequence[str]) -> Figure:
    """Heatmap of the plan-minus-review share change (pp) per township and category (rows of ``shifts``)."""
    townships = list(dict.fromkeys(r["township"] for r in shift_rows))
    shift = {(r["township"], r["category"]): r["shift_pp"] for r in shift_rows}
    matrix = np.array([[shift[t, c] for c in categories] for t in townships])
    return plot_heatmap(
        matrix,
        townships,
        [category_label(c, "zh") for c in categories],
        "从总结到计划的注意力变化 (plan minus review, percentage points)",
        cell_format="{:+.0f}",
        colorbar_label="百分点 (pp)",
        diverging=True,
    )


def plot_learning_curves(rows: list[dict], targets: list[float], start: float, strategy_names: dict[str, str]):
    """Held-out macro-F1 against coded sentences, one line per strategy (``strategy_names``) with its band."""
    fig = new_figure(7.5, 4.8)
    ax = fig.add_subplot()
    for k, (strategy, name) in enumerate(strategy_names.items()):
        points = [r for r in rows if r["strategy"] == strategy]
        x = [r["labels"] for r in points]
        color = SERIES_COLORS[k]
        ax.fill_between(
            x, [r["ci95_reports_low"] for r in points], [r["ci95_reports_high"] for r in points], color=color, alpha=0.2
        )
        ax.plot(x, [r["macro_f1"] for r in points], marker="o", markersize=3, color=color, label=name)
    for target in targets:
        ax.axhline(target, color="#444444", linestyle="--", linewidth=0.8)
        ax.text(0, target, f" {target:.2f}", va="bottom", fontsize=8, color="#444444")
    ax.set_xlabel("每折已编码句子数 (sentences coded per fold, batches of 25)")
    ax.set_ylabel("留出地区宏F1 (held-out-place macro-F1)")
    ax.set_title(f"主动学习曲线 (active learning): start {start:.3f}; bands: 95% over reports", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig
