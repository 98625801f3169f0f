"""Corpus statistics of the seed reports (see nlp/experiments/corpus_stats.py).

Usage: python experiments/corpus_stats.py [--config experiments/configs/corpus_stats.toml] [--results results]
"""

from nlp.experiments import script_main

if __name__ == "__main__":
    raise SystemExit(script_main("corpus_stats"))
