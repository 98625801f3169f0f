"""Shared test helpers: paths of the shipped seeds, a way to run the command line, a fit marker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def seed(prefix: str) -> Path:
    """The seed report whose file name starts with ``prefix`` (e.g. ``"003"``)."""
    (match,) = [p for p in SEED_FILES if p.name.startswith(prefix)]
    return match


def run_cli(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m nlp ARGS`` in a fresh process and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "nlp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    """The process failed with exit 2 and a single ``error:`` line naming ``fragment``."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def run_experiment_script(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python experiments/NAME.py ARGS`` in a fresh process and capture its output."""
    return subprocess.run(
        [sys.executable, str(ROOT / "experiments" / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def mark_where_the_text_pipeline_fits(monkeypatch) -> None:
    """Make ``PolicyClassifier`` note, on its fitted sentence-only pipeline, the process that fitted it."""
    import os

    from nlp.classify.model import PolicyClassifier

    original = PolicyClassifier._text_pipeline_fitter

    def marking(self, X, y):
        fit = original(self, X, y)

        def fit_and_mark():
            pipeline = fit()
            pipeline.fitted_in_process_ = os.getpid()
            return pipeline

        return fit_and_mark

    monkeypatch.setattr(PolicyClassifier, "_text_pipeline_fitter", marking)
