import pytest

from nlp.errors import OutputExistsError
from nlp.fileio import atomic_write, refuse_overwrite, write_json


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
    monkeypatch.setattr("nlp.fileio.os.fsync", synced.append)
    with atomic_write(tmp_path / "result.txt") as fh:
        fh.write("kept")
    with atomic_write(tmp_path / "entry.txt", durable=False) as fh:
        fh.write("cached")
    assert len(synced) == 1
    assert (tmp_path / "entry.txt").read_text(encoding="utf-8") == "cached"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.txt", "result.txt"]
