"""Experiment configs and results folders with provenance.

An experiment reads a TOML config (:func:`load_config`) and writes into
``results/<experiment>/`` through :class:`ResultsDir`: every file goes into a
temporary sibling folder that replaces the old results only when the run
finishes, so an interrupted run leaves the previous results untouched and
never a half-written folder that looks complete.  ``manifest.json`` records
what made the results: config, package version, git commit, hashes of the
input data, library versions and wall time.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from nlp.core.version import __version__

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent runs then race as before
    fcntl = None
from nlp.core.errors import ConfigError, OutputError
from nlp.core.fileio import STDIN, atomic_write, file_sha256, os_reason, write_failed, write_json, write_text
from nlp.text.reading import display_path

__all__ = [
    "MANIFEST",
    "PACKAGE_DIR",
    "TRACKED_LIBRARIES",
    "ResultsDir",
    "data_hashes",
    "dumps_stable",
    "git_commit",
    "is_results_dir",
    "library_versions",
    "load_config",
]

#: Libraries whose versions every manifest records.
TRACKED_LIBRARIES = ("numpy", "scipy", "scikit-learn", "jieba", "matplotlib", "skops", "mplfonts", "tqdm", "joblib")
MANIFEST = "manifest.json"


def load_config(path: str | Path) -> dict:
    """Read an experiment's TOML config.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not UTF-8 or not valid TOML.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config ({os_reason(exc)})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config is not UTF-8 (byte {exc.start}); TOML files must be UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc


