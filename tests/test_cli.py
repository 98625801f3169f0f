import csv
import json

import pytest

from nlp.cli import build_parser

from .helpers import ROOT, SEEDS, assert_one_line_error, run_cli, seed


def subcommands():
    parser = build_parser()
    (action,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(action.choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_has_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "usage: python -m nlp " + command in result.stdout


def test_options_added_on_use_parse_and_show_in_help():
    # attention, panel and sample add their options when used, so that predict does not import their modules
    parser = build_parser()
    args = parser.parse_args(["attention", "r.txt", "--model", "m.skops", "--estimator", "probability"])
    assert (args.estimator, args.interval, args.files) == ("probability", "dirichlet", ["r.txt"])
    assert parser.parse_args(["sample", "r.txt", "--model", "m", "--n", "5", "--out", "s.csv"]).strategy == "stratified"
    for command in ("attention", "panel"):
        assert "--estimator" in run_cli(command, "--help").stdout
    code = "import sys; from nlp.cli import build_parser; build_parser(); print('nlp.analysis.quantify' in sys.modules)"
    assert run_cli_python(code) == "False"


def run_cli_python(code: str) -> str:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_corpus_table_lists_every_seed():
    result = run_cli("corpus")
    assert result.returncode == 0, result.stderr
    for township in ["李家疃镇", "X镇", "铁石口镇", "荫田镇", "洋沙湖镇"]:
        assert township in result.stdout
    header = result.stdout.splitlines()[0].split()
    assert header[:6] == ["report_id", "township", "level", "county", "genre", "years"]
    assert {"review", "problems", "plan"} <= set(header)


def test_corpus_runs_from_another_folder_given_the_reports(tmp_path):
    result = run_cli("corpus", str(SEEDS), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "荫田镇" in result.stdout


def test_corpus_without_paths_outside_a_checkout_says_what_to_give(tmp_path):
    # the package never falls back to data next to its own files (an installed wheel has none)
    assert_one_line_error(run_cli("corpus", cwd=tmp_path), "no seeds/ folder")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_export_writes_one_row_per_sentence(tmp_path, suffix):
    out = tmp_path / f"sentences{suffix}"
    result = run_cli("corpus", str(SEEDS), "--export", str(out))
    assert result.returncode == 0, result.stderr
    if suffix == ".csv":
        with out.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 400
    assert {"report_id", "index", "text", "start", "end", "heading_path", "part"} <= set(rows[0])
    assert f"wrote {len(rows)} sentences" in result.stderr


def test_export_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "sentences.csv"
    out.write_text("precious", encoding="utf-8")
    assert_one_line_error(run_cli("corpus", str(seed("003")), "--export", str(out)), "--force")
    assert out.read_text(encoding="utf-8") == "precious"
    assert run_cli("corpus", str(seed("003")), "--export", str(out), "--force").returncode == 0
    assert out.read_text(encoding="utf-8").startswith("report_id")


def test_bad_inputs_give_one_line_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    assert_one_line_error(run_cli("corpus", str(tmp_path / "missing.txt")), "missing.txt")
    assert_one_line_error(run_cli("corpus", str(empty)), "empty")
    assert_one_line_error(run_cli("corpus", str(binary)), "binary")
    assert_one_line_error(run_cli("corpus", str(seed("003")), "--export", str(tmp_path / "x.xlsx")), ".jsonl")


def test_gbk_report_via_cli(tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(seed("003").read_text(encoding="utf-8").encode("gbk"))
    result = run_cli("corpus", str(gbk))
    assert result.returncode == 0, result.stderr
    assert "荫田镇" in result.stdout and "gb18030" in result.stdout


def test_readme_documents_every_subcommand():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in subcommands():
        assert f"python -m nlp {command}" in readme


def test_only_a_finished_predict_may_skip_the_teardown(tmp_path, monkeypatch):
    from nlp import cli

    monkeypatch.setitem(cli._state, "teardown", False)  # as a predict earlier in this process left it
    monkeypatch.chdir(tmp_path)
    assert cli.main(["corpus", str(SEEDS)]) == 0
    assert cli._state["teardown"] is True  # each command starts afresh


def test_a_closed_standard_output_is_a_one_line_error():
    import shlex
    import subprocess
    import sys

    command = f"{shlex.quote(sys.executable)} -m nlp corpus {shlex.quote(str(SEEDS))} >&-"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "error: standard output is closed\n"
