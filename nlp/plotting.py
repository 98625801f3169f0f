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

from .codebook import load_codebook
from .fileio import atomic_path

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


def plot_confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str) -> Figure:
    """Confusion matrix heatmap, rows = hand-coded, columns = predicted; counts in cells."""
    matrix = np.asarray(matrix, dtype=float)
    fig = new_figure(9, 7.5)
    ax = fig.add_subplot()
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    names = [category_label(c, "zh") for c in labels]
    ax.set_xticks(range(len(labels)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), names)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                color = "white" if shares[i, j] > 0.5 else "black"
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", color=color)
    ax.set_xlabel("预测类别 (predicted)")
    ax.set_ylabel("人工编码 (hand-coded)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="行内比例 (share of row)")
    return fig


def plot_per_class_f1(scores: dict[str, dict[str, float]], labels: Sequence[str], title: str) -> Figure:
    """Grouped bars: F1 per category (x) for each model or baseline (series)."""
    fig = new_figure(11, 5)
    ax = fig.add_subplot()
    width = 0.8 / max(len(scores), 1)
    x = np.arange(len(labels))
    for k, (name, per_class) in enumerate(scores.items()):
        values = [per_class.get(label, 0.0) for label in labels]
        ax.bar(x + (k - (len(scores) - 1) / 2) * width, values, width, label=name, color=SERIES_COLORS[k % 8])
    ax.set_xticks(x, [category_label(c, "zh") for c in labels], rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1（留一报告交叉验证 leave-one-report-out）")
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=min(len(scores), 7), fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return fig
