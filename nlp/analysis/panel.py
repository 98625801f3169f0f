"""Stage 10: the attention panel -- report covariates, long panel rows, and regressions of shares on covariates.

A researcher comparing places and years needs three things after the
per-report shares (:mod:`nlp.analysis.attention`, :mod:`nlp.analysis.quantify`):

* **covariates** of every report: place, level, county, city, province
  where the text names it, the year it covers, genre, publication date,
  the held-out-place group -- from :class:`nlp.text.cleaning.ReportMeta` -- plus
  any columns of the user's own CSV keyed by ``report_id``
  (:func:`report_covariates`, :func:`load_covariates`);
* a **long panel**, one row per report × part × category with the share,
  its interval, estimator and covariates, ready for R, Stata or pandas
  (:func:`panel_rows`);
* **covariate effects** with uncertainty, in the spirit of stm's
  ``estimateEffect``: one fractional-logit regression (Papke & Wooldridge
  1996; a quasi-likelihood logit of a share in [0, 1], fitted by
  :class:`statsmodels.discrete.discrete_model.Logit`) per category, with
  standard errors clustered by place, and average marginal effects in
  percentage points (:func:`share_regression`).  With ``intervals =
  "composition"`` the regression is refitted on draws of every report's
  shares (which carry classifier and sampling uncertainty) and a
  coefficient is drawn from each fit's cluster-robust sampling
  distribution -- the method of composition ``estimateEffect`` uses -- so
  the intervals include the measurement error of the shares.

Examples
--------
>>> province_of_text("江苏省无锡市华庄街道2022年工作总结")
'江苏'
>>> province_of_text("上海市杨浦区定海路街道")
'上海'
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.classify.codebook import load_codebook
from nlp.core.errors import ConfigError, InputError

__all__ = [
    "COUNTY_LEVELS",
    "COVARIATES",
    "NUMERIC",
    "PROVINCES",
    "attention_by_year",
    "check_formula",
    "load_covariates",
    "merge_covariates",
    "panel_rows",
    "province_of_text",
    "regression_markdown",
    "report_covariates",
    "share_regression",
    "source_provinces",
]

#: Provincial-level units by their short names.
PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
)
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
_PROVINCE_RE = re.compile(
    "(" + "|".join(PROVINCES) + r")(?:省|壮族自治区|回族自治区|维吾尔自治区|自治区|(?<=北京|天津|上海|重庆)市)"
)
#: Covariate columns derived from a report's text, in panel order.
COVARIATES = (
    "place",
    "level",
    "level_group",
    "county",
    "city",
    "province",
    "year",
    "years",
    "genre",
    "published",
    "place_group",
)
COUNTY_LEVELS = frozenset({"county", "district", "banner"})
#: Regression terms a formula may use without a covariates file.
NUMERIC = ("year",)


def province_of_text(text: str) -> str | None:
    """The province a text names with its full suffix (江苏省, 广西壮族自治区, 上海市), else ``None``."""
    match = _PROVINCE_RE.search(text)
    return match.group(1) if match else None


def report_covariates(reports, year: str = "reviewed") -> dict[str, dict]:
    """Covariates of each report from its metadata, keyed by report id.

    ``year`` is the first year a report covers (``"reviewed"``) or the last
    (``"latest"``, the plan year); ``level_group`` is ``county`` for
    county-level units (县/区/旗) and ``sub-county`` otherwise.  ``province``
    is taken from the title, the front matter, the portal fields and the
    first 300 characters of the text, only where a full provincial name
    (省/自治区/直辖市) stands there.

    Examples
    --------
    >>> from nlp.text.corpus import parse_text
    >>> report = parse_text("江苏省某县X镇2020年工作总结\\n2020年，全镇经济平稳发展。", "r1")
    >>> covariates = report_covariates([report])["r1"]
    >>> covariates["year"], covariates["province"], covariates["genre"]
    (2020, '江苏', 'summary')
    """
    from nlp.classify.evaluate import place_groups

    if year not in ("reviewed", "latest"):
        raise ValueError(f"year must be 'reviewed' or 'latest', got {year!r}")
    covariates = {}
    for report, group in zip(reports, place_groups(reports), strict=True):
        meta = report.meta
        head = " ".join([meta.title or "", *meta.front_matter, *meta.page_fields.values(), report.text[:300]])
        years = sorted(meta.years)
        covariates[report.report_id] = {
            "place": meta.township,
            "level": meta.level,
            "level_group": None if meta.level is None else ("county" if meta.level in COUNTY_LEVELS else "sub-county"),
            "county": meta.county,
            "city": meta.city,
            "province": province_of_text(head),
            "year": (years[0] if year == "reviewed" else years[-1]) if years else None,
            "years": "-".join(str(y) for y in meta.years),
            "genre": meta.genre,
            "published": meta.published,
            "place_group": group,
        }
    return covariates


def _value(text: str):
    text = text.strip()
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def load_covariates(path: str | Path) -> dict[str, dict]:
    """A covariates CSV keyed by ``report_id`` (UTF-8, with or without BOM): ``{report_id: {column: value}}``.

    Numbers become ``int`` or ``float``, empty cells ``None``.

    Raises
    ------
    InputError
        If the file is missing.
    ConfigError
        If it has no ``report_id`` column, or a report id appears twice.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: covariates file not found")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if "report_id" not in (reader.fieldnames or ()):
                raise ConfigError(f"{path}: no report_id column (columns: {', '.join(reader.fieldnames or ())})")
            table: dict[str, dict] = {}
            for line, row in enumerate(reader, start=2):
                key = (row.pop("report_id") or "").strip()
                if key in table:
                    raise ConfigError(f"{path}:{line}: report_id {key!r} appears twice")
                table[key] = {k: _value(v or "") for k, v in row.items() if k is not None}
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return table


