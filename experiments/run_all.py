"""The main run: every experiment on the shipped seeds, in order, into results/.

Usage: python experiments/run_all.py [--results results] [--only NAME ...] [--quiet]
"""

from nlp.experiments import run_all_main

if __name__ == "__main__":
    raise SystemExit(run_all_main())
