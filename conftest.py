"""Pytest set-up shared by tests and doctests."""

import os
import sys

import matplotlib
import pytest

# Figures are written to files; never try to open a window (CI has no screen).
matplotlib.use("Agg")
# Doctests use paths relative to the repository root.
os.chdir(os.path.dirname(os.path.abspath(__file__)))

# Importing nlp/__main__.py would run the command line.
collect_ignore = ["nlp/__main__.py"]


@pytest.fixture
def forkable(monkeypatch):
    """A process that forks workers: joblib's idle workers (and their threads) from earlier tests stopped.

    Threads that earlier tests leave behind for good (a Dask client's IO loop) are
    not holding locks our workers need, so forking is allowed despite them.
    """
    from joblib.externals.loky import get_reusable_executor

    from nlp.core import parallel

    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")
    get_reusable_executor().shutdown(wait=True)
    if not parallel.can_fork():
        monkeypatch.setattr("nlp.core.parallel.can_fork", lambda: True)
        monkeypatch.setattr("nlp.classify.predict.can_fork", lambda: True)
