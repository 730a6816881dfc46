"""The emulator's command line: ``python -m phonenumbers_async.emulator`` and
``phonenumbers-async emulator`` (which calls :func:`main`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import signal
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

from ._options import EmulatorOptions, OptionFlag, option_flags
from ._server import run_emulator

__all__ = ["build_parser", "env_lines", "main", "options_from_args"]


def _argument_type(flag: OptionFlag) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return flag.from_text(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = flag.name  # argparse names the type in its messages
    return convert


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The emulator's argument parser: one flag per ``EmulatorOptions`` field."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m phonenumbers_async.emulator",
        description=(
            "Run a stateful local emulator of the Phone Numbers API. On start it prints one "
            "line: 'EMULATOR base_url=... auth_id=... auth_token=... subaccounts=SA:token,...'; "
            "it serves until SIGINT/SIGTERM. The control API is under /_emulator/ at the "
            "server root; its OpenAPI document at /_emulator/openapi.json."
        ),
    )
    for flag in option_flags():
        dest = flag.flag.removeprefix("--").replace("-", "_")
        if flag.is_switch:
            parser.add_argument(flag.flag, dest=dest, action="store_true", help=flag.help)
        else:
            parser.add_argument(
                flag.flag,
                dest=dest,
                metavar=flag.metavar,
                type=_argument_type(flag),
                default=flag.default,
                help=flag.help,
            )
    return parser


def _add_print_flags(parser: argparse.ArgumentParser) -> None:
    """How to print the startup information: not an emulator option, so not in
    :func:`build_parser` (which has exactly one flag per option)."""
    parser.add_argument(
        "--env",
        dest="print_env",
        action="store_true",
        help=(
            "print shell lines instead of the EMULATOR line: export VOBIZ_BASE_URL=..., "
            "VOBIZ_AUTH_ID=..., VOBIZ_AUTH_TOKEN=... (for example: emulator --env > emu.env & "
            "then, once it is written, . ./emu.env)"
        ),
    )


def env_lines(base_url: str, auth_id: str, auth_token: str) -> list[str]:
    """``export VOBIZ_…=…`` lines a POSIX shell can source, values quoted."""
    return [
        f"export {name}={shlex.quote(value)}"
        for name, value in (
            ("VOBIZ_BASE_URL", base_url),
            ("VOBIZ_AUTH_ID", auth_id),
            ("VOBIZ_AUTH_TOKEN", auth_token),
        )
    ]


def options_from_args(args: argparse.Namespace) -> EmulatorOptions:
    """The parsed flags as options (``ValueError`` for a combination that is refused)."""
    values = {
        flag.name: getattr(args, flag.flag.removeprefix("--").replace("-", "_"))
        for flag in option_flags()
    }
    return EmulatorOptions(**values)


async def _serve(options: EmulatorOptions, *, print_env: bool = False) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or a platform without it
        installed.append(sig)
    try:
        async with run_emulator(options) as info:
            if print_env:
                print(
                    "\n".join(env_lines(info.base_url, info.auth_id, info.auth_token)),
                    flush=True,
                )
            else:
                print(info.startup_line(), flush=True)
            print(
                f"emulator: serving {info.base_url} (control API {info.control_url}/); "
                "press Ctrl-C to stop",
                file=sys.stderr,
                flush=True,
            )
            await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return 0


def main(argv: list[str] | None = None, *, prog: str | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; returns the exit status (0 on a clean stop).

    Bad flags exit with status 2 (argparse).
    """
    parser = build_parser(prog)
    _add_print_flags(parser)
    args = parser.parse_args(argv)
    try:
        options = options_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=logging.INFO if options.access_log else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return asyncio.run(_serve(options, print_env=args.print_env))
    except KeyboardInterrupt:
        return 0
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as exc:
        print(f"error: cannot start the emulator: {exc}", file=sys.stderr)
        return 1