def merge_covariates(base: dict[str, dict], extra: dict[str, dict] | None) -> dict[str, dict]:
    """``base`` with the user's columns added; a user value replaces one read from the text, a blank does not."""
    merged = {key: dict(values) for key, values in base.items()}
    for key, values in (extra or {}).items():
        if key in merged:
            merged[key].update({k: v for k, v in values.items() if v is not None or k not in merged[key]})
    return merged


def panel_rows(profiles, covariates: dict[str, dict]) -> list[dict]:
    """One row per report × part × category: share, interval, estimator, counts and every covariate."""
    columns = list(dict.fromkeys(k for values in covariates.values() for k in values))
    rows = []
    for p in profiles:
        extra = covariates.get(p.report_id, {})
        for category, share in p.sentence_share.items():
            low, high = p.sentence_ci95[category]
            rows.append(
                {
                    "report_id": p.report_id,
                    "part": p.part,
                    "category": category,
                    "share": round(share, 4),
                    "ci_low": round(low, 4),
                    "ci_high": round(high, 4),
                    "estimator": p.estimator,
                    "interval": p.interval,
                    "label_source": p.label_source,
                    "n_sentences": p.n_sentences,
                    **{c: extra.get(c) for c in columns},
                }
            )
    return rows


def _design(formula: str, covariates: dict[str, dict], report_ids: Sequence[str]):
    """The covariate frame of the reports that have every variable of ``formula`` (others dropped)."""
    import pandas as pd

    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula)) - {"C", "np", "log", "I", "Treatment"})
    known = {k for values in covariates.values() for k in values}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"formula {formula!r} names {', '.join(unknown)}: not a covariate (have {sorted(known)})")
    frame = pd.DataFrame([{"report_id": r, **covariates.get(r, {})} for r in report_ids])
    keep = frame[names].notna().all(axis=1).to_numpy()
    return frame, names, keep


def check_formula(formula: str, covariates: dict[str, dict]) -> None:
    """Raise :class:`~nlp.core.errors.ConfigError` if ``formula`` names a variable no report has."""
    _design(formula, covariates, list(covariates))


def _fit(y, frame, formula: str, groups):
    import statsmodels.formula.api as smf

    data = frame.assign(share=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.logit(f"share ~ {formula}", data=data)
        if groups is None:  # point estimates only (bootstrap replicates)
            fitted = model.fit(disp=0, maxiter=200)
        else:
            fitted = model.fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups}, maxiter=200)
        margeff = fitted.get_margeff(at="overall")
    return fitted, margeff


