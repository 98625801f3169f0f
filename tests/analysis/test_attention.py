from collections import Counter

import numpy as np
import pytest

from nlp.analysis.attention import (
    attention_profiles,
    bootstrap_shares,
    format_share,
    markdown_table,
    profile,
    shifts,
)
from nlp.classify.labels import labels_for, load_labels
from nlp.classify.predict import label_reports
from nlp.text.corpus import parse_report
from tests.helpers import assert_one_line_error, run_cli, seed


@pytest.fixture(scope="module")
def report_003():
    report = parse_report(seed("003"))
    return report, labels_for([report], load_labels())


def test_sentence_and_character_shares(report_003):
    report, labels = report_003
    result = profile(report, labels, ["hand-coded"] * len(labels), n_boot=200)
    counts = Counter(labels)
    assert result.sentence_share["governance"] == pytest.approx(counts["governance"] / len(labels))
    assert sum(result.sentence_share.values()) == pytest.approx(1.0)
    assert sum(result.character_share.values()) == pytest.approx(1.0)
    chars = sum(len(s.text) for s, label in zip(report.sentences, labels, strict=True) if label == "governance")
    assert result.character_share["governance"] == pytest.approx(chars / sum(len(s.text) for s in report.sentences))
    for category, share in result.sentence_share.items():
        low, high = result.sentence_ci95[category]
        assert low <= share <= high
    assert result.label_source == "hand-coded" and result.township == "荫田镇"


def test_parts_and_shifts(report_003):
    report, labels = report_003
    profiles = attention_profiles([(report, labels, ["hand-coded"] * len(labels))], n_boot=100)
    assert [p.part for p in profiles] == ["all", "review", "plan"]
    review = [label for s, label in zip(report.sentences, labels, strict=True) if s.part == "review"]
    plan = [label for s, label in zip(report.sentences, labels, strict=True) if s.part == "plan"]
    expected = 100 * (plan.count("governance") / len(plan) - review.count("governance") / len(review))
    row = next(r for r in shifts(profiles) if r["category"] == "governance")
    assert row["shift_pp"] == pytest.approx(expected, abs=0.01)


def test_bootstrap_is_seeded_and_degenerate_cases_are_exact():
    labels = np.array([0, 0, 1, 2] * 10)
    first = bootstrap_shares(labels, np.ones(40), 3, 300, np.random.default_rng(5))
    second = bootstrap_shares(labels, np.ones(40), 3, 300, np.random.default_rng(5))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    low, high = bootstrap_shares(np.zeros(10, dtype=int), np.ones(10), 2, 50, np.random.default_rng(0))
    assert low.tolist() == [1.0, 0.0] and high.tolist() == [1.0, 0.0]


class FixedClassifier:
    def predict(self, records):
        return np.array(["economy"] * len(records))


def test_hand_labels_win_and_the_classifier_fills_the_rest(report_003):
    report, _labels = report_003
    partial = {(report.report_id, s.text): "welfare" for s in report.sentences[:10]}
    ((_, got, sources),) = list(label_reports([report], FixedClassifier(), partial))
    assert got[:10] == ["welfare"] * 10 and set(got[10:]) == {"economy"}
    assert sources[:10] == ["hand-coded"] * 10 and sources[10] == "predicted"
    profiles = attention_profiles([(report, got, sources)], parts=("all",), n_boot=20)
    assert profiles[0].label_source == "mixed"
    with pytest.raises(ValueError, match="no classifier"):
        list(label_reports([report], None, partial))


def test_paper_table(report_003):
    report, labels = report_003
    profiles = attention_profiles([(report, labels, ["hand-coded"] * len(labels))], n_boot=50)
    table = markdown_table(profiles)
    assert table.splitlines()[0].startswith("| 乡镇 (township) | 年份 (years) | 句子数 (n) | 党的建设与政府自身建设")
    assert "| 荫田镇 | 2021-2022 | 92 |" in table
    assert "labels: hand-coded" in table
    assert format_share(0.1234, (0.081, 0.169)) == "12.3 (8.1–16.9)"


def test_attention_command(tmp_path):
    model = tmp_path / "model.skops"
    assert run_cli("train", str(seed("002")), str(seed("004")), "--out", str(model), "--no-eval").returncode == 0
    out = tmp_path / "attention"
    result = run_cli(
        "attention",
        "--model",
        str(model),
        str(seed("001")),
        str(seed("003")),
        "--out",
        str(out),
        "--n-bootstrap",
        "100",
    )
    assert result.returncode == 0, result.stderr
    assert "| X镇 |" in result.stdout and "| 荫田镇 |" in result.stdout and "labels: predicted" in result.stdout
    for name in (
        "attention_long.csv",
        "attention_table.md",
        "review_plan_shift.csv",
        "attention_stacked.png",
        "manifest.json",
        "metrics.json",
    ):
        assert (out / name).is_file(), name
    again = run_cli("attention", "--model", str(model), str(seed("001")), "--out", str(out))
    assert_one_line_error(again, "--force")


def test_estimated_profiles_name_their_estimator_and_do_not_collapse_at_zero(report_003):
    from nlp.analysis.quantify import make_estimator

    report, labels = report_003
    labels = ["economy" if label != "welfare" else label for label in labels]
    profiles = attention_profiles(
        [(report, labels, ["predicted"] * len(labels))],
        parts=("all",),
        estimator=make_estimator("count", interval="jeffreys"),
    )
    p = profiles[0]
    assert (p.estimator, p.interval) == ("count", "jeffreys")
    zero = [c for c, share in p.sentence_share.items() if share == 0]
    assert zero and all(p.sentence_ci95[c][1] > 0 for c in zero)
    assert "estimator: classify and count" in markdown_table(profiles) and "Jeffreys" in markdown_table(profiles)
    assert p.rows()[0]["estimator"] == "count"
