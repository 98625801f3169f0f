"""Bounded in-process memos for the hot loops of tokenizing and vectorizing.

Reports repeat themselves: a section's text is its sentences, a heading
recurs over every sentence below it, and the same clauses come back from
report to report.  The tokenizer and the vectorizers therefore memoise per
clause or per line.  A memo that reaches its size is emptied rather than
evicted entry by entry: cheaper than LRU bookkeeping in a loop that runs
millions of times, and it keeps memory flat when streaming a large corpus
(see ``benchmarks/bench.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["MEMO_SIZE", "clear_memos", "compiled_regex", "memo", "store"]

MEMO_SIZE = 2**16

_registry: dict[tuple, dict] = {}


def memo(*key, factory: Callable[[], dict] = dict) -> dict:
    """The process-wide memo dict for ``key`` (what is memoised plus the settings it depends on).

    ``factory`` makes it the first time (a ``dict`` subclass, say, that fills itself on a miss).
    """
    found = _registry.get(key)
    return found if found is not None else _registry.setdefault(key, factory())


def store(memo_dict: dict, key, value, size: int = MEMO_SIZE):
    """``memo_dict[key] = value``, emptying the memo first if it is full; returns ``value``.

    Examples
    --------
    >>> seen = {}
    >>> [store(seen, n, n * n, size=2) for n in range(3)], seen
    ([0, 1, 4], {2: 4})
    """
    if len(memo_dict) >= size:
        memo_dict.clear()
    memo_dict[key] = value
    return value


@lru_cache(maxsize=512)
def compiled_regex(pattern: str) -> re.Pattern:
    """``re.compile`` once per process; fitted estimators keep pattern strings, which persist safely."""
    return re.compile(pattern)


def clear_memos() -> None:
    """Forget every process-wide memo (emptied in place: callers may hold on to a memo dict)."""
    for memo_dict in _registry.values():
        memo_dict.clear()
