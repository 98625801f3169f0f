from pathlib import Path

import pytest

from nlp.core.errors import InputError
from nlp.text.corpus import default_seed_dir, find_seed_dir


def test_seeds_are_found_in_the_working_directory_or_above(tmp_path, monkeypatch):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path)
    assert default_seed_dir() == Path("seeds")
    monkeypatch.chdir(tmp_path / "notebooks")  # where a notebook runs
    assert default_seed_dir() == tmp_path.resolve() / "seeds"


def test_no_seeds_anywhere_above_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_seed_dir() is None
    with pytest.raises(InputError, match=r"no seeds/ folder in .* or above it"):
        default_seed_dir()
