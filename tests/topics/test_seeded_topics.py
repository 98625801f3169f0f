"""Seeded topic models on every shipped report, share intervals over reports, and the topics experiment."""

import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone

from nlp.classify.codebook import load_codebook
from nlp.classify.labels import labels_for, load_labels
from nlp.experiments import run_experiment
from nlp.io.plotting import plot_interval_panels
from nlp.text.corpus import load_corpus
from nlp.topics.metrics import category_topic_matrix, matched_categories, stability
from nlp.topics.models import (
    LDATopicModel,
    NMFTopicModel,
    SeededLDATopicModel,
    SeededNMFTopicModel,
    codebook_seed_terms,
    grouped_share_intervals,
    topic_documents,
    topic_shares,
)
from nlp.topics.models import _seed_loss as seed_loss
from tests.helpers import ROOT, SEEDS

EXTERNAL = ROOT / "seeds" / "external"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus([SEEDS, EXTERNAL / "raw"])


@pytest.fixture(scope="module")
def sections(corpus):
    docs, meta = topic_documents(corpus, "section")
    return docs, [m["report_id"] for m in meta]


@pytest.fixture(scope="module")
def seeded(sections):
    docs, groups = sections
    return SeededNMFTopicModel(n_free=4, seed_strength=1.5, relevance=0.6).fit(docs, groups=groups)


def test_documents_carry_report_metadata(corpus):
    docs, meta = topic_documents(corpus, "section")
    assert len({m["report_id"] for m in meta}) == len(corpus) == 67
    by_id = {m["report_id"]: m for m in meta}
    assert by_id["001_huazhuang"]["township"] == "华庄街道" and by_id["001_huazhuang"]["level"] == "street"
    assert by_id["003_zhangwu"]["genre"] == "government_work_report" and by_id["003_zhangwu"]["years"] == [2020, 2021]
    assert {m["genre"] for m in meta} >= {"summary", "half_year", "plan", "government_work_report"}
    assert "".join(docs) == "".join(topic_documents(corpus, "sentence")[0])


def test_codebook_seed_terms_are_the_substantive_typical_terms():
    seeds = codebook_seed_terms()
    codebook = load_codebook()
    assert list(seeds) == [c for c in codebook.ids if c != "general"]
    assert seeds["poverty"] == codebook["poverty"].typical_terms


def test_seeded_nmf_anchors_one_topic_per_category(seeded):
    categories = list(codebook_seed_terms())
    assert seeded.seed_topics_ == categories
    assert seeded.components_.shape == (len(categories) + 4, len(seeded.feature_names_))
    retention = seeded.seed_retention(25)
    top = seeded.top_terms(25)
    for row in retention:
        terms = [t for t, _ in top[row["topic"]]]
        assert row["kept"] == [t for t in terms if t in seeded.seed_terms_[row["seeded_with"]]]
        assert row["new_terms"] == [t for t in terms if t not in row["kept"]]
        assert row["n_kept"] >= 5  # the anchor holds
        assert row["seeds_in_vocabulary"] + len(seeded.missing_seed_terms_[row["seeded_with"]]) == row["seeds_given"]
    # each seeded topic's best terms are its own category's seeds
    assert all(row["kept"] and row["kept"][0] == next(t for t, _ in top[row["topic"]]) for row in retention[:3])
    assert seeded.topic_names()[1].startswith("T2[epidemic] ")
    assert "理论学习" in seeded.missing_seed_terms_["party_building"]  # cut into 理论/学习 by the tokenizer


def test_seeded_nmf_is_deterministic_and_clonable(sections, seeded):
    docs, groups = sections
    again = clone(seeded).fit(docs, groups=groups)
    assert np.array_equal(again.components_, seeded.components_)
    assert np.array_equal(again.transform(docs[:7]), seeded.transform(docs[:7]))
    assert again.get_params() == seeded.get_params()
    W = seeded.transform(docs)
    assert W.shape == (len(docs), seeded.n_topics_) and (W >= 0).all()


