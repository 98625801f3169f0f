"""Command-line argument parsing shared by ``python -m nlp`` and the experiment scripts."""

from __future__ import annotations

import argparse

__all__ = ["OneLineParser", "positive_int"]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error: …`` line with exit code 2, like every other error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def positive_int(text: str) -> int:
    """An ``int`` ≥ 1 for a numeric option (``--jobs 0`` or ``-3`` is refused, not silently the default)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value
