"""``python -m phonenumbers_async.emulator``: run the emulator from the command line."""

from ._cli import main

raise SystemExit(main())
