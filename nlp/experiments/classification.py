"""Classification experiment: how well the sentence classifier holds on reports from places it has not seen.

Three protocols, each with the same baselines:

* ``held_out_places`` -- the main figure.  All labelled reports (the seeds
  and the external corpus) are grouped by place (:func:`nlp.classify.evaluate.place_groups`);
  one place at a time is held out, the model is trained on all the others
  with its regularisation strength and temperature chosen on held-out places
  of that training part only, and scored on the held-out place.
* ``transfer`` -- train on the five seed reports only, test on every external
  report: what a user gets from a model trained on one county's reports.
* ``seeds_loro`` -- leave-one-report-out on the five seeds, as before, so the
  figure of earlier versions can be compared.

Every pooled figure carries a 95% interval over sentences and one over
reports (resampling whole documents, whose sentences are not independent).
The experiment also writes an ablation (what each change buys, held-out
places), a learning curve (held-out-place macro-F1 against the number of
labelled reports), the reliability diagram and expected calibration error
of raw and calibrated scores, the inter-coder agreement of the external
labels, and the default model trained on every labelled report.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import cohen_kappa_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from nlp.classify.codebook import load_codebook
from nlp.classify.evaluate import (
    GroupedResult,
    accuracy_above,
    aligned_proba,
    grouped_evaluation,
    learning_curve,
    leave_one_report_out,
    review_threshold,
    select_and_calibrate,
    summarize,
    summarize_grouped,
)
from nlp.classify.features import DEFAULT_BLOCKS, TEXT_BLOCKS, make_features
from nlp.classify.labels import HeadingRuleLabeler, labels_for, load_labels
from nlp.classify.model import KeywordRuleClassifier, PolicyClassifier, majority_baseline, make_model
from nlp.classify.persist import save_classifier
from nlp.classify.training import REVIEW_ACCURACY, sentence_groups, train_classifier
from nlp.core.errors import ConfigError
from nlp.experiments import load_reports
from nlp.experiments.configs import ClassificationConfig
from nlp.io.plotting import plot_confusion, plot_curves, plot_per_class_f1, plot_reliability, save_figure
from nlp.io.results import ResultsDir
from nlp.text.records import get_field, sentence_records

__all__ = [
    "BASELINES",
    "CONTEXT_BLOCKS",
    "LAYOUT_BLOCKS",
    "LEXICON_BLOCKS",
    "MODEL_FILE",
    "PRIMARY_MODEL",
    "Corpus",
    "TextOnly",
    "default_model_path",
    "inter_coder_agreement",
    "run",
]

PRIMARY_MODEL = "logreg"
MODEL_FILE = "policy_classifier.skops"
BASELINES = ("majority", "keyword_rules", "heading_rules", "char_svm_reference")
#: Feature blocks that only exist because of one genre's layout (headings, parts, heading rules).
LAYOUT_BLOCKS = ("heading", "heading_lexicon", "heading_rules", "structure")
LEXICON_BLOCKS = ("lexicon", "heading_lexicon", "context_lexicon")
CONTEXT_BLOCKS = ("context", "context_lexicon")


class TextOnly:
    """Marks an estimator that sees the sentence text alone (no headings or context)."""

    def __init__(self, estimator):
        self.estimator = estimator


def _text_only(records: list[dict]) -> list[str]:
    return [str(get_field(r, "text")) for r in records]


def _char_svm():
    # the usual hand-written script: character TF-IDF + LinearSVC on the sentence alone
    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC(random_state=0))


def _policy(blocks=DEFAULT_BLOCKS, model: str = PRIMARY_MODEL, **params) -> PolicyClassifier:
    return PolicyClassifier(make_features(blocks), make_model(model, **params), text_features=False)


def _baselines() -> dict:
    return {
        "majority": majority_baseline(),
        "keyword_rules": KeywordRuleClassifier(),
        "heading_rules": HeadingRuleLabeler(),
        "char_svm_reference": TextOnly(_char_svm()),
    }


def _seed_candidates(config: dict) -> dict[str, dict]:
    """Systems of the seed leave-one-report-out protocol: name → estimator, grid, input kind, training labels."""
    grids = config.seed_grids
    candidates = {name: {"estimator": est, "kind": "baseline"} for name, est in _baselines().items()}
    candidates["char_svm_reference"]["kind"] = "reference"
    for name in ("logreg", "svm", "cnb"):
        candidates[name] = {"estimator": _policy(model=name), "kind": "model", "grid": grids.get(name)}
    candidates[f"{PRIMARY_MODEL}_sentence_only"] = {"estimator": TextOnly(_policy(TEXT_BLOCKS)), "kind": "model"}
    candidates[f"{PRIMARY_MODEL}_on_weak_labels"] = {"estimator": _policy(), "kind": "weak", "weak": True}
    return candidates


def _unwrap(estimator, records):
    if isinstance(estimator, TextOnly):
        return estimator.estimator, _text_only(records)
    return estimator, records


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    """Evaluate every protocol, write tables and figures, save the default model."""
    codebook = load_codebook()
    labels = list(codebook.ids)
    n_boot, seed, n_jobs = config.n_bootstrap, config.seed, config.n_jobs
    seeds = load_reports(config.reports, config.cache, progress)
    external = load_reports(config.external, config.cache, progress) if config.external else []
    label_files = [config.labels, *([config.external_labels] if external else [])]
    hand = load_labels(label_files)
    corpus = Corpus(seeds, external, hand)

    weak = HeadingRuleLabeler().fit().predict(corpus.records)
    agreement = summarize(corpus.y, weak, labels, n_boot=n_boot, seed=seed)
    metrics: dict = {
        "corpus": corpus.description(),
        "codebook_version": codebook.version,
        "inter_coder": inter_coder_agreement(config.coder_files),
        "weak_label_agreement": {k: agreement[k] for k in ("n", "accuracy", "accuracy_ci95", "kappa", "macro_f1")},
        "protocols": {},
    }
    tables: dict[str, dict] = {}
    if seeds:
        seed_results = _seeds_loro(config, corpus, labels, n_boot, seed, n_jobs, progress)
        metrics["protocols"]["seeds_loro"] = {k: _brief(v) for k, v in seed_results.items()}
        tables["seeds_loro"] = seed_results
    if external:
        transfer = _transfer(config, corpus, labels, n_boot, seed, progress)
        metrics["protocols"]["transfer"] = {k: _brief(v) for k, v in transfer.items()}
        tables["transfer"] = transfer
        held_out, results = _held_out_places(config, corpus, labels, n_boot, seed, n_jobs, progress)
        metrics["protocols"]["held_out_places"] = {k: _brief(v) for k, v in held_out.items()}
        tables["held_out_places"] = held_out
        primary = held_out[PRIMARY_MODEL]
        primary["protocol"] = (
            "held-out places (one place at a time: the county, else the township, a report names); regularisation "
            "and temperature chosen on held-out places of the training part only"
        )
        threshold = review_threshold(corpus.y, results[PRIMARY_MODEL].proba, results[PRIMARY_MODEL].classes)
        primary["review_threshold"] = threshold
        primary["review"] = accuracy_above(corpus.y, results[PRIMARY_MODEL].proba, corpus.classes, threshold)
        metrics["review"] = {"threshold": threshold, "target_accuracy": REVIEW_ACCURACY, **primary["review"]}
        metrics["ablation"] = _ablation(config, corpus, labels, n_boot, seed, n_jobs, progress)
        metrics["learning_curve"] = _learning_curve(config, corpus, labels, n_jobs, progress)
        _write_held_out_outputs(out, corpus, held_out, results, metrics, labels)
    _write_protocol_table(out, tables)
    out.write_json("metrics.json", metrics)
    out.write_json("targets.json", _targets(config, metrics))
    if config.save_model and external:
        _save_default_model(out, corpus, label_files, tables["held_out_places"][PRIMARY_MODEL], n_boot, progress)
    return metrics


class Corpus:
    """The labelled sentences of every report, with the groups, reports and masks the protocols need."""

    def __init__(self, seeds, external, hand: dict):
        self.seeds, self.external = list(seeds), list(external)
        self.reports = self.seeds + self.external
        self.records = sentence_records(self.reports)
        self.y = np.asarray(labels_for(self.reports, hand))
        self.classes = sorted(set(self.y))
        self.report_ids = np.asarray([r["report_id"] for r in self.records])
        self.groups = np.asarray(sentence_groups(self.reports))
        seed_ids = {r.report_id for r in self.seeds}
        self.is_seed = np.isin(self.report_ids, list(seed_ids))

    def summary(self, result: GroupedResult, labels, mask, n_boot: int, seed: int) -> dict:
        """``summarize_grouped`` of ``result`` on the ``mask``ed sentences (all for ``None``)."""
        return summarize_grouped(self.y, result, labels, self.groups, self.report_ids, mask, n_boot, seed)

    def description(self) -> dict:
        return {
            "seed_reports": len(self.seeds),
            "external_reports": len(self.external),
            "sentences": len(self.y),
            "external_sentences": int((~self.is_seed).sum()),
            "places": len(set(self.groups)),
            "label_counts": dict(sorted(Counter(self.y.tolist()).items())),
            "genres": dict(sorted(Counter(r.meta.genre or "unknown" for r in self.reports).items())),
        }


def _brief(result: dict) -> dict:
    """The figures of a result for metrics.json (tables and reliability bins go to their own files)."""
    return {k: v for k, v in result.items() if k not in ("per_class", "confusion", "reliability", "per_report")}


def _seeds_loro(config, corpus: Corpus, labels, n_boot, seed, n_jobs, progress) -> dict:
    records = [r for r, s in zip(corpus.records, corpus.is_seed, strict=True) if s]
    y, groups = corpus.y[corpus.is_seed], corpus.report_ids[corpus.is_seed]
    weak = HeadingRuleLabeler().fit().predict(records)
    candidates = _seed_candidates(config)
    chosen = config.seed_candidates if config.seed_candidates is not None else list(candidates)
    unknown = set(chosen) - set(candidates)
    if unknown:
        raise ConfigError(f"unknown seed_candidates {sorted(unknown)}; choose from {', '.join(candidates)}")
    results = {}
    for name in chosen:
        spec = candidates[name]
        estimator, X = _unwrap(spec["estimator"], records)
        loro = leave_one_report_out(
            estimator,
            X,
            y,
            groups,
            param_grid=spec.get("grid"),
            y_train=weak if spec.get("weak") else None,
            n_jobs=n_jobs,
            progress=progress,
            description=f"seeds: {name}",
        )
        results[name] = {"kind": spec["kind"], **summarize(y, loro.y_pred, labels, n_boot=n_boot, seed=seed)}
        results[name]["folds"] = loro.folds
    return results


def _transfer(config, corpus: Corpus, labels, n_boot, seed, progress) -> dict:
    """Train on the seeds only (selection and temperature on seed reports), test on every external report."""
    seed_records = [r for r, s in zip(corpus.records, corpus.is_seed, strict=True) if s]
    test = np.flatnonzero(~corpus.is_seed)
    systems = {**_baselines(), PRIMARY_MODEL: _policy()}
    grid = config.grids.get(PRIMARY_MODEL)
    results = {}
    for name, system in systems.items():
        estimator, X_train = _unwrap(system, seed_records)
        _, X_all = _unwrap(system, corpus.records)
        calibrate = name == PRIMARY_MODEL
        model, best, temperature = select_and_calibrate(
            estimator,
            X_train,
            corpus.y[corpus.is_seed],
            corpus.report_ids[corpus.is_seed],
            grid if calibrate else None,
            calibrate=calibrate,
        )
        result = _predict_into(model, X_all, test, corpus)
        summary = corpus.summary(result, labels, ~corpus.is_seed, n_boot, seed)
        results[name] = {"kind": _kind(name), "best_params": best, "temperature": temperature, **summary}
    return results


def _predict_into(model, X: list, rows: np.ndarray, corpus: Corpus) -> GroupedResult:
    """A :class:`GroupedResult` holding ``model``'s predictions for ``rows`` of the corpus."""
    y_pred = np.full(len(corpus.y), "", dtype=object)
    proba = np.zeros((len(corpus.y), len(corpus.classes)))
    inputs = [X[i] for i in rows]
    if hasattr(model, "predict_proba"):
        proba[rows] = aligned_proba(model, inputs, corpus.classes)
        y_pred[rows] = np.asarray(corpus.classes)[proba[rows].argmax(axis=1)]
    else:
        y_pred[rows] = np.asarray(model.predict(inputs)).astype(str)
        proba = None
    return GroupedResult(y_pred=y_pred.astype(str), proba=proba, classes=corpus.classes)


