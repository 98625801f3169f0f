"""Chinese policy-text analysis of township government work reports.

The package is organised by pipeline stage, data flowing one way:

``reading`` (files → text) → ``cleaning`` (page noise, metadata) →
``structure`` (headings, parts) → ``sentences`` → ``corpus`` (all of the
above per report) → ``records`` (sentences with context) → ``tokenize``
(jieba) → ``features`` → ``classify`` / ``evaluate`` / ``training`` /
``persist`` → ``plotting`` / ``results`` / ``experiments``.

Reuse a trained classifier::

    import nlp
    clf = nlp.load_classifier("results/classification/policy_classifier.skops")
    clf.predict(["做好疫情防控工作。"])
"""

__version__ = "0.1.0"

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
