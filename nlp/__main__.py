"""``python -m nlp``: see :mod:`nlp.cli`."""

from nlp.cli import main

raise SystemExit(main())