def _kind(name: str) -> str:
    if name == "char_svm_reference":
        return "reference"
    return "baseline" if name in BASELINES else "model"


def _held_out_places(config, corpus: Corpus, labels, n_boot, seed, n_jobs, progress):
    """Leave one place out over all labelled reports; models calibrated on held-out places of the training part."""
    grids = config.grids
    systems = {**_baselines(), PRIMARY_MODEL: _policy(), "cnb": _policy(model="cnb")}
    splits = config.outer_splits  # None: one place at a time
    summaries, results = {}, {}
    for name, system in systems.items():
        estimator, X = _unwrap(system, corpus.records)
        is_model = name in (PRIMARY_MODEL, "cnb")
        result = grouped_evaluation(
            estimator,
            X,
            corpus.y,
            corpus.groups,
            grids.get(name) if is_model else None,
            outer_splits=splits,
            inner_splits=config.inner_splits,
            calibrate=is_model,
            n_jobs=n_jobs,
            progress=progress,
            description=f"held-out places: {name}",
        )
        summary = corpus.summary(result, labels, None, n_boot, seed)
        external = corpus.summary(result, labels, ~corpus.is_seed, n_boot, seed)
        summary["external_only"] = {k: external[k] for k in ("macro_f1", "macro_f1_ci95_reports", "accuracy")}
        # each seed report is a place of its own: this is leave-one-seed-report-out, trained on the other
        # seeds and every external report
        seeds = corpus.summary(result, labels, corpus.is_seed, n_boot, seed)
        summary["seeds_only"] = {k: seeds[k] for k in ("macro_f1", "macro_f1_ci95", "accuracy")}
        summary["kind"] = _kind(name)
        summary["temperatures"] = [f["temperature"] for f in result.folds] if is_model else None
        summaries[name], results[name] = summary, result
    return summaries, results


