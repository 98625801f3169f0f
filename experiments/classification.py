"""Sentence classification: models and baselines, leave-one-report-out (see nlp/experiments/classification.py).

Usage: python experiments/classification.py [--config experiments/configs/classification.toml] [--results results]
"""

from nlp.experiments import script_main

if __name__ == "__main__":
    raise SystemExit(script_main("classification"))