def test_seed_strength_pulls_topics_toward_their_seeds(sections):
    docs, groups = sections
    kept, angles = [], []
    for strength in (0.0, 1.0, 3.0):
        model = SeededNMFTopicModel(n_free=4, seed_strength=strength).fit(docs, groups=groups)
        kept.append(sum(r["n_kept"] for r in model.seed_retention(25)))
        angles.append(seed_loss(model._seed_documents(model.vectorizer_.transform(docs)), model.components_[:8]))
    assert kept[0] < kept[1] < kept[2]
    assert angles[0] > angles[1] > angles[2]


def test_seeded_nmf_is_stable_and_matches_more_categories_than_unseeded(corpus, sections, seeded):
    docs, groups = sections
    mean, per_seed = stability(seeded, docs, groups, seeds=(1, 2))
    assert mean > 0.85 and len(per_seed) == 2
    labels = labels_for(corpus, load_labels(SEEDS / "labels.csv") | load_labels(EXTERNAL / "labels.csv"))
    sentences, _ = topic_documents(corpus, "sentence")
    categories = list(load_codebook().ids)
    plain = NMFTopicModel(n_topics=seeded.n_topics_).fit(docs, groups=groups)
    matched = [
        set(matched_categories(category_topic_matrix(m.transform(sentences), labels, categories), categories))
        for m in (seeded, plain)
    ]
    assert matched[0] >= set(codebook_seed_terms()) and len(matched[1]) < len(matched[0])


def test_seeded_nmf_validates_its_parameters(sections):
    docs, _ = sections
    for params, message in (
        ({"n_free": -1}, "n_free"),
        ({"seed_strength": -0.5}, "seed_strength"),
        ({"init": "svd"}, "init"),
        ({"max_iter": 0}, "max_iter"),
        ({"seed_terms": {}}, "seed_terms"),
        ({"seed_terms": {"x": "疫情"}}, "seed_terms"),
        ({"seed_terms": {"x": ["不存在的词语"]}}, "vocabulary"),
    ):
        with pytest.raises(ValueError, match=message):
            SeededNMFTopicModel(**params).fit(docs)


def test_seeded_lda_uses_word_priors_deterministically(sections):
    docs, groups = sections
    model = SeededLDATopicModel(n_free=4, iterations=200, relevance=0.6).fit(docs, groups=groups)
    again = SeededLDATopicModel(n_free=4, iterations=200, relevance=0.6).fit(docs, groups=groups)
    assert np.array_equal(model.components_, again.components_)
    assert np.allclose(model.components_.sum(axis=1), 1, atol=1e-4)
    W = model.transform([*docs[:5], ""])
    assert np.array_equal(W, again.transform([*docs[:5], ""]))
    assert W[-1].tolist() == [0.0] * model.n_topics_  # nothing to infer from
    plain = LDATopicModel(n_topics=model.n_topics_, relevance=0.6).fit(docs, groups=groups)
    plain_top = [{t for t, _ in topic} for topic in plain.top_terms(25)]
    for row in model.seed_retention(25):
        seeds = set(model.seed_terms_[row["seeded_with"]])
        assert row["n_kept"] >= max(len(top & seeds) for top in plain_top) - 2
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(restored.transform(docs[:5]), W[:5])
    with pytest.raises(ValueError, match="seed_eta"):
        SeededLDATopicModel(seed_eta=0).fit(docs)


def test_shares_skip_empty_documents():
    W = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 2.0]])
    assert topic_shares(W, ["a", "a", "b"])["a"].tolist() == [0.25, 0.25]
    assert topic_shares(W, ["a", "a", "b"], skip_empty=True)["a"].tolist() == [0.5, 0.5]
    assert topic_shares(W, ["a", "c", "b"], skip_empty=True)["c"].tolist() == [0.0, 0.0]


def test_group_intervals_resample_reports():
    rng = np.random.default_rng(3)
    shares = {f"r{i}": rng.dirichlet([1, 1, 1]) for i in range(12)}
    group_of = {r: (2020 if i < 8 else 2021) for i, r in enumerate(shares)} | {"r11": None}
    result = grouped_share_intervals(shares, group_of, n_boot=500, seed=1)
    assert list(result) == [2020, 2021] and result[2021]["n_reports"] == 3
    members = np.vstack([shares[f"r{i}"] for i in range(8)])
    assert np.allclose(result[2020]["mean"], members.mean(axis=0))
    assert (result[2020]["low"] <= result[2020]["mean"]).all() and (result[2020]["mean"] <= result[2020]["high"]).all()
    assert (result[2020]["low"] >= members.min(axis=0)).all() and (result[2020]["high"] <= members.max(axis=0)).all()
    # a group of one report has no spread; the same seed gives the same intervals
    single = grouped_share_intervals({"x": np.array([0.3, 0.7])}, {"x": "plan"}, n_boot=50)["plan"]
    assert single["low"].tolist() == single["high"].tolist() == [0.3, 0.7]
    assert np.array_equal(grouped_share_intervals(shares, group_of, 500, 1)[2021]["low"], result[2021]["low"])


