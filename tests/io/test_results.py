import json

import pytest

from nlp.core.errors import ConfigError
from nlp.core.fileio import file_sha256
from nlp.io.results import ResultsDir, data_hashes, load_config
from tests.helpers import SEED_FILES, SEEDS


def test_manifest_records_provenance(tmp_path):
    config_path = tmp_path / "c.toml"
    config_path.write_text('reports = "seeds"\nk = 3\n', encoding="utf-8")
    config = load_config(config_path)
    with ResultsDir("exp", root=tmp_path / "results", config=config, config_path=config_path, data=[SEEDS]) as out:
        out.write_json("metrics.json", {"score": 1})
        out.write_csv("table.csv", [{"a": 1, "b": "中文"}])
    folder = tmp_path / "results" / "exp"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["experiment"] == "exp"
    assert manifest["config"] == {"reports": "seeds", "k": 3}
    assert manifest["config_sha256"] == file_sha256(config_path)
    assert manifest["package_version"]
    assert set(manifest["git"]) == {"commit", "dirty"}
    for path in SEED_FILES:
        assert manifest["data_sha256"][path.name] == file_sha256(path)
    assert {"numpy", "scikit-learn", "jieba", "matplotlib"} <= set(manifest["libraries"])
    assert manifest["wall_time_s"] >= 0
    assert manifest["files"] == ["metrics.json", "table.csv"]
    assert (folder / "table.csv").read_text(encoding="utf-8-sig") == "a,b\n1,中文\n"


def test_failed_run_keeps_previous_results_and_leaves_no_partial_folder(tmp_path):
    root = tmp_path / "results"
    with ResultsDir("exp", root=root) as out:
        out.write_json("metrics.json", {"run": 1})
    with pytest.raises(RuntimeError), ResultsDir("exp", root=root) as out:
        out.write_json("metrics.json", {"run": 2})
        raise RuntimeError("interrupted")
    assert json.loads((root / "exp" / "metrics.json").read_text(encoding="utf-8")) == {"run": 1}
    assert [p.name for p in root.iterdir()] == ["exp"]


def test_rerun_replaces_results(tmp_path):
    root = tmp_path / "results"
    for run in (1, 2):
        with ResultsDir("exp", root=root) as out:
            out.write_json(f"only_in_run_{run}.json", {})
    assert sorted(p.name for p in (root / "exp").iterdir()) == ["manifest.json", "only_in_run_2.json"]


def test_bad_configs_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("k = [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(broken)


def test_data_hashes_of_files_and_folders():
    assert data_hashes([SEED_FILES[0]]) == {SEED_FILES[0].name: file_sha256(SEED_FILES[0])}
    assert set(data_hashes([SEEDS])) == {p.name for p in SEEDS.iterdir() if p.is_file()}
