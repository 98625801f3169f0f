"""Active learning on the external corpus: random vs uncertainty sampling (see nlp/experiments/active_learning.py).

Usage: python experiments/active_learning.py [--config experiments/configs/active_learning.toml] [--results results]
"""

from nlp.experiments import script_main

if __name__ == "__main__":
    raise SystemExit(script_main("active_learning"))
