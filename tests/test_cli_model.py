"""``python -m nlp train`` and ``predict`` end to end, in fresh processes."""

import csv
import io
import json

import pytest

from .helpers import assert_one_line_error, run_cli, seed


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "model.skops"
    result = run_cli("train", str(seed("002")), str(seed("004")), "--out", str(path), "--no-eval")
    assert result.returncode == 0, result.stderr
    assert path.is_file() and path.with_name("model.card.md").is_file()
    return path


def test_train_refuses_to_overwrite_and_needs_labels(model, tmp_path):
    assert_one_line_error(run_cli("train", str(seed("001")), "--out", str(model)), "--force")
    unlabelled = tmp_path / "new.txt"
    unlabelled.write_text("某镇2020年工作总结\n一、工作总结\n完成了新的任务。", encoding="utf-8")
    assert_one_line_error(run_cli("train", str(unlabelled), "--out", str(tmp_path / "m.skops")), "no label")


def test_predict_report_as_json_lines(model):
    result = run_cli("predict", "--model", str(model), str(seed("003")))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 92
    assert {"text", "label", "score", "heading", "part", "index", "source", "check"} <= set(rows[0])
    assert all(0 < row["score"] <= 1 for row in rows)
    # without a held-out evaluation in its card the model flags scores below the default 0.5
    assert all(row["check"] == (row["score"] < 0.5) for row in rows)
    by_text = {row["text"]: row for row in rows}
    assert by_text["全面落实健康监测，及时上报监测结果，全面推广新冠疫苗接种，做到应接尽接。"]["label"] == "epidemic"
    assert by_text["1.抓实安全生产工作。"]["label"] == "governance"


def test_predict_a_folder_in_worker_batches_with_a_progress_bar(model):
    args = ["--jobs", "2", "--batch-size", "2", "--progress"]
    result = run_cli("predict", "--model", str(model), str(seed("003").parent), *args)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["source"] for row in rows] == sorted(row["source"] for row in rows)  # input order kept
    assert len(rows) == 471
    assert "labelling reports" in result.stderr and "5/5" in result.stderr


def test_predict_one_per_line_from_stdin_as_csv(model):
    lines = "做好疫情防控工作\n\n开展扫黑除恶专项斗争\n新增低保35人\n"
    result = run_cli("predict", "--model", str(model), "--one-per-line", "--format", "csv", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["line"] for r in rows] == ["1", "3", "4"]
    assert [r["label"] for r in rows] == ["epidemic", "governance", "welfare"]


def test_predict_ends_without_teardown_yet_runs_exit_handlers_and_writes_everything(model):
    import subprocess
    import sys

    code = (
        "import atexit, sys\n"
        "from nlp.cli import exit_process, main\n"
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
        "class Freed:\n"
        "    def __del__(self):\n"
        "        print('torn down', file=sys.stderr)\n"
        "kept = Freed()  # freed by the interpreter's teardown, if there is one\n"
        f"exit_process(main(['predict', '--model', {str(model)!r}, {str(seed('003'))!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "exit handler ran"
    assert len(result.stdout.splitlines()) == 92 and result.stdout.endswith("\n")
    failed = subprocess.run(
        [sys.executable, "-c", code.replace(str(seed("003")), "no-such.txt")], capture_output=True, text=True
    )
    assert failed.returncode == 2 and "torn down" in failed.stderr  # an error: the usual exit
    # a thread still running (a loky pool's, say) stops only in the interpreter's shutdown: the usual exit
    # (a daemon thread that outlives the run on any machine: a short sleep can end before predict does)
    threaded = code.replace(
        "kept = Freed()",
        "kept = Freed(); import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()",
    )
    with_thread = subprocess.run([sys.executable, "-c", threaded], capture_output=True, text=True, timeout=300)
    assert with_thread.returncode == 0 and "torn down" in with_thread.stderr
    assert len(with_thread.stdout.splitlines()) == 92


def test_predict_report_from_stdin(model):
    text = seed("001").read_text(encoding="utf-8")
    result = run_cli("predict", "--model", str(model), "-", stdin=text)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["source"] == "stdin" and len(rows) == 41


def test_predict_bad_input_is_one_line(model, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert_one_line_error(run_cli("predict", "--model", str(model), str(empty)), "empty")
    assert_one_line_error(run_cli("predict", "--model", str(model), "--one-per-line", "-", stdin="\n\n"), "empty")
