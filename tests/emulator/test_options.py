"""One frozen options object: the thread, the fixture, run_emulator and the command line."""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections.abc import Callable
from decimal import Decimal

import pytest

from phonenumbers_async.emulator import EmulatorInfo, EmulatorOptions, run_emulator
from phonenumbers_async.emulator._cli import build_parser, options_from_args
from phonenumbers_async.emulator._options import option_flags


def test_options_are_frozen_and_checked_where_made() -> None:
    """An EmulatorOptions cannot be changed in place; a bad value names its field."""
    # A string, as from a command line or a file: converted where the options are made.
    options = EmulatorOptions(seed_inventory=3, balance="12.50")  # type: ignore[arg-type]
    assert options.balance == Decimal("12.50")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.port = 1  # type: ignore[misc]
    for field, value in [
        ("port", 70000),
        ("seed_inventory", -1),
        ("header_timeout", 0),
        ("header_timeout", float("nan")),
        ("max_half_open", 0),
        ("balance", "1e999"),
        ("currency", "rupee"),
        ("auth_id", "SA_NOTMASTER"),
        ("subaccounts", True),
    ]:
        with pytest.raises(ValueError, match=field):
            EmulatorOptions(**{field: value})  # type: ignore[arg-type]  # each wrong on purpose
    with pytest.raises(TypeError):
        options.with_changes(no_such_option=1)
    assert options.with_changes(port=5).port == 5
    assert options.port == 0


def test_the_command_line_has_one_flag_per_option() -> None:
    """Every option is a flag (and nothing else is), and the parsed flags make the same
    options object as the keywords do."""
    parser = build_parser()
    dests = {action.dest for action in parser._actions if action.dest != "help"}
    flags = option_flags()
    assert [flag.name for flag in flags] == [f.name for f in dataclasses.fields(EmulatorOptions)]
    assert dests == {flag.flag.removeprefix("--").replace("-", "_") for flag in flags}
    argv = ["--seed-inventory", "7", "--header-timeout", "2.5", "--max-half-open", "9"]
    argv += ["--balance", "100", "--db", "/tmp/x.sqlite3", "--access-log", "--seed", "4"]
    options = options_from_args(parser.parse_args(argv))
    assert options == EmulatorOptions(
        seed_inventory=7,
        header_timeout=2.5,
        max_half_open=9,
        balance=Decimal(100),
        db_path="/tmp/x.sqlite3",
        access_log=True,
        seed=4,
    )


async def test_run_emulator_takes_an_options_object_and_changes() -> None:
    """``run_emulator(options, **changes)``: the keywords win over the object's fields."""
    base = EmulatorOptions(seed_inventory=2, subaccounts=0, seed=9)
    async with run_emulator(base, subaccounts=1) as info:
        assert len(info.subaccounts) == 1
    with pytest.raises(ValueError, match="seed_inventory"):
        async with run_emulator(base, seed_inventory=-5):
            pass


def test_the_fixture_factory_takes_options_too(
    emulator_factory: Callable[..., EmulatorInfo],
) -> None:
    """``emulator_factory(EmulatorOptions(...), **changes)`` starts that emulator."""
    info = emulator_factory(EmulatorOptions(seed_inventory=4, subaccounts=0), seed_inventory=6)
    request = urllib.request.Request(
        f"{info.base_url}/v1/account/{info.auth_id}/inventory/numbers",
        headers={"X-Auth-ID": info.auth_id, "X-Auth-Token": info.auth_token},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["total"] == 6
    assert info.subaccounts == ()
