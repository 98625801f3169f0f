"""The benchmark script end to end, on a one-copy corpus: it runs, measures every step, and writes its report."""

import json
import subprocess
import sys

import pytest

from .helpers import ROOT


@pytest.mark.slow
def test_benchmark_runs_every_step_and_writes_ratios(tmp_path):
    out = tmp_path / "bench.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--copies", "1", "--large-factor", "2"]
    command += ["--backend", "rjieba", "--work", str(tmp_path / "work"), "--out", str(out)]
    command += ["--single-copies", "2", "--runs", "1"]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))

    for corpus in report["corpora"].values():
        assert corpus["sentences"] == 471  # one copy of each seed report
        assert set(corpus["ratios_ours_over_naive"]) >= {"tokenize_speed", "predict_speed", "train_speed"}
        assert all(ratio > 0 for ratio in corpus["ratios_ours_over_naive"].values())
        assert all(step["peak_rss_mb"] > 0 for step in corpus["steps"].values())
    # the experiments' tokenizer (jieba) and the chosen backend, each cold then warm
    assert [c["backend"] for c in report["cache"]] == ["jieba", "rjieba"]
    for cache in report["cache"]:
        assert (cache["cold"]["segmented"], cache["warm"]["cached"]) == (5, 5)
        assert cache["cold"]["tokens"] == cache["warm"]["tokens"] > 0
    assert report["memory"]["large_sentences"] == 2 * report["memory"]["small_sentences"] == 2 * 471
    assert "ours/naive" in run.stdout
    # whole processes: one large file against the naive script and the lower bound, start-up, --help
    processes = report["processes"]
    large = processes["single_file"]
    assert large["megabytes"] > 0.1  # the seeds twice, in one file
    for key in ("ours", "ours_one_core", "naive", "floor"):
        assert large[key]["wall_seconds"] > 0 and large[key]["cpu_seconds"] > 0
    assert large["floor"]["wall_seconds"] < large["ours"]["wall_seconds"]  # nothing beats reading and segmenting
    assert large["ours_over_floor"] > 1 and large["ours_over_naive_speed"] > 0
    assert processes["startup"]["wall_seconds"] > processes["help"]["wall_seconds"] > 0
    assert "lower bound" in run.stdout
