"""Policy attention per township, review vs plan, with bootstrap intervals (see nlp/experiments/attention.py).

Usage: python experiments/attention.py [--config experiments/configs/attention.toml] [--results results]
"""

from nlp.experiments import script_main

if __name__ == "__main__":
    raise SystemExit(script_main("attention"))
