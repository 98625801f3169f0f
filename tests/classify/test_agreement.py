"""Agreement statistics against published worked examples and scikit-learn."""

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from nlp.classify.agreement import agreement, krippendorff_alpha, load_coders
from nlp.classify.codebook import load_codebook
from nlp.core.errors import ConfigError
from tests.helpers import ROOT

CODING = ROOT / "seeds" / "external" / "coding"
nan = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 coders x 12 units example
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
# the same paper's binary example: two coders, ten units
BINARY_2011 = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def test_alpha_matches_krippendorffs_worked_examples():
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_2011, level="interval") == pytest.approx(0.849, abs=5e-4)
    assert krippendorff_alpha(BINARY_2011) == pytest.approx(0.095, abs=5e-4)


def test_alpha_of_category_names_equals_alpha_of_numbers():
    names = {1: "economy", 2: "welfare", 3: "general", 4: "epidemic", 5: "poverty"}
    named = [[None if v is None else names[v] for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(named) == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011))


def _as_coders(table):
    return {f"c{k}": {("r", str(u)): str(v) for u, v in enumerate(row) if v is not None} for k, row in enumerate(table)}


def test_agreement_of_four_coders_with_missing_codes():
    result = agreement(_as_coders(KRIPPENDORFF_2011), ["1", "2", "3", "4", "5"])
    assert result["n_coders"] == 4
    assert result["n_units"] == 11  # unit 12 has a single code: no information
    assert result["alpha"] == pytest.approx(0.743, abs=5e-4)
    assert len(result["pairs"]) == 6
    first = result["pairs"][0]  # c0 vs c1 on the 9 units both coded
    a, b = KRIPPENDORFF_2011[0][:9], KRIPPENDORFF_2011[1][:9]
    assert first["n"] == 9
    assert first["kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert first["agreement"] == pytest.approx(8 / 9)


def test_worked_example_coder_a_vs_coder_b():
    coders, sentences = load_coders([CODING / "coder_a.csv", CODING / "coder_b.csv"])
    assert list(coders) == ["coder_a", "coder_b"] and len(sentences) == 766
    categories = list(load_codebook().ids)
    result = agreement(coders, categories)
    keys = sorted(coders["coder_a"])
    a, b = [coders["coder_a"][k] for k in keys], [coders["coder_b"][k] for k in keys]
    assert result["pairs"][0]["kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert round(result["pairs"][0]["kappa"], 3) == 0.969  # as the coding README records
    assert result["agreement"] == pytest.approx(747 / 766)
    assert len(result["disagreements"]) == 19
    confusion = np.array(result["pairs"][0]["confusion"])
    assert confusion.sum() == 766 and np.trace(confusion) == 747
    # with two coders and no missing codes alpha is close to kappa (it corrects for the sample size)
    assert abs(result["alpha"] - result["pairs"][0]["kappa"]) < 0.002
    welfare = next(r for r in result["per_category"] if r["category"] == "welfare")
    assert welfare["specific_agreement"] == 1.0 and welfare["alpha"] == pytest.approx(1.0)
    for row in result["per_category"]:
        k = categories.index(row["category"])
        expected = 2 * confusion[k, k] / (confusion[k].sum() + confusion[:, k].sum())
        assert row["specific_agreement"] == pytest.approx(expected)


def test_specific_agreement_of_a_category_nobody_used_is_undefined():
    coders = {"a": {("r", "0"): "economy", ("r", "1"): "general"}, "b": {("r", "0"): "economy", ("r", "1"): "economy"}}
    row = agreement(coders, ["economy", "general", "welfare"])["per_category"][2]
    assert row["specific_agreement"] is None and row["alpha"] is None and row["codes"] == 0


@pytest.mark.parametrize(
    ("coders", "fragment"),
    [
        ({"a": {("r", "0"): "economy"}}, "at least two coders"),
        ({"a": {("r", "0"): "economy"}, "b": {("r", "1"): "economy"}}, "do not share sentences"),
        (
            {"a": {("r", "0"): "economy", ("r", "1"): "economy"}, "b": {("r", "0"): "economy"}},
            "at least two categories",
        ),
    ],
)
def test_bad_codes_are_config_errors(coders, fragment):
    with pytest.raises(ConfigError, match=fragment):
        agreement(coders, ["economy", "general"])


def test_kappa_is_none_when_a_pair_used_one_category():
    coders = {
        "a": {("r", "0"): "economy", ("r", "1"): "general"},
        "b": {("r", "0"): "economy"},
        "c": {("r", "0"): "economy", ("r", "1"): "economy"},
    }
    result = agreement(coders, ["economy", "general"])
    pair = next(p for p in result["pairs"] if p["coders"] == ["a", "b"])
    assert pair["kappa"] is None and not math.isnan(result["alpha"])
