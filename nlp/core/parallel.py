"""Run per-report work on several cores, or on a Dask cluster.

Reading, segmenting and classifying reports is independent per report, so
the work is cut into batches of files and mapped over worker processes.
Results come back in input order and are consumed as they arrive, with at
most a few batches in flight, so memory holds a few batches, not the corpus.

Locally, on Linux, workers are forked from the running process: they start
in milliseconds with the package imported and the model loaded, where
freshly started interpreters (joblib's default ``loky`` backend, used on
other systems and in multi-threaded processes, where forking is unsafe)
take seconds each.  With a scheduler address the same map runs on a Dask
cluster through joblib's Dask backend (``pip install 'nlp[dask]'``); every
worker needs the package and the input files at the same paths.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from nlp.core.errors import InputError, NlpError

__all__ = ["DEFAULT_BATCH", "WORKER_DIED", "batches", "can_fork", "default_jobs", "in_background", "ordered_map"]

# joblib is imported where it is used (a Dask cluster, or workers that cannot be forked): the command
# line reads DEFAULT_BATCH from here for its --help, which should not load joblib and numpy.

#: Files per task.  Each task pays a fixed cost (the classifier's nine feature blocks run once
#: per call), so bigger batches are faster; 64 typical reports are well under 10 MB of text.
DEFAULT_BATCH = 64
#: Tasks submitted ahead of the one being consumed, per worker: enough to keep workers busy.
_AHEAD_PER_WORKER = 2


#: What a worker's death (most often the system killing it for memory) tells the user to do.
WORKER_DIED = "a worker process died (out of memory?); retry with --jobs 1"


def default_jobs() -> int:
    """All cores this process may run on (its CPU affinity, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def batches(items: Sequence, size: int = DEFAULT_BATCH) -> list[list]:
    """Consecutive chunks of ``items`` of at most ``size``."""
    if size < 1:
        raise ValueError(f"batch size must be positive, got {size}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@contextlib.contextmanager
def _dask(scheduler: str):
    from joblib import parallel_config

    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise InputError("--scheduler needs Dask: pip install 'nlp[dask]'") from exc
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:  # ValueError: not an address at all
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from exc
    with client, parallel_config(backend="dask"):
        yield


def can_fork() -> bool:
    """Whether workers may be forked: Linux, and no other thread whose locks a child could inherit.

    tqdm's monitor thread (started by a progress bar) does not count: it only
    ever locks tqdm's own state, which workers never touch.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    return sys.platform.startswith("linux") and all(type(t).__name__ == "TMonitor" for t in others)


def _forked_map(func: Callable, items: Iterable, n_jobs: int) -> Iterator:
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(n_jobs, mp_context=context)
    pending: deque = deque()
    try:
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) > _AHEAD_PER_WORKER * n_jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def ordered_map(func: Callable, items: Iterable, n_jobs: int | None = 1, scheduler: str | None = None) -> Iterator:
    """``func(item)`` for every item, in order, lazily; in-process when ``n_jobs == 1`` and no scheduler.

    ``func`` and the items must pickle (a module-level function and plain data).

    Examples
    --------
    >>> list(ordered_map(abs, [-2, 1, -3], n_jobs=2))
    [2, 1, 3]
    """
    if scheduler:
        from joblib import Parallel, delayed

        with _dask(scheduler):
            yield from Parallel(return_as="generator")(delayed(func)(item) for item in items)
        return
    n_jobs = n_jobs or default_jobs()
    if n_jobs == 1:
        yield from map(func, items)
        return
    try:
        if can_fork():
            yield from _forked_map(func, items, n_jobs)
        else:
            from joblib import Parallel, delayed

            yield from Parallel(n_jobs=n_jobs, return_as="generator")(delayed(func)(item) for item in items)
    except BrokenProcessPool as exc:  # loky's TerminatedWorkerError is one too
        raise NlpError(f"{WORKER_DIED} or a smaller --batch-size") from exc


def _send_result(func: Callable[[], Any], sender) -> None:
    try:
        result = (True, func())
    except BaseException as exc:  # the parent re-raises it
        result = (False, _portable(exc))
    try:
        sender.send(result)
    except BrokenPipeError:
        pass  # the parent has stopped listening: nothing to report to
    except Exception as exc:  # a result that does not pickle
        sender.send((False, NlpError(f"a worker's result could not be sent back ({exc})")))
    sender.close()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling both ways, else an ``NlpError`` with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return NlpError(f"{type(exc).__name__}: {exc}")
    return exc


@contextlib.contextmanager
def in_background(func: Callable[[], Any]):
    """Run ``func()`` in a forked child while the ``with`` block runs here; yields a function for its result.

    The child inherits this process's memory, so ``func`` may close over large
    data without pickling it; only the result is pickled back.  Where workers
    cannot be forked (see :func:`can_fork`), in a daemonic process, or when the
    system refuses a new process, ``func`` runs here, when its result is asked
    for.  A child still running when the block exits is stopped.

    Examples
    --------
    >>> with in_background(lambda: sum(range(10))) as result:
    ...     here = sum(range(5))
    ...     there = result()
    >>> here, there
    (10, 45)
    """
    if not can_fork() or multiprocessing.current_process().daemon:  # a daemonic process may have no children
        yield func
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send_result, args=(func, sender), daemon=True)
    try:
        child.start()
    except OSError:  # no memory or process slots for a child: do the work here instead
        receiver.close()
        sender.close()
        yield func
        return
    sender.close()

    def result():
        try:
            done, value = receiver.recv()
        except EOFError as exc:
            raise NlpError(WORKER_DIED) from exc
        if not done:
            raise value
        return value

    try:
        yield result
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        receiver.close()