def share_regression(
    shares: dict[str, dict[str, float]],
    covariates: dict[str, dict],
    formula: str = "year",
    cluster: str = "place_group",
    draws: dict[str, np.ndarray] | None = None,
    categories: Sequence[str] | None = None,
    min_reports: int = 5,
    level: float = 0.95,
    seed: int = 0,
    n_bootstrap: int = 0,
) -> list[dict]:
    """Fractional-logit regressions of each category's share on covariates, one per category.

    Parameters
    ----------
    shares : dict
        ``{report_id: {category: share}}`` (one part, usually ``"all"``).
    covariates : dict
        ``{report_id: {name: value}}``; reports missing a formula variable are dropped.
    formula : str
        Right-hand side in Wilkinson notation, e.g. ``"year + C(genre)"``.
    cluster : str
        Covariate whose values are the clusters of the robust standard errors
        (default: the held-out-place group, county else place).
    draws : dict, optional
        ``{report_id: ndarray (n_draws, n_categories)}`` share draws, columns in
        the order of each ``shares[report_id]``: intervals by the method of composition.
        Without them the intervals are the cluster-robust Wald intervals.
    min_reports : int
        A category needs at least this many reports with a positive share.
    n_bootstrap : int
        If positive, also intervals from a bootstrap over clusters (places):
        each replicate resamples whole clusters with replacement, takes one
        share draw per report (when ``draws`` are given) and refits;
        percentile intervals in ``coef_boot_low``/``coef_boot_high`` and
        ``ame_boot_low``/``ame_boot_high``, with ``n_boot_fits`` successful refits.

    Returns
    -------
    list of dict
        One row per category × term: ``coef`` (log-odds), ``coef_low``/``coef_high``,
        ``ame_pp`` (average marginal effect, percentage points) with its interval,
        ``p_value`` (cluster-robust Wald test of the point fit), ``n_reports``, ``n_clusters``,
        ``intervals`` (how they were made), or ``note`` where the model could not be estimated.
        With ``draws``, ``coef`` and ``ame_pp`` are the means of the composition samples
        (the fit on the point shares is kept as ``coef_point_fit``, ``ame_pp_point_fit``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ids = [f"r{i}" for i in range(60)]
    >>> cov = {r: {"year": 2015 + i % 10, "place_group": f"g{i // 2}"} for i, r in enumerate(ids)}
    >>> sh = {r: {"epidemic": 0.02 * (cov[r]["year"] - 2014) * rng.uniform(0.5, 1.5)} for r in ids}
    >>> row = share_regression(sh, cov, "year", categories=["epidemic"])[0]
    >>> row["term"], row["ame_pp"] > 0, row["ame_low"] > 0
    ('year', True, True)
    """
    report_ids = list(shares)
    columns = list(next(iter(shares.values())))  # the order of the draws' columns
    categories = list(categories or columns)
    frame, _names, keep = _design(formula, covariates, report_ids)
    if cluster not in frame:
        raise ConfigError(f"cluster covariate {cluster!r} not found")
    frame = frame[keep].reset_index(drop=True)
    ids = [r for r, k in zip(report_ids, keep, strict=True) if k]
    groups = frame[cluster].astype(str).factorize()[0]
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2 * 100
    rows = []
    for category in categories:
        index = columns.index(category)
        y = np.array([shares[r][category] for r in ids], dtype=float)
        base = {"category": category, "formula": formula, "n_reports": len(ids), "n_clusters": int(groups.max() + 1)}
        if (y > 0).sum() < min_reports or (y < 1).sum() < 2:
            rows.append({**base, "term": None, "note": f"fewer than {min_reports} reports with a positive share"})
            continue
        try:
            fitted, margeff = _fit(y, frame, formula, groups)
        except Exception as exc:  # perfect separation, singular design: not estimable, say so
            rows.append({**base, "term": None, "note": f"not estimable: {type(exc).__name__}"})
            continue
        terms = [t for t in fitted.params.index if t != "Intercept"]
        coef_ci = fitted.conf_int(alpha=1 - level)
        ame, ame_se = np.asarray(margeff.margeff), np.asarray(margeff.margeff_se)
        ame_ci = np.asarray(margeff.conf_int(alpha=1 - level))
        method = "cluster-robust Wald (clusters: " + cluster + ")"
        samples_coef = samples_ame = None
        if draws is not None:
            samples_coef, samples_ame = _composition(draws, ids, index, frame, formula, groups, terms, rng)
            method = "method of composition over share draws × cluster-robust sampling (clusters: " + cluster + ")"
        for j, term in enumerate(terms):
            row = {
                **base,
                "term": term,
                "coef": float(fitted.params[term]),
                "coef_low": float(coef_ci.loc[term, 0]),
                "coef_high": float(coef_ci.loc[term, 1]),
                "ame_pp": 100 * float(ame[j]),
                "ame_low": 100 * float(ame_ci[j, 0]),
                "ame_high": 100 * float(ame_ci[j, 1]),
                "ame_se_pp": 100 * float(ame_se[j]),
                "p_value": float(fitted.pvalues[term]),
                "intervals": method,
            }
            if samples_coef is not None and len(samples_coef):
                # point and interval from the composition samples (as estimateEffect), the point fit kept beside
                row["coef_point_fit"], row["ame_pp_point_fit"] = row["coef"], row["ame_pp"]
                row["coef"] = float(samples_coef[:, j].mean())
                row["coef_low"], row["coef_high"] = (
                    float(v) for v in np.percentile(samples_coef[:, j], [tail, 100 - tail])
                )
                row["ame_pp"] = 100 * float(samples_ame[:, j].mean())
                low, high = np.percentile(samples_ame[:, j], [tail, 100 - tail])
                row["ame_low"], row["ame_high"] = 100 * float(low), 100 * float(high)
            rows.append(row)
        if n_bootstrap > 0:
            boot_rng = np.random.default_rng([seed, 1, categories.index(category)])  # composition draws unchanged
            _add_bootstrap(
                rows[-len(terms) :], y, ids, index, frame, formula, groups, terms, draws, n_bootstrap, boot_rng
            )
    return rows


