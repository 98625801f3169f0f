"""Speed and memory benchmark: this package against the script a researcher would write by hand.

Builds scaled corpora from the seed reports (each report copied N times into
separate files, ~10 MB by default) and measures, each step in a fresh
process so its peak memory is its own:

* read + clean + segment (MB/s), tokenization (MB/s), TF-IDF fit,
  classifier training, ``predict`` end to end from files (sentences/s),
  NMF fit (full batch and mini-batch), peak RSS of every step;
* the naive pipeline -- ``jieba.lcut`` per sentence → ``TfidfVectorizer`` →
  ``LinearSVC``, one process -- on the same files, and our/naive ratios;
* a repeated experiment with a cold and a warm token cache;
* ``predict`` peak RSS on a 10× larger corpus (streaming keeps it flat);
* whole processes, as a user runs them: ``python -m nlp predict`` on one
  large file (the seeds concatenated 60 times, 3.7 MB) against the naive
  script (training included), start-up on one small report, and
  ``python -m nlp --help``;
* the lower bound -- reading the same bytes and segmenting them with rjieba,
  nothing else -- so the large-file figures are also shown as a multiple of
  the limit.

Two corpora: ``verbatim`` copies (as specified: byte-identical repeats, so
content-keyed caches and memos pay off after the first copy) and ``unique``
copies (a copy number inserted before every ，and 。, so no cache can
recognise a repeat -- the honest case for new reports).  Numbers drift on
shared machines; the ratios, measured in one run, are what we track.

Usage::

    python -m pip install -e ".[fast]" && python benchmarks/bench.py
    python benchmarks/bench.py --copies 20 --large-factor 0     # quick look, no 100 MB run

Writes ``results/benchmarks/bench.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Measure the checkout this script is in, also in the processes it starts (not another installed copy).
sys.path.insert(0, str(ROOT))
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
SEEDS = ROOT / "seeds"
SEED_BYTES = sum(p.stat().st_size for p in SEEDS.glob("*.txt"))
DEFAULT_COPIES = round(10e6 / SEED_BYTES)  # ~10 MB
NAIVE_SPLIT = re.compile(r"[。！？\n]")


# --- corpora -------------------------------------------------------------------------------------


def build_corpus(folder: Path, copies: int, unique: bool) -> Path:
    """``copies`` copies of each seed report as separate files (reused if already built)."""
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(copies):
        for seed in sorted(SEEDS.glob("*.txt")):
            data = seed.read_bytes()
            if unique:
                text = data.decode("utf-8")
                text = re.sub(r"([，,。])", lambda m, i=i: f"X{i}{m.group(1)}", text)
                data = text.encode("utf-8")
            (folder / f"{seed.stem}_{i:05d}.txt").write_bytes(data)
    marker.write_text("ok", encoding="utf-8")
    return folder


def build_single(folder: Path, copies: int) -> Path:
    """One report file holding the seed reports concatenated ``copies`` times (reused if already built)."""
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    text = "".join(seed.read_text(encoding="utf-8") for seed in sorted(SEEDS.glob("*.txt")))
    (folder / f"seeds_x{copies}.txt").write_text(text * copies, encoding="utf-8")
    marker.write_text("ok", encoding="utf-8")
    return folder


def corpus_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def corpus_megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in corpus_files(folder)) / 1e6


# --- steps (each runs in its own process) ------------------------------------------------------------


def _parse(args):
    start = time.perf_counter()
    return {"sentences": len(_sentences(args)), "seconds": time.perf_counter() - start}


def _naive_parse(args):
    start = time.perf_counter()
    return {"sentences": len(_naive_sentences(args)), "seconds": time.perf_counter() - start}


def _sentences(args) -> list[str]:
    from nlp.text.corpus import load_corpus

    return [s.text for r in load_corpus(args.corpus, n_jobs=args.jobs) for s in r.sentences]


def _naive_sentences(args) -> list[str]:
    return [
        s
        for p in corpus_files(Path(args.corpus))
        for s in NAIVE_SPLIT.split(p.read_text(encoding="utf-8"))
        if s.strip()
    ]


def _tokenize(args):
    from nlp.text.tokenize import JiebaTokenizer

    texts = _sentences(args)
    tokenize = JiebaTokenizer(backend=args.backend)
    tokenize("预热")  # load the dictionary outside the timing
    start = time.perf_counter()
    tokens = sum(len(tokenize(t)) for t in texts)
    return {"seconds": time.perf_counter() - start, "sentences": len(texts), "tokens": tokens}


def _naive_jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _naive_tokenize(args):
    jieba = _naive_jieba()
    texts = _naive_sentences(args)
    start = time.perf_counter()
    tokens = sum(len(jieba.lcut(t)) for t in texts)
    return {"seconds": time.perf_counter() - start, "sentences": len(texts), "tokens": tokens}


def _tfidf(args):
    from nlp.classify.features import word_tfidf
    from nlp.text.tokenize import JiebaTokenizer

    texts = _sentences(args)
    vectorizer = word_tfidf(JiebaTokenizer(backend=args.backend))
    start = time.perf_counter()
    vectorizer.fit(texts)
    return {"seconds": time.perf_counter() - start, "sentences": len(texts)}


def _naive_tfidf(args):
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba = _naive_jieba()
    texts = _naive_sentences(args)
    start = time.perf_counter()
    TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None).fit(texts)
    return {"seconds": time.perf_counter() - start, "sentences": len(texts)}


def _labelled(args):
    """Sentence records of the scaled corpus, labelled like the seed sentence they copy."""
    from nlp.classify.labels import labels_for, load_labels
    from nlp.text.corpus import load_corpus
    from nlp.text.records import sentence_records

    seeds = load_corpus(SEEDS)
    seed_labels = labels_for(seeds, load_labels())
    by_position, offset = {}, 0
    for report in seeds:
        by_position[report.report_id] = seed_labels[offset : offset + len(report.sentences)]
        offset += len(report.sentences)
    reports = load_corpus(args.corpus, n_jobs=args.jobs)
    records, labels = [], []
    for report in reports:
        gold = by_position[report.report_id.rsplit("_", 1)[0]]
        if len(gold) != len(report.sentences):
            continue  # segmentation of a perturbed copy differs from its seed: leave it out
        records += sentence_records([report])
        labels += gold
    return records, labels


def _train(args):
    from nlp.classify.training import build_classifier
    from nlp.text.tokenize import set_backend

    records, labels = _labelled(args)
    classifier = build_classifier(n_jobs=args.jobs)  # as ``python -m nlp train --jobs N`` builds it
    set_backend(classifier, args.backend)
    start = time.perf_counter()
    classifier.fit(records, labels)
    return {"seconds": time.perf_counter() - start, "sentences": len(records)}


def _naive_train(args):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    jieba = _naive_jieba()
    records, labels = _labelled(args)
    texts = [r["text"] for r in records]
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None)
    LinearSVC(random_state=0).fit(vectorizer.fit_transform(texts), labels)
    return {"seconds": time.perf_counter() - start, "sentences": len(texts)}


def _predict(args):
    from nlp.classify.persist import load_classifier
    from nlp.classify.predict import expand_sources, jsonl_text, predict_text
    from nlp.text.tokenize import set_backend

    start = time.perf_counter()
    classifier = load_classifier(args.model, for_prediction=True)  # as `python -m nlp predict` loads it
    set_backend(classifier, args.backend)
    loaded = time.perf_counter()
    n = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sources = expand_sources([args.corpus])
        # JSON lines, formatted by the workers and written here, as `python -m nlp predict` does
        for text in predict_text(classifier, sources, jsonl_text, n_jobs=args.jobs, batch_size=args.batch_size):
            sink.write(text)
            n += text.count("\n")
    end = time.perf_counter()
    return {"seconds": end - loaded, "load_seconds": loaded - start, "sentences": n}


def _naive_model():
    """The naive script trains in the same process (its jieba tokenizer does not pickle)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    from nlp.classify.labels import labels_for, load_labels
    from nlp.text.corpus import load_corpus

    jieba = _naive_jieba()
    seeds = load_corpus(SEEDS)
    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None)
    texts = [s.text for r in seeds for s in r.sentences]
    svc = LinearSVC(random_state=0).fit(vectorizer.fit_transform(texts), labels_for(seeds, load_labels()))
    return vectorizer, svc


