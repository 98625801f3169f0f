"""scikit-learn's estimator checks over every estimator and transformer of the package.

The API checks (clonable, repr, parameters set in ``__init__`` only and
validated in ``fit``, ``get_params``/``set_params`` round trips, mixin order,
tags) must pass for all of them. The checks that fit on arrays of random
numbers are expected failures, listed in :data:`NUMERIC_INPUT_CHECKS`: our
estimators take sentences (strings or sentence records) and refuse numbers by
design. ``tests/test_estimator_contract.py`` checks the same properties --
fit returns self, unfitted use raises, fitting twice gives the same output,
pickling keeps the output, feature names match the columns -- on report
sentences.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from nlp.analysis.quantify import AdjustedCount, ClassifyAndCount, PosteriorMedian, ProbabilisticAverage
from nlp.classify.features import (
    CodebookLexicon,
    EmptySafe,
    FastTfidfVectorizer,
    HeadingRuleFeatures,
    SentenceField,
    StructureFeatures,
)
from nlp.classify.labels import HeadingRuleLabeler
from nlp.classify.model import KeywordRuleClassifier, PolicyClassifier
from nlp.topics.models import (
    LDATopicModel,
    MiniBatchNMFTopicModel,
    NMFTopicModel,
    SeededLDATopicModel,
    SeededNMFTopicModel,
)

# JiebaTokenizer is a callable with get_params/set_params (nlp.core.params), not an estimator: it has no fit.
ESTIMATORS = [
    SentenceField(),
    StructureFeatures(),
    CodebookLexicon(),
    HeadingRuleFeatures(),
    FastTfidfVectorizer(),  # string input: scikit-learn's tags skip its data checks, as for TfidfVectorizer
    EmptySafe(FastTfidfVectorizer()),
    HeadingRuleLabeler(),
    KeywordRuleClassifier(),
    PolicyClassifier(),
    NMFTopicModel(n_topics=2),
    MiniBatchNMFTopicModel(n_topics=2),
    LDATopicModel(n_topics=2),
    SeededNMFTopicModel(),
    SeededLDATopicModel(),
    ClassifyAndCount(),
    ProbabilisticAverage(),
    PosteriorMedian(),
    AdjustedCount(),
]

#: The checks that feed any estimator of sentences random numbers, or assert numeric-input behaviour.
_NUMBERS_REFUSED = {
    "check_complex_data",
    "check_dtype_object",
    "check_estimator_sparse_tag",
    "check_estimators_empty_data_messages",
    "check_estimators_nan_inf",
    "check_fit1d",
    "check_fit2d_predict1d",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
}
#: The checks that fit an estimator on random numeric arrays (its data, dtypes, shapes and pickling).
_NUMERIC_ESTIMATOR = _NUMBERS_REFUSED | {
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
}
#: ... and, for a transformer, those that transform such arrays.
_NUMERIC_TRANSFORMER = _NUMERIC_ESTIMATOR | {
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
}
#: A lexicon or rule feature block: only the checks that fit on numbers at all.
_NUMERIC_FIELD_BLOCK = _NUMBERS_REFUSED | {
    "check_transformer_data_not_an_array",
    "check_transformer_general",
}
#: A field selector or the structure block: a field block's checks and those of use before fit, on numbers.
_NUMERIC_STRUCTURE_BLOCK = _NUMERIC_FIELD_BLOCK | {
    "check_fit_check_is_fitted",
    "check_transformers_unfitted",
}
#: A rule-based classifier: it has no numeric features, and its classes come from the codebook.
_RULE_CLASSIFIER = _NUMBERS_REFUSED | {
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_pickle",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_pipeline_consistency",
    "check_supervised_y_2d",
    "check_supervised_y_no_nan",
}
#: A share estimator counting labels: the checks that give it a feature matrix (check_fit2d_predict1d passes).
_LABEL_COUNTER = (_NUMBERS_REFUSED - {"check_fit2d_predict1d"}) | {
    "check_fit_check_is_fitted",
    "check_fit_score_takes_y",
}

TEXT_INPUT = "fits on random numeric arrays; this estimator takes sentences or sentence records"
#: Per estimator, the checks that cannot apply (as scikit-learn's own PER_ESTIMATOR_XFAIL_CHECKS):
#: each feeds arrays of random numbers (or asserts numeric-input behaviour such as ``n_features_in_``),
#: which these estimators refuse by design. Every other check must pass. A check that starts to
#: pass shows as XPASS: then remove it here.
NUMERIC_INPUT_CHECKS: dict[str, set[str]] = {
    "SentenceField": _NUMERIC_STRUCTURE_BLOCK
    | {
        "check_estimators_pickle",
        "check_fit_idempotent",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_pipeline_consistency",
        "check_transformer_preserve_dtypes",
    },
    "StructureFeatures": _NUMERIC_STRUCTURE_BLOCK,
    "CodebookLexicon": _NUMERIC_FIELD_BLOCK,
    "HeadingRuleFeatures": _NUMERIC_FIELD_BLOCK,
    "FastTfidfVectorizer": set(),
    "EmptySafe": _NUMERIC_TRANSFORMER,
    "HeadingRuleLabeler": _RULE_CLASSIFIER,
    "KeywordRuleClassifier": _RULE_CLASSIFIER,
    "PolicyClassifier": {
        "check_classifier_data_not_an_array",
        "check_classifiers_one_label",
        "check_classifiers_train",
        "check_dtype_object",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimators_empty_data_messages",
        "check_estimators_nan_inf",
        "check_fit1d",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_requires_y_none",
        "check_supervised_y_2d",
    },
    "NMFTopicModel": _NUMERIC_TRANSFORMER | {"check_transformer_n_iter"},
    "MiniBatchNMFTopicModel": _NUMERIC_TRANSFORMER,
    "LDATopicModel": _NUMERIC_TRANSFORMER | {"check_transformer_n_iter"},
    "SeededNMFTopicModel": _NUMERIC_TRANSFORMER | {"check_transformer_n_iter"},
    "SeededLDATopicModel": _NUMERIC_TRANSFORMER,
    "ClassifyAndCount": _LABEL_COUNTER,
    "ProbabilisticAverage": _LABEL_COUNTER,
    "PosteriorMedian": _LABEL_COUNTER,
    "AdjustedCount": _NUMERIC_ESTIMATOR,
}


#: The share estimators learn from held-out label indices, ``fit(y_true, y_pred)``, and estimate a report's
#: shares from its labels (and probabilities): they have no feature matrix for the numeric checks to fill.
SHARE_ESTIMATORS = ("ClassifyAndCount", "ProbabilisticAverage", "PosteriorMedian", "AdjustedCount")
LABEL_INPUT = "fits on a feature matrix; a share estimator learns from held-out labels (y_true, y_pred)"


def expected_failures(estimator) -> dict[str, str]:
    name = type(estimator).__name__
    return dict.fromkeys(NUMERIC_INPUT_CHECKS[name], LABEL_INPUT if name in SHARE_ESTIMATORS else TEXT_INPUT)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
