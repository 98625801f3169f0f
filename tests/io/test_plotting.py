import subprocess
import sys
import warnings

import numpy as np
from matplotlib import font_manager

from nlp.classify.codebook import load_codebook
from nlp.io.plotting import (
    CATEGORY_COLORS,
    CJK_FONT_NAME,
    cjk_font_path,
    new_figure,
    plot_confusion,
    plot_heatmap,
    plot_reliability,
    save_figure,
    use_cjk_font,
)

CHINESE = "脱贫攻坚与巩固衔接 疫情防控 洋沙湖镇 李家疃镇"


def render_with_warnings(fig, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(path)
    return [str(w.message) for w in caught]


def test_chinese_renders_with_the_bundled_cjk_font_and_no_missing_glyphs(tmp_path):
    assert use_cjk_font() == CJK_FONT_NAME
    resolved = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert resolved == str(cjk_font_path())
    fig = new_figure(4, 2)
    ax = fig.add_subplot()
    ax.set_title(CHINESE)
    ax.set_xlabel("乡镇 (township)")
    messages = render_with_warnings(fig, tmp_path / "cjk.png")
    assert not [m for m in messages if "missing from font" in m], messages


def test_the_glyph_check_would_catch_a_missing_font(tmp_path):
    # Without the package's font set-up, matplotlib's default font has no CJK glyphs and says so.
    code = (
        "import warnings, matplotlib\nmatplotlib.use('Agg')\nfrom matplotlib.figure import Figure\n"
        "fig = Figure(); fig.add_subplot().set_title('脱贫攻坚')\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        f"    fig.savefig({str(tmp_path / 'plain.png')!r})\n"
        "print(any('missing from font' in str(x.message) for x in w))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "True", result.stderr


def test_every_category_has_its_own_colour():
    assert set(CATEGORY_COLORS) == set(load_codebook().ids)
    assert len(set(CATEGORY_COLORS.values())) == len(CATEGORY_COLORS)


def test_figures_are_saved_as_png_and_svg_reproducibly(tmp_path):
    labels = list(load_codebook().ids)[:3]
    matrix = [[5, 1, 0], [0, 3, 1], [1, 0, 4]]
    first = save_figure(plot_confusion(matrix, labels, "混淆矩阵"), tmp_path / "a" / "confusion")
    second = save_figure(plot_confusion(matrix, labels, "混淆矩阵"), tmp_path / "b" / "confusion")
    assert [p.suffix for p in first] == [".png", ".svg"]
    assert all(p.stat().st_size > 1000 for p in first)
    assert first[1].read_bytes() == second[1].read_bytes()
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]  # no temp files left


def test_heatmap_annotations_and_diverging_scale(tmp_path):
    fig = plot_heatmap([[1.0, -2.0]], ["行"], ["列一", "列二"], "变化", cell_format="{:+.1f}", diverging=True)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["+1.0", "-2.0"]
    image = fig.axes[0].images[0]
    assert image.get_clim() == (-2.0, 2.0)


def test_reliability_diagram_draws_the_bins_and_renders_chinese(tmp_path):
    from nlp.classify.evaluate import reliability_table

    proba = np.array([[0.95, 0.05]] * 10 + [[0.55, 0.45]] * 10)
    bins = reliability_table(["a"] * 15 + ["b"] * 5, proba, ["a", "b"])
    fig = plot_reliability(bins, "可靠性图 (reliability)")
    ax = fig.axes[0]
    assert len(ax.patches) == 2  # one bar per non-empty bin
    assert sorted(round(p.get_height(), 2) for p in ax.patches) == [0.5, 1.0]
    messages = render_with_warnings(fig, tmp_path / "reliability.png")
    assert not [m for m in messages if "missing from font" in m], messages


def test_interval_plot_accepts_a_point_outside_its_interval():
    from nlp.io.plotting import plot_shares_with_intervals

    shares = {"某镇": {"epidemic": (0.0, 0.01, 0.2), "economy": (0.5, 0.3, 0.7)}}
    fig = plot_shares_with_intervals(shares, ["epidemic", "economy"], "区间 (interval)", "share")
    assert fig.axes
