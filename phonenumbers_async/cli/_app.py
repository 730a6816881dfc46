"""The ``phonenumbers-async`` command: its click groups, options and error handling."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import click

from phonenumbers_async import (
    PhoneNumbersError,
    __version__,
)

from ._common import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe_error,
    exit_code_for,
)
from ._context import Settings, run_async
from ._options import CONTEXT, PROG
from ._output import (
    FORMATS,
)
from .commands.account import account
from .commands.inventory import inventory
from .commands.numbers import numbers
from .commands.subaccounts import subaccounts

__all__ = ["cli", "run"]


@click.group(
    context_settings=CONTEXT,
    epilog=EXIT_CODES_HELP,
    help=(
        "Manage Vobiz phone numbers: list, search inventory, buy and release in bulk, "
        "assign to sub-accounts; run a local emulator of the API, or a demo on it."
    ),
)
@click.option(
    "--auth-id",
    envvar="VOBIZ_AUTH_ID",
    show_envvar=True,
    metavar="MA_…|SA_…",
    help="Account Auth ID.",
)
@click.option(
    "--auth-token",
    envvar="VOBIZ_AUTH_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="Account Auth Token (prefer the variable: flags show in the process list).",
)
@click.option(
    "--base-url",
    envvar="VOBIZ_BASE_URL",
    show_envvar=True,
    metavar="URL",
    help="API base URL [default: https://api.vobiz.ai/api].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress or notes on stderr (errors still show)."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Log every HTTP request, and tracebacks, to stderr."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds allowed for each request.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_SECOND",
    help="Send at most this many requests per second.",
)
@click.version_option(__version__, prog_name=PROG)
@click.pass_context
def cli(
    ctx: click.Context,
    auth_id: str | None,
    auth_token: str | None,
    base_url: str | None,
    output_format: str,
    quiet: bool,
    verbose: bool,
    timeout: float,
    rate_limit: float | None,
) -> None:
    settings = ctx.ensure_object(Settings)
    settings.auth_id = auth_id
    settings.auth_token = auth_token
    settings.base_url = base_url
    settings.output_format = output_format
    settings.quiet = quiet
    settings.verbose = verbose
    settings.timeout = timeout
    settings.rate_limit = rate_limit
    if verbose:
        settings.start_logging()


for group in (numbers, inventory, subaccounts, account):
    cli.add_command(group)


@cli.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> int:
    """Run the local emulator of the API (options: emulator --help)."""
    from phonenumbers_async.emulator._cli import main as emulator_main

    try:
        return emulator_main(list(args), prog=f"{PROG} emulator")
    except SystemExit as exc:  # argparse exits on --help and on bad flags
        code = exc.code
        if code is None:
            return EXIT_OK
        return code if isinstance(code, int) else EXIT_USAGE


@cli.command("demo")
@click.option("--seed", type=int, default=None, help="Seed the emulator for a repeatable run.")
@click.pass_obj
def demo(settings: Settings, seed: int | None) -> int:
    """Start a local emulator and walk through every operation on it."""
    from ._demo import run_demo

    return run_async(run_demo(seed=seed))


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Every failure becomes one ``error: …`` line on stderr and an exit code;
    a traceback is shown only with ``--verbose`` and only for a bug.
    """
    settings = Settings()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(settings, args)
    finally:
        settings.stop_logging()


def _run(settings: Settings, args: list[str]) -> int:
    try:
        result = cli.main(args=args, prog_name=PROG, standalone_mode=False, obj=settings)
    except click.UsageError as exc:
        # click >= 8.2 signals "no arguments: show the help" as a usage error.
        no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
        if no_args is not None and isinstance(exc, no_args):
            exc.show()
            return EXIT_USAGE
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        _error(f"{exc.format_message()}{hint}")
        return EXIT_USAGE
    except click.ClickException as exc:
        _error(exc.format_message())
        return exc.exit_code
    except click.Abort:
        _error("aborted")
        return EXIT_FAILURE
    except CliError as exc:
        _error(exc.message)
        return exc.exit_code
    except PhoneNumbersError as exc:
        _error(describe_error(exc))
        return exit_code_for(exc)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (head, less…) went away; say nothing more on a dead pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:
        # A local file (journal, results, input) could not be written or read.
        where = f" ({exc.filename})" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}")
        return EXIT_FAILURE
    except Exception as exc:
        if settings.verbose:
            traceback.print_exc(file=sys.stderr)
        _error(
            f"unexpected {exc.__class__.__name__}: {exc}"
            + ("" if settings.verbose else " (rerun with --verbose to see the traceback)")
        )
        return EXIT_FAILURE
    if isinstance(result, int):
        return result
    return EXIT_OK
