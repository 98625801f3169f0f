"""Chinese policy-text analysis of township government work reports.

The package is organised by pipeline stage, data flowing one way:

``reading`` (files → text) → ``cleaning`` (page noise, metadata) →
``structure`` (headings, parts) → ``sentences`` → ``corpus`` (all of the
above per report) → ``tokenize`` (jieba) → ``features`` → ``classify`` →
``topics`` → ``attention`` → ``plotting`` / ``reporting``.
"""

__version__ = "0.1.0"