# provenance only: the code that ran is the checkout holding this package, if any (an installed wheel has none)
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def git_commit(root: str | Path = PACKAGE_DIR) -> dict[str, Any]:
    """The commit of the checkout holding ``root`` and whether tracked files differ from it (``None`` outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def library_versions(names: Iterable[str] = TRACKED_LIBRARIES) -> dict[str, str | None]:
    """Installed version of each library (``None`` if absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _data_files(path: Path) -> list[Path]:
    if path.is_dir():
        # hidden files are skipped here as they are when reports are listed
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    return [path]


def data_hashes(paths: Iterable[str | Path]) -> dict[str, str]:
    """``{file name: sha256}`` of the input files (folders expanded to their non-hidden files).

    Files are keyed by name; when two different files share a name, both are
    keyed by their path as given, so no input goes unrecorded.  Standard
    input (``-``) has no file to hash and is left out.
    """
    files = [f for p in paths if str(p) != STDIN for f in _data_files(Path(p))]
    unique = {os.path.realpath(f): f for f in files}
    names = Counter(f.name for f in unique.values())
    return {display_path(f.name if names[f.name] == 1 else str(f)): file_sha256(f) for f in sorted(unique.values())}


def is_results_dir(path: str | Path) -> bool:
    """Whether ``path`` is a folder written by :class:`ResultsDir` (it carries our manifest)."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and {"experiment", "package_version", "data_sha256"} <= set(manifest)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); ``False`` if unavailable."""
    renameat2 = getattr(_libc(), "renameat2", None) if sys.platform.startswith("linux") else None
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system or kernel without it: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


class ResultsDir:
    """Write one experiment's results atomically, with a manifest.

    Parameters
    ----------
    name : str
        Experiment name; results go to ``root/name``.
    root : path, default="results"
    config : dict
        The parameters that made the results (stored in the manifest).
    config_path : path, optional
        The config file, hashed into the manifest.
    data : sequence of paths
        Input files or folders, hashed into the manifest.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> with ResultsDir("demo", root=root, config={"k": 3}) as out:
    ...     out.write_json("metrics.json", {"score": 1.0})
    >>> sorted(p.name for p in (Path(root) / "demo").iterdir())
    ['manifest.json', 'metrics.json']
    """

    def __init__(
        self,
        name: str,
        root: str | Path = "results",
        config: dict | None = None,
        config_path: str | Path | None = None,
        data: Sequence[str | Path] = (),
    ):
        self.name = name
        self.final = Path(root) / name
        self.tmp = Path(root) / f".{name}.tmp-{os.getpid()}"
        self.config = config or {}
        self.config_path = Path(config_path) if config_path else None
        self.data = list(data)
        self.extra_manifest: dict[str, Any] = {}

    def __enter__(self) -> ResultsDir:
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._lock()
            self._recover()
            if self.tmp.exists():
                shutil.rmtree(self.tmp)
            self.tmp.mkdir()
        except OSError as exc:
            self._unlock()
            raise write_failed(self.final, exc) from exc
        self._start = time.perf_counter()
        self._started_at = datetime.now(UTC).isoformat(timespec="seconds")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                return
            try:
                write_json(self.tmp / MANIFEST, self.manifest())
                self._commit()
            except OutputError:
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise
            except OSError as exc:
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise write_failed(self.final, exc) from exc
        finally:
            self._unlock()

    def _commit(self) -> None:
        """Put the new folder in place so that a kill at any instant leaves the old or the new one."""
        if self.final.is_symlink() or (self.final.exists() and not self.final.is_dir()):
            raise OutputError(f"{self.final}: exists and is not a results folder; refusing to replace it")
        if not self.final.exists():
            os.rename(self.tmp, self.final)
        elif _exchange(self.tmp, self.final):
            shutil.rmtree(self.tmp)  # it holds the old results now
        else:
            # two renames; a kill between them leaves `.NAME.old-PID`, which the next run restores
            old = self.final.with_name(f".{self.name}.old-{os.getpid()}")
            os.replace(self.final, old)
            os.replace(self.tmp, self.final)
            shutil.rmtree(old, ignore_errors=True)

    def _leftovers(self) -> Iterator[tuple[Path, str, int]]:
        """``(path, kind, pid)`` of temporary and set-aside folders that runs of this experiment left."""
        pattern = re.compile(rf"^\.{re.escape(self.name)}\.(tmp|old)-(\d+)$")
        for entry in self.final.parent.iterdir():
            match = pattern.match(entry.name)
            if match:
                yield entry, match.group(1), int(match.group(2))

    def _recover(self) -> None:
        """Clean up after killed runs: restore set-aside results that were never replaced, drop temp folders."""
        for entry, kind, pid in self._leftovers():
            if pid != os.getpid() and _pid_alive(pid) and self._lock_fd is None:
                continue  # without a lock we cannot tell a live writer from a reused pid: leave it
            if kind == "old" and not self.final.exists():
                os.rename(entry, self.final)
            else:
                shutil.rmtree(entry, ignore_errors=True)

    def _lock(self) -> None:
        """Hold ``.NAME.lock`` for the run: a second writer of the same results fails instead of racing."""
        self._lock_fd = None
        if fcntl is None:
            return
        lock_path = self.final.with_name(f".{self.name}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # the holder before us may have removed the file after we opened it: then the lock means nothing
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except (BlockingIOError, FileNotFoundError):
            same = False
        if not same:
            os.close(fd)
            raise OutputError(f"{self.final}: another run is writing these results right now; wait for it to finish")
        self._lock_fd, self._lock_path = fd, lock_path

    def _unlock(self) -> None:
        if getattr(self, "_lock_fd", None) is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self._lock_path)  # before unlocking: a waiter then sees a new file, not ours
        os.close(self._lock_fd)
        self._lock_fd = None

    def path(self, filename: str) -> Path:
        """Where to write ``filename`` during the run (inside the temporary folder)."""
        target = self.tmp / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_json(self, filename: str, obj: Any) -> None:
        write_json(self.path(filename), obj)

    def write_text(self, filename: str, text: str) -> None:
        write_text(self.path(filename), text)

    def write_csv(self, filename: str, rows: Sequence[dict], fields: Sequence[str] | None = None) -> None:
        """Rows of dicts as UTF-8 CSV (with BOM, so spreadsheet programs show Chinese correctly)."""
        fields = list(fields or (rows[0].keys() if rows else []))
        with atomic_write(self.path(filename), encoding="utf-8-sig", durable=False) as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def manifest(self) -> dict[str, Any]:
        """Provenance of this run."""
        manifest = {
            "experiment": self.name,
            "package_version": __version__,
            "git": git_commit(),
            "config": _displayable(self.config),
            "config_file": display_path(self.config_path) if self.config_path else None,
            "config_sha256": file_sha256(self.config_path) if self.config_path else None,
            "data_sha256": data_hashes(self.data),
            "libraries": library_versions(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "started_at": self._started_at,
            "wall_time_s": round(time.perf_counter() - self._start, 3),
            "files": sorted(str(p.relative_to(self.tmp)) for p in self.tmp.rglob("*") if p.is_file()),
        }
        manifest.update(self.extra_manifest)
        return manifest


def _displayable(obj: Any) -> Any:
    """``obj`` with every string made writable as UTF-8 (file names that are not UTF-8 come as surrogates)."""
    if isinstance(obj, str):
        return display_path(obj)
    if isinstance(obj, dict):
        return {_displayable(k): _displayable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_displayable(v) for v in obj]
    return obj


def dumps_stable(obj: Any) -> str:
    """JSON text with sorted keys, as written by :func:`nlp.core.fileio.write_json`."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True)
