"""Stage 7: sentence classifiers for policy categories, and their baselines.

:class:`PolicyClassifier` composes a feature union (:func:`nlp.classify.features.make_features`)
with any scikit-learn classifier that has ``predict_proba``; both are
parameters, so either can be swapped or grid-searched
(``model__C``, ``features__transformer_weights``).  :func:`make_model` builds
the three models of the evaluation; :class:`KeywordRuleClassifier` and a
majority-class :class:`~sklearn.dummy.DummyClassifier` are the baselines.

Examples
--------
>>> clf = PolicyClassifier(model=make_model("logreg")).fit(
...     ["开展扫黑除恶专项斗争。", "做好疫情防控工作。", "严厉打击电信诈骗。", "推进新冠疫苗接种。"],
...     ["governance", "epidemic", "governance", "epidemic"])
>>> clf.predict(["加强疫情防控。"]).tolist()
['epidemic']
"""

from __future__ import annotations

import numbers
import re

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from nlp.classify.codebook import load_codebook
from nlp.classify.features import TEXT_BLOCKS, make_features, terms_pattern
from nlp.classify.inference import TwoPipelines, temper
from nlp.core.parallel import in_background
from nlp.text.records import get_field, get_fields

__all__ = [
    "MODEL_NAMES",
    "PARALLEL_FIT_MIN_SENTENCES",
    "SEED",
    "KeywordRuleClassifier",
    "PolicyClassifier",
    "majority_baseline",
    "make_model",
    "temper",
]

MODEL_NAMES = ("logreg", "svm", "cnb")
SEED = 0


def make_model(name: str, **params):
    """A classifier with ``predict_proba`` by short name.

    ``"logreg"`` is multinomial logistic regression, ``"svm"`` a linear SVM
    calibrated to probabilities (sigmoid, 3-fold), ``"cnb"`` complement naive
    Bayes.  Class weights are balanced where the model supports them.
    """
    if name == "logreg":
        # newton-cg reaches the same optimum as lbfgs on these sparse, unscaled blocks four times faster
        params = {"C": 10.0, "max_iter": 5000, "class_weight": "balanced", "solver": "newton-cg", **params}
        return LogisticRegression(**params)
    if name == "svm":
        svc = LinearSVC(**{"C": 0.5, "class_weight": "balanced", "random_state": SEED, **params})
        return CalibratedClassifierCV(svc, method="sigmoid", cv=3)
    if name == "cnb":
        return ComplementNB(**{"alpha": 0.3, **params})
    raise ValueError(f"unknown model {name!r}; choose from {MODEL_NAMES}")


#: Fewest training sentences for which ``PolicyClassifier(n_jobs=2)`` fits its two pipelines at once.
#: Measured: on 1,235 sentences the forked fit took 1.6-2.0 s against 1.4-1.5 s in turn (the worker
#: segments the sentences again, which the second fit in turn finds memoised); on 76,773, 21 s against 32 s.
PARALLEL_FIT_MIN_SENTENCES = 20_000


def majority_baseline() -> DummyClassifier:
    """Always predicts the most frequent training label."""
    return DummyClassifier(strategy="most_frequent")