def _ablation_variants(config) -> dict:
    """What each modelling choice buys: name → (estimator, train on seeds only?, calibrate?)."""
    no = lambda *blocks: tuple(b for b in DEFAULT_BLOCKS if b not in blocks)  # noqa: E731
    return {
        "trained on the five seeds only": (_policy(), True, False),
        "all feature blocks (default, uncalibrated)": (_policy(), False, False),
        "+ temperature calibration (shipped)": (_policy(), False, True),
        "- layout blocks (headings, parts, heading rules)": (_policy(no(*LAYOUT_BLOCKS)), False, False),
        "- section context": (_policy(no(*CONTEXT_BLOCKS)), False, False),
        "- codebook-term counts": (_policy(no(*LEXICON_BLOCKS)), False, False),
        "sentence text only (words, characters, terms)": (TextOnly(_policy(TEXT_BLOCKS)), False, False),
        "- class weights": (_policy(class_weight=None), False, False),
    }


def _ablation(config, corpus: Corpus, labels, n_boot, seed, n_jobs, progress) -> list[dict]:
    """Held-out places with fixed hyper-parameters (C = 10), scored on the external reports' sentences.

    ``ablation_outer_splits`` group folds (whole places held out together);
    each row changes one thing against the default.
    """
    rows = []
    for name, (system, seeds_only, calibrate) in _ablation_variants(config).items():
        estimator, X = _unwrap(system, corpus.records)
        result = grouped_evaluation(
            estimator,
            X,
            corpus.y,
            corpus.groups,
            outer_splits=config.ablation_outer_splits or config.outer_splits,
            inner_splits=config.inner_splits,
            calibrate=calibrate,
            train_mask=corpus.is_seed if seeds_only else None,
            n_jobs=n_jobs,
            progress=progress,
            description=f"ablation: {name}",
        )
        summary = corpus.summary(result, labels, ~corpus.is_seed, n_boot, seed)
        rows.append(
            {
                "variant": name,
                "macro_f1": summary["macro_f1"],
                "macro_f1_ci95_reports": summary["macro_f1_ci95_reports"],
                "accuracy": summary["accuracy"],
                "ece": summary.get("ece"),
            }
        )
    return rows


