"""The ``phonenumbers-async`` command line (needs the ``cli`` extra: click and rich).

``main()`` is the console script's entry point; ``python -m
phonenumbers_async.cli`` runs the same. The SDK never imports this package.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

INSTALL_HINT = 'the command line needs extra packages: pip install "phonenumbers_async[cli]"'

EXIT_INTERRUPTED = 130  # as cli._common's, which is not imported yet when this is needed


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``phonenumbers-async`` on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            import click  # noqa: F401
            import rich  # noqa: F401
        except ImportError:
            print(f"error: {INSTALL_HINT}", file=sys.stderr)
            return 1
        from ._app import run

        return run(args)
    except KeyboardInterrupt:
        # Ctrl-C while starting up (importing takes a moment) or outside the command's
        # own handler: no traceback either.
        return _interrupted(args)


def _interrupted(args: list[str]) -> int:
    """Report an interruption before the command ran: the one error shape, plain if even
    that cannot be imported now."""
    try:
        from ._output import Output, format_in

        Output(format_in(args) or "table").error(
            "interrupted", exit_code=EXIT_INTERRUPTED, code="interrupted"
        )
    except (Exception, KeyboardInterrupt):
        print("error: interrupted", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED
