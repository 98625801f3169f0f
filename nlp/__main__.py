"""``python -m nlp``: see :mod:`nlp.cli`."""

from nlp.cli import exit_process, main

exit_process(main())
