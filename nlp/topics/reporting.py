"""What a paper reports about fitted topic models: comparison and seed-retention tables, topics with their
representative sentences, and topic shares by year and genre with intervals over reports.
"""

from __future__ import annotations

from collections.abc import Sequence

from nlp.topics.models import grouped_share_intervals, topic_shares
from nlp.topics.selection import TopicCorpus, n_topics

__all__ = [
    "COMPARISON_FIELDS",
    "comparison_markdown",
    "comparison_rows",
    "excerpt_note",
    "free_topics",
    "grouped_topic_shares",
    "report_year",
    "retention_markdown",
    "retention_rows",
    "summary_row",
    "topic_records",
]


def summary_row(row: dict) -> dict:
    """The comparison fields of an :func:`evaluate_model` row."""
    keep = ("k", "npmi", "diversity", "stability", "n_substantive_matched", "share_agreement")
    out = {key: row[key] for key in keep if key in row}
    out["matched_categories"] = sorted(row["matched_categories"])
    for key in ("seeds_kept_min", "seeds_kept_mean", "reconstruction_error"):
        if key in row:
            out[key] = row[key]
    return out


def _representative(model, W, corpus: TopicCorpus, n: int = 3) -> list[list[dict]]:
    meta = corpus.sentence_meta
    return [
        [{"report_id": meta[i]["report_id"], "index": meta[i]["index"], "text": corpus.sentences[i]} for i in docs]
        for docs in model.representative(W, n)
    ]


def free_topics(model, names, W, corpus: TopicCorpus) -> list[dict]:
    """Top terms and representative sentences of each unseeded topic of a seeded model."""
    first = len(model.seed_topics_)
    representative = _representative(model, W, corpus)
    top = model.top_terms(15)
    return [
        {
            "topic": t,
            "name": names[t],
            "top_terms": [term for term, _ in top[t]],
            "representative_sentences": representative[t],
        }
        for t in range(first, n_topics(model))
    ]


def topic_records(model, names, W, corpus: TopicCorpus, retention: list[dict] | None = None) -> list[dict]:
    seeded = {r["topic"]: r for r in retention or []}
    records = []
    for t, (name, terms, docs) in enumerate(
        zip(names, model.top_terms(15), _representative(model, W, corpus), strict=True)
    ):
        record = {
            "topic": t,
            "name": name,
            "top_terms": [{"term": term, "weight": round(weight, 6)} for term, weight in terms],
            "representative_sentences": docs,
        }
        if retention is not None:
            record["seeded_with"] = seeded[t]["seeded_with"] if t in seeded else None
            if t in seeded:
                record.update({key: seeded[t][key] for key in ("n_kept", "kept", "new_terms")})
        records.append(record)
    return records


