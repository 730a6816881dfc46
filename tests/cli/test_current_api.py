"""The current API's commands through the real command line, against the emulator."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ._helpers import Emu, Runner, parse, parse_lines


def _master_trunk(emu: Emu) -> str:
    account = emu.control("GET", f"/accounts/{emu.info.auth_id}")
    return str(account["trunk_group_ids"][0])


def test_get_shows_one_owned_number(emu: Emu, cli: Runner) -> None:
    """`numbers get E164 --format json` prints that number as JSON."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    result = cli("--format", "json", "numbers", "get", number)
    assert result.returncode == 0, result.stderr
    [item] = json.loads(result.stdout)
    assert item["e164"] == number


def test_get_of_a_number_not_owned_exits_1(emu: Emu, cli: Runner) -> None:
    """A number the account does not own: one error line, exit 1."""
    [number] = emu.create_numbers(1)
    result = cli("numbers", "get", number)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")


def test_route_to_a_trunk_and_unroute(emu: Emu, cli: Runner) -> None:
    """`numbers route --trunk` sets the number's trunk; `numbers unroute` clears it."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    trunk = _master_trunk(emu)
    routed = cli("numbers", "route", number, "--trunk", trunk)
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.strip() == f"routed {number} to trunk {trunk}"
    listed = emu.api(f"/v1/account/{emu.info.auth_id}/numbers", {"search": number})
    assert listed["items"][0]["trunk_group_id"] == trunk
    unrouted = cli("numbers", "unroute", number)
    assert unrouted.returncode == 0, unrouted.stderr
    listed = emu.api(f"/v1/account/{emu.info.auth_id}/numbers", {"search": number})
    assert not listed["items"][0].get("trunk_group_id")


def test_route_needs_exactly_one_target(emu: Emu, cli: Runner) -> None:
    """Neither or both of --trunk and --application is a usage error (exit 2)."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    assert cli("numbers", "route", number).returncode == 2
    both = cli("numbers", "route", number, "--trunk", _master_trunk(emu), "--application", "x")
    assert both.returncode == 2


def test_release_shows_the_cooldown_and_cancel_release_undoes_it(
    emu: Emu, cli: Runner, tmp_path: Path
) -> None:
    """A release is pending (cancellable until a time); cancel-release makes it active again."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    results = tmp_path / "results.csv"
    released = cli("numbers", "release", number, "--yes", "--results", str(results))
    assert released.returncode == 0, released.stderr
    text = results.read_text()
    assert "pending-release" in text
    assert "cancellable until" in text
    cancelled = cli("numbers", "cancel-release", number)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f"cancelled the release of {number}")
    listed = emu.api(f"/v1/account/{emu.info.auth_id}/numbers", {"search": number})
    assert listed["items"][0]["status"] == "active"


def test_account_balance_and_transactions(emu: Emu, cli: Runner) -> None:
    """`account balance` reads available money; a purchase shows up in `account transactions`."""
    [number] = emu.create_numbers(1)
    assert cli("numbers", "purchase", "--yes", number).returncode == 0
    balance = cli("--format", "json", "account", "balance")
    assert balance.returncode == 0, balance.stderr
    record = parse(balance.stdout)
    assert Decimal(record["available_balance"]) > 0
    transactions = cli("--format", "json", "account", "transactions", "--all")
    assert transactions.returncode == 0, transactions.stderr
    entries = parse_lines(transactions.stdout)
    assert any(entry.get("reference_type") == "did_rental" for entry in entries)


def test_subaccount_create_prints_the_token_once_then_update_and_delete(
    emu: Emu, cli: Runner
) -> None:
    """create: the token with a warning to store it; update renames; delete (with --yes) removes."""
    created = cli("--format", "json", "subaccounts", "create", "Support desk")
    assert created.returncode == 0, created.stderr
    record = parse(created.stdout)
    assert record["auth_id"].startswith("SA_")
    assert record["auth_token"]
    assert "shown only this once" in created.stderr
    updated = cli("subaccounts", "update", record["auth_id"], "--name", "Support 2")
    assert updated.returncode == 0, updated.stderr
    assert "Support 2" in updated.stdout
    refused = cli("subaccounts", "delete", record["auth_id"])
    assert refused.returncode == 2
    deleted = cli("subaccounts", "delete", record["auth_id"], "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"deleted {record['auth_id']}"


def test_inventory_exclude_leaves_prefixes_out(emu: Emu, cli: Runner) -> None:
    """`inventory list --exclude PREFIX --all` lists no number starting with it."""
    every = [row["e164"] for row in emu.inventory()]
    prefix = every[0][:6]
    result = cli("--format", "json", "inventory", "list", "--all", "--exclude", prefix)
    assert result.returncode == 0, result.stderr
    listed = [item["e164"] for item in parse_lines(result.stdout)]
    assert listed
    assert not [number for number in listed if number.startswith(prefix)]
    assert len(listed) == len([number for number in every if not number.startswith(prefix)])


def test_health_shows_recorded_calls(emu: Emu, cli: Runner) -> None:
    """`numbers health` summarises the calls recorded on the number (JSON: the dashboard)."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    for answered in (True, False):
        emu.record_call(number, answered=answered, duration_seconds=120)
    result = cli("--format", "json", "numbers", "health", number, "--days", "7")
    assert result.returncode == 0, result.stderr
    [dashboard] = json.loads(result.stdout)
    assert dashboard["e164"] == number
    assert dashboard["summary"]["total_calls"] == 2
    assert dashboard["summary"]["answered_calls"] == 1


def test_a_release_cancelled_since_is_released_again_not_skipped(emu: Emu, cli: Runner) -> None:
    """release, cancel-release, release: the journal's "pending" is checked, and it is redone."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    assert cli("numbers", "release", number, "--yes").returncode == 0
    assert cli("numbers", "cancel-release", number).returncode == 0
    again = cli("numbers", "release", number, "--yes")
    assert again.returncode == 0, again.stderr
    listed = emu.api(f"/v1/account/{emu.info.auth_id}/numbers", {"search": number})
    assert listed["items"][0]["status"] == "pending_release"