def test_interval_panels_draw_one_panel_per_series():
    panels = {f"T{i}": ([0.2, 0.3], [0.1, 0.2], [0.3, 0.4]) for i in range(5)}
    fig = plot_interval_panels(["2020\n(n=3)", "2021\n(n=2)"], panels, "标题 title", "占比", ncols=4)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 5 and visible[0].get_title() == "T0"
    assert visible[0].lines[0].get_linestyle() == "-"  # ordered x (years): points joined
    unordered = plot_interval_panels(["summary", "plan"], panels, "title", "share", connect=False)
    assert unordered.axes[0].lines[0].get_linestyle() == "None"  # genres: points only


SMALL = f"""
reports = "seeds"
labels = "seeds/labels.csv"
external_reports = ["{(EXTERNAL / "raw").as_posix()}"]
external_labels = ["{(EXTERNAL / "labels.csv").as_posix()}"]
unit = "section"
k_min = 9
k_max = 10
select_k_min = 9
seeded_n_free = [4, 6]
seed_strengths = [1.5]
min_seeds_kept = 10
lda_iterations = 200
stability_seeds = [1, 2]
n_bootstrap = 100
"""


@pytest.mark.slow
def test_topic_experiment_compares_seeded_models_deterministically(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = tmp_path / "topics.toml"
    config.write_text(SMALL, encoding="utf-8")
    metrics = run_experiment("topics", config, results_root=tmp_path / "a", progress=False)
    run_experiment("topics", config, results_root=tmp_path / "b", progress=False)
    folder = tmp_path / "a" / "topics"
    assert (folder / "metrics.json").read_bytes() == (tmp_path / "b" / "topics" / "metrics.json").read_bytes()
    assert metrics["corpus"]["reports"] == 67 and metrics["corpus"]["external"] == 62
    assert {"seeded_nmf", "seeded_lda"} <= set(metrics["comparison"])
    assert [(r["n_free"], r["seed_strength"]) for r in metrics["seeded_sweep"]] == [(4, 1.5), (6, 1.5)]
    seeded = metrics["seeded"]
    assert seeded["n_substantive_matched"] == 8 and seeded["stability"] >= 0.85
    assert len(seeded["seed_retention"]) == 8 and all(r["n_kept"] >= 10 for r in seeded["seed_retention"])
    assert len(seeded["free_topics"]) == metrics["seeded_choice"]["n_free"]
    assert all(len(t["representative_sentences"]) == 3 for t in seeded["free_topics"])
    assert seeded["share_agreement"]["n_reports"] > 60
    assert "bootstrap" in metrics["interval"] and "over reports" in metrics["interval"]
    assert metrics["excerpts"].startswith("62 of the 67 reports are external excerpts")
    assert "cannot support" in metrics["excerpts"]
    assert {r["genre"] for r in metrics["shares_by_genre"]} >= {"summary", "government_work_report", "unknown"}
    years = {r["year"] for r in metrics["shares_by_year"]}
    assert min(years) >= 2014 and max(years) == 2024
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "labels.csv" in manifest["external_data_sha256"] and manifest["topic_libraries"]["tomotopy"]
    for stem in ("topic_shares_by_year", "topic_shares_by_genre", "seeded_top_terms", "seeded_topic_by_category"):
        assert (folder / f"{stem}.png").is_file() and (folder / f"{stem}.svg").is_file()
    table = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "seeded_nmf" in table and "NPMI@10" in table
    assert (folder / "seed_retention.md").read_text(encoding="utf-8").count("\n| T") == 8
    shares = (folder / "topic_shares_by_year.csv").read_text(encoding="utf-8-sig")
    assert "bootstrap over reports" in shares
