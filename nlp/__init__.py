"""Chinese policy-text analysis of township government work reports.

One subpackage per family of pipeline stages, each importing only from the
floors below it (checked by ``lint-imports``, see ``pyproject.toml``):

``core`` (errors, files, pools, memos) → ``text`` (reading, cleaning,
structure, sentences, tokens) → ``classify`` (features, models, evaluation,
persistence, prediction) → ``topics`` → ``analysis`` (attention, panel) →
``io`` (results folders, figures) → ``experiments`` → ``cli``.

Reuse a trained classifier::

    import nlp
    clf = nlp.load_classifier("results/classification/policy_classifier.skops")
    clf.predict(["做好疫情防控工作。"])
"""

from nlp.core.version import __version__

__all__ = ["__version__", "load_classifier", "load_corpus"]


def __getattr__(name: str):
    # Imported on first use, so `python -m nlp corpus` does not pay for scikit-learn and skops.
    if name == "load_classifier":
        from nlp.classify.persist import load_classifier

        return load_classifier
    if name == "load_corpus":
        from nlp.text.corpus import load_corpus

        return load_corpus
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
