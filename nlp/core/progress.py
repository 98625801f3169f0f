"""Progress bars that cost nothing when they are off.

tqdm (with the asyncio it imports) takes about 35 ms to import: a third of
what ``python -m nlp predict`` on one small report may spend starting up, for
a bar shown only with ``--progress``.  It is imported when a bar is shown.
"""

from __future__ import annotations

__all__ = ["progress_bar"]


class _NoBar:
    """What the code needs of a hidden bar: a context manager with ``update``."""

    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc) -> None:
        return None


def progress_bar(iterable=None, *, disable: bool = False, **options):
    """``tqdm.auto.tqdm(iterable, **options)``, or without tqdm a stand-in when ``disable``.

    Examples
    --------
    >>> with progress_bar(total=3, disable=True) as bar:
    ...     bar.update(3)
    >>> list(progress_bar([1, 2], disable=True))
    [1, 2]
    """
    if disable:
        return _NoBar() if iterable is None else iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **options)
