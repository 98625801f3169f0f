"""Analyses of labelled reports: ``quantify`` (share estimators and intervals) → ``attention`` (per-report
attention profiles) → ``panel`` (reports × categories with covariates and regressions)."""

__all__ = []