def _add_bootstrap(rows, y, ids, index, frame, formula, groups, terms, draws, n_bootstrap, rng) -> None:
    """Cluster-bootstrap percentile intervals of every term's coefficient and AME, added to its row."""
    tail = 2.5
    coefs, ames = _cluster_bootstrap(y, ids, index, frame, formula, groups, terms, draws, n_bootstrap, rng)
    for j, row in enumerate(rows):
        row["n_boot_fits"] = len(coefs)
        if len(coefs) < 2:
            continue
        row["coef_boot_low"], row["coef_boot_high"] = (float(v) for v in np.percentile(coefs[:, j], [tail, 100 - tail]))
        low, high = np.percentile(ames[:, j], [tail, 100 - tail])
        row["ame_boot_low"], row["ame_boot_high"] = 100 * float(low), 100 * float(high)


def _cluster_bootstrap(y, ids, index, frame, formula, groups, terms, draws, n_bootstrap, rng):
    """Coefficient and AME replicates: whole clusters resampled, one share draw per report, refitted."""
    members = [np.flatnonzero(groups == g) for g in range(groups.max() + 1)]
    coefs, ames = [], []
    for _ in range(n_bootstrap):
        picked = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        values = y[picked]
        if draws is not None:
            values = np.array([draws[ids[i]][rng.integers(0, len(draws[ids[i]])), index] for i in picked])
        try:
            fitted, margeff = _fit(values, frame.iloc[picked].reset_index(drop=True), formula, None)
            if list(fitted.params.index[1:]) != terms or not np.all(np.isfinite(fitted.params)):
                continue  # a replicate missing a level of a factor cannot give every term
        except Exception:  # separation or a singular design in one replicate: left out
            continue
        coefs.append(fitted.params[terms].to_numpy())
        ames.append(np.asarray(margeff.margeff))
    return np.array(coefs), np.array(ames)


def _composition(draws, ids, index, frame, formula, groups, terms, rng):
    """Coefficient and AME samples: refit on each share draw, then draw from that fit's sampling distribution."""
    n_draws = min(len(draws[r]) for r in ids)
    coefs, ames = [], []
    for d in range(n_draws):
        y = np.array([draws[r][d, index] for r in ids], dtype=float)
        try:
            fitted, margeff = _fit(y, frame, formula, groups)
        except Exception:  # a draw that cannot be fitted is left out
            continue
        mean = fitted.params[terms].to_numpy()
        cov = fitted.cov_params().loc[terms, terms].to_numpy()
        coefs.append(rng.multivariate_normal(mean, cov, method="eigh"))
        ames.append(rng.normal(np.asarray(margeff.margeff), np.asarray(margeff.margeff_se)))
    return np.array(coefs), np.array(ames)


