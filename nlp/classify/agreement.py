"""Inter-coder agreement: Cohen's kappa, Krippendorff's alpha, per-category agreement, disagreements.

Input is each coder's codes keyed by sentence (:meth:`nlp.classify.coding.CodeSheet.codes_of`);
a coder may leave sentences uncoded.

* **Cohen's kappa** for every pair of coders, on the sentences both coded
  (scikit-learn's :func:`~sklearn.metrics.cohen_kappa_score`).
* **Krippendorff's alpha** (nominal) over all coders at once, missing codes
  allowed (the ``krippendorff`` package; sentences coded by fewer than two
  coders carry no information and are left out by the formula itself).
* **Per category**: specific (positive) agreement -- of the codes in
  category *k* given by one coder of a pair, the share the other coder
  matched, ``2 n_kk / (n_k· + n_·k)`` pooled over pairs -- and
  Krippendorff's alpha of the binary "is it *k*?" coding.
* The **coder-by-coder confusion matrix** of each pair and the list of
  **disagreements** for adjudication.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from nlp.core.errors import ConfigError

__all__ = ["Codes", "agreement", "krippendorff_alpha", "load_coders", "markdown"]

Codes = dict[tuple[str, str], str]


def krippendorff_alpha(reliability_data, level: str = "nominal", value_domain: Sequence | None = None) -> float:
    """Krippendorff's alpha of a coders × units table (``nan`` or ``None`` = not coded).

    Values may be category names; they are mapped to integers (in
    ``value_domain`` order when given).  A thin wrapper over the
    ``krippendorff`` package.

    Examples
    --------
    The nominal example of Krippendorff (2011), *Computing Krippendorff's
    Alpha-Reliability*, four coders, twelve units:

    >>> nan = None
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha(data), 3)
    0.743
    """
    import krippendorff

    rows = [list(row) for row in reliability_data]
    values = [v for row in rows for v in row if not _missing(v)]
    domain = list(value_domain) if value_domain is not None else sorted(set(values), key=str)
    if level == "nominal":
        index = {v: float(k) for k, v in enumerate(domain)}
        table = np.array([[np.nan if _missing(v) else index[v] for v in row] for row in rows], dtype=float)
        domain_codes = np.arange(len(domain), dtype=float)
    else:
        table = np.array([[np.nan if _missing(v) else float(v) for v in row] for row in rows], dtype=float)
        domain_codes = None
    if len(set(values)) < 2:
        raise ConfigError("Krippendorff's alpha needs codes of at least two categories")
    return float(krippendorff.alpha(reliability_data=table, level_of_measurement=level, value_domain=domain_codes))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def agreement(coders: dict[str, Codes], categories: Sequence[str]) -> dict:
    """Agreement statistics of two or more coders.

    Parameters
    ----------
    coders : dict
        Coder name → ``{sentence key: category}``.
    categories : sequence of str
        The codebook's categories (row and column order of the matrices).

    Returns
    -------
    dict
        ``n_coders``, ``n_units`` (sentences coded by at least two coders),
        ``alpha``, ``pairs`` (per pair: ``n``, ``agreement``, ``kappa``,
        ``confusion``), ``mean_kappa``, ``per_category`` and ``disagreements``
        (keys with every coder's code).

    Raises
    ------
    ConfigError
        Fewer than two coders, no sentence coded by two of them, or every code
        the same category (agreement beyond chance is then undefined).

    Examples
    --------
    >>> a = {("r", "0"): "economy", ("r", "1"): "welfare", ("r", "2"): "economy", ("r", "3"): "general"}
    >>> b = {("r", "0"): "economy", ("r", "1"): "welfare", ("r", "2"): "general", ("r", "3"): "general"}
    >>> result = agreement({"a": a, "b": b}, ["economy", "welfare", "general"])
    >>> result["pairs"][0]["agreement"], round(result["pairs"][0]["kappa"], 3)
    (0.75, 0.636)
    """
    names = list(coders)
    if len(names) < 2:
        raise ConfigError(f"agreement needs at least two coders; got {len(names)} ({', '.join(names) or 'none'})")
    categories = list(categories)
    units = sorted({key for codes in coders.values() for key in codes})
    coded_by = Counter(key for codes in coders.values() for key in codes)
    pairable = [key for key in units if coded_by[key] >= 2]
    if not pairable:
        raise ConfigError("no sentence was coded by two coders: the files do not share sentences")
    used = {code for codes in coders.values() for key, code in codes.items() if coded_by[key] >= 2}
    if len(used) < 2:
        raise ConfigError(f"every code is {used.pop()!r}: agreement needs codes of at least two categories")
    table = [[coders[name].get(key) for key in pairable] for name in names]
    result: dict = {
        "coders": names,
        "n_coders": len(names),
        "n_units": len(pairable),
        "n_codes": sum(v is not None for row in table for v in row),
        "alpha": krippendorff_alpha(table, value_domain=categories),
        "pairs": [],
    }
    for first, second in itertools.combinations(names, 2):
        shared = [key for key in pairable if key in coders[first] and key in coders[second]]
        a = [coders[first][k] for k in shared]
        b = [coders[second][k] for k in shared]
        pair = {"coders": [first, second], "n": len(shared)}
        if shared:
            pair["agreement"] = float(np.mean([x == y for x, y in zip(a, b, strict=True)]))
            pair["kappa"] = float(cohen_kappa_score(a, b, labels=categories)) if len(set(a) | set(b)) > 1 else None
            pair["confusion"] = confusion_matrix(a, b, labels=categories).tolist()
        result["pairs"].append(pair)
    kappas = [p["kappa"] for p in result["pairs"] if p.get("kappa") is not None]
    result["mean_kappa"] = float(np.mean(kappas)) if kappas else None
    result["agreement"] = float(
        np.sum([p["agreement"] * p["n"] for p in result["pairs"] if p["n"]])
        / max(sum(p["n"] for p in result["pairs"]), 1)
    )
    result["per_category"] = _per_category(table, result["pairs"], categories)
    result["disagreements"] = [
        {"key": list(key), "codes": {name: coders[name].get(key) for name in names}}
        for key in pairable
        if len({coders[name][key] for name in names if key in coders[name]}) > 1
    ]
    return result


def _per_category(table, pairs, categories) -> list[dict]:
    rows = []
    counts = Counter(v for row in table for v in row if v is not None)
    for k, category in enumerate(categories):
        both = sum(p["confusion"][k][k] for p in pairs if p["n"])
        marginal = sum(sum(p["confusion"][k]) + sum(r[k] for r in p["confusion"]) for p in pairs if p["n"])
        binary = [[None if v is None else v == category for v in row] for row in table]
        present = {v for row in binary for v in row if v is not None}
        rows.append(
            {
                "category": category,
                "codes": int(counts.get(category, 0)),
                "specific_agreement": float(2 * both / marginal) if marginal else None,
                "alpha": krippendorff_alpha(binary, value_domain=[False, True]) if len(present) > 1 else None,
            }
        )
    return rows


def markdown(result: dict, labels: dict[str, str] | None = None) -> str:
    """The agreement figures as Markdown: overall, per pair, per category."""
    labels = labels or {}
    lines = [
        f"Coders: {', '.join(result['coders'])}; sentences coded by at least two: {result['n_units']}.",
        "",
        f"- Krippendorff's alpha (nominal, all coders): **{result['alpha']:.3f}**",
        f"- Percent agreement (pairs pooled): {result['agreement']:.1%}",
    ]
    if result["mean_kappa"] is not None:
        lines.append(f"- Cohen's kappa (mean over pairs): **{result['mean_kappa']:.3f}**")
    lines.append(f"- Disagreements to adjudicate: {len(result['disagreements'])}")
    lines += ["", "| pair | sentences | agreement | Cohen's kappa |", "|---|---|---|---|"]
    for pair in result["pairs"]:
        kappa = "" if pair.get("kappa") is None else f"{pair['kappa']:.3f}"
        share = f"{pair['agreement']:.1%}" if pair["n"] else ""
        lines.append(f"| {' vs '.join(pair['coders'])} | {pair['n']} | {share} | {kappa} |")
    lines += ["", "| category | codes | specific agreement | alpha (this category or not) |", "|---|---|---|---|"]
    for row in result["per_category"]:
        specific = "" if row["specific_agreement"] is None else f"{row['specific_agreement']:.3f}"
        alpha = "" if row["alpha"] is None else f"{row['alpha']:.3f}"
        lines.append(f"| {labels.get(row['category'], row['category'])} | {row['codes']} | {specific} | {alpha} |")
    return "\n".join(lines) + "\n"


def load_coders(paths: Sequence) -> tuple[dict[str, Codes], dict[tuple[str, str], dict]]:
    """Every coder's codes in the files at ``paths``, and each sentence's report, index and text.

    Each ``label_<coder>`` column of a sheet is a coder; a ``label`` column
    (a label file such as ``coder_a.csv``) is a coder named after the file.

    Raises
    ------
    ConfigError
        If a coder's column is empty, a coder name occurs twice, one
        sentence id has two texts, or fewer than two coders are found.
    """
    from pathlib import Path

    from nlp.classify.coding import FINAL_LABEL, label_column, read_codes, sentence_id

    coders: dict[str, Codes] = {}
    sentences: dict[tuple[str, str], dict] = {}
    for path in paths:
        sheet = read_codes(path)
        for coder in sheet.coders:
            name = Path(path).stem if coder == FINAL_LABEL else coder
            column = FINAL_LABEL if coder == FINAL_LABEL else label_column(coder)
            if name in coders:
                raise ConfigError(f"{path}: coder {name!r} ({column}) appears in two files; rename one column")
            codes = sheet.codes_of(coder)
            if not codes:
                raise ConfigError(f"{path}: column {column} is empty: coder {name!r} coded nothing")
            coders[name] = codes
        for row in sheet.rows:
            known = sentences.setdefault(row.key, {"report_id": row.report_id, "index": row.index, "text": row.text})
            if known["text"] != row.text:
                raise ConfigError(
                    f"{path}:{row.line}: sentence {sentence_id(*row.key)} reads differently in another file "
                    "(the sheets do not match)"
                )
    if len(coders) < 2:
        found = ", ".join(coders) or "none"
        raise ConfigError(
            f"{', '.join(map(str, paths))}: agreement needs at least two coders; found one ({found}). "
            "Give each coder's file, or a sheet with a label_<coder> column per coder"
        )
    return coders, sentences
