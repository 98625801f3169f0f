"""Draw sentences of your own reports for hand coding.

Two jobs, two strategies:

* ``stratified`` -- the **validation sample** a reviewer trusts: a
  systematic sample from the sentences sorted by report and predicted
  category (shuffled within each), so every report and every predicted
  category gets its proportional share (each stratum of *m* sentences
  gets ⌊m·n/N⌋ or ⌈m·n/N⌉) and every sentence has the same chance n/N of
  being drawn.  The sample is self-weighting: plain (unweighted) accuracy
  and F1 on it estimate those of the whole corpus.  ``random`` is a simple
  random sample.
* ``uncertainty`` -- **active learning**, to choose sentences worth
  *training* on: those the model is least sure of (``margin``: 1 − (p₁ − p₂)
  between its two best categories, or ``entropy`` of its probabilities,
  normalised to [0, 1]), with diversity: at most ``max_per_report``
  sentences of one report (default ⌈n / reports⌉), so one long, unusual
  report does not take the whole batch.  Such a sample is *not* a
  validation sample: it is biased towards hard sentences by design.

Sentences already coded (``exclude``) are never drawn again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from nlp.classify.coding import sentence_id
from nlp.core.errors import InputError
from nlp.text.records import sentence_records

__all__ = [
    "STRATEGIES",
    "UNCERTAINTY",
    "sample_sentences",
    "select_uncertain",
    "systematic_stratified",
    "uncertainty_scores",
]

STRATEGIES = ("stratified", "random", "uncertainty")
UNCERTAINTY = ("margin", "entropy")


def uncertainty_scores(proba: np.ndarray, method: str = "margin") -> np.ndarray:
    """How unsure the model is about each row of ``proba``, in [0, 1] (1 = most unsure).

    Examples
    --------
    >>> uncertainty_scores(np.array([[0.9, 0.1, 0.0], [0.4, 0.4, 0.2]])).round(2).tolist()
    [0.2, 1.0]
    >>> uncertainty_scores(np.array([[1.0, 0.0], [0.5, 0.5]]), "entropy").round(2).tolist()
    [0.0, 1.0]
    """
    proba = np.asarray(proba, dtype=float)
    if method == "margin":
        top = np.sort(proba, axis=1)[:, ::-1]
        second = top[:, 1] if proba.shape[1] > 1 else np.zeros(len(proba))
        return 1.0 - (top[:, 0] - second)
    if method == "entropy":
        p = np.clip(proba, 1e-12, 1.0)
        return -(p * np.log(p)).sum(axis=1) / math.log(max(proba.shape[1], 2))
    raise ValueError(f"unknown uncertainty {method!r}; choose from {UNCERTAINTY}")


def systematic_stratified(strata: Sequence, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of a proportional stratified sample of ``n`` items: systematic over items sorted by stratum.

    Items are shuffled, stably sorted by stratum, and every (N/n)-th is taken
    from a random start, so a stratum of *m* items yields ⌊m·n/N⌋ or ⌈m·n/N⌉.

    Examples
    --------
    >>> picked = systematic_stratified(["a"] * 60 + ["b"] * 30 + ["c"] * 10, 10, np.random.default_rng(0))
    >>> sorted(np.bincount([0 if p < 60 else 1 if p < 90 else 2 for p in picked]).tolist())
    [1, 3, 6]
    """
    total = len(strata)
    n = min(n, total)
    if n <= 0:
        return np.array([], dtype=int)
    order = rng.permutation(total)
    keys = np.array([str(strata[i]) for i in order])
    order = order[np.argsort(keys, kind="stable")]
    step = total / n
    positions = np.floor(rng.uniform(0, step) + step * np.arange(n)).astype(int)
    return np.sort(order[np.minimum(positions, total - 1)])


