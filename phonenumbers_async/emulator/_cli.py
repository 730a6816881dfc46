"""The emulator's command line: ``python -m phonenumbers_async.emulator`` and
``phonenumbers-async emulator`` (which calls :func:`main`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sqlite3
import sys
from decimal import Decimal, InvalidOperation

from .._net import is_loopback_host
from ._server import run_emulator

__all__ = ["build_parser", "main"]


def _non_negative_int(limit: int) -> type[int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not 0 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 0 and {limit}, not {value}")
        return value

    return parse  # type: ignore[return-value]


def _pattern(regex: str, what: str) -> type[str]:
    compiled = re.compile(regex)

    def parse(text: str) -> str:
        if not compiled.fullmatch(text):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return text

    return parse  # type: ignore[return-value]


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite amount >= 0, not {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The emulator's argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m phonenumbers_async.emulator",
        description=(
            "Run a stateful local emulator of the Phone Numbers API. On start it prints one "
            "line: 'EMULATOR base_url=... auth_id=... auth_token=... subaccounts=SA:token,...'; "
            "it serves until SIGINT/SIGTERM. The control API is under /_emulator/ at the "
            "server root."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port",
        type=_non_negative_int(65535),
        default=0,
        help="TCP port; 0 (the default) picks a free one",
    )
    parser.add_argument(
        "--db", metavar="PATH", help="SQLite file: state persists across restarts (else memory)"
    )
    parser.add_argument(
        "--seed-inventory",
        metavar="N",
        type=_non_negative_int(1_000_000),
        default=50,
        help="numbers to seed into inventory (50)",
    )
    parser.add_argument(
        "--subaccounts",
        metavar="K",
        type=_non_negative_int(1000),
        default=2,
        help="sub-accounts to create (2)",
    )
    parser.add_argument(
        "--auth-id",
        metavar="MA_XXXXXXXXXX",
        type=_pattern(r"MA_[A-Za-z0-9]{1,64}", "a master Auth ID (MA_ and letters/digits)"),
        help="the master account's Auth ID (random by default)",
    )
    parser.add_argument(
        "--auth-token",
        metavar="TOKEN",
        type=_pattern(r"[A-Za-z0-9._~-]{1,128}", "a token of 1-128 characters [A-Za-z0-9._~-]"),
        help="the master account's Auth Token (random by default)",
    )
    parser.add_argument(
        "--balance",
        metavar="AMOUNT",
        type=_amount,
        help="the master's starting balance (default 10000000: thousands of purchases)",
    )
    parser.add_argument(
        "--currency",
        type=_pattern(r"[A-Z]{3}", "a three-letter currency code"),
        default="INR",
        help="the accounts' currency (INR)",
    )
    parser.add_argument(
        "--seed", metavar="RNG_SEED", type=_seed, help="seed for reproducible data and faults"
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the control API still answers loopback only)",
    )
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    return parser


async def _serve(args: argparse.Namespace) -> int:
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
        async with run_emulator(
            host=args.host,
            port=args.port,
            db_path=args.db,
            seed_inventory=args.seed_inventory,
            subaccounts=args.subaccounts,
            auth_id=args.auth_id,
            auth_token=args.auth_token,
            balance=args.balance,
            currency=args.currency,
            seed=args.seed,
            allow_remote=args.allow_remote,
            access_log=args.access_log,
        ) as info:
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
    args = parser.parse_args(argv)
    if not is_loopback_host(args.host) and not args.allow_remote:
        parser.error(f"--host {args.host} is not a loopback address; add --allow-remote to use it")
    logging.basicConfig(
        level=logging.INFO if args.access_log else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as exc:
        print(f"error: cannot start the emulator: {exc}", file=sys.stderr)
        return 1
