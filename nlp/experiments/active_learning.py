"""Active-learning experiment: how many sentences of new places a researcher must code, random vs uncertainty.

Simulates the loop of ``python -m nlp sample`` → hand coding → ``train`` on
the external corpus, whose 766 sentences are all hand-coded (the codes play
the coder).  For each of ``seeds`` random partitions of the external
*places* into ``folds`` parts, every part in turn is the **test** set (places
never coded) and the other parts are the researcher's own **pool**.  Starting
from the model trained on the five seed reports, the researcher codes
``batch`` pool sentences per round -- drawn at random, or the ones the
current model is least sure of (margin, at most ⌈batch / pool reports⌉ from
one report: :func:`nlp.classify.sampling.select_uncertain`) -- and retrains on the
seeds plus every sentence coded so far.  After each round the model labels
the test places.  Both strategies share each partition, so they are
compared on the same places.

Held-out predictions of the folds are pooled, so each point of a curve is
the macro-F1 over all external sentences, each predicted by a model that
never saw its place, after ``labels`` coded sentences per fold.  A curve is
the mean over the partitions; its 95% intervals resample whole reports
(cluster bootstrap, as everywhere in the package) and, beside them,
sentences.  *Labels needed* for a target is the first round at which the
pooled macro-F1 reaches it: the median over partitions, their range, and a
95% interval over report resamples.

To stay within minutes on two cores the model inside the loop is the
package's classifier with fixed hyper-parameters (logistic regression,
C = 10, every feature block, no temperature: calibration changes no label)
and without the bare-sentence pipeline.
"""

from __future__ import annotations

import math

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from nlp.classify.active_learning import (
    STRATEGIES,
    STRATEGY_NAMES,
    first_reaching,
    macro_f1_codes,
    place_folds,
    simulate,
)
from nlp.classify.codebook import load_codebook
from nlp.classify.evaluate import place_groups
from nlp.classify.labels import labels_for, load_labels
from nlp.experiments import load_reports
from nlp.io.plotting import plot_learning_curves, save_figure
from nlp.io.results import ResultsDir
from nlp.text.records import sentence_records

