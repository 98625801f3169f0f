"""Experiments end to end on the seeds, with small configs: outputs, manifests, determinism."""

import json

import pytest

from nlp.experiments import run_experiment

from .helpers import ROOT

SMALL_CONFIGS = {
    "corpus_stats": 'reports = "seeds"\n',
    "topics": (
        'reports = "seeds"\nlabels = "seeds/labels.csv"\nunit = "section"\nk_min = 8\nk_max = 10\n'
        "select_k_min = 9\nmin_diversity = 0.9\nrelevance = 0.6\nstability_seeds = [1, 2]\n"
    ),
    "classification": (
        'reports = "seeds"\nlabels = "seeds/labels.csv"\nn_bootstrap = 50\nsave_model = false\n'
        'candidates = ["majority", "keyword_rules", "heading_rules", "logreg"]\n'
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
    assert metrics["targets"]["npmi_above_default_nmf"]
    assert metrics["chosen"]["diversity"] >= 0.9
    topics = json.loads((folder / "topics.json").read_text(encoding="utf-8"))
    assert len(topics) == metrics["chosen_k"]
    assert all(len(t["top_terms"]) == 15 and len(t["representative_sentences"]) == 3 for t in topics)
    assert (folder / "timing.json").is_file()


@pytest.mark.slow
def test_classification_experiment_reports_intervals_and_baselines(tmp_path):
    metrics, folder = run_small("classification", tmp_path, "c")
    models = metrics["models"]
    assert set(models) == {"majority", "keyword_rules", "heading_rules", "logreg"}
    for result in models.values():
        low, high = result["macro_f1_ci95"]
        assert low <= result["macro_f1"] <= high
        assert len(result["folds"]) == 5
    assert models["logreg"]["macro_f1"] > models["majority"]["macro_f1"]
    assert 0.75 < metrics["weak_label_agreement"]["accuracy"] < 1
    for name in ("per_class.csv", "predictions.csv", "misclassified.csv", "confusion_logreg.png", "per_class_f1.svg"):
        assert (folder / name).is_file(), name
