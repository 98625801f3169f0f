import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import skops.io as sio

from nlp.classify.frozen import KNOWN_TYPES, load_frozen
from nlp.classify.inference import FrozenClassifier
from nlp.classify.persist import ALLOWED_TYPES, card_path, load_classifier, save_classifier
from nlp.classify.training import train_classifier
from nlp.core.errors import ModelFileError, OutputExistsError, UntrustedModelError
from nlp.text.corpus import load_corpus
from nlp.text.records import sentence_records
from tests.helpers import ROOT, assert_one_line_error, run_cli, seed


class Gadget:
    """A type no model file should contain."""

    def __init__(self):
        self.payload = "rm -rf /"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    reports = load_corpus([seed("001"), seed("003")])
    classifier = train_classifier(reports, n_bootstrap=50)
    path = save_classifier(classifier, tmp_path_factory.mktemp("model") / "model.skops")
    return classifier, path, sentence_records(load_corpus([seed("004")]))


def test_train_save_load_in_a_new_process_gives_identical_predictions(trained):
    classifier, path, records = trained
    texts = [r["text"] for r in records]
    expected = classifier.predict_proba(records).tolist() + classifier.predict_proba(texts).tolist()
    code = (
        "import json, sys\n"
        "from nlp.text.corpus import load_corpus\n"
        "from nlp.classify.persist import load_classifier\n"
        "from nlp.text.records import sentence_records\n"
        f"clf = load_classifier({str(path)!r})\n"
        f"records = sentence_records(load_corpus({str(seed('004'))!r}))\n"
        "texts = [r['text'] for r in records]\n"
        "print(json.dumps(clf.predict_proba(records).tolist() + clf.predict_proba(texts).tolist()))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.asarray(json.loads(result.stdout)), np.asarray(expected))


def test_model_card_records_training_data_and_metrics(trained):
    classifier, path, _ = trained
    card = classifier.model_card_
    assert [r["report_id"] for r in card["training_reports"]] == [seed("001").stem, seed("003").stem]
    assert all(len(r["sha256"]) == 64 for r in card["training_reports"])
    assert card["codebook_version"] == "1.1" and card["package_version"]
    assert card["genres"] == {"half_year": 0, "summary": 2} or sum(card["genres"].values()) == 2
    assert card["temperature"] > 0 and card["best_params"]["model__C"] in (1.0, 10.0)
    metrics = card["heldout_metrics"]
    assert metrics["n_groups"] == 2 and metrics["n_reports"] == 2
    assert metrics["macro_f1_ci95"][0] <= metrics["macro_f1"] <= metrics["macro_f1_ci95"][1]
    assert metrics["macro_f1_ci95_reports"][0] <= metrics["macro_f1"] <= metrics["macro_f1_ci95_reports"][1]
    assert 0 <= metrics["ece"] <= 1 and 0.3 <= metrics["review_threshold"] <= 0.95
    text = card_path(path).read_text(encoding="utf-8")
    assert "Held-out evaluation" in text and "Expected calibration error" in text
    assert load_classifier(path).model_card_ == card


def test_saving_refuses_to_overwrite(trained):
    classifier, path, _ = trained
    with pytest.raises(OutputExistsError):
        save_classifier(classifier, path)


def test_corrupt_and_foreign_files_are_rejected(tmp_path, trained):
    _, path, _ = trained
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"\x00\x01not a zip" * 100)
    truncated = tmp_path / "truncated.skops"
    truncated.write_bytes(path.read_bytes()[:5000])
    no_schema = tmp_path / "empty_zip.skops"
    with zipfile.ZipFile(no_schema, "w") as archive:
        archive.writestr("hello.txt", "hi")
    array = tmp_path / "array.skops"
    sio.dump(np.arange(3), array)
    for for_prediction in (False, True):  # the frozen reader declines them and the full loader says why
        for bad in (garbage, truncated, no_schema):
            with pytest.raises(ModelFileError, match="not a readable model file"):
                load_classifier(bad, for_prediction=for_prediction)
        with pytest.raises(ModelFileError, match="not a trained PolicyClassifier"):
            load_classifier(array, for_prediction=for_prediction)


def test_untrusted_types_are_refused(tmp_path, trained):
    evil = tmp_path / "evil.skops"
    sio.dump({"model": Gadget()}, evil)
    # a real model with a foreign object tucked into its card: the frozen reader must not build it either
    classifier, _, _ = trained
    smuggled = sio.load(trained[1], trusted=sorted(ALLOWED_TYPES))
    smuggled.model_card_ = {**classifier.model_card_, "extra": Gadget()}
    hidden = tmp_path / "hidden.skops"
    sio.dump(smuggled, hidden)
    for path in (evil, hidden):
        assert load_frozen(path) is None
        for for_prediction in (False, True):
            with pytest.raises(UntrustedModelError, match=r"tests\.classify\.test_persist\.Gadget"):
                load_classifier(path, for_prediction=for_prediction)


def test_a_model_loaded_for_prediction_predicts_the_same_without_scikit_learn(trained):
    classifier, path, records = trained
    frozen = load_classifier(path, for_prediction=True)
    assert isinstance(frozen, FrozenClassifier)
    texts = [r["text"] for r in records]
    for inputs in (records, texts, [records[0], "", "召开会议。"], []):
        assert np.array_equal(frozen.predict_proba(inputs), classifier.predict_proba(inputs))  # bit for bit
    assert frozen.predict_with_scores(records) == classifier.predict_with_scores(records)
    assert frozen.model_card_ == classifier.model_card_ and list(frozen.classes_) == list(classifier.classes_)
    code = (
        "import sys\n"
        "from nlp.classify.persist import load_classifier\n"
        f"clf = load_classifier({str(path)!r}, for_prediction=True)\n"
        "clf.predict_with_scores([{'text': '开展扫黑除恶。'}, '召开会议。'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'skops', 'pandas'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_frozen_reader_knows_only_types_the_full_loader_allows():
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    outside = KNOWN_TYPES - ALLOWED_TYPES
    parts = [Pipeline([("tfidf", TfidfTransformer())]), FeatureUnion([("a", TfidfTransformer())]), LogisticRegression()]
    names = {f"{type(p).__module__}.{type(p).__name__}" for p in parts} | {
        "sklearn.feature_extraction.text.TfidfTransformer"
    }
    assert outside == names
    assert sio.get_untrusted_types(data=sio.dumps(parts)) == []  # skops trusts these by default


def test_models_the_frozen_reader_does_not_rebuild_load_in_full(tmp_path, trained):
    classifier, _, records = trained
    from nlp.classify.model import PolicyClassifier, make_model

    cnb = PolicyClassifier(model=make_model("cnb")).fit(records, classifier.predict(records))
    cnb_path = save_classifier(cnb, tmp_path / "cnb.skops")
    assert load_frozen(cnb_path) is None
    loaded = load_classifier(cnb_path, for_prediction=True)
    assert isinstance(loaded, PolicyClassifier)
    assert np.array_equal(loaded.predict_proba(records), cnb.predict_proba(records))


def test_cli_reports_bad_model_files_in_one_line(tmp_path):
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"PK\x03\x04 broken")
    evil = tmp_path / "evil.skops"
    sio.dump({"model": Gadget()}, evil)
    report = str(seed("003"))
    assert_one_line_error(run_cli("predict", "--model", str(garbage), report), "not a readable model file")
    assert_one_line_error(run_cli("predict", "--model", str(evil), report), "refusing to load")
    assert_one_line_error(run_cli("predict", "--model", str(tmp_path / "none.skops"), report), "not found")
