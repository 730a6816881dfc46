"""``python -m phonenumbers_async.cli``: the same as the ``phonenumbers-async`` command."""

from . import main

raise SystemExit(main())
