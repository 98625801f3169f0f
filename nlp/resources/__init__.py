"""Data files the package needs, with a note on each one's source in ``SOURCES.md``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["read_word_list", "resource_path"]


def resource_path(name: str) -> Path:
    """Absolute path of a packaged resource file such as ``"stopwords.txt"``."""
    path = Path(str(resources.files(__name__).joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(f"package resource {name!r} is missing from {path.parent}")
    return path


def read_word_list(path: str | Path) -> list[str]:
    """Read a one-entry-per-line UTF-8 list, skipping blank lines and ``#`` comments."""
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return entries
