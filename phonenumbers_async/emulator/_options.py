"""The emulator's options: one frozen object, validated where it is made.

``run_emulator``, ``EmulatorThread``, the pytest fixtures and the command
line (``_cli.build_parser`` builds its flags from the fields below) all take
an :class:`EmulatorOptions`; the store is seeded from it. A field's
``metadata`` carries its one validation rule, its command-line flag and its
help, so an option is written once.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .._net import is_loopback_host

__all__ = ["MAX_MONEY", "EmulatorOptions", "OptionFlag", "option_flags", "parse_amount"]

# Money above this is refused everywhere (options and control API): a huge
# Decimal would make every JSON answer that carries it enormous.
MAX_MONEY = Decimal(10) ** 15


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"not an integer: {value!r}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value

    return check


def _seconds(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError(f"not a number of seconds: {value!r}")
        if not low < value <= high:  # NaN fails both comparisons
            raise ValueError(f"must be more than {low:g} and at most {high:g} seconds")
        return float(value)

    return check


def _pattern(regex: str, what: str, *, optional: bool) -> Callable[[Any], Any]:
    compiled = re.compile(regex)

    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def parse_amount(value: Any) -> Decimal:
    """An amount of money: a finite number from 0 to ``MAX_MONEY`` (int, str or Decimal)."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValueError(f"not an amount: {value!r}")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None
    if not result.is_finite() or not 0 <= result <= MAX_MONEY:
        raise ValueError(f"must be a finite amount >= 0 and <= {MAX_MONEY}, not {value!r}")
    return result


def _balance(value: Any) -> Decimal | None:
    return None if value is None else parse_amount(value)


