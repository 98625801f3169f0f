"""The attention panel: covariates, long rows, the fractional-logit regression against statsmodels, the CLI."""

import csv
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from nlp.analysis.panel import (
    load_covariates,
    merge_covariates,
    panel_rows,
    province_of_text,
    regression_markdown,
    report_covariates,
    share_regression,
)
from nlp.core.errors import ConfigError, InputError
from nlp.text.corpus import parse_report
from tests.helpers import ROOT, assert_one_line_error, run_cli, seed


def simulated_panel(n=80, seed_=0):
    rng = np.random.default_rng(seed_)
    ids = [f"r{i}" for i in range(n)]
    covariates = {
        r: {"year": 2015 + i % 10, "genre": ["summary", "plan"][i % 2], "place_group": f"g{i // 3}"}
        for i, r in enumerate(ids)
    }
    shares = {}
    for r in ids:
        logit = -2.0 + 0.15 * (covariates[r]["year"] - 2015) + (0.4 if covariates[r]["genre"] == "plan" else 0)
        p = 1 / (1 + np.exp(-logit))
        shares[r] = {"epidemic": float(rng.binomial(12, p) / 12), "economy": float(rng.uniform())}
    return shares, covariates


def test_regression_is_statsmodels_fractional_logit_with_clustered_errors():
    shares, covariates = simulated_panel()
    rows = share_regression(shares, covariates, "year + C(genre)", categories=["epidemic"], min_reports=3)
    frame = pd.DataFrame([{"share": shares[r]["epidemic"], **covariates[r]} for r in shares])
    groups = frame["place_group"].factorize()[0]
    direct = smf.logit("share ~ year + C(genre)", data=frame).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": groups}
    )
    by_term = {r["term"]: r for r in rows}
    assert set(by_term) == {"year", "C(genre)[T.summary]"}
    for term, row in by_term.items():
        assert row["coef"] == pytest.approx(direct.params[term], rel=1e-6)
        low, high = direct.conf_int().loc[term]
        assert (row["coef_low"], row["coef_high"]) == pytest.approx((low, high), rel=1e-6)
        assert row["p_value"] == pytest.approx(direct.pvalues[term], rel=1e-6)
    margeff = direct.get_margeff(at="overall")
    assert by_term["year"]["ame_pp"] == pytest.approx(100 * margeff.margeff[1], rel=1e-6)
    # the same quasi-likelihood as a binomial GLM with a logit link (Papke & Wooldridge)
    glm = smf.glm("share ~ year + C(genre)", data=frame, family=sm.families.Binomial()).fit()
    assert by_term["year"]["coef"] == pytest.approx(glm.params["year"], rel=1e-5)
    assert by_term["year"]["n_clusters"] == len(set(groups)) and by_term["year"]["ame_low"] > 0


def test_composition_widens_intervals_with_noisy_shares():
    shares, covariates = simulated_panel()
    rng = np.random.default_rng(1)
    draws = {
        r: np.clip(np.array([[v["epidemic"], v["economy"]]]) + rng.normal(0, 0.08, (40, 2)), 0, 1)
        for r, v in shares.items()
    }
    plain = share_regression(shares, covariates, "year", categories=["epidemic"])[0]
    composed = share_regression(shares, covariates, "year", categories=["epidemic"], draws=draws, seed=0)[0]
    again = share_regression(shares, covariates, "year", categories=["epidemic"], draws=draws, seed=0)[0]
    assert composed == again and "composition" in composed["intervals"]
    assert composed["ame_high"] - composed["ame_low"] > plain["ame_high"] - plain["ame_low"]


def test_place_bootstrap_intervals_resample_clusters_and_leave_composition_alone():
    shares, covariates = simulated_panel()
    rng = np.random.default_rng(2)
    draws = {
        r: np.clip(np.array([[v["epidemic"], v["economy"]]]) + rng.normal(0, 0.05, (30, 2)), 0, 1)
        for r, v in shares.items()
    }
    composed = share_regression(shares, covariates, "year", categories=["epidemic"], draws=draws)[0]
    booted = share_regression(shares, covariates, "year", categories=["epidemic"], draws=draws, n_bootstrap=60)[0]
    assert {k: booted[k] for k in composed} == composed  # the composition intervals are unchanged
    assert booted["n_boot_fits"] == 60 and 0 < booted["ame_boot_low"] < booted["ame_pp"] < booted["ame_boot_high"]
    # with a shock shared by each cluster's reports, the cluster bootstrap is wider than with none
    shocked = {r: dict(v) for r, v in shares.items()}
    groups = sorted({c["place_group"] for c in covariates.values()})  # sorted: a set's order follows the hash seed
    shock = {g: rng.normal(0, 0.08) for g in groups}
    for r, v in shocked.items():
        v["epidemic"] = float(np.clip(v["epidemic"] + shock[covariates[r]["place_group"]], 0, 1))
    plain = share_regression(shares, covariates, "year", categories=["epidemic"], n_bootstrap=60)[0]
    wide = share_regression(shocked, covariates, "year", categories=["epidemic"], n_bootstrap=60)[0]
    assert wide["ame_boot_high"] - wide["ame_boot_low"] > plain["ame_boot_high"] - plain["ame_boot_low"]
    text = regression_markdown([booted])
    assert "place bootstrap" in text and f"{booted['ame_boot_low']:+.2f}" in text