def regression_markdown(rows: Sequence[dict], term: str | None = None, estimator: str = "", level: float = 0.95) -> str:
    """The regression table: one line per category (and term), coefficient and AME with intervals."""
    chosen = [r for r in rows if term is None or r.get("term") == term or r.get("term") is None]
    boot = any("ame_boot_low" in r for r in chosen)
    extra = " AME, place bootstrap (95% CI) |" if boot else ""
    lines = [
        f"| category | term | log-odds coef. (95% CI) | AME, pp (95% CI) |{extra} p | reports | clusters |",
        "|---|---|---|---|" + ("---|" if boot else "") + "---|---|---|",
    ]
    for r in chosen:
        if r.get("term") is None:
            gap = " |" if boot else ""
            lines.append(f"| {r['category']} | – | {r['note']} | |{gap} | {r['n_reports']} | {r['n_clusters']} |")
            continue
        cell = ""
        if boot:
            cell = f" ({r['ame_boot_low']:+.2f}, {r['ame_boot_high']:+.2f}) |" if "ame_boot_low" in r else " – |"
        lines.append(
            f"| {r['category']} | {r['term']} | {r['coef']:+.3f} ({r['coef_low']:+.3f}, {r['coef_high']:+.3f}) | "
            f"{r['ame_pp']:+.2f} ({r['ame_low']:+.2f}, {r['ame_high']:+.2f}) |{cell} {r['p_value']:.3f} | "
            f"{r['n_reports']} | {r['n_clusters']} |"
        )
    methods = sorted({r["intervals"] for r in chosen if r.get("intervals")})
    formulas = sorted({r["formula"] for r in chosen})
    fits = sorted({r["n_boot_fits"] for r in chosen if "n_boot_fits" in r})
    lines += [
        "",
        f"Fractional logit (quasi-likelihood logit of each category's share, statsmodels) of share ~ "
        f"{'; '.join(formulas)}; shares: {estimator or 'as given'}; {int(100 * level)}% intervals: "
        f"{'; '.join(methods)}. AME = average marginal effect on the share, percentage points (per year for year).",
    ]
    if boot:
        lines[-1] += (
            f" Place bootstrap: whole clusters resampled with replacement, one share draw per report, refitted "
            f"({min(fits)}–{max(fits)} successful refits); percentile intervals."
        )
    return "\n".join(lines) + "\n"


def source_provinces(path) -> dict[str, dict]:
    """Provinces of the external reports from the table in ``SOURCES.md`` (``raw/001_x.txt | … | 江苏 |``)."""
    if not path or not Path(path).is_file():
        return {}
    provinces = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 3 and re.fullmatch(r"raw/[\w.]+\.txt", cells[0]):
            province = cells[2]
            provinces[Path(cells[0]).stem] = {"province": None if "not named" in province else province}
    return provinces


def attention_by_year(profiles, covariates, categories, seed: int, n_boot: int = 1000) -> list[dict]:
    """Mean share per year and category of whole-report profiles, with a 95% interval.

    The interval resamples the reports of a year and, for each, one of its
    share draws (``profile.draws``, when the estimator made them), so it
    carries both between-report and within-report uncertainty.
    ``covariates[report_id]["year"]`` gives each report's year.
    """
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(load_codebook().ids)}
    years = sorted({covariates[p.report_id]["year"] for p in profiles})
    rows = []
    for year in years:
        members = [p for p in profiles if covariates[p.report_id]["year"] == year]
        for c in categories:
            point = float(np.mean([p.sentence_share[c] for p in members]))
            values = np.empty(n_boot)
            for b in range(n_boot):
                picked = rng.integers(0, len(members), len(members))
                shares = []
                for i in picked:
                    p = members[i]
                    shares.append(
                        p.draws[rng.integers(0, len(p.draws)), index[c]] if p.draws is not None else p.sentence_share[c]
                    )
                values[b] = np.mean(shares)
            low, high = np.percentile(values, [2.5, 97.5])
            rows.append(
                {
                    "year": int(year),
                    "category": c,
                    "reports": len(members),
                    "share": round(point, 4),
                    "low": round(float(low), 4),
                    "high": round(float(high), 4),
                }
            )
    return rows