def _path(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise ValueError(f"not a file path: {value!r}")
    return os.fspath(value)


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    return _integer(-(2**63), 2**63 - 1)(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"not a boolean: {value!r}")
    return value


def _host(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 255:
        raise ValueError(f"not a host name or address: {value!r}")
    return value


_AUTH_ID = _pattern(
    r"MA_[A-Za-z0-9]{1,64}", "a master Auth ID (MA_ and letters/digits)", optional=True
)
_AUTH_TOKEN = _pattern(
    r"[A-Za-z0-9._~-]{1,128}", "a token of 1-128 characters [A-Za-z0-9._~-]", optional=True
)
_CURRENCY = _pattern(r"[A-Z]{3}", "a three-letter currency code", optional=False)


def _option(
    default: Any,
    check: Callable[[Any], Any],
    flag: str,
    help: str,
    *,
    metavar: str | None = None,
    text: type = str,
) -> Any:
    """A field with its one check and its command-line flag.

    ``check`` validates (and normalises) a value, raising ``ValueError``;
    ``text`` converts the flag's text before the check.
    """
    metadata = {"check": check, "flag": flag, "help": help, "metavar": metavar, "text": text}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmulatorOptions:
    """Everything an emulator is started with; every value is checked here.

    ``EmulatorOptions(seed_inventory=100)`` and the same keywords given to
    ``run_emulator``/``EmulatorThread``/``emulator_factory`` are equivalent.
    ``with_changes(**fields)`` returns a copy with some fields changed.
    """

    host: str = _option("127.0.0.1", _host, "--host", "address to listen on (127.0.0.1)")
    port: int = _option(
        0, _integer(0, 65535), "--port", "TCP port; 0 (the default) picks a free one", text=int
    )
    db_path: str | None = _option(
        None,
        _path,
        "--db",
        "SQLite file: state persists across restarts (else memory)",
        metavar="PATH",
    )
    seed_inventory: int = _option(
        50,
        _integer(0, 1_000_000),
        "--seed-inventory",
        "numbers to seed into inventory (50)",
        metavar="N",
        text=int,
    )
    subaccounts: int = _option(
        2, _integer(0, 1000), "--subaccounts", "sub-accounts to create (2)", metavar="K", text=int
    )
    auth_id: str | None = _option(
        None,
        _AUTH_ID,
        "--auth-id",
        "the master account's Auth ID (random by default)",
        metavar="MA_XXXXXXXXXX",
    )
    auth_token: str | None = _option(
        None,
        _AUTH_TOKEN,
        "--auth-token",
        "the master account's Auth Token (random by default)",
        metavar="TOKEN",
    )
    # _option returns a dataclasses.field(); ruff cannot see that.
    balance: Decimal | None = _option(  # noqa: RUF009
        None,
        _balance,
        "--balance",
        "the master's starting balance (default 10000000: thousands of purchases)",
        metavar="AMOUNT",
    )
    currency: str = _option("INR", _CURRENCY, "--currency", "the accounts' currency (INR)")
    seed: int | None = _option(
        None,
        _seed,
        "--seed",
        "seed for reproducible data and faults",
        metavar="RNG_SEED",
        text=int,
    )
    allow_remote: bool = _option(
        False,
        _flag,
        "--allow-remote",
        "allow a non-loopback --host (the control API still answers loopback only)",
    )
    access_log: bool = _option(False, _flag, "--access-log", "log every request to stderr")
    header_timeout: float = _option(
        10.0,
        _seconds(0, 3600),
        "--header-timeout",
        "seconds a connection may take to send a request's headers before it is closed (10)",
        metavar="SECONDS",
        text=float,
    )
    body_timeout: float = _option(
        30.0,
        _seconds(0, 3600),
        "--body-timeout",
        "seconds a request's body may take to arrive once its headers are in; then 408 (30)",
        metavar="SECONDS",
        text=float,
    )
    max_half_open: int = _option(
        256,
        _integer(1, 100_000),
        "--max-half-open",
        "connections allowed to be sending headers at once; past it the oldest is closed (256)",
        metavar="N",
        text=int,
    )
    db_busy_timeout: float = _option(
        30.0,
        _seconds(0, 3600),
        "--db-busy-timeout",
        "seconds to wait for another process holding the --db file's lock (30)",
        metavar="SECONDS",
        text=float,
    )

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            name = field.name
            try:
                value = field.metadata["check"](getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            object.__setattr__(self, name, value)
        if not self.allow_remote and not is_loopback_host(self.host):
            raise ValueError(
                f"refusing to listen on non-loopback host {self.host!r} "
                "without allow_remote (--allow-remote)"
            )

    def with_changes(self, **changes: Any) -> EmulatorOptions:
        """A copy with ``changes`` applied (validated; unknown names are a TypeError)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def of(cls, options: EmulatorOptions | None, changes: Mapping[str, Any]) -> EmulatorOptions:
        """``options`` (or the defaults) with ``changes`` applied."""
        base = options if options is not None else cls()
        return base.with_changes(**changes) if changes else base


@dataclasses.dataclass(frozen=True)
class OptionFlag:
    """One option as the command line spells it."""

    name: str
    flag: str
    help: str
    metavar: str | None
    default: Any
    is_switch: bool
    check: Callable[[Any], Any]
    from_text: Callable[[str], Any]


def _from_text(kind: type) -> Callable[[str], Any]:
    """Command-line text to the value the option's check takes."""
    if kind is str:
        return str
    what = "an integer" if kind is int else "a number"

    def convert(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"not {what}: {text!r}") from None

    return convert


def option_flags() -> list[OptionFlag]:
    """Every option with its flag, help and text converter, in declaration order."""
    flags = []
    for field in dataclasses.fields(EmulatorOptions):
        check = field.metadata["check"]
        flags.append(
            OptionFlag(
                name=field.name,
                flag=field.metadata["flag"],
                help=field.metadata["help"],
                metavar=field.metadata["metavar"],
                default=field.default,
                is_switch=field.default is False,
                check=check,
                from_text=_from_text(field.metadata["text"]),
            )
        )
    return flags
