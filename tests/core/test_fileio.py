import os

import pytest

from nlp.core.errors import OutputError, OutputExistsError
from nlp.core.fileio import atomic_paths, atomic_write, check_output, refuse_overwrite, write_json


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_write_json_is_stable_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b.json"
    write_json(target, {"b": 1, "a": "中文"})
    assert target.read_text(encoding="utf-8") == '{\n  "a": "中文",\n  "b": 1\n}\n'


def test_refuse_overwrite(tmp_path):
    target = tmp_path / "x"
    refuse_overwrite(target, force=False)
    target.write_text("", encoding="utf-8")
    refuse_overwrite(target, force=True)
    with pytest.raises(OutputExistsError, match="--force"):
        refuse_overwrite(target, force=False)


def test_durable_writes_sync_and_cache_writes_do_not(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr("nlp.core.fileio.os.fsync", synced.append)
    with atomic_write(tmp_path / "result.txt") as fh:
        fh.write("kept")
    with atomic_write(tmp_path / "entry.txt", durable=False) as fh:
        fh.write("cached")
    assert len(synced) == 1
    assert (tmp_path / "entry.txt").read_text(encoding="utf-8") == "cached"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.txt", "result.txt"]


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_force_never_replaces_a_device():
    with pytest.raises(OutputError, match="device, FIFO or socket"):
        check_output("/dev/null", force=True)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_outputs_may_not_overlap_inputs(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text("x", encoding="utf-8")
    for out, relation in ((reports, "is"), (reports / "out.csv", "lies inside"), (tmp_path, "contains")):
        with pytest.raises(OutputError, match=f"output {relation} the input"):
            check_output(out, force=True, inputs=[reports], folder=out != reports / "out.csv")
    assert check_output(tmp_path / "elsewhere.csv", inputs=[reports]) == tmp_path / "elsewhere.csv"


def test_without_replace_a_file_that_appeared_meanwhile_is_kept(tmp_path):
    card, model = tmp_path / "m.card.md", tmp_path / "m.skops"
    with (
        pytest.raises(OutputExistsError, match="created meanwhile"),
        atomic_paths([card, model], replace=False) as tmps,
    ):
        for tmp in tmps:
            tmp.write_text("new", encoding="utf-8")
        model.write_text("the other run's", encoding="utf-8")
    assert model.read_text(encoding="utf-8") == "the other run's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skops"]  # our card was taken back, no temp files
