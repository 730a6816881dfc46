"""Every command's ``--format json`` output checked against the one schema
(``phonenumbers_async/cli/output.schema.json``), against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import click
import jsonschema
import pytest

from phonenumbers_async.cli._app import LOCAL_COMMANDS, cli
from phonenumbers_async.cli._output import output_schema

from ._helpers import Emu, Ran

InProcess = Callable[..., Ran]


def command_paths(group: click.Group = cli, prefix: str = "") -> Iterator[str]:
    """``numbers list``, ``inventory list``…: every leaf command under ``group``."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from command_paths(command, path + " ")
        else:
            yield path


def validate(kind: str, instance: Any) -> None:
    """``instance`` is a valid ``kind`` (a ``$defs`` entry) with no ``""`` and no ``number`` key."""
    schema = output_schema()
    jsonschema.validate(instance, {"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]})
    assert_no_empty_strings_or_number_keys(instance)


def assert_no_empty_strings_or_number_keys(value: Any, where: str = "$") -> None:
    """Nothing is ``""`` (it is ``null``), and a phone number is never under ``number``."""
    assert value != "", f"{where} is an empty string, not null"
    if isinstance(value, dict):
        assert "number" not in value, f"{where} has a 'number' key (the schema says 'e164')"
        for key, item in value.items():
            assert_no_empty_strings_or_number_keys(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_empty_strings_or_number_keys(item, f"{where}[{index}]")


def _trunk(emu: Emu) -> str:
    account = emu.control("GET", f"/accounts/{emu.info.auth_id}")
    return str(account["trunk_group_ids"][0])


def _plans(emu: Emu, run_here: InProcess) -> dict[str, tuple[list[str], str, str]]:
    """Per command: its arguments, the shape printed (array, lines or object), the record kind."""
    owned = emu.create_numbers(5, owner=emu.info.auth_id)
    assigned = emu.create_numbers(1, owner=emu.sub)[0]
    created = run_here("--format", "json", "subaccounts", "create", "schema test")
    assert created.code == 0, created.err
    new_sub = json.loads(created.out)["auth_id"]
    released = run_here("numbers", "release", owned[3], "--yes", "-q")
    assert released.code == 0, released.err
    bought = run_here(
        "numbers", "purchase", emu.inventory()[0]["e164"], "--yes", "-q"
    )  # a ledger entry
    assert bought.code == 0, bought.err
    return {
        "numbers list": (["numbers", "list"], "array", "number"),
        "numbers get": (["numbers", "get", owned[0]], "array", "number"),
        "numbers route": (
            ["numbers", "route", owned[1], "--trunk", _trunk(emu)],
            "object",
            "action",
        ),
        "numbers unroute": (["numbers", "unroute", owned[1]], "object", "action"),
        "numbers health": (["numbers", "health", owned[0]], "array", "health"),
        "numbers purchase": (
            ["numbers", "purchase", emu.inventory()[1]["e164"], "--yes"],
            "array",
            "bulk_result",
        ),
        "numbers release": (["numbers", "release", owned[4], "--yes"], "array", "bulk_result"),
        "numbers provision": (
            ["numbers", "provision", "--count", "1", "--yes", "--results", "p.csv"],
            "array",
            "bulk_result",
        ),
        "numbers cancel-release": (["numbers", "cancel-release", owned[3]], "object", "action"),
        "inventory list": (["inventory", "list", "--all"], "lines", "number"),
        "account balance": (["account", "balance"], "object", "balance"),
        "account transactions": (["account", "transactions"], "array", "transaction"),
        "subaccounts list": (["subaccounts", "list", "--all"], "lines", "subaccount"),
        "subaccounts create": (
            ["subaccounts", "create", "another"],
            "object",
            "created_subaccount",
        ),
        "subaccounts update": (
            ["subaccounts", "update", new_sub, "--name", "renamed"],
            "array",
            "subaccount",
        ),
        "subaccounts assign": (["subaccounts", "assign", owned[2], emu.sub], "object", "action"),
        "subaccounts unassign": (["subaccounts", "unassign", assigned], "object", "action"),
        "subaccounts delete": (["subaccounts", "delete", new_sub, "--yes"], "object", "action"),
    }


def test_every_command_prints_the_one_json_schema(emu: Emu, run_here: InProcess) -> None:
    """Each command's --format json output validates against its kind in the schema;
    the plan covers every command there is (a new one fails this test until added)."""
    plans = _plans(emu, run_here)
    api_commands = {path for path in command_paths() if path.split()[0] not in LOCAL_COMMANDS}
    assert set(plans) == api_commands
    for path, (args, shape, kind) in plans.items():
        ran = run_here(*args, "--format", "json")
        assert ran.code == 0, f"{path}: {ran.err}"
        if shape == "array":
            items = json.loads(ran.out)
            assert isinstance(items, list)
            assert items, f"{path} printed an empty array"
        elif shape == "lines":
            items = [json.loads(line) for line in ran.out.splitlines()]
        else:
            items = [json.loads(ran.out)]
        for item in items:
            validate(kind, item)


def test_a_dry_run_prints_its_plan_in_the_one_json_schema(emu: Emu, run_here: InProcess) -> None:
    """``--dry-run --format json`` prints plan lines with exact fees, and buys nothing."""
    wanted = [item["e164"] for item in emu.inventory()[:2]]
    ran = run_here("numbers", "purchase", *wanted, "--dry-run", "--format", "json")
    assert ran.code == 0, ran.err
    lines = json.loads(ran.out)
    assert [line["e164"] for line in lines] == wanted
    served = {item["e164"]: item for item in emu.inventory()}
    for line in lines:
        validate("plan_line", line)
        assert Decimal(line["monthly_fee"]) == served[line["e164"]]["monthly_fee"]
    assert not set(wanted) & set(emu.owned())


def test_money_keeps_its_exact_digits(emu: Emu, run_here: InProcess) -> None:
    """A listing's fees are strings equal to the server's amounts, not floats."""
    ran = run_here("inventory", "list", "--per-page", "5", "--format", "json")
    assert ran.code == 0, ran.err
    served = {item["e164"]: item for item in emu.inventory()}
    for item in json.loads(ran.out):
        assert isinstance(item["monthly_fee"], str)
        assert Decimal(item["monthly_fee"]) == served[item["e164"]]["monthly_fee"]


@pytest.mark.parametrize(
    ("args", "exit_code", "code"),
    [
        (["numbers", "get", "+15550001234"], 1, "number_not_found"),
        (["numbers", "get", "0044123"], 2, "usage_error"),
        (["numbers", "list", "--page", "2", "--all"], 2, "usage_error"),
        (["numbers", "list", "--no-such-option"], 2, "usage_error"),
    ],
)
def test_errors_are_a_json_object_on_stderr(
    run_here: InProcess, args: list[str], exit_code: int, code: str
) -> None:
    """Under --format json a failure is one JSON object on stderr (code, message,
    request_id, exit_code) and nothing on stdout."""
    ran = run_here("--format", "json", *args)
    assert ran.code == exit_code
    assert ran.out == ""
    error = json.loads(ran.err)
    validate("error", error)
    assert error["exit_code"] == exit_code
    assert error["code"] == code


def test_an_api_error_carries_its_request_id(run_here: InProcess) -> None:
    """The error object of an API failure has the server's request id."""
    ran = run_here("subaccounts", "delete", "SA_NOSUCHACCOUNT", "--yes", "--format", "json")
    assert ran.code == 1
    error = json.loads(ran.err)
    assert str(error["request_id"]).startswith("req_")
    assert error["request_id"] in error["message"]


def test_missing_credentials_are_a_json_error_too(run_here: InProcess) -> None:
    """No credentials under --format json: the error object, exit 2, its own code."""
    ran = run_here("account", "balance", "--format", "json", env={})
    assert ran.code == 2
    error = json.loads(ran.err)
    validate("error", error)
    assert error["code"] == "missing_credentials"
    assert "VOBIZ_AUTH_ID" in error["message"]


def test_a_usage_error_before_format_is_read_is_json_too(run_here: InProcess) -> None:
    """`numbers list --no-such-option --format json`: parsing stops at the bad option,
    and the error is still the JSON object."""
    ran = run_here("numbers", "list", "--no-such-option", "--format", "json")
    assert ran.code == 2
    error = json.loads(ran.err)
    validate("error", error)
    assert "--no-such-option" in error["message"]
