"""The package version: one definition, read by pyproject.toml at build time and recorded in every manifest."""

__all__ = ["__version__"]

__version__ = "0.1.0"