__all__ = ["labels_needed_table", "run"]


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    """Simulate the coding loop for every partition and strategy; write curves, labels needed and a figure."""
    rounds, batch = int(config.rounds), int(config.batch)
    seeds = list(config.seeds)
    n_folds, n_boot = int(config.folds), int(config.n_bootstrap)
    targets = [float(t) for t in config.targets]
    C = float(config.C)
    seed_reports = load_reports(config.reports, config.cache, progress)
    external = load_reports(config.external, config.cache, progress)
    hand = load_labels([config.labels, config.external_labels])
    X_seed, y_seed = sentence_records(seed_reports), np.asarray(labels_for(seed_reports, hand))
    X_ext, y_ext = sentence_records(external), np.asarray(labels_for(external, hand))
    reports = np.array([r["report_id"] for r in X_ext])
    place_of = dict(zip((r.report_id for r in external), place_groups(external), strict=True))
    groups = np.array([place_of[r] for r in reports])

    jobs = []
    for seed in seeds:
        folds = place_folds(groups, n_folds, seed)
        for fold in range(n_folds):
            test, pool = np.flatnonzero(folds == fold), np.flatnonzero(folds != fold)
            for strategy in STRATEGIES:
                jobs.append((seed, fold, strategy, pool, test))
    outcomes = Parallel(n_jobs=config.n_jobs)(
        delayed(simulate)(
            X_seed, y_seed, X_ext, y_ext, reports, pool, test, strategy, rounds, batch, 1000 * seed + fold, C
        )
        for seed, fold, strategy, pool, test in tqdm(jobs, desc="active learning", unit="run", disable=not progress)
    )
    # pooled held-out predictions: (strategy, seed) -> rounds+1 × sentences
    pooled = {(s, seed): np.empty((rounds + 1, len(y_ext)), dtype=object) for s in STRATEGIES for seed in seeds}
    for (seed, _fold, strategy, _pool, test), predicted in zip(jobs, outcomes, strict=True):
        pooled[(strategy, seed)][:, test] = predicted
    classes = list(load_codebook().ids)
    code = {c: k for k, c in enumerate(classes)}
    y_codes = np.array([code[c] for c in y_ext])
    pred_codes = {key: np.vectorize(code.get)(value.astype(str)) for key, value in pooled.items()}
    labels = np.arange(rounds + 1) * batch

    def curves_on(rows: np.ndarray) -> dict:
        """Macro-F1 per (strategy, seed) and round on the sentences ``rows``."""
        return {
            key: np.array([macro_f1_codes(y_codes[rows], p[r, rows], len(classes)) for r in range(rounds + 1)])
            for key, p in pred_codes.items()
        }

    curves = curves_on(np.arange(len(y_ext)))
    rng = np.random.default_rng(int(config.bootstrap_seed))
    members = [np.flatnonzero(reports == r) for r in dict.fromkeys(reports.tolist())]
    by_reports, by_sentences = [], []
    for _ in tqdm(range(n_boot), desc="bootstrap", unit="resample", disable=not progress, leave=False):
        by_reports.append(curves_on(np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])))
        by_sentences.append(curves_on(rng.integers(0, len(y_ext), len(y_ext))))

    rows, needed = [], []
    for strategy in STRATEGIES:
        mean = np.mean([curves[(strategy, s)] for s in seeds], axis=0)
        seed_curves = np.array([curves[(strategy, s)] for s in seeds])
        boot_r = np.array([np.mean([b[(strategy, s)] for s in seeds], axis=0) for b in by_reports])
        boot_s = np.array([np.mean([b[(strategy, s)] for s in seeds], axis=0) for b in by_sentences])
        r_low, r_high = np.percentile(boot_r, [2.5, 97.5], axis=0)
        s_low, s_high = np.percentile(boot_s, [2.5, 97.5], axis=0)
        for r in range(rounds + 1):
            rows.append(
                {
                    "strategy": strategy,
                    "labels": int(labels[r]),
                    "macro_f1": round(float(mean[r]), 4),
                    "seed_min": round(float(seed_curves[:, r].min()), 4),
                    "seed_max": round(float(seed_curves[:, r].max()), 4),
                    "ci95_reports_low": round(float(r_low[r]), 4),
                    "ci95_reports_high": round(float(r_high[r]), 4),
                    "ci95_sentences_low": round(float(s_low[r]), 4),
                    "ci95_sentences_high": round(float(s_high[r]), 4),
                }
            )
        for target in targets:
            per_seed = [first_reaching(curves[(strategy, s)], labels, target) for s in seeds]
            boot = [
                first_reaching(np.mean([b[(strategy, s)] for s in seeds], axis=0), labels, target) for b in by_reports
            ]
            boot_s = [
                first_reaching(np.mean([b[(strategy, s)] for s in seeds], axis=0), labels, target) for b in by_sentences
            ]
            needed.append(
                {
                    "strategy": strategy,
                    "target": target,
                    "labels_needed_mean_curve": _finite(first_reaching(mean, labels, target)),
                    "median_over_partitions": _finite(float(np.median(per_seed))),
                    "partitions_min": _finite(min(per_seed)),
                    "partitions_max": _finite(max(per_seed)),
                    "partitions_reaching": int(np.isfinite(per_seed).sum()),
                    "ci95_reports": _percentiles(boot, labels[-1]),
                    "ci95_sentences": _percentiles(boot_s, labels[-1]),
                    "resamples_reaching": float(np.isfinite(boot).mean()),
                }
            )

    # the paired comparison: the same partitions and report resamples for both strategies
    def seed_mean(c, strategy):
        return np.mean([c[(strategy, s)] for s in seeds], axis=0)

    gain = seed_mean(curves, "uncertainty") - seed_mean(curves, "random")
    boot_gain = np.array([seed_mean(b, "uncertainty") - seed_mean(b, "random") for b in by_reports])
    g_low, g_high = np.percentile(boot_gain, [2.5, 97.5], axis=0)
    comparison = [
        {
            "labels": int(labels[r]),
            "uncertainty_minus_random": round(float(gain[r]), 4),
            "ci95_reports_low": round(float(g_low[r]), 4),
            "ci95_reports_high": round(float(g_high[r]), 4),
        }
        for r in range(rounds + 1)
    ]
    start = rows[0]["macro_f1"]
    metrics = {
        "design": {
            "corpus": f"{len(external)} external reports ({len(set(groups))} places, {len(y_ext)} coded sentences); "
            f"the model starts from the {len(seed_reports)} seed reports ({len(y_seed)} sentences)",
            "partitions": seeds,
            "folds": n_folds,
            "rounds": rounds,
            "batch": batch,
            "max_labels_per_fold": int(labels[-1]),
            "model": f"PolicyClassifier, all feature blocks, logistic regression C={C:g}, no temperature",
            "uncertainty": "margin 1 - (p1 - p2), at most ceil(batch / pool reports) sentences per report and round",
            "metric": "macro-F1 over all external sentences, each predicted by a model that never saw its place "
            "(folds pooled), mean over partitions",
            "intervals": "95% percentile bootstrap: over reports (whole documents resampled) and over sentences; "
            f"{n_boot} resamples",
        },
        "start_macro_f1": start,
        "labels_needed": needed,
        "uncertainty_minus_random": comparison,
        "curves": {s: [r for r in rows if r["strategy"] == s] for s in STRATEGIES},
    }
    out.write_json("metrics.json", metrics)
    out.write_csv("learning_curves.csv", rows)
    out.write_csv("comparison.csv", comparison)
    out.write_csv(
        "per_partition.csv",
        [
            {
                "strategy": s,
                "partition": seed,
                "labels": int(labels[r]),
                "macro_f1": round(float(curves[(s, seed)][r]), 4),
            }
            for s in STRATEGIES
            for seed in seeds
            for r in range(rounds + 1)
        ],
    )
    out.write_csv(
        "labels_needed.csv",
        [{**n, "ci95_reports": _span(n["ci95_reports"]), "ci95_sentences": _span(n["ci95_sentences"])} for n in needed],
    )
    out.write_text("labels_needed.md", labels_needed_table(needed, int(labels[-1])))
    save_figure(plot_learning_curves(rows, targets, start, STRATEGY_NAMES), out.path("learning_curves"))
    return metrics


