"""``python -m toolkit``: the same command line as the ``toolkit`` script."""

from toolkit.cli import main

raise SystemExit(main())
