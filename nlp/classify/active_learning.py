"""Simulated coding rounds: a coder codes batches a strategy picks, the model is refit after each round.

What ``experiments/active_learning.py`` runs on the external corpus (whose
hand codes play the coder) to measure how many sentences of new places a
researcher must code, with random or uncertainty sampling
(:func:`nlp.classify.sampling.select_uncertain`).
"""

from __future__ import annotations

import math

import numpy as np

from nlp.classify.features import make_features
from nlp.classify.model import PolicyClassifier, make_model
from nlp.classify.sampling import select_uncertain, uncertainty_scores

__all__ = [
    "STRATEGIES",
    "STRATEGY_NAMES",
    "first_reaching",
    "loop_model",
    "macro_f1_codes",
    "place_folds",
    "simulate",
]

STRATEGIES = ("random", "uncertainty")
STRATEGY_NAMES = {"random": "随机抽样 (random)", "uncertainty": "不确定性抽样 (uncertainty, margin)"}


def loop_model(C: float = 10.0) -> PolicyClassifier:
    """The classifier retrained in every round: fixed C, all feature blocks, no bare-sentence half."""
    return PolicyClassifier(make_features(), make_model("logreg", C=C), text_features=False)


def place_folds(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """A fold number per sentence: places shuffled with ``seed`` and dealt into ``n_folds`` parts of similar size."""
    rng = np.random.default_rng(seed)
    places = list(dict.fromkeys(groups.tolist()))
    sizes = {p: int((groups == p).sum()) for p in places}
    order = rng.permutation(len(places))
    load, fold_of = np.zeros(n_folds), {}
    for k in order:  # largest-first would be deterministic; random order keeps partitions varied
        target = int(np.argmin(load))
        fold_of[places[k]] = target
        load[target] += sizes[places[k]]
    return np.array([fold_of[g] for g in groups.tolist()])


def simulate(
    X_seed: list,
    y_seed: np.ndarray,
    X_ext: list,
    y_ext: np.ndarray,
    reports: np.ndarray,
    pool: np.ndarray,
    test: np.ndarray,
    strategy: str,
    rounds: int,
    batch: int,
    seed: int,
    C: float = 10.0,
) -> np.ndarray:
    """Predictions for ``test`` after each of ``rounds + 1`` trainings (round 0: the seed model).

    Returns an array of shape ``(rounds + 1, len(test))`` of predicted labels.
    """
    rng = np.random.default_rng(seed)
    coded: list[int] = []
    remaining = list(pool)
    predictions = []
    model = loop_model(C).fit(X_seed, y_seed)
    for r in range(rounds + 1):
        predictions.append(np.asarray(model.predict([X_ext[i] for i in test])).astype(str))
        if r == rounds or not remaining:
            continue
        if strategy == "random":
            picked = rng.choice(len(remaining), size=min(batch, len(remaining)), replace=False)
        else:
            proba = model.predict_proba([X_ext[i] for i in remaining])
            scores = uncertainty_scores(proba, "margin")
            cap = max(1, math.ceil(batch / len(set(reports[remaining].tolist()))))
            picked = select_uncertain(scores, reports[remaining], batch, cap)
        chosen = {remaining[k] for k in picked}
        coded += sorted(chosen)
        remaining = [i for i in remaining if i not in chosen]
        model = loop_model(C).fit(X_seed + [X_ext[i] for i in coded], np.concatenate([y_seed, y_ext[coded]]))
    while len(predictions) < rounds + 1:  # pool exhausted: the curve stays where it is
        predictions.append(predictions[-1])
    return np.vstack(predictions)


def macro_f1_codes(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Macro-F1 of integer-coded labels over the classes present in either (fast, for bootstraps)."""
    confusion = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    tp = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    present = denominator > 0
    return float(np.mean(2 * tp[present] / denominator[present]))


def first_reaching(curve: np.ndarray, labels: np.ndarray, target: float) -> float:
    """The first number of labels at which ``curve`` reaches ``target`` (``inf`` if it never does)."""
    hits = np.flatnonzero(curve >= target)
    return float(labels[hits[0]]) if hits.size else math.inf