def _naive_predict(args):
    start = time.perf_counter()
    vectorizer, svc = _naive_model()
    loaded = time.perf_counter()
    n = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for path in corpus_files(Path(args.corpus)):
            sentences = [s for s in NAIVE_SPLIT.split(path.read_text(encoding="utf-8")) if s.strip()]
            for sentence, label in zip(sentences, svc.predict(vectorizer.transform(sentences)), strict=True):
                sink.write(json.dumps({"source": path.stem, "text": sentence, "label": label}, ensure_ascii=False))
                sink.write("\n")
                n += 1
    end = time.perf_counter()
    return {"seconds": end - loaded, "load_seconds": loaded - start, "sentences": n}


def _nmf(args):
    from nlp.text.corpus import load_corpus
    from nlp.topics.models import MiniBatchNMFTopicModel, NMFTopicModel, topic_documents

    docs, _ = topic_documents(load_corpus(args.corpus, n_jobs=args.jobs), unit="section")
    start = time.perf_counter()
    NMFTopicModel(n_topics=9).fit(docs)
    full = time.perf_counter()
    MiniBatchNMFTopicModel(n_topics=9, batch_size=1024).fit(docs)
    return {"seconds": full - start, "minibatch_seconds": time.perf_counter() - full, "documents": len(docs)}


