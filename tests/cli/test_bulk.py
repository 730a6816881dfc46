"""Bulk purchase and release through the real command: results file, journal, bad
input, confirmation, and an interrupted job resumed without buying anything twice."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ._helpers import COMMAND, Emu, cli_env, parse, run_cli


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def journal_records(path: Path) -> list[dict[str, object]]:
    """The per-number records of a journal (not its header or its run lines)."""
    records = [json.loads(line) for line in path.read_text().splitlines()[1:] if line.strip()]
    return [record for record in records if "e164" in record]


def test_purchase_arguments_debits_each_number_once_and_writes_results(
    emu: Emu, cli, tmp_path: Path
) -> None:
    """`numbers purchase A B` buys both, one debit each, and the results CSV has their cost."""
    wanted = [item for item in emu.inventory()[:2]]
    numbers = [item["e164"] for item in wanted]
    result = cli(
        "numbers", "purchase", "--yes", *numbers, "--results", "out.csv", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    printed = {row["e164"]: row for row in json.loads(result.stdout)}
    assert set(printed) == set(numbers)
    assert {row["outcome"] for row in printed.values()} == {"purchased"}
    rows = {row["number"]: row for row in read_results(tmp_path / "out.csv")}
    assert list(read_results(tmp_path / "out.csv")[0]) == ["number", "outcome", "error", "cost"]
    for item in wanted:
        assert Decimal(rows[item["e164"]]["cost"]) == item["setup_fee"] + item["monthly_fee"]
    ledger = [row for row in emu.ledger() if row["e164"] in numbers]
    assert Counter(row["e164"] for row in ledger) == Counter(numbers)
    assert set(numbers) <= set(emu.owned())


def test_purchase_file_reports_a_malformed_line_and_the_rest_proceed(
    emu: Emu, cli, tmp_path: Path
) -> None:
    """A bad number in a CSV is reported with its line; the others are bought; exit 3."""
    good = [item["e164"] for item in emu.inventory()[:3]]
    source = tmp_path / "order.csv"
    source.write_text(
        "e164,label\n"
        f"{good[0]},first\n"
        "# a comment line\n"
        f"{good[1]},second\n"
        "+91-98765-4321x,typo\n"
        f"{good[2]},third\n"
        "919876543210,no plus\n",
        encoding="utf-8",
    )
    result = cli("numbers", "purchase", "--yes", "--from", str(source), "--results", "r.csv")
    assert result.returncode == 3, result.stderr
    assert "order.csv, line 5: '+91-98765-4321x' is not an E.164 number" in result.stderr
    assert "order.csv, line 7: '919876543210'" in result.stderr
    assert "leading '+' is missing" in result.stderr
    assert "Traceback" not in result.stderr
    outcomes = {row["number"]: row["outcome"] for row in read_results(tmp_path / "r.csv")}
    assert outcomes == {
        **dict.fromkeys(good, "purchased"),
        # A spreadsheet would read the raw line as a formula: it is written as text.
        "'+91-98765-4321x": "invalid",
        "919876543210": "invalid",
    }
    assert set(good) <= set(emu.owned())
    # The default journal sits next to the input file, where a rerun finds it again.
    assert (tmp_path / "order.csv.purchase-journal.jsonl").exists()


def test_purchase_of_only_bad_input_is_a_usage_error(emu: Emu, cli, tmp_path: Path) -> None:
    """A file with no valid number exits 2 and buys nothing."""
    source = tmp_path / "bad.txt"
    source.write_text("hello\n12\n", encoding="utf-8")
    result = cli("numbers", "purchase", "--yes", "--from", str(source))
    assert result.returncode == 2
    assert "bad.txt, line 1" in result.stderr
    assert "bad.txt, line 2" in result.stderr
    assert "error: no valid numbers to purchase" in result.stderr
    assert emu.ledger() == []


def test_purchase_failures_only_exit_1_with_the_request_id(emu: Emu, cli) -> None:
    """Buying a number that is not on sale fails with exit 1, its request id in the results."""
    result = cli("numbers", "purchase", "--yes", "+15550000001", "--format", "csv")
    assert result.returncode == 1
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert row["outcome"] == "not-in-inventory"
    assert row["error"].startswith("404 ")
    assert "request id req_" in row["error"]
    assert "error: purchase: 1 of 1 failed" in result.stderr


def test_purchase_of_a_number_already_owned_is_not_a_failure(emu: Emu, cli) -> None:
    """Rerunning a purchase without its journal sees the number owned: no second debit."""
    number = emu.inventory()[0]["e164"]
    first = cli("numbers", "purchase", "--yes", number, "--journal", "one.jsonl")
    second = cli(
        "numbers", "purchase", "--yes", number, "--journal", "two.jsonl", "--format", "json"
    )
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)[0]["outcome"] == "already-owned"
    assert [row["e164"] for row in emu.ledger()] == [number]


def test_rerun_skips_what_the_journal_marks_done(emu: Emu, cli, tmp_path: Path) -> None:
    """The same command run twice buys once; the rerun reports the earlier outcome."""
    numbers = [item["e164"] for item in emu.inventory()[:3]]
    first = cli("numbers", "purchase", "--yes", *numbers)
    assert first.returncode == 0, first.stderr
    again = cli("numbers", "purchase", "--yes", *numbers, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert "3 of 3 number(s) were done by an earlier run" in again.stderr
    assert {row["outcome"] for row in json.loads(again.stdout)} == {"purchased"}
    assert sorted(row["e164"] for row in emu.ledger()) == sorted(numbers)
    journals = list(tmp_path.glob("purchase-journal-*.jsonl"))
    assert len(journals) == 1
    assert Counter(record["event"] for record in journal_records(journals[0])) == {
        "started": 3,
        "done": 3,
    }


def _journal_header(emu: Emu, operation: str) -> str:
    return json.dumps(
        {
            "format": "phonenumbers-async-journal",
            "version": 2,
            "job": {
                "operation": operation,
                "auth_id": emu.info.auth_id,
                "base_url": emu.info.base_url,
                "parameters": {},
            },
        }
    )


def _started(e164: str) -> str:
    """A ``started`` record of an interrupted run (of a minute ago)."""
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return json.dumps({"e164": e164, "event": "started", "run": "killedrun001", "at": at})


def test_unfinished_numbers_are_reconciled_before_anything_is_sent(
    emu: Emu, cli, tmp_path: Path
) -> None:
    """A number the interrupted run bought is settled without a request; one still on sale
    is bought; exactly one debit in all."""
    bought_already = emu.create_numbers(1, owner=emu.info.auth_id)[0]
    still_on_sale = emu.inventory()[0]["e164"]
    journal = tmp_path / "job.jsonl"
    journal.write_text(
        _journal_header(emu, "purchase")
        + "\n"
        + _started(bought_already)
        + "\n"
        + _started(still_on_sale)
        + "\n"
        # A torn last write, as a SIGKILL can leave behind.
        + '{"e164": "+1',
        encoding="utf-8",
    )
    before = emu.control("GET", "/stats")
    result = cli(
        "numbers", "purchase", "--yes", bought_already, still_on_sale, "--journal", str(journal),
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcomes = {row["e164"]: row["outcome"] for row in json.loads(result.stdout)}
    assert outcomes == {bought_already: "purchased", still_on_sale: "purchased"}
    assert [row["e164"] for row in emu.ledger()] == [still_on_sale]
    after = emu.control("GET", "/stats")
    assert after["purchases_committed"] - before["purchases_committed"] == 1
    assert "1 found done by an interrupted run" in result.stderr
    assert "ignored 1 unreadable line" in result.stderr


def test_a_journal_of_another_account_is_refused(emu: Emu, cli, tmp_path: Path) -> None:
    """Reusing a journal written for another account exits 2 and sends nothing."""
    journal = tmp_path / "other.jsonl"
    journal.write_text(
        _journal_header(emu, "purchase").replace(emu.info.auth_id, "MA_SOMEONEELSE") + "\n",
        encoding="utf-8",
    )
    number = emu.inventory()[0]["e164"]
    result = cli("numbers", "purchase", "--yes", number, "--journal", str(journal))
    assert result.returncode == 2
    assert "belongs to account MA_SOMEONEELSE" in result.stderr
    assert emu.ledger() == []


def test_release_without_a_terminal_or_yes_refuses(emu: Emu, cli) -> None:
    """`numbers release` with no --yes and no terminal to ask on exits 2 and keeps the number."""
    number = emu.create_numbers(1, owner=emu.info.auth_id)[0]
    result = cli("numbers", "release", number)
    assert result.returncode == 2
    assert "refusing to release 1 number(s) without confirmation" in result.stderr
    assert "--yes" in result.stderr
    assert number in emu.owned()


def test_release_from_file_with_yes_returns_numbers_to_inventory(
    emu: Emu, cli, tmp_path: Path
) -> None:
    """`numbers release --from FILE --yes` releases each number; a foreign one fails: exit 3."""
    emu.control("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    mine = emu.create_numbers(3, owner=emu.info.auth_id)
    foreign = emu.inventory()[0]["e164"]
    source = tmp_path / "release.txt"
    source.write_text("\n".join([*mine, foreign]) + "\n", encoding="utf-8")
    result = cli(
        "numbers", "release", "--from", str(source), "--yes", "--results", "rel.csv",
        "--format", "csv",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    printed = {row["number"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert {number: printed[number]["outcome"] for number in mine} == dict.fromkeys(
        mine, "released"
    )
    assert printed[foreign]["outcome"] == "failed"
    assert printed[foreign]["error"].startswith("403 ")
    on_sale = {item["e164"] for item in emu.inventory()}
    assert set(mine) <= on_sale
    assert not set(mine) & set(emu.owned())

    # Rerun: the released ones are skipped; the clear failure is tried again and
    # fails again (it is not mistaken for a release the interrupted run made).
    again = cli("numbers", "release", "--from", str(source), "--yes", "--format", "json")
    assert again.returncode == 3, again.stderr
    outcomes = {row["e164"]: row["outcome"] for row in json.loads(again.stdout)}
    assert outcomes == {**dict.fromkeys(mine, "released"), foreign: "failed"}
    assert "3 of 4 number(s) were done by an earlier run" in again.stderr


@pytest.mark.parametrize("kill_after", [3, 12, 25])
def test_interrupted_bulk_purchase_resumes_and_its_total_is_the_ledgers(
    emu: Emu, tmp_path: Path, kill_after: int
) -> None:
    """40 numbers, SIGKILL after ``kill_after`` outcomes with purchases in flight, rerun:
    each number debited once, all owned, and the rerun's results total what the ledger
    debited (the killed run's late purchases included, with their cost)."""
    numbers = emu.create_numbers(40)
    source = tmp_path / "forty.csv"
    source.write_text("e164\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    journal = tmp_path / "forty.csv.purchase-journal.jsonl"
    # Slow enough to be caught midway: 3 at a time, each purchase held up by the server.
    emu.control("POST", "/faults", {"latency_ms": 80})
    env = cli_env(emu.info)
    args = ["numbers", "purchase", "--yes", "--from", str(source), "--concurrency", "3"]
    with (tmp_path / "first.out").open("w") as out, (tmp_path / "first.err").open("w") as err:
        process = subprocess.Popen(
            [*COMMAND, *args], env=env, cwd=tmp_path, stdout=out, stderr=err,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120  # a hang guard, not an assertion
            outcomes = 0
            while outcomes < kill_after:
                assert process.poll() is None, "the job ended before it could be interrupted"
                assert time.monotonic() < deadline, "the job made no progress"
                if journal.exists():
                    outcomes = sum(
                        1 for record in journal_records_tolerant(journal)
                        if record.get("event") in ("done", "failed")
                    )  # fmt: skip
                time.sleep(0.005)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    interrupted = journal_records_tolerant(journal)
    done_before = {record["e164"] for record in interrupted if record.get("event") == "done"}
    assert kill_after <= len(done_before) < 40, "the kill should land midway through the job"
    last = {record["e164"]: record["event"] for record in interrupted}
    # Each worker spends nearly all its time waiting on the server, so the kill
    # leaves requests in flight whose outcome the journal does not know.
    assert "started" in last.values(), "the kill should leave purchases in flight"

    emu.control("DELETE", "/faults")
    rerun = run_cli([*args, "--results", "rerun.csv"], env=env, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    earlier = re.search(r"(\d+) of 40 number\(s\) were done by an earlier run", rerun.stderr)
    assert earlier is not None
    assert int(earlier.group(1)) >= len(done_before)

    time.sleep(0.3)  # requests of the killed run still held by the server land (or not)
    debits: dict[str, Decimal] = {}
    for row in emu.ledger():
        if row["type"] == "debit":
            assert row["e164"] not in debits, f"{row['e164']} was debited twice"
            debits[row["e164"]] = Decimal(row["amount"])
    assert set(debits) == set(numbers)
    assert emu.control("GET", "/stats")["purchases_committed"] == 40
    owned = emu.owned()
    assert all(owned.get(number) == emu.info.auth_id for number in numbers)
    results = read_results(tmp_path / "rerun.csv")
    assert sorted(row["number"] for row in results) == sorted(numbers)
    assert {row["outcome"] for row in results} == {"purchased"}
    assert {row["number"]: Decimal(row["cost"]) for row in results} == debits
    assert f"total spent {sum(debits.values())} INR" in rerun.stderr
    final = journal_records_tolerant(journal)
    last_event = {record["e164"]: record["event"] for record in final}
    assert set(last_event.values()) == {"done"}


def journal_records_tolerant(path: Path) -> list[dict[str, object]]:
    """The journal's records, skipping a line still being written."""
    records = []
    for line in path.read_text().splitlines()[1:]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "e164" in record:
            records.append(record)
    return records


def test_results_json_matches_the_results_file(emu: Emu, cli, tmp_path: Path) -> None:
    """The JSON printed at the end and the results CSV hold the same rows."""
    numbers = [item["e164"] for item in emu.inventory()[:4]]
    result = cli(
        "numbers", "purchase", "--yes", *numbers, "--results", "same.csv", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    printed = sorted(
        (
            {
                "number": row["e164"],
                "outcome": row["outcome"],
                "error": row["note"] or "",
                "cost": row["cost"] or "",
            }
            for row in parse(result.stdout)
        ),
        key=lambda row: row["number"],
    )
    written = sorted(read_results(tmp_path / "same.csv"), key=lambda row: row["number"])
    assert printed == written
