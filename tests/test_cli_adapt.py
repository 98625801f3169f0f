"""The adapt loop on the command line: sample, agreement, evaluate, train --labels; bad input is one line."""

import csv

import pytest

from nlp.classify.labels import labels_for, load_labels
from nlp.text.corpus import load_corpus

from .helpers import ROOT, assert_one_line_error, run_cli

EXTERNAL = ROOT / "seeds" / "external"
CODING = EXTERNAL / "coding"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "seeds.skops"
    # one seed report keeps the test quick; the loop is the same with every seed
    result = run_cli("train", str(ROOT / "seeds" / "003_788a321da40b58ee.txt"), "--no-eval", "--out", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def held_out():
    return sorted((EXTERNAL / "raw").glob("*.txt"))[20:30]


def _gold(paths):
    reports = load_corpus(paths)
    labels = labels_for(reports, load_labels(EXTERNAL / "labels.csv"))
    sentences = [(r.report_id, s.text) for r in reports for s in r.sentences]
    return dict(zip(sentences, labels, strict=True))


def _fill(sheet, gold, coder_b_flips=0):
    """Code a CSV sheet as two coders would: both from the gold labels, coder b wrong on the first few."""
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    notes = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader([line for line in lines if not line.startswith("#")]))
    for k, row in enumerate(rows):
        label = gold[(row["report_id"], row["text"])]
        row["label_a"] = label
        row["label_b"] = ("general" if label != "general" else "economy") if k < coder_b_flips else label
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write("\n".join(notes) + "\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.mark.slow
def test_the_loop_as_a_new_user_runs_it(tmp_path, model, held_out):
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in held_out:
        (folder / path.name).write_bytes(path.read_bytes())
    sheet = tmp_path / "validation.csv"
    result = run_cli("sample", str(folder), "--model", str(model), "--n", "40", "--out", str(sheet))
    assert result.returncode == 0, result.stderr
    assert "drew 40 sentences (stratified)" in result.stderr
    _fill(sheet, _gold(held_out), coder_b_flips=3)

    out = tmp_path / "agreement"
    result = run_cli("agreement", str(sheet), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Krippendorff's alpha" in result.stdout and "Cohen's kappa" in result.stdout
    with (out / "disagreements.csv").open(encoding="utf-8-sig") as fh:
        disputed = list(csv.DictReader(fh))
    assert len(disputed) == 3 and {"label_a", "label_b", "label"} <= set(disputed[0])
    coded = out / "coded.csv"
    result = run_cli("evaluate", str(folder), "--model", str(model), "--labels", str(coded))
    assert_one_line_error(result, "empty label")  # disagreements not yet adjudicated
    rows = list(csv.DictReader(coded.open(encoding="utf-8-sig")))
    for row in rows:
        row["label"] = row["label"] or row["label_a"]  # adjudicated for coder a
    with coded.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    report = tmp_path / "evaluation"
    result = run_cli("evaluate", str(folder), "--model", str(model), "--labels", str(coded), "--out", str(report))
    assert result.returncode == 0, result.stderr
    assert "macro-F1" in result.stdout and "interval over reports" in result.stdout
    assert {"metrics.json", "report.md", "confusion.png", "reliability.svg", "manifest.json"} <= {
        p.name for p in report.iterdir()
    }

    training = tmp_path / "al.csv"
    result = run_cli(
        "sample", str(folder), "--model", str(model), "--n", "25", "--strategy", "uncertainty",
        "--exclude", str(sheet), "--out", str(training), "--coders", "me",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    drawn = {(r["report_id"], r["text"]) for r in csv.DictReader(_data_lines(training))}
    assert len(drawn) == 25 and not drawn & {(r["report_id"], r["text"]) for r in rows}
    gold = _gold(held_out)
    lines = training.read_text(encoding="utf-8-sig").splitlines()
    coded_rows = list(csv.DictReader(_data_lines(training)))
    for row in coded_rows:
        row["label_me"] = gold[(row["report_id"], row["text"])]
    with training.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write("\n".join(line for line in lines if line.startswith("#")) + "\n")
        writer = csv.DictWriter(fh, fieldnames=list(coded_rows[0]))
        writer.writeheader()
        writer.writerows(coded_rows)
    retrained = tmp_path / "mine.skops"
    seed_report = str(ROOT / "seeds" / "003_788a321da40b58ee.txt")
    result = run_cli(
        "train", seed_report, str(folder), "--labels", str(training), "--partial", "--no-eval", "--out", str(retrained)
    )
    assert result.returncode == 0, result.stderr
    card = (tmp_path / "mine.card.md").read_text(encoding="utf-8")
    assert "labels.csv" in card and "al.csv" in card  # both sources in the card


def _data_lines(sheet):
    return [line for line in sheet.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]


def test_agreement_on_the_worked_example():
    result = run_cli("agreement", str(CODING / "coder_a.csv"), str(CODING / "coder_b.csv"))
    assert result.returncode == 0, result.stderr
    assert "**0.969**" in result.stdout and "97.5%" in result.stdout


def _codes(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["report_id", "index", "label", "text"])
        writer.writerows(rows)
    return path


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, model):
    out = tmp_path / "out"
    one = _codes(tmp_path / "one.csv", [["r", 0, "economy", "甲。"], ["r", 1, "general", "乙。"]])
    assert_one_line_error(run_cli("agreement", str(one), "--out", str(out)), "at least two coders")
    bad = _codes(tmp_path / "bad.csv", [["r", 0, "economy", "甲。"], ["r", 1, "farming", "乙。"]])
    assert_one_line_error(run_cli("agreement", str(one), str(bad), "--out", str(out)), "bad.csv:3: unknown label")
    dup = _codes(tmp_path / "dup.csv", [["r", 0, "economy", "甲。"], ["r", 0, "general", "乙。"]])
    assert_one_line_error(run_cli("agreement", str(one), str(dup), "--out", str(out)), "dup.csv:3: duplicate")
    s1 = _codes(tmp_path / "s1.csv", [["r", 0, "economy", "甲。"]])
    s2 = _codes(tmp_path / "s2.csv", [["r", 0, "economy", "甲。"]])
    assert_one_line_error(run_cli("agreement", str(s1), str(s2), "--out", str(out)), "at least two categories")
    seed_report = ROOT / "seeds" / "003_788a321da40b58ee.txt"
    first = load_corpus(seed_report)[0].sentences[0].text
    stray = _codes(
        tmp_path / "stray.csv",
        [["003_788a321da40b58ee", 0, "general", first], ["003_788a321da40b58ee", 1, "economy", "不在报告里的句子。"]],
    )
    assert_one_line_error(
        run_cli("evaluate", str(seed_report), "--model", str(model), "--labels", str(stray), "--out", str(out)),
        "stray.csv:3: no sentence of report",
    )
    assert_one_line_error(
        run_cli("sample", str(seed_report), "--model", str(model), "--n", "5", "--out", str(tmp_path / "x.ods")),
        ".csv or .xlsx",
    )
    assert not out.exists() and not (tmp_path / "x.ods").exists()
