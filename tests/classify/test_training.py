"""Training with workers gives the model it gives without them, and really uses the workers."""

import os

import numpy as np
import pytest

from nlp.classify.training import train_classifier
from nlp.text.corpus import load_corpus
from nlp.text.records import sentence_records
from tests.helpers import SEED_FILES, mark_where_the_text_pipeline_fits


@pytest.mark.slow
def test_after_a_parallel_evaluation_the_final_fit_still_uses_two_processes(monkeypatch, forkable):
    reports = load_corpus(SEED_FILES)
    monkeypatch.setattr("nlp.classify.model.PARALLEL_FIT_MIN_SENTENCES", 10)
    mark_where_the_text_pipeline_fits(monkeypatch)
    parallel = train_classifier(reports, eval_splits=2, n_jobs=2, n_bootstrap=20)
    assert parallel.text_pipeline_.fitted_in_process_ != os.getpid()  # joblib's workers did not block forking
    assert parallel.n_jobs is None  # the saved model does not carry this machine's core count
    serial = train_classifier(reports, eval_splits=2, n_jobs=1, n_bootstrap=20)
    assert serial.text_pipeline_.fitted_in_process_ == os.getpid()
    records = sentence_records(reports)
    assert np.array_equal(parallel.predict_proba(records), serial.predict_proba(records))
    # the evaluation's folds ran in joblib workers, whose BLAS uses fewer threads: sums may differ in the last bit
    assert _rounded(parallel.model_card_["heldout_metrics"]) == _rounded(serial.model_card_["heldout_metrics"])


def _rounded(value):
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return round(value, 12) if isinstance(value, float) else value
