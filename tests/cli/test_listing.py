"""Listings through the real command, each output format parsed back and compared with
what the emulator holds (read over raw HTTP, not through the SDK)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from ._helpers import Emu, Runner, cli_env, lines, parse, parse_lines


def test_inventory_list_json_is_the_first_page_of_the_api(emu: Emu, cli: Runner) -> None:
    """`inventory list --format json` prints the API's first page of 25, money intact."""
    result = cli("--format", "json", "inventory", "list")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    expected = emu.api(f"/v1/account/{emu.info.auth_id}/inventory/numbers", {"per_page": 25})
    assert [item["e164"] for item in printed] == [item["e164"] for item in expected["items"]]
    first, wire = printed[0], expected["items"][0]
    assert Decimal(str(first["setup_fee"])) == wire["setup_fee"]
    assert Decimal(str(first["monthly_fee"])) == wire["monthly_fee"]
    assert "page 1 of 2 (40 numbers in all)" in result.stderr


def test_inventory_list_csv_all_pages_filtered_by_country(emu: Emu, cli: Runner) -> None:
    """`inventory list --country IN --all --format csv` gives every Indian number on sale."""
    result = cli("inventory", "list", "--country", "IN", "--all", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = {item["e164"] for item in emu.inventory(country="IN")}
    assert expected, "the seed should put Indian numbers on sale"
    assert {row["e164"] for row in rows} == expected
    assert {row["country"] for row in rows} == {"IN"}
    assert "account_id" not in rows[0], "numbers on sale have no owner column"


def test_inventory_list_table_shows_the_searched_numbers(emu: Emu, cli: Runner) -> None:
    """The table of `inventory list --search DIGITS` contains each matching number, whole."""
    target = emu.inventory()[3]["e164"]
    digits = target[-6:]
    result = cli("inventory", "list", "--search", digits)
    assert result.returncode == 0, result.stderr
    expected = [item["e164"] for item in emu.inventory(search=digits)]
    assert target in expected
    for number in expected:
        assert number in result.stdout
    unrelated = [item["e164"] for item in emu.inventory() if digits not in item["e164"]]
    assert not any(number in result.stdout for number in unrelated)


def test_numbers_list_includes_subaccounts_unless_told_not_to(emu: Emu, cli: Runner) -> None:
    """`numbers list` shows sub-accounts' numbers by default and hides them when told."""
    mine = emu.create_numbers(2, owner=emu.info.auth_id)
    theirs = emu.create_numbers(2, owner=emu.sub)
    everything = cli("numbers", "list", "--format", "json")
    assert everything.returncode == 0, everything.stderr
    owners = {item["e164"]: item["account_id"] for item in json.loads(everything.stdout)}
    assert owners == {**dict.fromkeys(mine, emu.info.auth_id), **dict.fromkeys(theirs, emu.sub)}

    own_only = cli("numbers", "list", "--no-include-subaccounts", "--format", "csv")
    assert own_only.returncode == 0, own_only.stderr
    assert {row["e164"] for row in csv.DictReader(io.StringIO(own_only.stdout))} == set(mine)


def test_numbers_list_fan_out_table_shows_every_owner(emu: Emu, cli: Runner) -> None:
    """`numbers list --fan-out` lists master and sub-accounts with each number's owner."""
    mine = emu.create_numbers(3, owner=emu.info.auth_id)
    sub2 = emu.info.subaccounts[1][0]
    theirs = emu.create_numbers(2, owner=sub2)
    result = cli("numbers", "list", "--fan-out")
    assert result.returncode == 0, result.stderr
    table_lines = [line for line in lines(result.stdout) if "+" in line]
    by_number = {number: line for line in table_lines for number in mine + theirs if number in line}
    assert set(by_number) == set(mine + theirs)
    for number in mine:
        assert emu.info.auth_id in by_number[number]
    for number in theirs:
        assert sub2 in by_number[number]


def test_numbers_list_all_walks_every_page(emu: Emu, cli: Runner) -> None:
    """`numbers list --all --per-page 10` returns all 23 numbers across three pages."""
    created = emu.create_numbers(23, owner=emu.info.auth_id)
    result = cli("numbers", "list", "--all", "--per-page", "10", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert sorted(item["e164"] for item in parse_lines(result.stdout)) == sorted(created)


def test_subaccounts_list_in_every_format_never_prints_a_token(emu: Emu, cli: Runner) -> None:
    """`subaccounts list` gives the emulator's sub-accounts as table, JSON and CSV, no token."""
    expected = {auth_id for auth_id, _ in emu.info.subaccounts}
    tokens = [token for _, token in emu.info.subaccounts] + [emu.info.auth_token]
    as_json = cli("subaccounts", "list", "--format", "json")
    as_csv = cli("--format", "csv", "subaccounts", "list")
    as_table = cli("subaccounts", "list")
    for result in (as_json, as_csv, as_table):
        assert result.returncode == 0, result.stderr
        assert not any(token in result.stdout + result.stderr for token in tokens)
    assert {item["auth_id"] for item in json.loads(as_json.stdout)} == expected
    assert all("auth_token" not in item for item in json.loads(as_json.stdout))
    assert {row["auth_id"] for row in csv.DictReader(io.StringIO(as_csv.stdout))} == expected
    assert all(auth_id in as_table.stdout for auth_id in expected)


def test_quiet_drops_notes_but_keeps_the_data(emu: Emu, cli: Runner) -> None:
    """`--quiet` (before or after the command) removes stderr notes, not the listing."""
    for args in (
        ("--quiet", "--format", "json", "inventory", "list", "--per-page", "5"),
        ("inventory", "list", "--per-page", "5", "--format", "json", "-q"),
    ):
        result = cli(*args)
        assert result.returncode == 0
        assert result.stderr == ""
        assert len(json.loads(result.stdout)) == 5


def test_quiet_bulk_job_prints_only_its_results(emu: Emu, cli: Runner) -> None:
    """A successful `numbers purchase … --quiet` writes nothing on stderr."""
    number = emu.inventory()[0]["e164"]
    result = cli("numbers", "purchase", "--yes", number, "--quiet", "--format", "csv")
    assert result.returncode == 0
    assert result.stderr == ""
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert row["outcome"] == "purchased"


def test_verbose_logs_each_request_without_the_token(emu: Emu, cli: Runner) -> None:
    """`--verbose` logs the HTTP request line on stderr and never the auth token."""
    result = cli("--verbose", "inventory", "list", "--per-page", "2")
    assert result.returncode == 0, result.stderr
    assert "GET /v1/account/" in result.stderr
    assert emu.info.auth_token not in result.stderr


def test_flags_override_the_environment(emu: Emu, tmp_path: Path) -> None:
    """Credentials and base URL given as flags work with no VOBIZ_* variables at all."""
    from ._helpers import run_cli

    env = cli_env(None)
    result = run_cli(
        [
            "--auth-id",
            emu.info.auth_id,
            "--auth-token",
            emu.info.auth_token,
            "--base-url",
            emu.info.base_url,
            "--format",
            "json",
            "subaccounts",
            "list",
        ],
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert len(parse(result.stdout)) == 2
