"""Corpus statistics: what the reader recovers from each report.

Writes ``metrics.json`` (per report: township, years, sections, sentences
and characters per part, tokens), ``reports.csv``, ``sections.csv``,
``sentences.csv`` and a figure of sentences per part.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from nlp.experiments import load_reports
from nlp.io.plotting import SERIES_COLORS, new_figure, save_figure
from nlp.io.results import ResultsDir
from nlp.text.corpus import SENTENCE_FIELDS, corpus_table
from nlp.text.structure import PARTS
from nlp.text.tokenize import JiebaTokenizer

__all__ = ["PART_NAMES", "run"]

PART_NAMES = {"review": "工作总结 (review)", "problems": "存在问题 (problems)", "plan": "工作计划 (plan)"}


def run(config: dict, out: ResultsDir, progress: bool = False) -> dict:
    reports = load_reports(config.reports, config.cache, progress)
    tokenize = JiebaTokenizer()
    rows = corpus_table(reports)
    per_report = {}
    for row, report in zip(rows, reports, strict=True):
        chars = Counter()
        for sentence in report.sentences:
            chars[sentence.part] += len(sentence.text)
        tokens = [t for s in report.sentences for t in tokenize(s.text)]
        per_report[report.report_id] = {
            **{
                k: row[k]
                for k in ("township", "level", "county", "genre", "years", "published", "top_sections", "sections")
            },
            "sentences": row["sentences"],
            "sentences_per_part": {p: row[p] for p in PARTS},
            "characters_per_part": {p: chars.get(p, 0) for p in PARTS},
            "tokens": len(tokens),
            "distinct_tokens": len(set(tokens)),
            "title": report.meta.title,
        }
    metrics = {
        "reports": len(reports),
        "sentences": sum(len(r.sentences) for r in reports),
        "characters": sum(len(r.text) for r in reports),
        "per_report": per_report,
    }
    out.write_json("metrics.json", metrics)
    out.write_csv("reports.csv", rows)
    sections = [
        {"report_id": r.report_id, "level": s.level, "part": s.part, "title": s.title, "path": " > ".join(s.path)}
        for r in reports
        for s in r.sections
    ]
    out.write_csv("sections.csv", sections, ["report_id", "level", "part", "title", "path"])
    sentence_rows = [record for r in reports for record in r.sentence_records()]
    out.write_csv("sentences.csv", sentence_rows, SENTENCE_FIELDS)
    save_figure(_parts_figure(rows), out.path("sentences_per_part"))
    return metrics


def _parts_figure(rows: list[dict]):
    fig = new_figure(max(8, 0.28 * len(rows)), 4.5)
    ax = fig.add_subplot()
    names = [f"{r['township']}\n{r['years']}" if len(rows) <= 12 else r["report_id"][:3] for r in rows]
    bottom = np.zeros(len(rows))
    for k, part in enumerate(PARTS):
        values = np.array([r[part] for r in rows], dtype=float)
        ax.bar(names, values, bottom=bottom, label=PART_NAMES[part], color=SERIES_COLORS[k])
        bottom += values
    ax.set_ylabel("句子数 (sentences)")
    ax.set_title("各报告句子数，按报告部分 (sentences per report part)")
    ax.legend(fontsize="small")
    ax.tick_params(axis="x", labelsize=8 if len(rows) <= 12 else 6, rotation=0 if len(rows) <= 12 else 90)
    return fig