def _fmt(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


COMPARISON_FIELDS = (
    "model",
    "k",
    "npmi@10",
    "diversity@25",
    "stability",
    "substantive_matched",
    "share_r",
    "share_report_r",
    "share_abs_diff",
    "note",
)


def _rounded(value, digits: int = 4):
    return None if value is None else round(value, digits)


def comparison_rows(comparison: dict) -> list[dict]:
    """One table row per model from :func:`evaluate_model` summaries (``stability`` may be absent)."""
    rows = []
    for name, row in comparison.items():
        if "skipped" in row:
            rows.append({"model": name, "note": row["skipped"]})
            continue
        agreement = row["share_agreement"]
        rows.append(
            {
                "model": name,
                "k": row["k"],
                "npmi@10": _rounded(row["npmi"]),
                "diversity@25": _rounded(row["diversity"]),
                "stability": _rounded(row.get("stability")),
                "substantive_matched": row["n_substantive_matched"],
                "share_r": _rounded(agreement["pearson_r"]),
                "share_report_r": _rounded(agreement["mean_report_r"]),
                "share_abs_diff": _rounded(agreement["mean_abs_diff"]),
                "note": agreement["topics_as_categories"],
            }
        )
    return rows


def comparison_markdown(rows: list[dict], n_substantive: int = 8) -> str:
    """The comparison as a Markdown table."""
    lines = [
        f"| model | k | NPMI@10 | diversity@25 | stability | substantive categories matched (of {n_substantive}) | "
        "share r | mean report r | mean abs. diff. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if "k" not in row:
            lines.append(f"| {row['model']} | {row['note']} |  |  |  |  |  |  |  |")
            continue
        lines.append(
            f"| {row['model']} | {row['k']} | {_fmt(row['npmi@10'])} | {_fmt(row['diversity@25'])} | "
            f"{_fmt(row['stability'])} | {row['substantive_matched']} | {_fmt(row['share_r'])} | "
            f"{_fmt(row['share_report_r'])} | {_fmt(row['share_abs_diff'])} |"
        )
    return "\n".join(lines) + "\n"


def retention_rows(retention: list[dict]) -> list[dict]:
    """The seed-retention table: per seeded topic, seeds given, in the vocabulary, kept in the top 25, new terms."""
    return [
        {
            "topic": r["topic"],
            "category": r["seeded_with"],
            "seeds_given": r["seeds_given"],
            "seeds_in_vocabulary": r["seeds_in_vocabulary"],
            "kept_in_top25": r["n_kept"],
            "kept": "、".join(r["kept"]),
            "new_terms": "、".join(r["new_terms"]),
        }
        for r in retention
    ]


def retention_markdown(rows: list[dict]) -> str:
    """The seed-retention table as Markdown."""
    lines = [
        "| topic | category | seeds (in vocabulary) | kept in top 25 | new terms learned |",
        "|---|---|---|---|---|",
        *(
            f"| T{r['topic'] + 1} | {r['category']} | {r['seeds_given']} ({r['seeds_in_vocabulary']}) | "
            f"{r['kept_in_top25']} | {r['new_terms']} |"
            for r in rows
        ),
    ]
    return "\n".join(lines) + "\n"


def report_year(years, which: str = "reviewed") -> int | None:
    """The year a report stands for: the first year it covers (``reviewed``) or the last (``latest``)."""
    if not years:
        return None
    return min(years) if which == "reviewed" else max(years)


def grouped_topic_shares(
    model,
    W,
    corpus: TopicCorpus,
    year: str = "reviewed",
    years: Sequence[int] = (2014, 2024),
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[list, list]:
    """Report topic shares averaged by year and by genre, with bootstrap intervals over reports (table rows).

    ``year`` picks each report's year (:func:`report_year`); reports outside
    ``years`` (first, last) have no year group.
    """
    shares = topic_shares(W, corpus.sentence_reports, skip_empty=True)
    meta = {m["report_id"]: m for m in corpus.sentence_meta}
    which = year
    first, last = years
    by_report = {}
    for r, m in meta.items():
        found = report_year(m["years"], which)
        by_report[r] = found if found is not None and first <= found <= last else None
    genres = {r: m["genre"] or "unknown" for r, m in meta.items()}
    names = model.topic_names()
    tables = []
    for grouping, group_of in (("year", by_report), ("genre", genres)):
        rows = []
        for group, stats in grouped_share_intervals(shares, group_of, n_boot=n_boot, seed=seed).items():
            for t, name in enumerate(names):
                rows.append(
                    {
                        grouping: group,
                        "n_reports": stats["n_reports"],
                        "topic": name,
                        "mean": round(float(stats["mean"][t]), 4),
                        "low": round(float(stats["low"][t]), 4),
                        "high": round(float(stats["high"][t]), 4),
                    }
                )
        tables.append(rows)
    return tables[0], tables[1]


def excerpt_note(n_reports: int, n_external: int, year_counts: dict) -> str:
    """What topic shares of report openings can and cannot support (written into metrics.json)."""
    counts = sorted(year_counts.values()) or [0]
    return (
        f"{n_external} of the {n_reports} reports are external excerpts: report openings of about 750 characters "
        "(a few are a later page of a report), cut off by the page store, beside whole seed reports. Topic "
        "shares of an excerpt describe how that report opens (headline framing, the first review items, often "
        "epidemic and economy), not how it spreads its attention over the whole year; a whole seed report "
        "weighs as one report like any excerpt. So the year and genre figures can support: which topics report "
        "openings give room to, the vocabulary and coherence of topics across many places, seed retention, and "
        "rough contrasts between groups with many reports. They cannot support: policy attention of whole "
        f"reports, trends over time (a year holds {counts[0]} to {counts[-1]} reports, not a sample of any "
        "place, and year is confounded with place, level and genre), or claims about topics that reports reach "
        "only after their opening (plans, problems, late review sections)."
    )
