"""Save and load trained classifiers with skops (not pickle), plus a model card.

A model file is a skops archive of a :class:`~nlp.classify.model.PolicyClassifier`
whose ``model_card_`` attribute records the training reports and their
hashes, the codebook and package versions and the held-out-place metrics
(macro-F1 with sentence and document intervals, calibration error, the
review threshold); a readable copy of the card is written beside it as
``<model>.card.md``.

Loading never executes code from the file: skops rebuilds objects from a
schema and refuses any type outside :data:`ALLOWED_TYPES` (this package's
components and scikit-learn internals that skops does not trust by
default).  A file with other types is refused with a clear error, and a
corrupt or foreign file gives a one-line :class:`~nlp.core.errors.ModelFileError`.
Before anything is rebuilt, the archive's unpacked size is bounded
(:data:`MAX_SCHEMA_BYTES`, :data:`MAX_MODEL_BYTES`), so a small file cannot
make the loader take gigabytes; after, every tokenizer's settings are
checked, so a model made only of allowed types still cannot point its word
lists at a file outside the package (``/etc/passwd``).

Model and card are one unit: both are written to temporary files first and
moved into place together, the model last, and ``--force`` guards both.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.core.errors import ModelFileError, UntrustedModelError
from nlp.core.fileio import atomic_paths, check_output
from nlp.resources import resource_path
from nlp.text.tokenize import DEFAULT_STOPWORDS, DEFAULT_USER_DICT, JiebaTokenizer, iter_tokenizers

__all__ = [
    "ALLOWED_TYPES",
    "MAX_MODEL_BYTES",
    "MAX_SCHEMA_BYTES",
    "card_path",
    "load_classifier",
    "model_outputs",
    "render_card",
    "save_classifier",
]

if TYPE_CHECKING:
    from nlp.classify.model import PolicyClassifier

# skops (and with it scikit-learn's trusted-type tables, about a second) is imported by the functions
# that save or load, so importing this module -- and `python -m nlp --help` -- does not pay for it.

#: Largest ``schema.json`` a model may unpack to.  A model trained on the seeds has one of about 1 MB;
#: one trained on a province's reports, with a vocabulary a hundred times larger, stays far below.
MAX_SCHEMA_BYTES = 64 * 2**20
#: Largest total unpacked size of a model archive (arrays included).
MAX_MODEL_BYTES = 1024 * 2**20

#: Types a model file may contain beyond skops' default trusted set.
ALLOWED_TYPES = frozenset(
    {
        "nlp.classify.model.PolicyClassifier",
        "nlp.classify.model.KeywordRuleClassifier",
        "nlp.classify.features.CodebookLexicon",
        "nlp.classify.features.EmptySafe",
        "nlp.classify.features.FastTfidfVectorizer",
        "nlp.classify.features.HeadingRuleFeatures",
        "nlp.classify.features.SentenceField",
        "nlp.classify.features.StructureFeatures",
        "nlp.classify.features.strip_numbers",
        "nlp.classify.labels.HeadingRuleLabeler",
        "nlp.text.tokenize.JiebaTokenizer",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)


def save_classifier(classifier: PolicyClassifier, path: str | Path, force: bool = False) -> Path:
    """Write ``classifier`` and its card atomically, as one unit; refuse to overwrite either unless ``force``.

    Both files are written to temporary files first and moved into place
    card first, model last, so a failure (a full disk) leaves neither new
    file.  Without ``force``, a model or card that appears meanwhile (a
    concurrent run) is not overwritten: one run wins, the other fails.

    Raises
    ------
    OutputExistsError
        If the model or its card exists (or appears) and ``force`` is false.
    OutputError
        If either cannot be written.
    """
    path = Path(path)
    card = getattr(classifier, "model_card_", None)
    targets = [card_path(path), path] if card else [path]
    for target in targets:
        check_output(target, force)
    import skops.io as sio

    with atomic_paths(targets, replace=force) as tmps:
        if card:
            tmps[0].write_text(render_card(card), encoding="utf-8")
        sio.dump(classifier, tmps[-1], compression=zipfile.ZIP_DEFLATED)
    return path


def model_outputs(path: str | Path) -> list[Path]:
    """The files :func:`save_classifier` writes for ``path``: the model and its card."""
    return [Path(path), card_path(path)]


def card_path(model_path: str | Path) -> Path:
    """``model.skops`` → ``model.card.md``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".card.md")


