"""Parallel and distributed runs give exactly the sequential results."""

import os
import sys

import pytest

from nlp.classify.predict import expand_sources, predict_sources
from nlp.classify.training import build_classifier
from nlp.core.errors import InputError, NlpError
from nlp.core.parallel import batches, can_fork, in_background, ordered_map
from nlp.text.corpus import iter_reports, load_corpus
from tests.helpers import SEED_FILES, SEEDS


def square(x):
    return x * x


def die(x):
    os._exit(3)  # what the out-of-memory killer does to a worker


class TwoArgumentError(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def raise_two_argument_error():
    raise TwoArgumentError("this", "that")  # pickles, but does not unpickle (its args are one string)


def test_in_background_runs_in_a_child_and_hands_back_its_result_or_error(forkable, monkeypatch):
    with in_background(os.getpid) as result:
        assert result() != os.getpid()  # forked
    with pytest.raises(ZeroDivisionError), in_background(lambda: 1 / 0) as result:
        result()
    with in_background(raise_two_argument_error) as result, pytest.raises(NlpError, match="this and that"):
        result()
    with in_background(lambda: os._exit(3)) as result, pytest.raises(NlpError, match="died"):
        result()
    with in_background(lambda: __import__("time").sleep(60)) as result:
        pass  # leaving the block stops the child: this test would otherwise wait a minute
    monkeypatch.setattr("nlp.core.parallel.can_fork", lambda: False)
    with in_background(os.getpid) as result:
        assert result() == os.getpid()  # where forking is unsafe it runs here
    monkeypatch.undo()

    def refuse(self):
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr("multiprocessing.process.BaseProcess.start", refuse)
    with in_background(os.getpid) as result:
        assert result() == os.getpid()  # no process slots: it runs here


def test_batches_and_order():
    assert batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(ordered_map(square, range(20), n_jobs=2)) == [x * x for x in range(20)]
    with pytest.raises(ValueError):
        batches([1], 0)


def test_without_fork_joblib_gives_the_same_order(monkeypatch):
    monkeypatch.setattr("nlp.core.parallel.can_fork", lambda: False)
    assert list(ordered_map(square, range(20), n_jobs=2)) == [x * x for x in range(20)]


def test_a_worker_exception_reaches_the_caller():
    with pytest.raises(TypeError):
        list(ordered_map(square, [1, "x", 3], n_jobs=2))


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "joblib"])
def test_a_dead_worker_is_a_clear_error(monkeypatch, fork):
    if fork and not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr("nlp.core.parallel.can_fork", lambda: fork)
    with pytest.raises(NlpError, match="worker process died"):
        list(ordered_map(die, range(4), n_jobs=2))


@pytest.fixture(scope="module")
def classifier():
    from nlp.classify.labels import labels_for, load_labels
    from nlp.text.records import sentence_records

    reports = load_corpus(SEED_FILES[:3])
    return build_classifier().fit(sentence_records(reports), labels_for(reports, load_labels()))


@pytest.mark.slow
def test_processes_give_the_sequential_results(classifier):
    sources = expand_sources([SEEDS])
    assert load_corpus(SEEDS, n_jobs=2) == load_corpus(SEEDS)
    sequential = list(predict_sources(classifier, sources, n_jobs=1))
    assert list(predict_sources(classifier, sources, n_jobs=2, batch_size=2)) == sequential


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_sequential_results(classifier):
    distributed = pytest.importorskip("distributed")
    sources = expand_sources([SEEDS])
    sequential = list(predict_sources(classifier, sources, n_jobs=1))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        on_dask = list(predict_sources(classifier, sources, batch_size=2, scheduler=address))
        parsed = list(iter_reports([SEEDS], scheduler=address, batch_size=2))
    assert on_dask == sequential
    assert parsed == load_corpus(SEEDS)


