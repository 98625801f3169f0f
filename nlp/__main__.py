"""``python -m nlp``: see :mod:`nlp.cli`."""

from .cli import main

raise SystemExit(main())