def _percentiles(values, top: float) -> list[float | None]:
    """2.5 and 97.5 percentiles of labels needed, a target never reached counting as more than ``top``."""
    capped = np.where(np.isfinite(values), values, top + 1)
    return [None if v > top else float(v) for v in np.percentile(capped, [2.5, 97.5], method="lower")]


def _finite(value: float) -> float | None:
    """``None`` for a target never reached (JSON has no infinity)."""
    return None if not math.isfinite(value) else float(value)


def _span(pair) -> str:
    low, high = pair
    return f"{_fmt(low)}–{_fmt(high)}"


def _fmt(value, top: int | None = None) -> str:
    if value is None:
        return f"> {top}" if top is not None else "not reached"
    return f"{value:.0f}"


def labels_needed_table(needed: list[dict], top: int) -> str:
    """Markdown: per strategy and target, coded sentences needed (per fold) with their spread and intervals."""
    lines = [
        "| strategy | target macro-F1 | labels needed (mean curve) | median over partitions (range) "
        "| 95% interval over reports | 95% interval over sentences |",
        "|---|---|---|---|---|---|",
    ]
    for n in needed:
        spread = f"{_fmt(n['median_over_partitions'], top)} ({_fmt(n['partitions_min'], top)}–"
        spread += f"{_fmt(n['partitions_max'], top)})"
        reports = f"{_fmt(n['ci95_reports'][0], top)}–{_fmt(n['ci95_reports'][1], top)}"
        sentences = f"{_fmt(n['ci95_sentences'][0], top)}–{_fmt(n['ci95_sentences'][1], top)}"
        lines.append(
            f"| {n['strategy']} | {n['target']:.2f} | {_fmt(n['labels_needed_mean_curve'], top)} | {spread} "
            f"| {reports} | {sentences} |"
        )
    return "\n".join(lines) + "\n"