def load_classifier(path: str | Path, for_prediction: bool = False) -> PolicyClassifier:
    """Load a classifier saved by :func:`save_classifier`.

    With ``for_prediction``, a model that :mod:`nlp.classify.frozen` can
    rebuild (the default ``logreg`` one) comes back as a
    :class:`~nlp.classify.inference.FrozenClassifier`: it has ``classes_``,
    ``model_card_``, ``predict``, ``predict_proba`` and ``predict_with_scores``
    with the same results, but neither scikit-learn nor skops is imported
    (about a second of start-up) and it cannot be refitted.  Any other file
    is loaded, audited and refused exactly as without it.

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
    nlp.core.errors.ModelFileError: no/such/model.skops: model file not found
    """
    path = Path(path)
    _check_model_path(path)
    _check_unpacked_size(path)
    if for_prediction:
        from nlp.classify.frozen import load_frozen

        frozen = load_frozen(path)
        if frozen is not None:
            _check_tokenizers(frozen, path)
            return frozen
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    from nlp.classify.model import PolicyClassifier

    try:
        # One pass: skops audits the schema against its defaults plus the allow-list before it builds
        # anything. Asking for the untrusted types first parsed and audited the archive twice.
        model = sio.load(path, trusted=sorted(ALLOWED_TYPES))
    except UntrustedTypesFoundException:
        refused = sorted(set(_untrusted_types(path)) - ALLOWED_TYPES)
        raise UntrustedModelError(
            f"{path}: refusing to load types outside the allow-list: {', '.join(refused)} "
            "(only load model files you trust; see nlp.classify.persist.ALLOWED_TYPES)"
        ) from None
    except Exception as exc:
        _untrusted_types(path)  # a file whose schema cannot even be read is "not a model file"
        raise ModelFileError(f"{path}: cannot rebuild the model ({type(exc).__name__}: {exc})") from exc
    if not isinstance(model, PolicyClassifier) or not hasattr(model, "pipeline_"):
        raise ModelFileError(f"{path}: holds a {type(model).__name__}, not a trained PolicyClassifier")
    _check_tokenizers(model, path)
    return model


def _check_tokenizers(model, path: Path) -> None:
    for tokenizer in iter_tokenizers(model):
        _check_tokenizer(tokenizer, path)


def _untrusted_types(path: Path) -> list[str]:
    """Types of the archive outside skops' defaults; on the error paths only, to say which or why."""
    import skops.io as sio

    try:
        return sio.get_untrusted_types(file=path)
    except Exception as exc:  # zip, JSON and schema errors all mean "not a model file"
        raise ModelFileError(f"{path}: not a readable model file ({type(exc).__name__})") from exc


def _check_model_path(path: Path) -> None:
    """A model path must name a readable regular file; say precisely why not."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        raise ModelFileError(f"{path}: model file not found") from exc
    except OSError as exc:
        reason = "a symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        raise ModelFileError(f"{path}: cannot open the model file ({reason})") from exc
    if stat.S_ISDIR(mode):
        raise ModelFileError(f"{path}: is a folder, not a model file")
    if not stat.S_ISREG(mode):
        raise ModelFileError(f"{path}: is not a regular file (a device or FIFO?), not a model file")


def _check_unpacked_size(path: Path) -> None:
    """Refuse archives that unpack to more than the limits, from the zip directory alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ModelFileError(f"{path}: not a readable model file ({type(exc).__name__})") from exc
    schema = sizes.get("schema.json", 0)
    if schema > MAX_SCHEMA_BYTES or sum(sizes.values()) > MAX_MODEL_BYTES:
        raise ModelFileError(
            f"{path}: unpacks to {sum(sizes.values()) // 2**20} MiB (schema {schema // 2**20} MiB), over the limit "
            f"of {MAX_MODEL_BYTES // 2**20} MiB (schema {MAX_SCHEMA_BYTES // 2**20} MiB); refusing to load it"
        )


def _check_tokenizer(tokenizer: JiebaTokenizer, path: Path) -> None:
    """Word lists inside a model must be the package's own: a model file may not name files to open."""
    for option, default in (("user_dict", DEFAULT_USER_DICT), ("stopwords", DEFAULT_STOPWORDS)):
        value = getattr(tokenizer, option, None)
        if isinstance(value, bool) or value is None:
            continue
        packaged = os.path.realpath(resource_path(default))
        if not isinstance(value, str | os.PathLike) or os.path.realpath(value) != packaged:
            raise ModelFileError(
                f"{path}: its tokenizer's {option} names {value!r}, not a word list of this package; "
                "refusing to load it"
            )
    try:
        tokenizer.resolved_settings()
    except (ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: invalid tokenizer settings ({exc})") from exc


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
