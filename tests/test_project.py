"""The repository keeps the promises made in README.md and CI."""

import hashlib
import re

import pytest

from .helpers import ROOT, SEED_FILES

SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


def readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- command: (\w+) -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, flags=re.S))


def test_readme_names_the_main_and_test_commands():
    commands = readme_commands()
    assert set(commands) == {"main", "test"}
    assert "pytest" in commands["test"]
    assert "pip install" in commands["main"] and "pip install" in commands["test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()["test"] in ci


def test_five_seed_reports_are_shipped():
    assert [p.name[:3] for p in SEED_FILES] == ["000", "001", "002", "003", "004"]


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="the shared seed folder exists only on the team's machines")
def test_seeds_are_byte_identical_copies():
    for path in SEED_FILES:
        original = SHARED_SEEDS / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()