class PolicyClassifier(TwoPipelines, ClassifierMixin, BaseEstimator):
    """Features + model, trained on sentence records, usable on bare sentences too.

    Two pipelines are fitted on the same labels: one on the full records
    (sentence, headings, context, structure) and, unless ``text_features`` is
    ``False``, one on the sentence text alone.  Records go to the first, plain
    strings (``predict --one-per-line``) to the second -- a model that learned
    to lean on headings would otherwise mistake every bare sentence for a
    heading-less preamble.

    Parameters
    ----------
    features : FeatureUnion or transformer, optional
        For full records; default :func:`nlp.classify.features.make_features`.
    model : classifier with ``predict_proba``, optional
        Default ``make_model("logreg")``; cloned for each pipeline.
    text_features : transformer or False, optional
        For bare sentences; default ``make_features(TEXT_BLOCKS)``.
    temperature : float, default=1.0
        Probabilities are ``softmax(log p / temperature)`` of the model's own:
        a temperature above 1 softens an over-confident model.  It changes no
        prediction, only the scores; :func:`nlp.classify.evaluate.select_and_calibrate`
        learns it on places held out of training.
    n_jobs : int or None, default=None
        With 2 or more (or -1), and at least ``PARALLEL_FIT_MIN_SENTENCES``
        sentences, the pipeline for bare sentences is fitted in a forked worker
        while this process fits the one for records; ``None`` means 1.  The
        fitted model is the same either way.

    Attributes
    ----------
    pipeline_ : Pipeline
        The fitted ``features → model`` pipeline for records.
    text_pipeline_ : Pipeline or None
        The fitted pipeline for bare sentences.
    classes_ : ndarray
        Category ids in column order of ``predict_proba``.
    """

    #: Models saved before ``n_jobs`` existed unpickle without it; they fitted serially.
    n_jobs = None

    def __init__(self, features=None, model=None, text_features=None, temperature: float = 1.0, n_jobs=None):
        self.features = features
        self.model = model
        self.text_features = text_features
        self.temperature = temperature
        self.n_jobs = n_jobs

    def _pipeline(self, features) -> Pipeline:
        model = clone(self.model) if self.model is not None else make_model("logreg")
        if not hasattr(model, "predict_proba"):
            raise ValueError(f"model {type(model).__name__} has no predict_proba; calibrate it first")
        return Pipeline([("features", clone(features)), ("model", model)])

    def fit(self, X, y):
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} sentences but y has {len(y)} labels")
        if len(set(y)) < 2:
            raise ValueError("training needs sentences of at least two categories")
        if not np.isfinite(self.temperature) or self.temperature <= 0:
            raise ValueError(f"temperature must be a positive number, got {self.temperature!r}")
        if self.n_jobs is not None and (
            isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, numbers.Integral) or not self.n_jobs
        ):
            raise ValueError(f"n_jobs must be a non-zero whole number or None, got {self.n_jobs!r}")
        X, y = list(X), np.asarray(y)
        fit_text_pipeline = self._text_pipeline_fitter(X, y)
        if fit_text_pipeline is not None and (self.n_jobs or 1) != 1 and len(X) >= PARALLEL_FIT_MIN_SENTENCES:
            with in_background(fit_text_pipeline) as fitted_text_pipeline:  # the two fits share nothing
                self._fit_record_pipeline(X, y)
                self.text_pipeline_ = fitted_text_pipeline()
        else:
            self._fit_record_pipeline(X, y)
            self.text_pipeline_ = None if fit_text_pipeline is None else fit_text_pipeline()
        return self

    def _fit_record_pipeline(self, X: list, y: np.ndarray) -> None:
        self.pipeline_ = self._pipeline(self.features if self.features is not None else make_features()).fit(X, y)
        self.classes_ = self.pipeline_.classes_

    def _text_pipeline_fitter(self, X: list, y: np.ndarray):
        """A function fitting the pipeline for bare sentences, or ``None`` without one."""
        if self.text_features is False:
            return None
        text_features = self.text_features if self.text_features is not None else make_features(TEXT_BLOCKS)
        pipeline = self._pipeline(text_features)  # here: an unusable model fails before any work starts
        texts = [str(text) for text in get_fields(X, "text")]
        return lambda: pipeline.fit(texts, y)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        return self._proba(X)  # predict and predict_with_scores: nlp.classify.inference.TwoPipelines


class KeywordRuleClassifier(ClassifierMixin, BaseEstimator):
    """Baseline: the category whose codebook terms occur most in the sentence.

    Longer terms count more (a match scores its length in characters). With
    no match in the sentence, its nearest heading decides; with none there
    either, ``default``.  Nothing is learned from the training labels.

    Examples
    --------
    >>> KeywordRuleClassifier().fit().predict(["深入开展扫黑除恶专项斗争。", "召开会议。"]).tolist()
    ['governance', 'general']
    """

    def __init__(self, codebook: str | None = None, default: str = "general"):
        self.codebook = codebook
        self.default = default

    def fit(self, X=None, y=None):
        codebook = load_codebook(self.codebook)
        if self.default not in codebook.ids:
            raise ValueError(f"default must be a codebook category, got {self.default!r}")
        self.classes_ = np.asarray(codebook.ids)
        self.patterns_ = [terms_pattern(c.typical_terms) for c in codebook.categories]
        return self

    def _scores(self, text: str) -> np.ndarray:
        return np.array([sum(len(m) for m in re.findall(p, text)) for p in self.patterns_], dtype=float)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "patterns_")
        rows = []
        default = np.asarray(self.classes_ == self.default, dtype=float)
        for x in X:
            scores = self._scores(str(get_field(x, "text")))
            if not scores.any():
                scores = self._scores(str(get_field(x, "nearest_heading")))
            rows.append(scores / scores.sum() if scores.any() else default)
        return np.vstack(rows) if rows else np.empty((0, len(self.classes_)))

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)  # raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]