def test_unreachable_scheduler_is_a_clear_error(classifier):
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        list(predict_sources(classifier, [str(SEED_FILES[0])], scheduler="tcp://127.0.0.1:9"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_no_fork_while_another_thread_runs():
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        assert list(ordered_map(square, range(5), n_jobs=2)) == [0, 1, 4, 9, 16]  # through joblib instead
    finally:
        stop.set()
        thread.join()


@pytest.mark.slow
@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in-turn"])
def test_few_reports_labelled_in_pieces_give_the_sequential_rows(classifier, monkeypatch, fork, forkable):
    from nlp.classify import predict

    sources = [str(SEED_FILES[0]), str(SEED_FILES[3])]  # fewer files than the three workers: in pieces
    sequential = list(predict_sources(classifier, sources, n_jobs=1))
    monkeypatch.setattr("nlp.classify.predict.MIN_PIECE", 25)  # the seeds have ~100 sentences: several pieces each
    monkeypatch.setattr("nlp.core.parallel.can_fork", lambda: fork)
    monkeypatch.setattr("nlp.classify.predict.can_fork", lambda: fork)
    scored_in = []
    score = classifier.predict_with_scores

    def score_and_note_where(inputs):
        scored_in.append(os.getpid())  # the workers' notes stay in the workers
        return score(inputs)

    monkeypatch.setattr(classifier, "predict_with_scores", score_and_note_where)
    assert predict._in_pieces(sources, 3, None)
    assert list(predict_sources(classifier, sources, n_jobs=3)) == sequential
    # with workers, this process labels one piece of each report (and a warm-up sentence); without, all of them
    assert len(scored_in) == (1 + len(sources) if fork else 1 + 3 * len(sources))
    assert list(predict_sources(classifier, sources, n_jobs=3, one_per_line=True)) == list(
        predict_sources(classifier, sources, n_jobs=1, one_per_line=True)
    )


def test_a_few_files_are_shared_out_among_the_workers(classifier, monkeypatch):
    from nlp.classify import predict

    sources = [str(f) for f in SEED_FILES]
    shipped = []
    monkeypatch.setattr(predict, "_map_batches", lambda func, tasks, *rest: shipped.extend(tasks) or iter(()))
    assert not list(predict_sources(classifier, sources, n_jobs=2))
    assert [len(task.sources) for task in shipped] == [3, 2]  # five files for two workers, not one batch of 64


def test_a_report_read_ahead_gives_the_same_rows_or_the_same_error(classifier, tmp_path, monkeypatch, forkable):
    from nlp.classify import predict

    sources = [str(SEED_FILES[3])]
    sequential = list(predict_sources(classifier, sources, n_jobs=1))
    monkeypatch.setattr("nlp.classify.predict.MIN_PIECE", 25)
    read_inputs = predict._read_inputs

    def read_and_note_where(source, one_per_line):
        (tmp_path / "reader").write_text(str(os.getpid()))
        return read_inputs(source, one_per_line)

    monkeypatch.setattr(predict, "_read_inputs", read_and_note_where)
    with predict.read_ahead(sources, n_jobs=2):
        assert list(predict._read_ahead) == [(sources[0], False)]  # one report, two workers: read ahead
        assert list(predict_sources(classifier, sources, n_jobs=2)) == sequential
        assert not predict._read_ahead  # taken
    assert int((tmp_path / "reader").read_text()) != os.getpid()  # read in a worker
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with predict.read_ahead([str(binary)], n_jobs=2), pytest.raises(InputError, match="binary"):
        list(predict_sources(classifier, [str(binary)], n_jobs=2))  # the worker's error, raised here
    assert not predict._read_ahead
    for nothing_to_read_ahead in ({"n_jobs": 1}, {"n_jobs": 2, "scheduler": "tcp://127.0.0.1:9"}):
        with predict.read_ahead(sources, **nothing_to_read_ahead):
            assert not predict._read_ahead
    with predict.read_ahead(["-"], n_jobs=2):
        assert not predict._read_ahead  # standard input is read when it is labelled


def test_workers_are_worth_it_for_many_files_or_much_text(tmp_path, monkeypatch):
    from nlp.classify.predict import worth_workers

    small = [str(f) for f in SEED_FILES]
    assert not worth_workers(small, batch_size=64)
    assert worth_workers(small, batch_size=2)
    monkeypatch.setattr("nlp.classify.predict.SPLIT_BYTES", 1000)
    assert worth_workers(small[:1], batch_size=64)
    assert not worth_workers(["-"], batch_size=64)  # standard input is read in this process
