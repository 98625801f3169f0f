"""Drawing sentences for coding, and coding sheets written and read back."""

import csv
from collections import Counter

import numpy as np
import pytest

from nlp.classify.active_learning import loop_model
from nlp.classify.coding import locate, read_codes, write_sheet
from nlp.classify.labels import labels_for, load_labels
from nlp.classify.sampling import sample_sentences, select_uncertain, systematic_stratified, uncertainty_scores
from nlp.core.errors import ConfigError, InputError, OutputExistsError
from nlp.text.corpus import load_corpus
from nlp.text.records import sentence_records
from tests.helpers import SEEDS


@pytest.fixture(scope="module")
def seeds():
    return load_corpus(SEEDS)


@pytest.fixture(scope="module")
def model(seeds):
    return loop_model().fit(sentence_records(seeds), labels_for(seeds, load_labels()))


@pytest.mark.parametrize("n", [1, 7, 25, 60])
def test_systematic_sample_is_proportional_in_every_stratum(n):
    strata = ["a"] * 53 + ["b"] * 31 + ["c"] * 11 + ["d"] * 5
    for seed in range(5):
        picked = systematic_stratified(strata, n, np.random.default_rng(seed))
        assert len(picked) == len(set(picked)) == n
        got = Counter(strata[i] for i in picked)
        for stratum, m in Counter(strata).items():
            share = m * n / len(strata)
            assert np.floor(share) <= got[stratum] <= np.ceil(share)


def test_margin_and_entropy_rank_the_unsure_first():
    proba = np.array([[0.98, 0.01, 0.01], [0.5, 0.45, 0.05], [0.34, 0.33, 0.33]])
    for method in ("margin", "entropy"):
        scores = uncertainty_scores(proba, method)
        assert list(np.argsort(-scores)) == [2, 1, 0]
        assert ((scores >= 0) & (scores <= 1)).all()


def test_uncertain_selection_caps_each_report_and_relaxes_when_it_must():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    reports = ["r1", "r1", "r1", "r1", "r2", "r3"]
    assert select_uncertain(scores, reports, 3, max_per_report=1).tolist() == [0, 4, 5]
    assert select_uncertain(scores, reports, 4, max_per_report=1).tolist() == [0, 1, 4, 5]  # cap relaxed


def test_stratified_sample_spreads_over_reports_and_predicted_categories(seeds, model):
    rows = sample_sentences(seeds, model, 50, "stratified", seed=3)
    assert len(rows) == 50 and len({r["sentence_id"] for r in rows}) == 50
    sizes = Counter(r.report_id for r in seeds for _ in r.sentences)
    total = sum(sizes.values())
    drawn = Counter(r["report_id"] for r in rows)
    for report, m in sizes.items():  # every report its proportional share, give or take its categories' rounding
        assert abs(drawn[report] - m * 50 / total) <= 5
    assert rows == sample_sentences(seeds, model, 50, "stratified", seed=3)  # deterministic
    assert rows != sample_sentences(seeds, model, 50, "stratified", seed=4)


def test_uncertainty_sample_takes_the_least_sure_within_the_cap(seeds, model):
    rows = sample_sentences(seeds, model, 10, "uncertainty", max_per_report=2)
    assert max(Counter(r["report_id"] for r in rows).values()) <= 2
    records = sentence_records(seeds)
    scores = uncertainty_scores(model.predict_proba(records))
    assert min(r["uncertainty"] for r in rows) >= np.quantile(scores, 0.8)


def test_rows_carry_context_and_exclude_what_was_drawn(seeds, model):
    first = sample_sentences(seeds, model, 30, "random", seed=1)
    row = first[0]
    records = {(r["report_id"], r["index"]): r for r in sentence_records(seeds)}
    assert row["heading"] == records[(row["report_id"], row["index"])]["heading"]
    if row["index"] > 0:
        assert row["before"] == records[(row["report_id"], row["index"] - 1)]["text"]
    drawn = {(r["report_id"], r["text"]) for r in first}
    second = sample_sentences(seeds, model, 30, "random", seed=1, exclude=drawn)
    assert not drawn & {(r["report_id"], r["text"]) for r in second}


def test_bad_sampling_arguments_are_input_errors(seeds, model):
    with pytest.raises(InputError, match="strategy"):
        sample_sentences(seeds, model, 5, "cluster")
    with pytest.raises(InputError, match="at least 1"):
        sample_sentences(seeds, model, 0)


def test_csv_sheet_opens_in_excel_and_reads_back(tmp_path, seeds, model):
    rows = sample_sentences(seeds, model, 5, seed=0)
    path = write_sheet(tmp_path / "coding.csv", rows, coders=["wang", "li"])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows the Chinese
    text = data.decode("utf-8-sig")
    assert "# epidemic = 疫情防控" in text and "predicted" not in text  # codebook listed, coding blind
    with pytest.raises(OutputExistsError):
        write_sheet(path, rows)
    sheet = read_codes(path, require_codes=False)
    assert sheet.coders == ["wang", "li"] and len(sheet.rows) == 5
    with pytest.raises(ConfigError, match="no codes"):
        read_codes(path)


def test_xlsx_sheet_has_codebook_dropdown_and_reads_back(tmp_path, seeds, model):
    from openpyxl import load_workbook

    rows = sample_sentences(seeds, model, 6, seed=0)
    path = write_sheet(tmp_path / "coding.xlsx", rows, show_predictions=True, about={"strategy": "stratified"})
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["coding", "codebook", "about"]
    header = [c.value for c in workbook["coding"][1]]
    assert header[-3:] == ["label_a", "label_b", "note"] and "predicted" in header
    assert [c.value for c in workbook["codebook"]["A"]][1:4] == ["party_building", "epidemic", "poverty"]
    assert workbook["coding"].data_validations.dataValidation
    sheet = workbook["coding"]
    sheet.cell(row=2, column=header.index("label_a") + 1, value="经济发展与产业")  # the Chinese name is accepted
    sheet.cell(row=2, column=header.index("label_b") + 1, value="economy")
    workbook.save(path)
    codes = read_codes(path)
    assert codes.rows[0].codes == {"a": "economy", "b": "economy"}
    records = sentence_records(seeds)
    assert records[locate(codes.rows, records, path)[0]]["text"] == rows[0]["text"]


def _label_file(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["report_id", "index", "label", "text"])
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([["r", 0, "economics", "甲。"]], ":2: unknown label 'economics'"),
        ([["r", 0, "economy", "甲。"], ["r", 0, "welfare", "乙。"]], ":3: duplicate sentence id r#0"),
        ([["", 0, "economy", "甲。"]], ":2: empty report_id or text"),
    ],
)
def test_malformed_sheets_name_file_and_row(tmp_path, rows, fragment):
    path = _label_file(tmp_path / "codes.csv", rows)
    with pytest.raises(ConfigError, match=fragment):
        read_codes(path)


def test_rows_that_do_not_match_the_corpus_name_their_row(tmp_path, seeds):
    report = seeds[0].report_id
    path = _label_file(
        tmp_path / "codes.csv",
        [[report, 0, "general", seeds[0].sentences[0].text], [report, 1, "general", "没有这句。"]],
    )
    with pytest.raises(ConfigError, match=":3: no sentence of report"):
        locate(read_codes(path).rows, sentence_records(seeds), path)
    path = _label_file(tmp_path / "other.csv", [["elsewhere", 0, "general", "甲。"]])
    with pytest.raises(ConfigError, match=":2: report 'elsewhere' is not among"):
        locate(read_codes(path).rows, sentence_records(seeds), path)
