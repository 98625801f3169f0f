"""NMF topic models with coherence, diversity and stability, LDA for comparison (see nlp/experiments/topics.py).

Usage: python experiments/topics.py [--config experiments/configs/topics.toml] [--results results]
"""

from nlp.experiments import script_main

if __name__ == "__main__":
    raise SystemExit(script_main("topics"))
