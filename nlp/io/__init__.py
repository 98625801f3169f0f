"""Outputs: ``results`` (results folders with manifests), ``plotting`` (figures with a CJK font)."""

__all__ = []
