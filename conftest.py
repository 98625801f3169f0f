"""Pytest set-up shared by tests and doctests."""

import os

import matplotlib

# Figures are written to files; never try to open a window (CI has no screen).
matplotlib.use("Agg")
# Doctests use paths relative to the repository root.
os.chdir(os.path.dirname(os.path.abspath(__file__)))

# Importing nlp/__main__.py would run the command line.
collect_ignore = ["nlp/__main__.py"]
