"""Classification experiment: models and baselines under leave-one-report-out.

Writes ``metrics.json`` (pooled macro-F1 and accuracy with bootstrap
intervals, per-fold scores, chosen hyper-parameters, weak-label agreement),
``per_class.csv``, ``predictions.csv``, ``misclassified.csv``, a confusion
matrix per trained model, the per-class F1 figure, and the default model
trained on all seed reports (``policy_classifier.skops`` with its card).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from ..classify import KeywordRuleClassifier, PolicyClassifier, majority_baseline, make_model
from ..codebook import load_codebook
from ..errors import ConfigError
from ..evaluate import leave_one_report_out, summarize
from ..features import TEXT_BLOCKS, make_features
from ..labels import HeadingRuleLabeler, labels_for, load_labels
from ..persist import save_classifier
from ..plotting import plot_confusion, plot_per_class_f1, save_figure
from ..records import get_field, sentence_records
from ..results import ResultsDir
from ..training import train_classifier
from . import load_reports

PRIMARY_MODEL = "logreg"
MODEL_FILE = "policy_classifier.skops"


def _text_only(records: list[dict]) -> list[str]:
    return [str(get_field(r, "text")) for r in records]


def _candidates(config: dict) -> dict[str, dict]:
    """Every system evaluated: name → estimator, grid, input kind, training labels."""
    grids = config.get("grids", {})
    candidates = {
        "majority": {"estimator": majority_baseline(), "kind": "baseline"},
        "keyword_rules": {"estimator": KeywordRuleClassifier(), "kind": "baseline"},
        "heading_rules": {"estimator": HeadingRuleLabeler(), "kind": "baseline"},
        "char_svm_reference": {
            # the usual hand-written script: character TF-IDF + LinearSVC on the sentence alone
            "estimator": make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC(random_state=0)),
            "kind": "reference",
            "text_only": True,
        },
    }
    for name in ("logreg", "svm", "cnb"):
        estimator = PolicyClassifier(make_features(), make_model(name), text_features=False)
        candidates[name] = {"estimator": estimator, "kind": "model", "grid": grids.get(name)}
    text_model = PolicyClassifier(make_features(TEXT_BLOCKS), make_model(PRIMARY_MODEL), text_features=False)
    candidates[f"{PRIMARY_MODEL}_sentence_only"] = {"estimator": text_model, "kind": "model", "text_only": True}
    weak_model = PolicyClassifier(make_features(), make_model(PRIMARY_MODEL), text_features=False)
    candidates[f"{PRIMARY_MODEL}_on_weak_labels"] = {"estimator": weak_model, "kind": "weak", "weak": True}
    return candidates


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    """Evaluate every candidate, write tables and figures, save the default model."""
    codebook = load_codebook()
    labels = list(codebook.ids)
    reports = load_reports(config, progress)
    labels_path = config.get("labels")
    y = labels_for(reports, load_labels(labels_path))
    records = sentence_records(reports)
    groups = [r["report_id"] for r in records]
    weak = HeadingRuleLabeler().fit().predict(records)
    n_boot, seed, n_jobs = config.get("n_bootstrap", 1000), config.get("seed", 0), config.get("n_jobs")

    results, folds = {}, {}
    predictions = {}
    candidates = _candidates(config)
    chosen = config.get("candidates", list(candidates))
    unknown = set(chosen) - set(candidates)
    if unknown:
        raise ConfigError(f"unknown candidates {sorted(unknown)}; choose from {', '.join(candidates)}")
    for name in chosen:
        spec = candidates[name]
        X = _text_only(records) if spec.get("text_only") else records
        loro = leave_one_report_out(
            spec["estimator"],
            X,
            y,
            groups,
            param_grid=spec.get("grid"),
            y_train=weak if spec.get("weak") else None,
            n_jobs=n_jobs,
            progress=progress,
            description=name,
        )
        predictions[name] = loro.y_pred
        results[name] = {"kind": spec["kind"], **summarize(y, loro.y_pred, labels, n_boot=n_boot, seed=seed)}
        folds[name] = loro.folds
        results[name]["folds"] = loro.folds

    weak_agreement = summarize(y, weak, labels, n_boot=n_boot, seed=seed)
    target = config.get("target_macro_f1", 0.85)
    metrics = {
        "protocol": (
            "leave-one-report-out over the seed reports: train on all reports but one, test on the held-out "
            "report, every report once; hyper-parameters chosen by an inner leave-one-report-out grid search on "
            "the training reports only; pooled out-of-fold predictions, 95% percentile bootstrap over sentences"
        ),
        "corpus": {
            "reports": len(reports),
            "sentences": len(y),
            "label_counts": dict(sorted(Counter(y).items())),
        },
        "codebook_version": codebook.version,
        "models": {
            name: {k: v for k, v in r.items() if k not in ("per_class", "confusion")} for name, r in results.items()
        },
        "weak_label_agreement": {
            k: weak_agreement[k] for k in ("n", "accuracy", "accuracy_ci95", "kappa", "macro_f1", "macro_f1_ci95")
        },
        "target": {
            "macro_f1": target,
            "met_by": sorted(n for n, r in results.items() if r["kind"] == "model" and r["macro_f1"] >= target),
        },
    }
    out.write_json("metrics.json", metrics)
    _write_tables(out, results, records, y, predictions, labels)
    _write_figures(out, results, labels)
    if config.get("save_model", True):
        _save_default_model(out, reports, labels_path, config, n_boot, progress)
    return metrics


def _write_tables(out: ResultsDir, results: dict, records: list[dict], y, predictions: dict, labels) -> None:
    rows = [
        {"model": name, "category": c, **{k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}}
        for name, r in results.items()
        for c, s in r["per_class"].items()
    ]
    out.write_csv("per_class.csv", rows, ["model", "category", "precision", "recall", "f1", "support"])
    base_fields = ["report_id", "index", "part", "heading", "text", "gold"]
    table = [
        {**{k: r[k] for k in ("report_id", "index", "part", "heading", "text")}, "gold": gold}
        | {name: predictions[name][i] for name in predictions}
        for i, (r, gold) in enumerate(zip(records, y, strict=True))
    ]
    out.write_csv("predictions.csv", table, base_fields + list(predictions))
    primary = PRIMARY_MODEL if PRIMARY_MODEL in predictions else next(iter(predictions))
    wrong = [row | {"predicted": row[primary]} for row in table if row[primary] != row["gold"]]
    extra = [name for name in ("keyword_rules", "heading_rules") if name in predictions]
    out.write_csv("misclassified.csv", wrong, [*base_fields, "predicted", *extra])


def _write_figures(out: ResultsDir, results: dict, labels) -> None:
    for name, r in results.items():
        if r["kind"] in ("model", "weak"):
            title = f"混淆矩阵 (confusion matrix): {name}, macro-F1 {r['macro_f1']:.3f}"
            save_figure(plot_confusion(r["confusion"]["matrix"], labels, title), out.path(f"confusion_{name}"))
    shown = ["majority", "keyword_rules", "heading_rules", "char_svm_reference", "logreg", "svm", "cnb"]
    scores = {name: {c: s["f1"] for c, s in results[name]["per_class"].items()} for name in shown if name in results}
    title = "各类别F1 (per-class F1), 留一报告交叉验证 (leave-one-report-out)"
    save_figure(plot_per_class_f1(scores, labels, title), out.path("per_class_f1"))


def _save_default_model(out: ResultsDir, reports, labels_path, config: dict, n_boot: int, progress: bool) -> None:
    classifier = train_classifier(
        reports, labels_path, model=config.get("default_model", PRIMARY_MODEL), n_bootstrap=n_boot, progress=progress
    )
    save_classifier(classifier, out.path(MODEL_FILE), force=True)


def default_model_path(results_root: str | Path = "results") -> Path:
    """Where the main run leaves the default model."""
    return Path(results_root) / "classification" / MODEL_FILE