def _learning_curve(config, corpus: Corpus, labels, n_jobs, progress) -> list[dict]:
    sizes = config.learning_curve_sizes
    return learning_curve(
        _policy(),
        corpus.records,
        corpus.y,
        corpus.groups,
        corpus.report_ids,
        sizes,
        n_splits=config.learning_curve_folds,
        repeats=config.learning_curve_repeats,
        seed=config.seed,
        labels=labels,
        n_jobs=n_jobs,
        progress=progress,
    )


def inter_coder_agreement(files) -> dict | None:
    """Agreement of two coders' label files (``report_id, index, label``): percent agreement and Cohen's kappa."""
    if len(files) < 2:
        return None
    coders = []
    for path in files[:2]:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            coders.append({(r["report_id"], r["index"]): r["label"] for r in csv.DictReader(fh)})
    keys = sorted(set(coders[0]) & set(coders[1]))
    a, b = [coders[0][k] for k in keys], [coders[1][k] for k in keys]
    return {
        "files": [Path(f).name for f in files[:2]],
        "sentences": len(keys),
        "agreement": float(np.mean([x == y for x, y in zip(a, b, strict=True)])),
        "cohen_kappa": float(cohen_kappa_score(a, b)),
    }


def _targets(config, metrics: dict) -> dict:
    targets = {**ClassificationConfig().targets, **config.targets}  # a config may set some of them
    protocols = metrics["protocols"]
    found = {}
    if "held_out_places" in protocols:
        primary = protocols["held_out_places"][PRIMARY_MODEL]
        found["held_out_place_macro_f1"] = (primary["macro_f1"], targets["held_out_place_macro_f1"])
        found["held_out_place_ece"] = (primary["ece"], targets["held_out_place_ece"])
    if "held_out_places" in protocols:
        # the seeds held out one at a time, the other seeds and the external corpus in training
        found["seed_reports_held_out_macro_f1"] = (
            protocols["held_out_places"][PRIMARY_MODEL]["seeds_only"]["macro_f1"],
            targets["seeds_loro_macro_f1"],
        )
    if "seeds_loro" in protocols and PRIMARY_MODEL in protocols["seeds_loro"]:
        found["seeds_loro_four_seeds_training_macro_f1"] = (
            protocols["seeds_loro"][PRIMARY_MODEL]["macro_f1"],
            targets["seeds_loro_macro_f1"],
        )
    return {
        name: {"value": value, "target": target, "met": value <= target if name.endswith("ece") else value >= target}
        for name, (value, target) in found.items()
    }


