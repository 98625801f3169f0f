"""Share estimators against hand labels on held-out places; attention by year; covariate regressions.

See nlp/experiments/attention_panel.py.

Usage: python experiments/attention_panel.py [--config experiments/configs/attention_panel.toml] [--results results]
"""

from nlp.experiments import script_main

if __name__ == "__main__":
    raise SystemExit(script_main("attention_panel"))
