import dataclasses

import pytest

from nlp.core.errors import ConfigError
from nlp.experiments import EXPERIMENTS, load_experiment_config
from nlp.experiments.configs import CONFIG_CLASSES, ClassificationConfig, TopicsConfig, config_from_mapping
from tests.helpers import assert_one_line_error, run_experiment_script


def test_every_experiment_has_a_typed_config():
    assert set(CONFIG_CLASSES) == set(EXPERIMENTS)
    for cls in CONFIG_CLASSES.values():
        assert dataclasses.is_dataclass(cls)
        cls()  # the defaults alone make a valid config


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"n_boot": 10}, "unknown key 'n_boot'"),
        ({"n_bootstrap": "many"}, "n_bootstrap = 'many' is invalid; expected an integer"),
        ({"n_bootstrap": True}, "n_bootstrap = True is invalid"),  # TOML booleans are not numbers
        ({"n_bootstrap": 0}, "expected a positive integer"),
        ({"inner_splits": 1}, "an integer of at least 2"),
        ({"labels": 3}, "expected a string or a list of strings"),
        ({"grids": {"logreg": {"model__C": 1.0}}}, "tables of parameter lists"),
        ({"targets": {"held_out_place_f1": 0.9}}, "unknown targets ['held_out_place_f1']"),
        ({"default_model": "bert"}, "logreg, svm or cnb"),
    ],
)
def test_bad_classification_values_are_refused_naming_the_key(values, fragment):
    with pytest.raises(ConfigError) as caught:
        config_from_mapping("classification", values, "c.toml")
    assert str(caught.value).startswith("c.toml: ") and fragment in str(caught.value)


def test_cross_field_checks_run():
    with pytest.raises(ConfigError, match="k_min = 12 is larger than k_max = 10"):
        config_from_mapping("topics", {"k_min": 12, "k_max": 10}, "t.toml")


def test_values_override_defaults_and_ints_pass_as_floats():
    config = config_from_mapping("topics", {"relevance": 1, "k_max": 12}, "t.toml")
    assert isinstance(config, TopicsConfig)
    assert (config.relevance, config.k_max, config.k_min) == (1, 12, TopicsConfig().k_min)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.k_max = 3  # a run cannot change its own config halfway


def test_inputs_list_every_named_path_in_field_order():
    config = config_from_mapping("classification", {"external": ["a.txt", "b.txt"], "coder_files": ["c.csv"]}, "x")
    assert config.inputs() == ["seeds", "seeds/labels.csv", "a.txt", "b.txt", "seeds/external/labels.csv", "c.csv"]
    assert config.as_dict()["n_bootstrap"] == ClassificationConfig().n_bootstrap  # defaults are recorded too


def test_a_config_file_with_an_unknown_key_fails_before_any_work(tmp_path):
    path = tmp_path / "attention.toml"
    path.write_text('reports = "seeds"\ncompare_predicted = true\nn_boostrap = 10\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'n_boostrap'"):
        load_experiment_config("attention", path)
    result = run_experiment_script("attention", "--config", str(path), "--results", str(tmp_path / "r"))
    assert_one_line_error(result, "unknown key 'n_boostrap'")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"panel_estimator": "mode"}, "one of count, probability, median, adjusted"),
        ({"regression_bootstrap": -1}, "an integer >= 0"),
        ({"whole_report_sentences": 0}, "expected a positive integer"),
    ],
)
def test_bad_attention_panel_values_are_refused_naming_the_key(values, fragment):
    with pytest.raises(ConfigError) as caught:
        config_from_mapping("attention_panel", values, "p.toml")
    assert str(caught.value).startswith("p.toml: ") and fragment in str(caught.value)
    assert config_from_mapping("attention_panel", {"regression_bootstrap": 0}, "p.toml").regression_bootstrap == 0
