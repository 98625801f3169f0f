"""Exceptions that the command line turns into one-line messages.

Every error a user can cause (bad path, undecodable file, corrupt model, ...)
is raised as a subclass of :class:`NlpError`.  ``python -m nlp`` catches
exactly these, prints ``error: <message>`` on one line and exits with
:attr:`NlpError.exit_code`; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputError",
    "ModelFileError",
    "NlpError",
    "OutputError",
    "OutputExistsError",
    "UntrustedModelError",
]


class NlpError(Exception):
    """Base class for errors caused by user input, reported without traceback."""

    exit_code = 2


class InputError(NlpError):
    """A report or other input file is missing, empty, binary or undecodable."""


class ModelFileError(NlpError):
    """A model file is missing, corrupt or not a model written by this package."""


class UntrustedModelError(ModelFileError):
    """A model file holds object types outside the package's allow-list."""


class OutputExistsError(NlpError):
    """An output path exists and the user did not ask to overwrite it."""


class OutputError(NlpError):
    """An output cannot be written (disk full, no permission) or its path must not be replaced."""


class ConfigError(NlpError):
    """An experiment config or a label file is malformed."""