def _cell(result: dict) -> dict:
    low, high = result["macro_f1_ci95"]
    row = {"macro_f1": round(result["macro_f1"], 3), "ci95_sentences": f"{low:.3f}–{high:.3f}"}
    if "macro_f1_ci95_reports" in result:
        r_low, r_high = result["macro_f1_ci95_reports"]
        row["ci95_reports"] = f"{r_low:.3f}–{r_high:.3f}"
    row["accuracy"] = round(result["accuracy"], 3)
    row["ece"] = round(result["ece"], 3) if result.get("ece") is not None else ""
    return row


def _write_protocol_table(out: ResultsDir, tables: dict) -> None:
    rows = [{"protocol": p, "model": m, **_cell(r)} for p, results in tables.items() for m, r in results.items()]
    fields = ["protocol", "model", "macro_f1", "ci95_sentences", "ci95_reports", "accuracy", "ece"]
    out.write_csv("protocols.csv", rows, fields)
    lines = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    lines += ["| " + " | ".join(str(r.get(f, "")) for f in fields) + " |" for r in rows]
    out.write_text("protocols.md", "\n".join(lines) + "\n")


def _write_held_out_outputs(out: ResultsDir, corpus: Corpus, held_out, results, metrics, labels) -> None:
    per_class = [
        {"model": name, "category": c, **{k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}}
        for name, r in held_out.items()
        for c, s in r["per_class"].items()
    ]
    out.write_csv("per_class.csv", per_class, ["model", "category", "precision", "recall", "f1", "support"])
    out.write_csv(
        "ablation.csv", metrics["ablation"], ["variant", "macro_f1", "macro_f1_ci95_reports", "accuracy", "ece"]
    )
    out.write_csv("learning_curve.csv", metrics["learning_curve"], ["reports", "macro_f1", "low", "high", "fits"])
    out.write_csv(
        "reliability.csv", held_out[PRIMARY_MODEL]["reliability"], ["low", "high", "n", "confidence", "accuracy"]
    )
    out.write_csv("per_report.csv", held_out[PRIMARY_MODEL]["per_report"], ["report", "n", "accuracy"])
    base = ["report_id", "index", "group", "part", "heading", "text", "gold"]
    table = [
        {k: r[k] for k in ("report_id", "index", "part", "heading", "text")}
        | {"group": corpus.groups[i], "gold": corpus.y[i]}
        | {name: result.y_pred[i] for name, result in results.items()}
        | {"score": round(float(results[PRIMARY_MODEL].proba[i].max()), 4)}
        for i, r in enumerate(corpus.records)
    ]
    out.write_csv("predictions.csv", table, [*base, *results, "score"])
    wrong = [row | {"predicted": row[PRIMARY_MODEL]} for row in table if row[PRIMARY_MODEL] != row["gold"]]
    out.write_csv("misclassified.csv", wrong, [*base, "predicted", "score", "keyword_rules", "heading_rules"])
    primary = held_out[PRIMARY_MODEL]
    title = f"混淆矩阵 (confusion matrix), held-out places: {PRIMARY_MODEL}, macro-F1 {primary['macro_f1']:.3f}"
    save_figure(plot_confusion(primary["confusion"]["matrix"], labels, title), out.path("confusion_held_out_places"))
    scores = {name: {c: s["f1"] for c, s in r["per_class"].items()} for name, r in held_out.items()}
    title = "各类别F1 (per-class F1), 留一地区 (leave-one-place-out)"
    save_figure(plot_per_class_f1(scores, labels, title), out.path("per_class_f1"))
    raw = next(r for r in metrics["ablation"] if r["variant"].startswith("all feature blocks"))
    title = (
        f"可靠性图 (reliability), held-out places: calibrated ECE {primary['ece']:.3f} "
        f"(uncalibrated, C=10: {raw['ece']:.3f})"
    )
    save_figure(plot_reliability(primary["reliability"], title), out.path("reliability"))
    curve = metrics["learning_curve"]
    title = "学习曲线 (learning curve): held-out-place macro-F1 (mean of folds × draws)"
    fig = plot_curves(
        [r["reports"] for r in curve],
        {"macro-F1": [r["macro_f1"] for r in curve]},
        title,
        "训练报告数 (labelled reports)",
    )
    save_figure(fig, out.path("learning_curve"))


def _save_default_model(out: ResultsDir, corpus: Corpus, label_files, evaluation: dict, n_boot: int, progress) -> None:
    classifier = train_classifier(
        corpus.reports, label_files, model=PRIMARY_MODEL, n_bootstrap=n_boot, progress=progress, evaluation=evaluation
    )
    save_classifier(classifier, out.path(MODEL_FILE), force=True)


def default_model_path(results_root: str | Path = "results") -> Path:
    """Where the main run leaves the default model."""
    return Path(results_root) / "classification" / MODEL_FILE