def select_uncertain(
    scores: np.ndarray, report_ids: Sequence[str], n: int, max_per_report: int | None = None
) -> np.ndarray:
    """The ``n`` most uncertain positions, at most ``max_per_report`` from one report (relaxed if too few remain).

    Ties are broken by position, so the choice is deterministic.

    Examples
    --------
    >>> select_uncertain(np.array([0.9, 0.8, 0.7, 0.1]), ["r1", "r1", "r1", "r2"], 2, max_per_report=1).tolist()
    [0, 3]
    """
    scores, report_ids = np.asarray(scores, dtype=float), np.asarray(report_ids)
    n = min(n, len(scores))
    if max_per_report is None:
        max_per_report = max(1, math.ceil(n / max(len(set(report_ids.tolist())), 1)))
    ranked = np.lexsort((np.arange(len(scores)), -scores))
    chosen, taken = [], {}
    for k in ranked:
        if len(chosen) == n:
            break
        if taken.get(report_ids[k], 0) < max_per_report:
            chosen.append(k)
            taken[report_ids[k]] = taken.get(report_ids[k], 0) + 1
    if len(chosen) < n:  # too few reports for the cap: fill with the next most uncertain
        rest = [k for k in ranked if k not in set(chosen)]
        chosen += rest[: n - len(chosen)]
    return np.sort(np.asarray(chosen, dtype=int))


def sample_sentences(
    reports,
    classifier,
    n: int,
    strategy: str = "stratified",
    uncertainty: str = "margin",
    max_per_report: int | None = None,
    exclude: Iterable[tuple[str, str]] = (),
    seed: int = 0,
) -> list[dict]:
    """Draw ``n`` sentences of ``reports`` for hand coding, with context and the model's label.

    Parameters
    ----------
    reports : sequence of Report
    classifier : fitted classifier with ``predict_proba``
        Gives the predicted category (a stratum) and the uncertainty.
    n : int
        Sentences to draw (all candidates if fewer).
    strategy : {"stratified", "random", "uncertainty"}
    uncertainty : {"margin", "entropy"}
    max_per_report : int, optional
        Cap per report for ``uncertainty`` (default ⌈n / reports⌉).
    exclude : iterable of (report_id, text)
        Sentences already coded (e.g. the keys of :func:`nlp.classify.labels.load_labels`).
    seed : int

    Returns
    -------
    list of dict
        In report and sentence order: ``sentence_id, report_id, index,
        heading, before, text, after, predicted, score, uncertainty``.

    Examples
    --------
    >>> from nlp.text.corpus import parse_text
    >>> from nlp.classify.model import PolicyClassifier
    >>> report = parse_text("一、疫情防控\\n做好疫情防控工作。\\n二、经济发展\\n发展特色产业。", "demo")
    >>> clf = PolicyClassifier().fit(["做好疫情防控。", "发展产业。"], ["epidemic", "economy"])
    >>> rows = sample_sentences([report], clf, 2, "uncertainty")
    >>> len(rows), rows[0]["report_id"], "predicted" in rows[0]
    (2, 'demo', True)
    """
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if uncertainty not in UNCERTAINTY:
        raise InputError(f"unknown uncertainty {uncertainty!r}; choose from {', '.join(UNCERTAINTY)}")
    if n < 1:
        raise InputError(f"--n must be at least 1, got {n}")
    records = sentence_records(reports)
    excluded = set(exclude)
    candidates = [k for k, r in enumerate(records) if (r["report_id"], r["text"]) not in excluded]
    if not candidates:
        raise InputError("no sentences left to sample: every sentence of the reports is already coded")
    pool = [records[k] for k in candidates]
    proba = np.asarray(classifier.predict_proba(pool))
    classes = np.asarray(classifier.classes_)
    predicted = classes[proba.argmax(axis=1)]
    unsure = uncertainty_scores(proba, uncertainty)
    report_ids = [r["report_id"] for r in pool]
    rng = np.random.default_rng(seed)
    if strategy == "stratified":
        picked = systematic_stratified([f"{r}\t{p}" for r, p in zip(report_ids, predicted, strict=True)], n, rng)
    elif strategy == "random":
        picked = np.sort(rng.choice(len(pool), size=min(n, len(pool)), replace=False))
    else:
        picked = select_uncertain(unsure, report_ids, n, max_per_report)
    return [_row(records, candidates[k], predicted[k], proba[k].max(), unsure[k]) for k in picked]


def _row(records: list[dict], k: int, predicted: str, score: float, unsure: float) -> dict:
    record = records[k]

    def neighbour(j: int) -> str:
        inside = 0 <= j < len(records) and records[j]["report_id"] == record["report_id"]
        return records[j]["text"] if inside else ""

    return {
        "sentence_id": sentence_id(record["report_id"], record["index"]),
        "report_id": record["report_id"],
        "index": record["index"],
        "heading": record["heading"],
        "before": neighbour(k - 1),
        "text": record["text"],
        "after": neighbour(k + 1),
        "predicted": str(predicted),
        "score": round(float(score), 4),
        "uncertainty": round(float(unsure), 4),
    }
