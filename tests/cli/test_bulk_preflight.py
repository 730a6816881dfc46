"""Money before it is spent, through the real command: the plan, --dry-run, --max-cost,
the balance check, confirmation, the first 402, and a stale journal that no longer lies."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from ._helpers import COMMAND, Emu, Runner, cli_env

PURCHASE = "POST /api/v1/account/{auth_id}/numbers/purchase-from-inventory"


def state_changing(emu: Emu) -> dict[str, int]:
    """The requests of the emulator's log that could change state (anything but GET)."""
    stats = emu.control("GET", "/stats")
    return {
        route: count for route, count in stats["requests"].items() if not route.startswith("GET ")
    }


def debits(emu: Emu) -> dict[str, Decimal]:
    return {row["e164"]: Decimal(row["amount"]) for row in emu.ledger() if row["type"] == "debit"}


def test_dry_run_prints_the_plan_and_changes_nothing(emu: Emu, cli: Runner) -> None:
    """--dry-run: the plan's count, total (setup + monthly), balance and remainder, exit 0;
    the emulator's request log shows no request but GETs, and the ledger is empty."""
    wanted = emu.inventory()[:3]
    numbers = [str(row["e164"]) for row in wanted]
    total = sum((row["setup_fee"] + row["monthly_fee"] for row in wanted), Decimal(0))
    result = cli("numbers", "purchase", *numbers, "--dry-run", "--format", "csv")
    assert result.returncode == 0, result.stderr
    plan = {row["number"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert set(plan) == set(numbers)
    assert sum((Decimal(row["cost"]) for row in plan.values()), Decimal(0)) == total
    balance = Decimal(emu.control("GET", f"/accounts/{emu.info.auth_id}")["available_balance"])
    assert "plan: 3 number(s) to buy" in result.stderr
    assert f"= {total} INR" in result.stderr
    assert f"available balance {balance} INR, {balance - total} INR would remain" in (result.stderr)
    assert state_changing(emu) == {}
    assert emu.ledger() == []


def test_an_unaffordable_plan_is_refused_before_buying(emu: Emu, cli: Runner) -> None:
    """A balance below the plan's total: exit 2 with the shortfall, no purchase request,
    the ledger untouched."""
    wanted = emu.inventory()[:4]
    numbers = [str(row["e164"]) for row in wanted]
    total = sum((row["setup_fee"] + row["monthly_fee"] for row in wanted), Decimal(0))
    emu.control("PATCH", f"/accounts/{emu.info.auth_id}", {"balance": str(total - 1)})
    result = cli("numbers", "purchase", "--yes", *numbers)
    assert result.returncode == 2
    assert "cannot cover the plan" in result.stderr
    assert "short by 1" in result.stderr
    assert "nothing was bought" in result.stderr
    assert state_changing(emu) == {}
    assert emu.ledger() == []


def test_max_cost_refuses_a_dearer_plan(emu: Emu, cli: Runner) -> None:
    """--max-cost below the plan's total: exit 2, nothing sent; at the total: bought."""
    wanted = emu.inventory()[:2]
    numbers = [str(row["e164"]) for row in wanted]
    total = sum((row["setup_fee"] + row["monthly_fee"] for row in wanted), Decimal(0))
    refused = cli("numbers", "purchase", "--yes", *numbers, "--max-cost", str(total - 1))
    assert refused.returncode == 2
    assert "above --max-cost" in refused.stderr
    assert state_changing(emu) == {}
    bought = cli("numbers", "purchase", "--yes", *numbers, "--max-cost", str(total))
    assert bought.returncode == 0, bought.stderr
    assert set(debits(emu)) == set(numbers)
    bad = cli("numbers", "purchase", "--yes", *numbers, "--max-cost", "lots")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_purchase_without_a_terminal_needs_yes(emu: Emu, cli: Runner) -> None:
    """No terminal to confirm on and no --yes: exit 2 after the plan, nothing bought."""
    number = str(emu.inventory()[0]["e164"])
    result = cli("numbers", "purchase", number)
    assert result.returncode == 2
    assert "refusing to buy 1 number(s) without confirmation" in result.stderr
    assert emu.ledger() == []


def test_the_summary_ends_with_total_spent_and_remaining_balance(emu: Emu, cli: Runner) -> None:
    """The last line names the money: what the job spent (the ledger's debits) and the
    balance left (the account's)."""
    numbers = [str(row["e164"]) for row in emu.inventory()[:3]]
    result = cli("numbers", "purchase", "--yes", *numbers)
    assert result.returncode == 0, result.stderr
    spent = sum(debits(emu).values(), Decimal(0))
    left = Decimal(emu.control("GET", f"/accounts/{emu.info.auth_id}")["available_balance"])
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith(f"total spent {spent} INR; remaining balance {left} INR")


def test_the_first_402_stops_the_run(emu: Emu, tmp_path: Path) -> None:
    """The balance runs out during the job (emptied once the plan passed): one purchase is
    answered 402, no later one is tried (they are reported skipped), exit 3 or 1."""
    numbers = [str(row["e164"]) for row in emu.inventory()[:8]]
    emu.control("POST", "/faults", {"latency_ms": 150})
    args = ["numbers", "purchase", "--yes", *numbers, "--concurrency", "1",
            "--results", "r.csv", "--format", "json"]  # fmt: skip
    err_path = tmp_path / "err.txt"
    with err_path.open("w") as err:
        process = subprocess.Popen(
            [*COMMAND, *args], env=cli_env(emu.info), cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60  # a hang guard, not an assertion
        while "plan:" not in err_path.read_text():
            assert process.poll() is None, err_path.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        emu.control("PATCH", f"/accounts/{emu.info.auth_id}", {"balance": "0"})
        stdout, _ = process.communicate(timeout=60)
    outcomes = [row["outcome"] for row in json.loads(stdout)]
    assert outcomes.count("insufficient-balance") == 1
    assert outcomes.count("skipped") >= 6
    attempts = emu.control("GET", "/stats")["requests"].get(PURCHASE, 0)
    assert attempts == outcomes.count("purchased") + 1
    assert process.returncode in (1, 3)


def test_a_stale_journal_reports_the_truth_and_buys_what_is_needed(
    emu: Emu, cli: Runner, tmp_path: Path
) -> None:
    """Buy 4, release them all, rerun the same purchase: nothing is claimed as done by the
    earlier run; the 4 are bought again (8 debits in all) and owned."""
    emu.control("POST", "/faults", {"release_status": 204})  # back to inventory at once
    numbers = [str(row["e164"]) for row in emu.inventory()[:4]]
    source = tmp_path / "four.txt"
    source.write_text("\n".join(numbers) + "\n", encoding="utf-8")
    first = cli("numbers", "purchase", "--yes", "--from", str(source))
    assert first.returncode == 0, first.stderr
    released = cli("numbers", "release", "--yes", *numbers)
    assert released.returncode == 0, released.stderr
    again = cli("numbers", "purchase", "--yes", "--from", str(source), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert "done by an earlier run" not in again.stderr
    rows = json.loads(again.stdout)
    assert {row["outcome"] for row in rows} == {"purchased"}
    assert all("no longer owns it" in row["note"] for row in rows)
    assert set(numbers) <= set(emu.owned())
    assert len([row for row in emu.ledger() if row["type"] == "debit"]) == 8


def test_a_rerun_with_nothing_to_buy_needs_no_confirmation(emu: Emu, cli: Runner) -> None:
    """Once every number is owned the plan costs nothing: the rerun, without --yes and
    without a terminal, verifies and reports instead of refusing."""
    numbers = [str(row["e164"]) for row in emu.inventory()[:2]]
    assert cli("numbers", "purchase", "--yes", *numbers).returncode == 0
    again = cli("numbers", "purchase", *numbers, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert "plan: 0 number(s) to buy" in again.stderr
    assert {row["outcome"] for row in json.loads(again.stdout)} == {"purchased"}
    assert len(emu.ledger()) == 2
