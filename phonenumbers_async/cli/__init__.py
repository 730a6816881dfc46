"""The ``phonenumbers-async`` command line (needs the ``cli`` extra: click and rich).

``main()`` is the console script's entry point; ``python -m
phonenumbers_async.cli`` runs the same. The SDK never imports this package.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

INSTALL_HINT = 'the command line needs extra packages: pip install "phonenumbers_async[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``phonenumbers-async`` on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 1
    from ._app import run

    return run(argv)
