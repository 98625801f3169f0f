"""Experiments end to end on the seeds, with small configs: outputs, manifests, determinism."""

import json

import pytest

from nlp.experiments import run_experiment

from .helpers import ROOT

SMALL_EXTERNAL = [
    "003_zhangwu",
    "009_nanzhang",
    "018_changshoulu2019",
    "019_changshoulu2024",
    "031_panyu",
    "033_shiqiao",
]
SMALL_CONFIGS = {
    "corpus_stats": 'reports = "seeds"\n',
    "topics": (
        'reports = "seeds"\nlabels = "seeds/labels.csv"\nunit = "section"\nk_min = 8\nk_max = 10\n'
        "select_k_min = 9\nmin_diversity = 0.9\nrelevance = 0.6\nstability_seeds = [1, 2]\n"
    ),
    "classification": (
        'reports = "seeds"\nlabels = "seeds/labels.csv"\nn_bootstrap = 50\nsave_model = false\n'
        'seed_candidates = ["majority", "keyword_rules", "heading_rules", "logreg"]\n'
        f"external = {[f'seeds/external/raw/{name}.txt' for name in SMALL_EXTERNAL]}\n"
        'external_labels = "seeds/external/labels.csv"\n'
        'coder_files = ["seeds/external/coding/coder_a.csv", "seeds/external/coding/coder_b.csv"]\n'
        "outer_splits = 4\nablation_outer_splits = 3\ninner_splits = 2\n"
        "learning_curve_sizes = [3, 6]\nlearning_curve_folds = 2\nlearning_curve_repeats = 1\n"
        "[grids.logreg]\nmodel__C = [1.0, 10.0]\n"
    ),
    "attention_panel": (
        'reports = ["seeds", '
        + ", ".join(f'"seeds/external/raw/{name}.txt"' for name in SMALL_EXTERNAL)
        + ']\nlabels = ["seeds/labels.csv", "seeds/external/labels.csv"]\n'
        'sources = "seeds/external/SOURCES.md"\nouter_splits = 3\ninner_splits = 2\nn_draws = 50\n'
        "n_bootstrap = 50\npanel_draws = 10\nregression_bootstrap = 10\nmin_reports = 3\n"
    ),
}


def run_small(name, tmp_path, tag):
    config = tmp_path / f"{name}.toml"
    config.write_text(SMALL_CONFIGS[name], encoding="utf-8")
    root = tmp_path / tag
    metrics = run_experiment(name, config, results_root=root, progress=False)
    return metrics, root / name


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL_CONFIGS))
def test_experiment_is_deterministic_and_writes_its_outputs(name, tmp_path):
    _, folder = run_small(name, tmp_path, "a")
    _, again = run_small(name, tmp_path, "b")
    assert (folder / "metrics.json").read_bytes() == (again / "metrics.json").read_bytes()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["experiment"] == name
    assert manifest["config_sha256"] and manifest["data_sha256"]
    files = set(manifest["files"])
    assert "metrics.json" in files
    assert any(f.endswith(".png") for f in files) and any(f.endswith(".svg") for f in files)
    assert {p.name for p in folder.iterdir()} == files | {"manifest.json"}


@pytest.mark.slow
def test_topic_experiment_reports_targets_and_comparisons(tmp_path):
    metrics, folder = run_small("topics", tmp_path, "t")
    assert metrics["chosen_k"] in (9, 10)
    assert [r["k"] for r in metrics["sweep"]] == [8, 9, 10]
    assert set(metrics["comparison"]) >= {"nmf", "lda", "default_nmf_plain_jieba"}
    targets = json.loads((folder / "targets.json").read_text(encoding="utf-8"))
    assert targets["npmi_above_default_nmf"] and "targets" not in metrics
    assert metrics["chosen"]["diversity"] >= 0.9
    topics = json.loads((folder / "topics.json").read_text(encoding="utf-8"))
    assert len(topics) == metrics["chosen_k"]
    assert all(len(t["top_terms"]) == 15 and len(t["representative_sentences"]) == 3 for t in topics)
    assert (folder / "timing.json").is_file()


