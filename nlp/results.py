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

import csv
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ConfigError
from .fileio import write_json, write_text

#: Libraries whose versions every manifest records.
TRACKED_LIBRARIES = ("numpy", "scipy", "scikit-learn", "jieba", "matplotlib", "skops", "mplfonts", "tqdm", "joblib")
REPO_ROOT = Path(__file__).resolve().parent.parent


def load_config(path: str | Path) -> dict:
    """Read an experiment's TOML config.

    Raises
    ------
    ConfigError
        If the file is missing or not valid TOML.
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The checkout's commit and whether tracked files differ from it (``None`` outside git)."""
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


def data_hashes(paths: Iterable[str | Path]) -> dict[str, str]:
    """``{file name: sha256}`` of the input files (folders expanded to their files)."""
    hashes = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            files = [path]
        for file in files:
            hashes[file.name] = file_sha256(file)
    return hashes


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
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        self._start = time.perf_counter()
        self._started_at = datetime.now(UTC).isoformat(timespec="seconds")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        write_json(self.tmp / "manifest.json", self.manifest())
        old = self.final.with_name(f".{self.name}.old-{os.getpid()}")
        if self.final.exists():
            os.replace(self.final, old)
        os.replace(self.tmp, self.final)
        shutil.rmtree(old, ignore_errors=True)

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
        with self.path(filename).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def manifest(self) -> dict[str, Any]:
        """Provenance of this run."""
        manifest = {
            "experiment": self.name,
            "package_version": __version__,
            "git": git_commit(),
            "config": self.config,
            "config_file": str(self.config_path) if self.config_path else None,
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


def dumps_stable(obj: Any) -> str:
    """JSON text with sorted keys, as written by :func:`nlp.fileio.write_json`."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True)
