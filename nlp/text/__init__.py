"""Text stages, files to tokens: ``reading`` → ``extract`` → ``cleaning`` / ``metadata`` → ``structure`` →
``sentences`` → ``corpus`` (all of these per report) → ``records`` (sentences with context) → ``tokenize``;
``cache`` keeps parsed and tokenized reports keyed by file content."""

__all__ = []
