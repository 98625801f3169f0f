"""Train a reusable classifier on labelled reports and document it in a model card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .classify import PolicyClassifier, make_model
from .codebook import load_codebook
from .corpus import Report
from .evaluate import leave_one_report_out, summarize
from .features import DEFAULT_BLOCKS, make_features
from .labels import default_labels_path, labels_for, load_labels
from .records import sentence_records
from .results import file_sha256


def build_classifier(model: str = "logreg", blocks: Sequence[str] = DEFAULT_BLOCKS, **model_params) -> PolicyClassifier:
    """The package's default classifier: all feature blocks and a logistic regression."""
    return PolicyClassifier(features=make_features(blocks), model=make_model(model, **model_params))


def train_classifier(
    reports: Sequence[Report],
    labels_path: str | Path | None = None,
    model: str = "logreg",
    evaluate: bool = True,
    n_bootstrap: int = 1000,
    progress: bool = False,
) -> PolicyClassifier:
    """Fit a classifier on every sentence of ``reports`` and attach a model card.

    With ``evaluate`` and at least two reports, the card carries
    leave-one-report-out metrics of the same configuration (fixed
    hyper-parameters, so no selection happens on the held-out reports).

    Raises
    ------
    ConfigError
        If a sentence of ``reports`` has no label in the label file.
    """
    labels_path = Path(labels_path) if labels_path else default_labels_path()
    labels = labels_for(reports, load_labels(labels_path))
    records = sentence_records(reports)
    classifier = build_classifier(model)
    loro = None
    if evaluate and len(reports) >= 2:
        groups = [r["report_id"] for r in records]
        result = leave_one_report_out(classifier, records, labels, groups, progress=progress, description="evaluating")
        loro = summarize(labels, result.y_pred, load_codebook().ids, n_boot=n_bootstrap)
        loro = {k: loro[k] for k in ("n", "macro_f1", "macro_f1_ci95", "accuracy", "accuracy_ci95", "kappa")}
        loro["folds"] = result.folds
    classifier.fit(records, labels)
    classifier.model_card_ = {
        "name": f"policy sentence classifier ({model})",
        "package_version": __version__,
        "codebook_version": load_codebook().version,
        "model": model,
        "feature_blocks": ", ".join(DEFAULT_BLOCKS),
        "n_sentences": len(records),
        "class_counts": dict(sorted(Counter(labels).items())),
        "labels_file": labels_path.name,
        "labels_sha256": file_sha256(labels_path),
        "training_reports": [
            {
                "report_id": r.report_id,
                "file": Path(r.raw.path).name,
                "sha256": r.raw.sha256,
                "sentences": len(r.sentences),
            }
            for r in reports
        ],
        "loro_metrics": loro,
    }
    return classifier