@pytest.mark.slow
def test_classification_experiment_reports_protocols_intervals_and_baselines(tmp_path):
    metrics, folder = run_small("classification", tmp_path, "c")
    protocols = metrics["protocols"]
    assert set(protocols) == {"seeds_loro", "transfer", "held_out_places"}
    assert set(protocols["seeds_loro"]) == {"majority", "keyword_rules", "heading_rules", "logreg"}
    baselines = {"majority", "keyword_rules", "heading_rules", "char_svm_reference"}
    assert set(protocols["transfer"]) == baselines | {"logreg"}
    assert set(protocols["held_out_places"]) == baselines | {"logreg", "cnb"}
    held_out = protocols["held_out_places"]
    for result in held_out.values():
        low, high = result["macro_f1_ci95"]
        r_low, r_high = result["macro_f1_ci95_reports"]
        assert low <= result["macro_f1"] <= high and r_low <= result["macro_f1"] <= r_high
        assert result["n_reports"] == 11
    # the three 长寿路/番禺 reports share a place: 11 reports, fewer groups
    assert held_out["logreg"]["n_groups"] < 11
    assert held_out["logreg"]["macro_f1"] > held_out["majority"]["macro_f1"]
    assert 0 <= held_out["logreg"]["ece"] <= 1 and all(t > 0 for t in held_out["logreg"]["temperatures"])
    assert protocols["transfer"]["logreg"]["n_reports"] == 6  # scored on the external reports only
    assert [r["reports"] for r in metrics["learning_curve"]] == [3, 6]
    assert len(metrics["ablation"]) == 8
    assert metrics["inter_coder"]["sentences"] == 766 and metrics["inter_coder"]["cohen_kappa"] > 0.9
    targets = json.loads((folder / "targets.json").read_text(encoding="utf-8"))
    assert set(targets) >= {"held_out_place_macro_f1", "held_out_place_ece"} and "targets" not in metrics
    assert targets["held_out_place_macro_f1"]["value"] == held_out["logreg"]["macro_f1"]
    for name in ("protocols.md", "per_class.csv", "ablation.csv", "learning_curve.csv", "reliability.png"):
        assert (folder / name).is_file(), name
    for name in ("predictions.csv", "misclassified.csv", "confusion_held_out_places.png", "per_class_f1.svg"):
        assert (folder / name).is_file(), name


@pytest.mark.parametrize("path", sorted((ROOT / "experiments" / "configs").glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_config_passes_its_checks(path):
    from nlp.experiments import EXPERIMENTS, load_experiment_config

    assert path.stem in EXPERIMENTS
    config = load_experiment_config(path.stem, path)
    assert set(config.inputs()), "every shipped config names its input files"


@pytest.mark.slow
def test_attention_panel_measures_every_estimator_per_kind_with_the_calibrated_bound(tmp_path):
    metrics, folder = run_small("attention_panel", tmp_path, "p")
    error = metrics["share_error"]
    assert error["n_reports"] == {"all": 11, "excerpt": 6, "whole": 5}
    assert set(error["estimators"]) == {"count", "probability", "median", "adjusted"}
    assert set(error["by_kind"]) == {"excerpt", "whole"}
    bound = metrics["calibrated_bound"]
    for kind in ("all", "excerpt", "whole"):
        assert bound[kind]["median"]["per_report"] == min(r["per_report"] for r in bound[kind].values())
    assert metrics["count_dispersion"]["all"]["ratio"] > 0
    text = (folder / "share_error.md").read_text(encoding="utf-8")
    assert "whole reports" in text and "calibrated world" in text and "Dispersion" in text
    for name in ("calibrated_bound.csv", "share_error_per_report_whole.png", "regression.md"):
        assert (folder / name).is_file(), name