def _cached_run(args):
    """What an experiment does before modelling: read, segment and tokenize every report, through the cache."""
    from nlp.text.cache import TokenCache, warm_tokens
    from nlp.text.corpus import load_corpus
    from nlp.text.tokenize import JiebaTokenizer

    start = time.perf_counter()
    cache = TokenCache(args.cache)
    reports = load_corpus(args.corpus, n_jobs=args.jobs, cache=cache)
    tokenize = JiebaTokenizer(backend=args.backend)
    counts = warm_tokens(reports, tokenize, cache, n_jobs=args.jobs)
    tokens = sum(len(tokenize(s.text)) for r in reports for s in r.sentences)
    return {"seconds": time.perf_counter() - start, "tokens": tokens, **counts}


def _floor(args):
    """The lower bound of labelling a corpus: read its bytes and segment them with rjieba, nothing else."""
    import rjieba

    engine = rjieba.Jieba()
    for line in (ROOT / "nlp" / "resources" / "policy_terms.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):  # the package's policy terms, as our tokenizer adds them
            engine.add_word(line.split()[0], None, None)
    start = time.perf_counter()
    tokens = sum(len(engine.cut(p.read_bytes().decode("utf-8"), True)) for p in corpus_files(Path(args.corpus)))
    return {"seconds": time.perf_counter() - start, "tokens": tokens}


STEPS = {
    "parse": _parse,
    "naive_parse": _naive_parse,
    "tokenize": _tokenize,
    "naive_tokenize": _naive_tokenize,
    "tfidf": _tfidf,
    "naive_tfidf": _naive_tfidf,
    "train": _train,
    "naive_train": _naive_train,
    "predict": _predict,
    "naive_predict": _naive_predict,
    "nmf": _nmf,
    "cached_run": _cached_run,
    "floor": _floor,
}


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_step_here(args) -> None:
    result = STEPS[args.step](args)
    result["peak_rss_mb"] = peak_rss_mb()  # the step's own process; worker processes are not included
    print(json.dumps(result))


def run_step(step: str, corpus: Path, common: dict, **extra) -> dict:
    """Run one step in a fresh interpreter and return its measurements."""
    command = [sys.executable, __file__, "--step", step, "--corpus", str(corpus)]
    for key, value in {**common, **extra}.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    started = time.perf_counter()
    output = subprocess.run(command, capture_output=True, text=True, check=False, env=CHILD_ENV)
    if output.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{output.stderr[-2000:]}")
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    print(f"  {step:<15} {result['seconds']:8.2f} s  peak {result['peak_rss_mb']:7.1f} MB", file=sys.stderr)
    return result


def time_process(command: list[str], runs: int) -> dict:
    """Median wall and CPU seconds of ``command`` as a whole process (start-up included), over ``runs`` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=CHILD_ENV)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    result = {"wall_seconds": round(statistics.median(walls), 3), "cpu_seconds": round(statistics.median(cpus), 3)}
    print(f"  {' '.join(Path(c).name for c in command[:4]):<40} {result['wall_seconds']:8.2f} s wall", file=sys.stderr)
    return {**result, "runs": runs, "wall_all": [round(w, 3) for w in walls]}


def measure_processes(work: Path, ours_model: Path, common: dict, single_copies: int, runs: int) -> dict:
    """Whole processes as a user runs them: one large file against the naive script and the lower bound,
    start-up on one small report, and ``--help``."""
    single = build_single(work / f"single-{single_copies}", single_copies)
    (large_file,) = corpus_files(single)
    small = sorted(SEEDS.glob("*.txt"))[3]
    nlp = [sys.executable, "-m", "nlp"]
    predict = [*nlp, "predict", "--model", str(ours_model), "--backend", common["backend"]]
    steps = [sys.executable, __file__, "--corpus", str(single), "--step"]
    print(f"single file: {large_file.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    large = {
        "ours": time_process([*predict, str(large_file)], runs),
        "ours_one_core": time_process([*predict, "--jobs", "1", str(large_file)], runs),
        "naive": time_process([*steps, "naive_predict"], runs),
        "floor": time_process([*steps, "floor"], runs),
    }
    floor_work = run_step("floor", single, common)
    large["floor_work_seconds"] = round(floor_work["seconds"], 3)  # reading + segmenting only, in process
    large["megabytes"] = round(large_file.stat().st_size / 1e6, 2)
    large["ours_over_naive_speed"] = round(large["naive"]["wall_seconds"] / large["ours"]["wall_seconds"], 2)
    large["ours_over_naive_speed_cpu"] = round(large["naive"]["cpu_seconds"] / large["ours"]["cpu_seconds"], 2)
    large["ours_over_floor"] = round(large["ours"]["wall_seconds"] / large["floor"]["wall_seconds"], 2)
    large["ours_over_floor_cpu"] = round(large["ours"]["cpu_seconds"] / large["floor"]["cpu_seconds"], 2)
    large["ours_over_floor_work"] = round(large["ours"]["wall_seconds"] / floor_work["seconds"], 1)
    return {
        "single_file": large,
        "startup": time_process([*predict, str(small)], runs),
        "help": time_process([*nlp, "--help"], runs),
    }


# --- orchestration -----------------------------------------------------------------------------------


def train_model(work: Path) -> Path:
    """The default model (seed and external reports, as ``python -m nlp train --no-eval``), saved as users do."""
    from nlp.classify.persist import save_classifier
    from nlp.classify.training import train_classifier
    from nlp.text.corpus import default_report_paths, load_corpus

    classifier = train_classifier(load_corpus(default_report_paths()), evaluate=False)
    return save_classifier(classifier, work / "ours.skops", force=True)


def measure_corpus(name: str, corpus: Path, common: dict, ours_model: Path) -> dict:
    mb = corpus_megabytes(corpus)
    print(f"{name}: {mb:.1f} MB in {len(corpus_files(corpus))} files", file=sys.stderr)
    steps = {
        "parse": run_step("parse", corpus, common),
        "naive_parse": run_step("naive_parse", corpus, common),
        "tokenize": run_step("tokenize", corpus, common),
        "naive_tokenize": run_step("naive_tokenize", corpus, common),
        "tfidf": run_step("tfidf", corpus, common),
        "naive_tfidf": run_step("naive_tfidf", corpus, common),
        "train": run_step("train", corpus, common),
        "naive_train": run_step("naive_train", corpus, common),
        "predict": run_step("predict", corpus, common, model=ours_model),
        "naive_predict": run_step("naive_predict", corpus, common),
        "nmf": run_step("nmf", corpus, common),
    }
    predict, naive = steps["predict"], steps["naive_predict"]
    return {
        "megabytes": round(mb, 2),
        "files": len(corpus_files(corpus)),
        "sentences": steps["parse"]["sentences"],
        "steps": steps,
        "throughput": {
            "parse_mb_per_s": round(mb / steps["parse"]["seconds"], 2),
            "naive_parse_mb_per_s": round(mb / steps["naive_parse"]["seconds"], 2),
            "tokenize_mb_per_s": round(mb / steps["tokenize"]["seconds"], 2),
            "naive_tokenize_mb_per_s": round(mb / steps["naive_tokenize"]["seconds"], 2),
            "predict_sentences_per_s": round(predict["sentences"] / predict["seconds"]),
            "naive_predict_sentences_per_s": round(naive["sentences"] / naive["seconds"]),
            "predict_sentences_per_s_with_loading": round(
                predict["sentences"] / (predict["seconds"] + predict["load_seconds"])
            ),
        },
        "ratios_ours_over_naive": {
            "tokenize_speed": round(steps["naive_tokenize"]["seconds"] / steps["tokenize"]["seconds"], 2),
            "tfidf_fit_speed": round(steps["naive_tfidf"]["seconds"] / steps["tfidf"]["seconds"], 2),
            "train_speed": round(steps["naive_train"]["seconds"] / steps["train"]["seconds"], 2),
            "predict_speed": round(
                (predict["sentences"] / predict["seconds"]) / (naive["sentences"] / naive["seconds"]), 2
            ),
            "predict_speed_with_loading": round(
                (predict["sentences"] / (predict["seconds"] + predict["load_seconds"]))
                / (naive["sentences"] / (naive["seconds"] + naive["load_seconds"])),
                2,
            ),
            "predict_peak_rss": round(predict["peak_rss_mb"] / naive["peak_rss_mb"], 2),
        },
    }


def measure_cache(corpus: Path, common: dict) -> dict:
    """Cold and warm runs of the start of an experiment (read, segment, tokenize) through a fresh cache."""
    cache_dir = Path(tempfile.mkdtemp(prefix="nlp-bench-cache-"))
    try:
        cold = run_step("cached_run", corpus, common, cache=cache_dir)
        warm = run_step("cached_run", corpus, common, cache=cache_dir)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return {
        "corpus": corpus.name,
        "backend": common["backend"],
        "megabytes": round(corpus_megabytes(corpus), 2),
        "cold_seconds": round(cold["seconds"], 2),
        "warm_seconds": round(warm["seconds"], 2),
        "cold_over_warm": round(cold["seconds"] / warm["seconds"], 1),
        "cold": cold,
        "warm": warm,
    }


def print_table(report: dict) -> None:
    print(f"\nbenchmark on {report['machine']['cpus']} cores, backend {report['settings']['backend']}")
    for name, corpus in report["corpora"].items():
        t, r = corpus["throughput"], corpus["ratios_ours_over_naive"]
        print(f"\n{name} corpus: {corpus['megabytes']} MB, {corpus['files']} files, {corpus['sentences']} sentences")
        print(f"  {'measure':<34}{'ours':>12}{'naive':>12}{'ours/naive':>12}")
        rows = [
            ("read+clean+segment MB/s", t["parse_mb_per_s"], t["naive_parse_mb_per_s"], None),
            ("tokenization MB/s", t["tokenize_mb_per_s"], t["naive_tokenize_mb_per_s"], r["tokenize_speed"]),
            (
                "TF-IDF fit s",
                corpus["steps"]["tfidf"]["seconds"],
                corpus["steps"]["naive_tfidf"]["seconds"],
                r["tfidf_fit_speed"],
            ),
            (
                "classifier training s",
                corpus["steps"]["train"]["seconds"],
                corpus["steps"]["naive_train"]["seconds"],
                r["train_speed"],
            ),
            (
                "predict sentences/s",
                t["predict_sentences_per_s"],
                t["naive_predict_sentences_per_s"],
                r["predict_speed"],
            ),
            (
                "predict incl. model loading",
                t["predict_sentences_per_s_with_loading"],
                "",
                r["predict_speed_with_loading"],
            ),
            (
                "predict peak RSS MB",
                corpus["steps"]["predict"]["peak_rss_mb"],
                corpus["steps"]["naive_predict"]["peak_rss_mb"],
                r["predict_peak_rss"],
            ),
            (
                "NMF fit s (full / mini-batch)",
                corpus["steps"]["nmf"]["seconds"],
                corpus["steps"]["nmf"]["minibatch_seconds"],
                None,
            ),
        ]
        for label, ours, naive, ratio in rows:
            ours = f"{ours:.2f}" if isinstance(ours, float) else str(ours)
            naive = f"{naive:.2f}" if isinstance(naive, float) else str(naive)
            print(f"  {label:<34}{ours:>12}{naive:>12}{'' if ratio is None else f'{ratio:.2f}×':>12}")
    print()
    for cache in report["cache"]:
        print(
            f"repeated experiment (read, segment, tokenize {cache['megabytes']} MB with {cache['backend']}): "
            f"cold {cache['cold_seconds']:.2f} s, warm {cache['warm_seconds']:.2f} s, "
            f"{cache['cold_over_warm']:.1f}× faster warm"
        )
    if report.get("processes"):
        print_processes(report["processes"])
    if report.get("memory"):
        m = report["memory"]
        print(
            f"predict peak RSS, one process: {m['small_mb']} MB corpus {m['small_rss_mb']} MB, "
            f"{m['large_mb']} MB corpus {m['large_rss_mb']} MB (×{m['ratio']})"
        )


def print_processes(processes: dict) -> None:
    large = processes["single_file"]
    print(f"\nwhole processes (median of {large['ours']['runs']} runs; wall / CPU seconds)")
    rows = [
        (f"predict, one {large['megabytes']} MB file", large["ours"]),
        ("  same, --jobs 1", large["ours_one_core"]),
        ("  naive script (training included)", large["naive"]),
        ("  lower bound: read + rjieba", large["floor"]),
        ("predict start-up, one small report", processes["startup"]),
        ("python -m nlp --help", processes["help"]),
    ]
    for label, row in rows:
        print(f"  {label:<40}{row['wall_seconds']:>9.2f}{row['cpu_seconds']:>9.2f}")
    print(
        f"  ours/naive speed on the large file: {large['ours_over_naive_speed']:.2f}× "
        f"(CPU {large['ours_over_naive_speed_cpu']:.2f}×); multiple of the lower bound: "
        f"{large['ours_over_floor']:.2f}× (CPU {large['ours_over_floor_cpu']:.2f}×; "
        f"{large['ours_over_floor_work']:.1f}× its {large['floor_work_seconds']:.2f} s of reading and segmenting)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=DEFAULT_COPIES, help="copies of each seed (default ~10 MB)")
    parser.add_argument("--large-factor", type=int, default=10, help="size of the memory corpus (0: skip)")
    parser.add_argument("--single-copies", type=int, default=60, help="seed copies in the single large file (0: skip)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each whole-process measurement (median)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for our pipeline")
    parser.add_argument("--batch-size", type=int, help="files per worker task (default: the package's)")
    parser.add_argument("--backend", choices=("jieba", "rjieba"), help="our segmenter (default rjieba if installed)")
    parser.add_argument("--work", default=str(ROOT / ".cache" / "bench"), help="where corpora and models go")
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmarks" / "bench.json"))
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.backend = args.backend or ("rjieba" if importlib.util.find_spec("rjieba") else "jieba")
    if args.step:
        run_step_here(args)
        return 0
    if args.batch_size is None:
        from nlp.core.parallel import DEFAULT_BATCH

        args.batch_size = DEFAULT_BATCH

    from nlp import __version__
    from nlp.core.fileio import write_json
    from nlp.io.results import git_commit, library_versions

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    common = {"jobs": args.jobs, "backend": args.backend, "batch_size": args.batch_size}
    ours_model = train_model(work)
    corpora = {
        "verbatim": build_corpus(work / f"verbatim-{args.copies}", args.copies, unique=False),
        "unique": build_corpus(work / f"unique-{args.copies}", args.copies, unique=True),
    }
    report = {
        "package_version": __version__,
        "git": git_commit(),
        "libraries": library_versions((*("numpy", "scikit-learn", "jieba", "rjieba", "joblib"),)),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {**common, "copies": args.copies, "single_copies": args.single_copies, "runs": args.runs},
        "corpora": {name: measure_corpus(name, folder, common, ours_model) for name, folder in corpora.items()},
    }
    # the experiments tokenize with jieba (the default); the chosen backend is measured beside it
    backends = dict.fromkeys(("jieba", args.backend))
    report["cache"] = [measure_cache(corpora["unique"], {**common, "backend": backend}) for backend in backends]
    if args.single_copies > 0:
        report["processes"] = measure_processes(work, ours_model, common, args.single_copies, args.runs)
    if args.large_factor > 1:
        large_copies = args.copies * args.large_factor
        large = build_corpus(work / f"unique-{large_copies}", large_copies, unique=True)
        single = {**common, "jobs": 1}
        small_run = run_step("predict", corpora["unique"], single, model=ours_model)
        large_run = run_step("predict", large, single, model=ours_model)
        report["memory"] = {
            "note": "predict in one process, streaming report by report",
            "small_mb": round(corpus_megabytes(corpora["unique"]), 1),
            "large_mb": round(corpus_megabytes(large), 1),
            "small_sentences": small_run["sentences"],
            "large_sentences": large_run["sentences"],
            "small_rss_mb": small_run["peak_rss_mb"],
            "large_rss_mb": large_run["peak_rss_mb"],
            "ratio": round(large_run["peak_rss_mb"] / small_run["peak_rss_mb"], 2),
            "large_sentences_per_s": round(large_run["sentences"] / large_run["seconds"]),
        }
    write_json(args.out, report)
    print_table(report)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
