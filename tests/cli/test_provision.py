"""``numbers provision`` through the real command: exactly N numbers bought, handed to the
sub-account and routed, even when some are bought away mid-job; resumed after SIGKILL
without buying twice; plans written and applied later; routing and assignment from files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from ._helpers import COMMAND, Emu, Runner, cli_env, run_cli


def trunk_of(emu: Emu) -> str:
    return str(emu.control("GET", f"/accounts/{emu.info.auth_id}")["trunk_group_ids"][0])


def debits(emu: Emu) -> Counter[str]:
    return Counter(row["e164"] for row in emu.ledger() if row["type"] == "debit")


def assert_delivered(emu: Emu, numbers: list[str], trunk: str) -> None:
    for e164 in numbers:
        row = emu.control("GET", "/numbers/" + e164.replace("+", "%2B"))
        assert row["owner"] == emu.sub
        assert str(row["trunk_group_id"]).lower() == trunk.lower()


def order_args(emu: Emu, count: int) -> list[str]:
    return ["numbers", "provision", "--capability", "voice", "--count", str(count),
            "--subaccount", emu.sub, "--trunk", trunk_of(emu), "--yes"]  # fmt: skip


def test_provision_delivers_exactly_n_when_some_are_bought_away(emu: Emu, cli: Runner) -> None:
    """Another buyer takes the numbers of the first two purchases: both rows say taken,
    two replacements come from inventory, and exactly 4 numbers end bought, assigned and
    routed; the summary's total is the ledger's; exit 0."""
    other = emu.control("POST", "/accounts", {"parent_auth_id": None})["auth_id"]
    emu.control("POST", "/faults", {"purchase_taken_by": other, "purchase_taken_count": 2})
    result = cli(*order_args(emu, 4), "--concurrency", "2", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    outcomes = Counter(row["outcome"] for row in rows)
    assert outcomes == {"provisioned": 4, "taken": 2}
    delivered = [row["e164"] for row in rows if row["outcome"] == "provisioned"]
    taken = {row["e164"] for row in rows if row["outcome"] == "taken"}
    assert sum("replaces" in (row["note"] or "") for row in rows) == 2
    assert_delivered(emu, delivered, trunk_of(emu))
    assert debits(emu) == Counter(delivered)
    assert not taken & set(debits(emu))
    spent = sum((Decimal(row["amount"]) for row in emu.ledger()), Decimal(0))
    assert f"total spent {spent} INR" in result.stderr


def test_provision_resumes_after_a_kill_without_buying_twice(emu: Emu, tmp_path: Path) -> None:
    """SIGKILL after the first number is provisioned (others in flight); the same command
    again delivers the rest: 5 numbers, 5 debits, all assigned and routed."""
    emu.control("POST", "/faults", {"latency_ms": 80})
    journal = tmp_path / "order.jsonl"
    args = [*order_args(emu, 5), "--concurrency", "2", "--journal", str(journal)]
    env = cli_env(emu.info)
    with (tmp_path / "out").open("w") as out, (tmp_path / "err").open("w") as err:
        process = subprocess.Popen(
            [*COMMAND, *args], env=env, cwd=tmp_path, stdout=out, stderr=err,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60  # a hang guard, not an assertion
            while not (journal.exists() and '"outcome":"provisioned"' in journal.read_text()):
                assert process.poll() is None, (tmp_path / "err").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.005)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
    emu.control("DELETE", "/faults")
    rerun = run_cli([*args, "--format", "json"], env=env, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    rows = json.loads(rerun.stdout)
    delivered = [row["e164"] for row in rows if row["outcome"] == "provisioned"]
    assert len(delivered) == 5
    assert any("done by earlier run" in (row["note"] or "") for row in rows)
    time.sleep(0.3)  # the killed run's requests still held by the server land (or not)
    assert debits(emu) == Counter(delivered)
    assert emu.control("GET", "/stats")["purchases_committed"] == 5
    assert_delivered(emu, delivered, trunk_of(emu))


def test_a_written_plan_is_applied_later(emu: Emu, cli: Runner, tmp_path: Path) -> None:
    """--plan-out writes the plan and changes nothing; --plan applies it: exactly the
    planned numbers are bought, for the planned total."""
    written = cli(*order_args(emu, 3), "--plan-out", "plan.csv")
    assert written.returncode == 0, written.stderr
    assert emu.ledger() == []
    lines = (tmp_path / "plan.csv").read_text().splitlines()
    assert lines[0].startswith("# phonenumbers-async provision plan: ")
    planned = [line.split(",")[0] for line in lines[2:]]
    assert len(planned) == 3
    applied = cli("numbers", "provision", "--plan", "plan.csv", "--yes", "--format", "json")
    assert applied.returncode == 0, applied.stderr
    assert sorted(row["e164"] for row in json.loads(applied.stdout)) == sorted(planned)
    assert set(debits(emu)) == set(planned)
    both = cli("numbers", "provision", "--plan", "plan.csv", "--count", "2")
    assert both.returncode == 2
    assert "give no criteria" in both.stderr


def test_provision_dry_run_and_bad_criteria(emu: Emu, cli: Runner) -> None:
    """--dry-run shows the picked numbers and sends nothing that changes state; a bad
    capability or a malformed trunk id is a usage error, never a traceback."""
    dry = cli(*order_args(emu, 2), "--dry-run", "--format", "csv")
    assert dry.returncode == 0, dry.stderr
    assert len(dry.stdout.strip().splitlines()) == 3
    stats = emu.control("GET", "/stats")["requests"]
    assert all(route.startswith("GET ") for route in stats)
    bad = cli("numbers", "provision", "--count", "2", "--capability", "telepathy")
    assert bad.returncode == 2
    assert "unknown capability 'telepathy'" in bad.stderr
    trunk = cli("numbers", "provision", "--count", "2", "--trunk", "not-a-uuid")
    assert trunk.returncode == 2
    assert "Traceback" not in bad.stderr + trunk.stderr


def test_route_and_assign_from_files(emu: Emu, cli: Runner, tmp_path: Path) -> None:
    """`numbers route --from` (e164,trunk_group_id) and `subaccounts assign --from`
    (e164,sub_account_id): each number routed and handed over; a rerun sends nothing."""
    numbers = emu.create_numbers(3, owner=emu.info.auth_id)
    trunk = trunk_of(emu)
    routes = tmp_path / "routes.csv"
    routes.write_text("e164,trunk_group_id\n" + "".join(f"{n},{trunk}\n" for n in numbers))
    assigns = tmp_path / "assign.csv"
    assigns.write_text("e164,sub_account_id\n" + "".join(f"{n},{emu.sub}\n" for n in numbers))
    routed = cli("numbers", "route", "--from", str(routes), "--format", "json")
    assert routed.returncode == 0, routed.stderr
    assert {row["outcome"] for row in json.loads(routed.stdout)} == {"routed"}
    assigned = cli("subaccounts", "assign", "--from", str(assigns), "--format", "json")
    assert assigned.returncode == 0, assigned.stderr
    assert {row["outcome"] for row in json.loads(assigned.stdout)} == {"assigned"}
    assert_delivered(emu, numbers, trunk)
    emu.control("DELETE", "/stats")
    again = cli("numbers", "route", "--from", str(routes))
    assert again.returncode == 0, again.stderr
    assert "3 of 3 number(s) were done by an earlier run" in again.stderr
    assert all(route.startswith("GET ") for route in emu.control("GET", "/stats")["requests"])
    # The single-number form still works.
    (fresh,) = emu.create_numbers(1, owner=emu.info.auth_id)
    single = cli("numbers", "route", fresh, "--trunk", trunk)
    assert single.returncode == 0, single.stderr
    assert f"routed {fresh} to trunk {trunk}" in single.stdout
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("e164,target\n+14155550100,x\n")
    refused = cli("numbers", "route", "--from", str(wrong))
    assert refused.returncode == 2
    assert "e164,trunk_group_id or e164,application_id" in refused.stderr


def test_a_plan_whose_numbers_are_gone_prices_their_replacements(
    emu: Emu, cli: Runner, tmp_path: Path
) -> None:
    """Two of a written plan's three numbers are bought by a rival: the pre-flight prices
    their replacements too, so a --max-cost below the three refuses the job (exit 2, no
    purchase), and without it the job spends what the plan said."""
    written = cli("numbers", "provision", "--count", "3", "--plan-out", "plan.csv")
    assert written.returncode == 0, written.stderr
    planned = [line.split(",")[0] for line in (tmp_path / "plan.csv").read_text().splitlines()[2:]]
    rival = emu.control("POST", "/accounts", {"parent_auth_id": None})["auth_id"]
    for e164 in planned[1:]:
        emu.control("POST", "/numbers/" + e164.replace("+", "%2B") + "/take", {"auth_id": rival})
    dry = cli("numbers", "provision", "--plan", "plan.csv", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    priced = [row for row in json.loads(dry.stdout) if row.get("cost") not in (None, "")]
    assert len(priced) == 3
    total = sum((Decimal(str(row["cost"])) for row in priced), Decimal(0))
    low = cli("numbers", "provision", "--plan", "plan.csv", "--yes", "--max-cost", str(total - 1))
    assert low.returncode == 2
    assert "above --max-cost" in low.stderr
    assert not [row for row in emu.ledger() if row["auth_id"] == emu.info.auth_id]
    ran = cli("numbers", "provision", "--plan", "plan.csv", "--yes", "--max-cost", str(total))
    assert ran.returncode == 0, ran.stderr
    mine = [row for row in emu.ledger() if row["auth_id"] == emu.info.auth_id]
    assert len(mine) == 3
    assert sum((Decimal(row["amount"]) for row in mine), Decimal(0)) == total


def test_a_finished_job_reruns_on_a_low_balance_without_asking(
    emu: Emu, cli: Runner, tmp_path: Path
) -> None:
    """A finished job rerun with the balance at 0: nothing is left to buy, so there is no
    balance refusal and no confirmation (no --yes, stdin not a terminal); exit 0, no new
    debit, the numbers verified."""
    args = ["numbers", "provision", "--count", "2", "--journal", str(tmp_path / "j.jsonl")]
    first = cli(*args, "--yes")
    assert first.returncode == 0, first.stderr
    before = debits(emu)
    emu.control("PATCH", f"/accounts/{emu.info.auth_id}", {"balance": "0"})
    again = cli(*args, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert {row["outcome"] for row in json.loads(again.stdout)} == {"provisioned"}
    assert debits(emu) == before


def test_a_corrupt_journal_is_a_usage_error(emu: Emu, cli: Runner, tmp_path: Path) -> None:
    """A journal file that is not UTF-8: exit 2 with "not a phonenumbers-async journal",
    never a traceback or "unexpected"."""
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(b"\xff\xfe\x00garbage\n")
    result = cli("numbers", "provision", "--count", "1", "--yes", "--journal", str(journal))
    assert result.returncode == 2
    assert "not a phonenumbers-async journal" in result.stderr
    assert "unexpected" not in result.stderr


def test_a_plan_with_a_huge_field_is_a_usage_error(emu: Emu, cli: Runner, tmp_path: Path) -> None:
    """A plan file whose CSV has a field over the csv module's limit: exit 2 naming the
    file, never "unexpected Error"."""
    written = cli("numbers", "provision", "--count", "1", "--plan-out", "plan.csv")
    assert written.returncode == 0, written.stderr
    plan = tmp_path / "plan.csv"
    plan.write_text(plan.read_text() + '"' + "9" * 200_000 + '",1,1,INR\n')
    result = cli("numbers", "provision", "--plan", "plan.csv", "--yes")
    assert result.returncode == 2
    assert "plan.csv" in result.stderr
    assert "unexpected" not in result.stderr