def test_sparse_categories_and_unknown_variables_are_reported():
    shares, covariates = simulated_panel()
    for r in shares:
        shares[r]["poverty"] = 0.0
    rows = share_regression(shares, covariates, "year", categories=["poverty"])
    assert rows[0]["term"] is None and "fewer than" in rows[0]["note"]
    with pytest.raises(ConfigError, match="not a covariate"):
        share_regression(shares, covariates, "year + C(county)")


def test_covariates_from_reports_and_a_csv(tmp_path):
    report = parse_report(ROOT / "seeds" / "external" / "raw" / "003_zhangwu.txt")
    covariates = report_covariates([report])["003_zhangwu"]
    assert covariates["place"] == "鄣吴镇" and covariates["level"] == "town" and covariates["county"] == "安吉县"
    assert covariates["level_group"] == "sub-county" and covariates["genre"] == "government_work_report"
    assert covariates["year"] == min(report.meta.years)
    assert province_of_text("广西壮族自治区某县") == "广西" and province_of_text("北京路街道") is None
    path = tmp_path / "meta.csv"
    path.write_text("report_id,province,gdp\n003_zhangwu,浙江,12.5\nother,,3\n", encoding="utf-8-sig")
    extra = load_covariates(path)
    assert extra["003_zhangwu"] == {"province": "浙江", "gdp": 12.5} and extra["other"]["province"] is None
    merged = merge_covariates({"003_zhangwu": covariates}, extra)
    assert merged["003_zhangwu"]["province"] == "浙江" and set(merged) == {"003_zhangwu"}
    bad = tmp_path / "bad.csv"
    bad.write_text("id,x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="report_id"):
        load_covariates(bad)
    bad.write_text("report_id,x\na,1\na,2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="twice"):
        load_covariates(bad)
    with pytest.raises(InputError, match="not found"):
        load_covariates(tmp_path / "missing.csv")


def test_panel_rows_are_long_and_name_the_estimator():
    from nlp.analysis.attention import attention_profiles
    from nlp.analysis.quantify import make_estimator
    from nlp.classify.labels import labels_for, load_labels

    report = parse_report(seed("003"))
    labels = labels_for([report], load_labels())
    profiles = attention_profiles(
        [(report, labels, ["hand-coded"] * len(labels))], estimator=make_estimator("count", n_draws=50)
    )
    rows = panel_rows(profiles, report_covariates([report]))
    assert len(rows) == 9 * len(profiles) and {r["part"] for r in rows} == {p.part for p in profiles}
    assert {r["estimator"] for r in rows} == {"count"} and {r["interval"] for r in rows} == {"dirichlet"}
    assert rows[0]["place"] == "荫田镇" and rows[0]["year"] == 2021


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("panel") / "model.skops"
    assert run_cli("train", str(seed("002")), str(seed("004")), "--out", str(path), "--no-eval").returncode == 0
    return path


def test_panel_command(model, tmp_path):
    raw = ROOT / "seeds" / "external" / "raw"
    files = [str(p) for p in sorted(raw.glob("*.txt"))[:14]]
    meta = tmp_path / "meta.csv"
    with meta.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["report_id", "coastal"])
        writer.writerows([[p.split("/")[-1][:-4], i % 2] for i, p in enumerate(files)])
    out = tmp_path / "panel"
    args = ["panel", *files, "--model", str(model), "--covariates", str(meta), "--out", str(out)]
    result = run_cli(
        *args, "--formula", "year + coastal", "--n-draws", "20", "--min-reports", "3", "--place-bootstrap", "20"
    )
    assert result.returncode == 0, result.stderr
    assert "fractional logit" in result.stdout.lower() and "mean calibrated probability" in result.stdout
    assert "place bootstrap" in result.stdout.lower()
    with (out / "panel_long.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {"report_id", "part", "category", "share", "ci_low", "ci_high", "estimator", "coastal", "year"} <= set(
        rows[0]
    )
    assert {r["estimator"] for r in rows} == {"probability"}
    for name in ("regression.csv", "regression.md", "attention_by_year.png", "covariate_effects.svg", "manifest.json"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["estimator"] == "probability" and "year + coastal" in metrics["regressions"]
    assert_one_line_error(run_cli(*args), "--force")


def test_panel_errors_are_one_line_and_write_nothing(model, tmp_path):
    out = tmp_path / "never"
    base = ["panel", str(seed("001")), "--model", str(model), "--out", str(out)]
    assert_one_line_error(run_cli(*base, "--estimator", "adjusted"), "confusion matrix")
    assert_one_line_error(run_cli(*base, "--formula", "year + C(nonsense)"), "not a covariate")
    assert_one_line_error(run_cli(*base, "--covariates", str(tmp_path / "none.csv")), "not found")
    assert_one_line_error(run_cli(*base, "--interval", "wilson"), "count")
    assert_one_line_error(run_cli(*base, "--place-bootstrap", "0"), "positive integer")
    assert not out.exists()
