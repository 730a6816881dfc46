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
    error_code,
    exit_code_for,
)
from ._context import Settings, run_async
from ._options import CONTEXT, PROG, add_global_options
from ._output import Output, format_in
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
        "assign to sub-accounts; run a local emulator of the API, or a demo on it. "
        "The options below are accepted after any command's name too."
    ),
)
@click.version_option(__version__, prog_name=PROG)
def cli() -> None:
    pass


for group in (numbers, inventory, subaccounts, account):
    cli.add_command(group)

# Commands that run on this machine only: no API options.
LOCAL_COMMANDS = frozenset({"emulator", "demo", "completion"})


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
def demo(seed: int | None) -> int:
    """Start a local emulator and walk through every operation on it."""
    from ._demo import run_demo

    return run_async(run_demo(seed=seed))


SHELLS = ("bash", "zsh", "fish")


@cli.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> int:
    """Print the shell completion script for SHELL.

    \b
    bash: eval "$(phonenumbers-async completion bash)"   (in ~/.bashrc)
    zsh:  eval "$(phonenumbers-async completion zsh)"    (in ~/.zshrc)
    fish: phonenumbers-async completion fish > ~/.config/fish/completions/phonenumbers-async.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    if completer is None:  # click knows these three; a future click might not
        raise CliError(f"no completion for {shell} in this version of click", EXIT_USAGE)
    complete_var = "_" + PROG.replace("-", "_").upper() + "_COMPLETE"
    sys.stdout.write(completer(cli, {}, PROG, complete_var).source() + "\n")
    return EXIT_OK


add_global_options(cli, skip=LOCAL_COMMANDS)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Every failure becomes one ``error: …`` line on stderr (a JSON object with
    ``--format json``) and an exit code; a traceback is shown only with
    ``--verbose`` and only for a bug.
    """
    settings = Settings()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(settings, args)
    finally:
        settings.stop_logging()


def _run(settings: Settings, args: list[str]) -> int:
    # A usage error can stop parsing before --format is read: look for it first,
    # so that a script asking for JSON gets its error as JSON too.
    requested = format_in(args)

    def fail(message: str, exit_code: int, code: str, request_id: str | None = None) -> int:
        out = Output(requested or settings.output_format, quiet=settings.quiet)
        out.error(message, exit_code=exit_code, code=code, request_id=request_id)
        return exit_code

    try:
        result = cli.main(args=args, prog_name=PROG, standalone_mode=False, obj=settings)
    except click.UsageError as exc:
        # click >= 8.2 signals "no arguments: show the help" as a usage error.
        no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
        if no_args is not None and isinstance(exc, no_args):
            exc.show()
            return EXIT_USAGE
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        return fail(f"{exc.format_message()}{hint}", EXIT_USAGE, "usage_error")
    except click.ClickException as exc:
        return fail(exc.format_message(), exc.exit_code, "usage_error")
    except click.Abort as exc:
        # click turns Ctrl-C (and end of input at a prompt) into Abort.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return fail("interrupted", EXIT_INTERRUPTED, "interrupted")
        return fail("aborted", EXIT_FAILURE, "aborted")
    except CliError as exc:
        return fail(exc.message, exc.exit_code, exc.code, exc.request_id)
    except PhoneNumbersError as exc:
        return fail(
            describe_error(exc, base_url=settings.effective_base_url),
            exit_code_for(exc),
            error_code(exc),
            getattr(exc, "request_id", None),
        )
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED, "interrupted")
    except BrokenPipeError:
        # The reader (head, less…) went away; say nothing more on a dead pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:
        # A local file (journal, results, input) could not be written or read.
        where = f" ({exc.filename})" if exc.filename else ""
        return fail(f"{exc.strerror or exc}{where}", EXIT_FAILURE, "os_error")
    except Exception as exc:
        if settings.verbose:
            traceback.print_exc(file=sys.stderr)
        return fail(
            f"unexpected {exc.__class__.__name__}: {exc}"
            + ("" if settings.verbose else " (rerun with --verbose to see the traceback)"),
            EXIT_FAILURE,
            "bug",
        )
    if isinstance(result, int):
        return result
    return EXIT_OK
