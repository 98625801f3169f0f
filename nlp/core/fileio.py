"""Safe file output: a file is either complete or absent, never half-written, and never in the wrong place.

Every writer in the package goes through :func:`atomic_write` or
:func:`atomic_paths`, which write to temporary files in the destination
folder and rename them into place (``os.replace`` is atomic on POSIX and
Windows within one file system).  Without ``replace`` the rename is a hard
link that fails when the target appeared meanwhile, so of two concurrent
writers one wins and the other gets an :class:`~nlp.core.errors.OutputExistsError`.

:func:`check_output` validates an output path *before* any work starts: it
refuses paths that are, contain or lie inside an input, paths of the wrong
kind (a folder where a file goes, a device or FIFO), and existing outputs
without ``--force``.  Write failures (disk full, no permission) become one-line
:class:`~nlp.core.errors.OutputError` messages.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from nlp.core.errors import OutputError, OutputExistsError

__all__ = [
    "STDIN",
    "atomic_path",
    "atomic_paths",
    "atomic_write",
    "check_output",
    "file_sha256",
    "os_reason",
    "refuse_overwrite",
    "write_failed",
    "write_json",
    "write_text",
]

#: The name standing for standard input among input paths.
STDIN = "-"


def refuse_overwrite(path: str | Path, force: bool) -> None:
    """Raise :class:`OutputExistsError` if ``path`` exists and ``force`` is false."""
    if not force and os.path.lexists(path):
        raise OutputExistsError(f"{path} already exists; pass --force to overwrite it")


def os_reason(exc: OSError) -> str:
    """The human part of an ``OSError`` ("No space left on device")."""
    return exc.strerror or str(exc) or type(exc).__name__


def write_failed(path: str | Path, exc: OSError) -> OutputError:
    """The one-line error for a failed write of ``path``."""
    return OutputError(f"cannot write {path}: {os_reason(exc)}; nothing was replaced")


def _inside(inner: str, outer: str) -> bool:
    """Whether resolved path ``inner`` is ``outer`` or lies below it."""
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def _refuse_inputs(path: str | Path, resolved: str, inputs: Iterable[str | Path]) -> None:
    for source in inputs:
        if str(source) == STDIN:
            continue
        real = os.path.realpath(source)
        if _inside(resolved, real) or _inside(real, resolved):
            relation = "is" if resolved == real else "lies inside" if _inside(resolved, real) else "contains"
            raise OutputError(f"{path}: the output {relation} the input {source}; choose another output path")


def _probe_writable(folder: Path, path: str | Path) -> None:
    """Create and remove a file in the nearest existing ancestor: a real test (``os.access`` lies for root)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        fd, name = tempfile.mkstemp(prefix=".nlp-probe-", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {os_reason(exc)} in {folder}") from exc
    os.close(fd)
    os.unlink(name)


def check_output(
    path: str | Path,
    force: bool = False,
    inputs: Sequence[str | Path] = (),
    folder: bool = False,
    is_ours: Callable[[Path], bool] | None = None,
) -> Path:
    """Refuse an output path before any work is done; return it.

    Parameters
    ----------
    path : path
        Where the output goes.
    force : bool
        Whether an existing output may be replaced.
    inputs : sequence of paths
        Input files and folders (``-`` for standard input is ignored): the
        output may not be, contain or lie inside any of them.
    folder : bool
        Whether the output is a folder (else a regular file).
    is_ours : callable, optional
        For folders: tells whether an existing folder was written by this
        package; ``--force`` replaces only such folders.

    Raises
    ------
    OutputExistsError
        If the output exists and ``force`` is false.
    OutputError
        If the path overlaps an input, is of the wrong kind, or cannot be written.
    """
    path = Path(path)
    resolved = os.path.realpath(path)
    _refuse_inputs(path, resolved, inputs)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        _probe_writable(Path(resolved).parent, path)
        return path
    except OSError as exc:
        raise OutputError(f"{path}: cannot use as output ({os_reason(exc)})") from exc
    if folder and not stat.S_ISDIR(mode):
        raise OutputError(f"{path}: exists and is not a folder; refusing to replace it")
    if not folder and stat.S_ISDIR(mode):
        raise OutputError(f"{path}: is a folder; give a file name")
    if not folder and not stat.S_ISREG(mode):
        raise OutputError(f"{path}: is a device, FIFO or socket, not a regular file; refusing to replace it")
    refuse_overwrite(path, force)
    if folder and is_ours is not None and not is_ours(path):
        raise OutputError(f"{path}: is a folder not written by nlp (no results manifest); refusing to replace it")
    _probe_writable(Path(resolved).parent, path)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _link_into_place(tmp: str, path: Path) -> None:
    """Move ``tmp`` to ``path`` only if ``path`` does not exist (atomic: a hard link cannot clobber)."""
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        raise OutputExistsError(f"{path} was created meanwhile (another run?); pass --force to overwrite it") from exc
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # a file system without hard links: fall back to check-then-rename (a tiny race window)
        refuse_overwrite(path, force=False)
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | Path], replace: bool = True, suffix: str = ".tmp") -> Iterator[list[Path]]:
    """Yield temporary sibling paths to write; move them all into place when the block succeeds.

    Files are moved in the order given, so put the one whose presence says
    "complete" last (a model after its card).  Without ``replace`` a target
    that exists by then is not touched: :class:`OutputExistsError` is raised
    and the files already moved by this call are removed again.  If the block
    raises (or the process is killed), the targets keep their previous content
    and the temporary files are removed.  New files get the usual permissions
    (``0o666`` minus the umask), not the ``0o600`` of a temporary file.

    Raises
    ------
    OutputError
        If a file cannot be written (disk full, no permission, ...).
    """
    targets = [Path(p) for p in paths]
    tmps: list[str] = []
    placed: list[Path] = []
    try:
        for path in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
            os.close(fd)
            tmps.append(tmp_name)
        yield [Path(t) for t in tmps]
        for tmp_name, path in zip(tmps, targets, strict=True):
            os.chmod(tmp_name, 0o666 & ~_umask())
            if replace:
                os.replace(tmp_name, path)
            else:
                _link_into_place(tmp_name, path)
            placed.append(path)
    except BaseException as exc:
        for tmp_name in tmps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
        if not replace:  # only files this call created: without replace nothing else was there
            for path in placed:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        if isinstance(exc, OSError):
            raise write_failed(targets[-1], exc) from exc
        raise


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp", replace: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling path to write; rename it over ``path`` on success (see :func:`atomic_paths`)."""
    with atomic_paths([path], replace=replace, suffix=suffix) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_write(
    path: str | Path, mode: str = "w", encoding: str | None = "utf-8", durable: bool = True
) -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success.

    With ``durable`` (the default) the data is flushed to disk before the
    rename, so a power cut cannot leave an empty file in place of results.
    Caches pass ``durable=False``: a lost entry is only a miss, and skipping
    ``fsync`` makes writing thousands of small entries much faster.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as fh:
    ...     _ = fh.write("done")
    >>> target.read_text()
    'done'
    """
    binary = "b" in mode
    with (
        atomic_path(path) as tmp,
        open(tmp, mode, encoding=None if binary else encoding, newline=None if binary else "") as fh,
    ):
        yield fh
        # flush inside the block: a full disk must fail here, before the rename, not in close()
        fh.flush()
        if durable:
            os.fsync(fh.fileno())


def write_text(path: str | Path, text: str) -> None:
    """Atomically write ``text`` (UTF-8) to ``path``."""
    with atomic_write(path) as fh:
        fh.write(text)


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write ``obj`` as pretty, key-sorted UTF-8 JSON (stable across runs)."""
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
