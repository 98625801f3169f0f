"""Topic models: ``models`` (NMF, seeded NMF, LDA), ``metrics`` (NPMI coherence, diversity), ``selection``
(choosing the number of topics)."""

__all__ = []
