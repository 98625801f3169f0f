"""Save and load trained classifiers with skops (not pickle), plus a model card.

A model file is a skops archive of a :class:`~nlp.classify.PolicyClassifier`
whose ``model_card_`` attribute records the training reports and their
hashes, the codebook and package versions and the held-out-place metrics
(macro-F1 with sentence and document intervals, calibration error, the
review threshold); a readable copy of the card is written beside it as
``<model>.card.md``.

Loading never executes code from the file: skops rebuilds objects from a
schema and refuses any type outside :data:`ALLOWED_TYPES` (this package's
components and scikit-learn internals that skops does not trust by
default).  A file with other types is refused with a clear error, and a
corrupt or foreign file gives a one-line :class:`~nlp.errors.ModelFileError`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import skops.io as sio

from .classify import PolicyClassifier
from .errors import ModelFileError, UntrustedModelError
from .fileio import atomic_path, refuse_overwrite, write_text

#: Types a model file may contain beyond skops' default trusted set.
ALLOWED_TYPES = frozenset(
    {
        "nlp.classify.PolicyClassifier",
        "nlp.classify.KeywordRuleClassifier",
        "nlp.features.CodebookLexicon",
        "nlp.features.EmptySafe",
        "nlp.features.FastTfidfVectorizer",
        "nlp.features.HeadingRuleFeatures",
        "nlp.features.SentenceField",
        "nlp.features.StructureFeatures",
        "nlp.features.strip_numbers",
        "nlp.labels.HeadingRuleLabeler",
        "nlp.tokenize.JiebaTokenizer",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)


def save_classifier(classifier: PolicyClassifier, path: str | Path, force: bool = False) -> Path:
    """Write ``classifier`` (and its card) atomically; refuse to overwrite unless ``force``."""
    path = Path(path)
    refuse_overwrite(path, force)
    with atomic_path(path) as tmp:
        sio.dump(classifier, tmp, compression=zipfile.ZIP_DEFLATED)
    card = getattr(classifier, "model_card_", None)
    if card:
        write_text(card_path(path), render_card(card))
    return path


def card_path(model_path: str | Path) -> Path:
    """``model.skops`` → ``model.card.md``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".card.md")


def load_classifier(path: str | Path) -> PolicyClassifier:
    """Load a classifier saved by :func:`save_classifier`.

    Raises
    ------
    ModelFileError
        If the file is missing, corrupt, or holds something other than a classifier.
    UntrustedModelError
        If the file holds object types outside :data:`ALLOWED_TYPES`.

    Examples
    --------
    >>> load_classifier("no/such/model.skops")
    Traceback (most recent call last):
    ...
    nlp.errors.ModelFileError: no/such/model.skops: model file not found
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # zip, JSON and schema errors all mean "not a model file"
        raise ModelFileError(f"{path}: not a readable model file ({type(exc).__name__})") from exc
    refused = sorted(set(untrusted) - ALLOWED_TYPES)
    if refused:
        raise UntrustedModelError(
            f"{path}: refusing to load types outside the allow-list: {', '.join(refused)} "
            "(only load model files you trust; see nlp.persist.ALLOWED_TYPES)"
        )
    try:
        model = sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise ModelFileError(f"{path}: cannot rebuild the model ({type(exc).__name__}: {exc})") from exc
    if not isinstance(model, PolicyClassifier) or not hasattr(model, "pipeline_"):
        raise ModelFileError(f"{path}: holds a {type(model).__name__}, not a trained PolicyClassifier")
    return model


def render_card(card: dict) -> str:
    """The model card as Markdown."""
    lines = [f"# Model card: {card.get('name', 'policy sentence classifier')}", ""]
    for key in ("package_version", "codebook_version", "model", "feature_blocks", "best_params", "temperature"):
        if key in card:
            lines.append(f"- **{key}**: {card[key]}")
    lines.append(f"- **n_sentences**: {card.get('n_sentences')} ({card.get('class_counts')})")
    for key in ("genres", "levels", "years"):
        if key in card:
            lines.append(f"- **{key} seen in training**: {card[key]}")
    for labels in card.get("labels_files", []):
        lines.append(f"- **labels**: {labels['file']} (`{labels['sha256']}`)")
    lines += ["", "## Held-out evaluation", ""]
    lines += _metrics_lines(card.get("heldout_metrics") or card.get("loro_metrics"))
    lines += ["", "## Training reports", "", "| report | place | genre | sentences | sha256 |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['report_id']} | {r.get('place') or ''} | {r.get('genre') or ''} | {r['sentences']} | `{r['sha256']}` |"
        for r in card.get("training_reports", [])
    ]
    return "\n".join(lines) + "\n"


def _metrics_lines(metrics: dict | None) -> list[str]:
    if not metrics:
        return ["Not evaluated (fewer than two labelled places, or `--no-eval`)."]
    lines = [f"Protocol: {metrics.get('protocol', 'leave-one-report-out')}.", ""]
    low, high = metrics["macro_f1_ci95"]
    line = f"Macro-F1 **{metrics['macro_f1']:.3f}** (95% interval over sentences {low:.3f}–{high:.3f}"
    if "macro_f1_ci95_reports" in metrics:
        r_low, r_high = metrics["macro_f1_ci95_reports"]
        line += f"; over reports, resampling whole documents, {r_low:.3f}–{r_high:.3f}"
    lines.append(line + f"), accuracy {metrics['accuracy']:.3f}, on {metrics['n']} held-out sentences.")
    if "ece" in metrics:
        lines += ["", f"Expected calibration error of the scores on held-out places: {metrics['ece']:.3f}."]
    if "review_threshold" in metrics:
        review = metrics["review"]
        lines += [
            "",
            f"Check labels scored below **{metrics['review_threshold']:.2f}** by hand: on held-out places "
            f"{review['share']:.0%} of sentences scored at or above it and {review['accuracy']:.1%} of those "
            f"were right ({review['accuracy_below']:.1%} of the rest). `predict` marks the others `check: true`.",
        ]
    if metrics.get("per_class_f1"):
        lines += ["", "| category | held-out F1 |", "|---|---|"]
        lines += [f"| {c} | {f:.3f} |" for c, f in metrics["per_class_f1"].items()]
    return lines
