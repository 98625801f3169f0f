"""Corpus statistics: what the reader recovers from each report.

Writes ``metrics.json`` (per report: township, years, sections, sentences
and characters per part, tokens), ``reports.csv``, ``sections.csv``,
``sentences.csv`` and a figure of sentences per part.
"""

from __future__ import annotations

from collections import Counter

from nlp.experiments import load_reports
from nlp.io.plotting import plot_sentences_per_part, save_figure
from nlp.io.results import ResultsDir
from nlp.text.corpus import SENTENCE_FIELDS, corpus_table
from nlp.text.structure import PARTS
from nlp.text.tokenize import JiebaTokenizer

__all__ = ["run"]


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
    save_figure(plot_sentences_per_part(rows), out.path("sentences_per_part"))
    return metrics
