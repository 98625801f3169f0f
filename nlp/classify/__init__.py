"""Sentence classification: ``codebook`` and ``coding`` (hand-coding), ``labels`` → ``features`` →
``model`` → ``training`` / ``evaluate`` / ``validate`` / ``agreement`` → ``persist`` → ``predict``; ``sampling``
picks sentences to hand-code next."""

__all__ = []
